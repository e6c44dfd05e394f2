"""Scalar labels of array variables (``theta[Choate]``) and read-only arrays.

Diagnostics report one row per scalar element of every variable; the label
uses the coordinate values of its dims, like ArviZ does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["element_labels", "flatten_sample", "readonly", "SAMPLE_DIMS"]

SAMPLE_DIMS = ("chain", "draw")


def readonly(values) -> np.ndarray:
    """A read-only copy of ``values`` (frozen results hold arrays nobody can change)."""
    out = np.array(values, copy=True)
    out.flags.writeable = False
    return out


def _coord_values(da, dim) -> list:
    if dim in da.coords:
        return [v.item() if hasattr(v, "item") else v for v in np.asarray(da.coords[dim].values)]
    return list(range(da.sizes[dim]))


def element_labels(name: str, da, skip=SAMPLE_DIMS) -> list[str]:
    """``name`` for a scalar, ``name[c1, c2]`` per element otherwise (C order)."""
    dims = [d for d in da.dims if d not in skip]
    if not dims:
        return [name]
    values = [_coord_values(da, d) for d in dims]
    labels = []
    for index in np.ndindex(*[len(v) for v in values]):
        inner = ", ".join(str(values[k][i]) for k, i in enumerate(index))
        labels.append(f"{name}[{inner}]")
    return labels


def flatten_sample(da, sample_dims=SAMPLE_DIMS) -> np.ndarray:
    """The values of ``da`` as ``(*sample_dims, n_elements)`` (sample dims first, C order)."""
    present = [d for d in sample_dims if d in da.dims]
    rest = [d for d in da.dims if d not in present]
    arr = np.asarray(da.transpose(*present, *rest).values)
    return arr.reshape(*arr.shape[: len(present)], -1)
