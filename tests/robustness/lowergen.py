"""Fuzzing past the checker: bind synthetic data to generated models and build them in PyMC.

A model that checks must bind, build and evaluate its log density at the
initial point, or end in a located :class:`~ppl.errors.PplError` (a size
mismatch or an out-of-range index that only the data reveal).  Any other
exception is a bug: the checker let through a model that lowering cannot
build, or lowering mishandles a checked one.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import ppl
from fuzzgen import programs, time_limit
from ppl.backend.numerics import start_diagnostic
from ppl.data.bind import size_of
from ppl.errors import PplError
from ppl.semantics import ir
from ppl.semantics.types import VType

__all__ = ["checked_models", "synth_data", "build_case", "LOWER_SECONDS"]

LOWER_SECONDS = 120.0  # building and compiling one small model, on a loaded machine
_LABELS = ("a", "b", "c")


@st.composite
def checked_models(draw):
    """A generated program that checks, with a seed for its data."""
    for _ in range(30):
        text = draw(programs())
        try:
            model = ppl.compile(text, "fuzz.ppl")
        except PplError:
            continue
        return text, model, draw(st.integers(0, 2**32 - 1))
    return None


def _sizes(model: ir.Model, rng) -> tuple[dict[str, int], dict]:
    """A size for every dim the data decide, and the data entries that give them."""
    sizes, entries = {}, {}
    factors = {d.name for d in model.data if d.vtype is VType.FACTOR and d.factor_of is None}
    for decl in model.dims:
        if decl.size_kind == "fixed":
            sizes[decl.name] = decl.size
        elif decl.size_kind == "twin":
            sizes[decl.name] = sizes[decl.source]
        elif decl.size_kind == "factor" or decl.name in factors:
            sizes[decl.name] = 2
        elif decl.size_kind == "datum":
            sizes[decl.name] = int(rng.integers(1, 4))
            entries[decl.source] = sizes[decl.name]
        elif decl.size_kind == "data":
            sizes[decl.name] = int(rng.integers(1, 4))
            entries[decl.name] = sizes[decl.name]
    for decl in model.dims:
        if decl.size_kind == "slice":
            sizes[decl.name] = max(size_of(decl.from_size, sizes), 0)
    return sizes, entries


def _values(decl: ir.DataDecl, shape: tuple[int, ...], rng):
    n = int(np.prod(shape, dtype=int)) if shape else 1
    draw = {
        VType.REAL: lambda: rng.normal(size=n), VType.POSITIVE: lambda: rng.gamma(2.0, size=n),
        VType.UNIT: lambda: rng.uniform(0.05, 0.95, size=n), VType.INT: lambda: rng.integers(0, 2, n),
        VType.COUNT: lambda: rng.integers(0, 2, n), VType.BOOL: lambda: rng.integers(0, 2, n),
    }[decl.vtype]()
    values = np.asarray(draw).reshape(shape)
    return values.tolist() if shape else values.item()


def _labels(decl: ir.DataDecl, n: int, factors: set[str], data: dict, sizes: dict) -> list:
    if decl.factor_of is None:
        return [_LABELS[i % 2] for i in range(n)]
    if decl.factor_of in factors:
        return ["a"] * n  # a level of that factor whatever its length
    data[decl.factor_of] = list(range(sizes[decl.factor_of]))  # coordinates to match
    return [0] * n


def synth_data(model: ir.Model, seed: int) -> dict:
    """Data for every declaration: sizes 1-3, values inside each type, factors with two levels."""
    rng = np.random.default_rng(seed)
    sizes, data = _sizes(model, rng)
    factors = {d.name for d in model.data if d.vtype is VType.FACTOR and d.factor_of is None}
    for decl in model.data:
        if decl.name in data and decl.name not in sizes:  # a count datum that sizes a dim
            continue
        shape = tuple(sizes[d] for d in decl.dims)
        if decl.vtype is VType.FACTOR:
            data[decl.name] = _labels(decl, shape[0], factors, data, sizes)
        else:
            data[decl.name] = _values(decl, shape, rng)
    return data


def build_case(model, seed: int) -> str:
    """Bind, build (with and without generated quantities), evaluate the log density and gradient at the start.

    Returns ``"ok"``, or the code of a located error (a bind-time error, or
    ``E-start`` when a term is not finite or has invalid parameters at the
    start, which is what ``ppl sample`` reports).
    """
    with time_limit(LOWER_SECONDS):
        try:
            data = synth_data(model.ir, seed)
            pm_model = model.build(data)
            model.build(data, generated=True)
            diag = start_diagnostic(model.ir, pm_model, mode="FAST_COMPILE")
        except PplError as exc:
            assert exc.diagnostics and str(exc)
            return exc.code
    if diag is not None:  # a located error, as `ppl sample` would report it
        assert diag.span.source is not None and diag.render().startswith("fuzz.ppl:"), diag.render()
        return diag.code
    return "ok"
