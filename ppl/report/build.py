"""Report sections from a checked model, its data and inference results.

Each function turns one thing into one frozen section (see :mod:`.model`);
:func:`assemble` adds the headline.  Heavy libraries are imported inside the
functions that need them.
"""

from __future__ import annotations

import datetime as _dt
import platform
from typing import Iterable, Sequence

import numpy as np

from .headline import headline
from .model import DataSection, ModelSection, Report, Section, Table

__all__ = ["model_section", "data_section", "quantile_rows", "assemble", "versions", "fmt_shape"]

QUANTILES = (0.05, 0.5, 0.95)


def model_section(model) -> ModelSection:
    """The model's source (one entry per line) and the checked IR (``ppl show``)."""
    from ..semantics.pretty import show_model

    path = str(model.path) if model.path is not None else model.source.name
    return ModelSection(model.name, path, tuple(model.source.text.splitlines()), show_model(model.ir))


def fmt_shape(shape: Sequence[int]) -> str:
    return "scalar" if not shape else "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _data_row(decl, bound) -> tuple:
    arr = bound.values.get(decl.name)
    if arr is None:
        return (decl.name, str(decl.vtype), "left out", None, None, None, None)
    arr = np.asarray(arr)
    dims = ", ".join(str(d) for d in decl.dims) or "-"
    missing = bound.missing.get(decl.name)
    n_missing = int(np.sum(missing)) if missing is not None else 0
    if decl.name in bound.levels:
        return (decl.name, f"factor ({len(bound.levels[decl.name])} levels)", dims, fmt_shape(arr.shape),
                None, None, n_missing)
    finite = arr[np.isfinite(arr)] if np.issubdtype(arr.dtype, np.number) else np.array([])
    low = float(finite.min()) if finite.size else None
    high = float(finite.max()) if finite.size else None
    return (decl.name, str(decl.vtype), dims, fmt_shape(arr.shape), low, high, n_missing)


def data_section(model, bound, path: str = "") -> DataSection:
    """One row per declared data variable: type, dims, shape, range, missing values."""
    rows = tuple(_data_row(d, bound) for d in model.ir.data)
    table = Table(("variable", "type", "dims", "shape", "min", "max", "missing"), rows)
    sizes = ", ".join(f"{k} = {v}" for k, v in bound.sizes.items())
    notes = (f"dim sizes: {sizes}",) if sizes else ()
    if bound.ignored:
        notes += ("entries of the data file that the model does not use: " + ", ".join(bound.ignored),)
    return DataSection(model.name, path, table, notes)


def quantile_rows(draws: dict[str, np.ndarray]) -> dict[str, tuple[float, ...]]:
    """``{label: (mean, sd, q5, q50, q95)}`` of flattened draws."""
    out = {}
    for label, values in draws.items():
        flat = np.asarray(values, dtype=float).reshape(-1)
        q = np.quantile(flat, QUANTILES) if flat.size else (np.nan,) * 3
        out[label] = (float(flat.mean()), float(flat.std(ddof=1)) if flat.size > 1 else float("nan"),
                      *(float(x) for x in q))
    return out


def versions() -> tuple[tuple[str, str], ...]:
    """Versions of ppl and the libraries that made the numbers."""
    from importlib import metadata

    out = [("python", platform.python_version())]
    for name in ("ppl", "pymc", "pytensor", "arviz-stats", "nutpie", "jax", "matplotlib"):
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(out)


def assemble(title: str, description: str, source: str, sections: Iterable[Section],
             notes: Sequence[str] = ()) -> Report:
    """A :class:`Report` with its headline, stamped with the time and library versions."""
    sections = tuple(sections)
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    return Report(title, description, source, headline(sections), sections, tuple(notes), created, versions())
