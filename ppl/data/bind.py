"""``bind(model, raw) -> BoundData``: validate data against the declarations.

Checks types, dims and sizes; encodes factors; finds missing values; sizes
every dim.  Errors name the variable, the rule and the first offending index,
at the line of the variable's declaration.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Diagnostic, PplError, Span, did_you_mean
from ..semantics import ir
from ..semantics.types import VType
from .checks import data_warnings

__all__ = ["BoundData", "bind", "MAX_ELEMENTS", "MAX_EXACT_INT", "data_hash"]

MAX_ELEMENTS = 10**8  # no array (data or variable) may have more elements
MAX_EXACT_INT = 2**53  # integer data are read as float64: larger values are not exact


@dataclass(frozen=True)
class BoundData:
    """Validated data: arrays in declared dim order, sizes, coords, factor levels."""

    values: dict[str, np.ndarray]
    sizes: dict[str, int]
    coords: dict[str, list]
    levels: dict[str, list]
    missing: dict[str, np.ndarray] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()  # see ppl.data.checks


def _err(code: str, message: str, span: Span, hint: str | None = None) -> PplError:
    return PplError(Diagnostic(code, message, span, hint))


def _index_str(name: str, idx) -> str:
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]" if len(idx) else name


def _first(mask: np.ndarray) -> tuple:
    return tuple(np.argwhere(mask)[0]) if mask.ndim else ()


# ------------------------------------------------------------------- arrays
def _to_array(decl: ir.DataDecl, value: Any) -> np.ndarray:
    if hasattr(value, "dims") and hasattr(value, "transpose"):  # xarray: dims matched by name
        missing = [d for d in decl.dims if d not in value.dims]
        if missing or len(value.dims) != len(decl.dims):
            raise _err("E-data-dims", f"data `{decl.name}` has dims {list(value.dims)} but the model declares "
                       f"{list(decl.dims)}", decl.span)
        value = value.transpose(*decl.dims).values
    if decl.vtype is VType.FACTOR:
        return _label_array(decl, value)
    try:
        arr = np.array(_nulls_to_nan(value), dtype=float)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise _err("E-data-value", f"data `{decl.name}` is not a rectangular array of numbers: "
                   f"{_first_problem(decl.name, value)}", decl.span,
                   "check for ragged nested lists or text in a numeric column") from None
    return arr


def _is_number(v: Any) -> bool:
    if v is None or isinstance(v, (bool, float, np.number)):
        return True
    try:
        float(v)
    except (TypeError, ValueError, OverflowError):
        return False
    return isinstance(v, (int, str))


def _is_list(v: Any) -> bool:
    return isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim > 0)


def _first_problem(name: str, value: Any) -> str:
    """The first ragged row or non-number, row by row (level by level)."""
    level = [((), value)]
    while level:
        lists = [(i, v) for i, v in level if _is_list(v)]
        if lists and len(lists) < len(level):
            idx = next(i for i, v in level if not _is_list(v))
            return f"{_index_str(name, idx)} is a number where the other entries are lists"
        for idx, v in level:
            if not lists and not _is_number(v):
                why = "is too large for a 64-bit float" if isinstance(v, int) else "is not a number"
                return f"{_index_str(name, idx)} = {_short(v)} {why}"
        lengths = {len(v) for _, v in lists}
        if len(lengths) > 1:
            first = len(lists[0][1])
            idx, v = next((i, v) for i, v in lists if len(v) != first)
            return f"{_index_str(name, idx)} has {len(v)} entries but {_index_str(name, lists[0][0])} has {first}"
        level = [(i + (k,), x) for i, v in lists for k, x in enumerate(v)]
    return "its values cannot be read as numbers"


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _nulls_to_nan(value: Any) -> Any:
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_nulls_to_nan(v) for v in value]
    return value


def _label_array(decl: ir.DataDecl, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 1:
        raise _err("E-data-dims", f"factor `{decl.name}` must be a list of labels", decl.span)
    for i, label in enumerate(arr):
        if label is None or (isinstance(label, float) and np.isnan(label)):
            raise _err("E-data-missing", f"factor `{decl.name}` has a missing label at {decl.name}[{i}]", decl.span,
                       "missing values are allowed only in data observed with `~`")
    return arr


# --------------------------------------------------------------------- types
def _check_values(decl: ir.DataDecl, arr: np.ndarray, allow_missing: bool) -> np.ndarray | None:
    nan = np.isnan(arr)
    if nan.any() and not allow_missing:
        idx = _first(nan)
        raise _err("E-data-missing", f"data `{decl.name}` has a missing value at {_index_str(decl.name, idx)}",
                   decl.span, "missing values are allowed only in data observed with `~` (they are imputed)")
    vals = np.where(nan, 0.0, arr)
    rule, bad = _TYPE_RULES[decl.vtype](vals)
    bad = bad & ~nan
    if bad.any():
        idx = _first(bad)
        value = vals[idx] if idx else vals
        raise _err("E-data-type", f"data `{decl.name}` is declared `{decl.vtype}` ({rule}), but "
                   f"{_index_str(decl.name, idx)} = {float(value):g}", decl.span,
                   f"fix the data or declare a wider type")
    if decl.vtype.is_integer:
        _check_int_range(decl, vals)
    return nan if nan.any() else None


def _check_int_range(decl: ir.DataDecl, vals: np.ndarray) -> None:
    big = np.abs(vals) >= MAX_EXACT_INT
    if big.any():
        idx = _first(big)
        raise _err("E-data-type", f"data `{decl.name}` is declared `{decl.vtype}`, but {_index_str(decl.name, idx)} = "
                   f"{float(vals[idx] if idx else vals):g} is too large to be an exact integer (the limit is 2^53)",
                   decl.span, "declare it `real` if it is a measurement, not a count or an index")


def _is_int(v):
    return np.isfinite(v) & (v == np.round(v))


_TYPE_RULES = {
    VType.REAL: lambda v: ("finite numbers", ~np.isfinite(v)),
    VType.POSITIVE: lambda v: ("finite numbers > 0", ~(np.isfinite(v) & (v > 0))),
    VType.UNIT: lambda v: ("numbers in [0, 1]", ~((v >= 0) & (v <= 1))),
    VType.INT: lambda v: ("integers", ~_is_int(v)),
    VType.COUNT: lambda v: ("integers >= 0", ~(_is_int(v) & (v >= 0))),
    VType.BOOL: lambda v: ("0 or 1", ~((v == 0) | (v == 1))),
}


# -------------------------------------------------------------------- sizes
@dataclass
class _Sizes:
    sizes: dict[str, int] = field(default_factory=dict)
    set_by: dict[str, str] = field(default_factory=dict)

    def offer(self, dim: str, n: int, by: str, span: Span) -> None:
        if dim in self.sizes and self.sizes[dim] != n:
            raise _err("E-data-size", f"dim `{dim}` has size {self.sizes[dim]} (from {self.set_by[dim]}) but "
                       f"{by} gives {n}", span, "every array along a dim must have that dim's size")
        self.sizes.setdefault(dim, n)
        self.set_by.setdefault(dim, by)


def _dim_entries(model: ir.Model, raw: dict, sizes: _Sizes, coords: dict) -> None:
    for decl in model.dims:
        if decl.name not in raw or any(d.name == decl.name for d in model.data):
            continue
        value = raw[decl.name]
        if isinstance(value, (list, tuple, np.ndarray)):
            coords[decl.name] = list(value)
            sizes.offer(decl.name, len(value), f"the coordinates `{decl.name}`", decl.span)
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
            sizes.offer(decl.name, int(value), f"the entry `{decl.name}`", decl.span)
        else:
            raise _err("E-data-size", f"the data entry `{decl.name}` names a dim, so it must be its size "
                       f"(an integer >= 0) or its coordinates (a list)", decl.span)


def _shape_sizes(decl: ir.DataDecl, arr: np.ndarray, sizes: _Sizes) -> None:
    if arr.ndim != len(decl.dims):
        want = f"{len(decl.dims)} dims {list(decl.dims)}" if decl.dims else "a scalar"
        raise _err("E-data-dims", f"data `{decl.name}` has {arr.ndim} dims (shape {list(arr.shape)}) but the "
                   f"model declares {want}", decl.span,
                   "nested lists are read in the declared dim order")
    if arr.size > MAX_ELEMENTS:
        raise _err("E-data-size", f"data `{decl.name}` has {arr.size:,} elements; the limit is {MAX_ELEMENTS:,}",
                   decl.span)
    for dim, n in zip(decl.dims, arr.shape):
        sizes.offer(dim, n, f"data `{decl.name}`", decl.span)


def _derived_sizes(model: ir.Model, values: dict, levels: dict, sizes: _Sizes) -> None:
    for decl in model.dims:
        n = _derived_size(decl, values, levels, sizes)
        if n is not None:
            sizes.offer(decl.name, n, _SIZE_SOURCES[decl.size_kind].format(decl=decl), decl.span)
        if decl.name not in sizes.sizes:
            raise _err("E-data-size", f"dim `{decl.name}` has no size", decl.span,
                       f"give its size as a data entry `{decl.name}`, or data with that dim")


_SIZE_SOURCES = {
    "fixed": "its declaration", "twin": "its twin `{decl.source}`", "datum": "the datum `{decl.source}`",
    "factor": "the levels of `{decl.source}`", "slice": "its first use", "data": "the data",
}


def _derived_size(decl: ir.DimDecl, values, levels, sizes: _Sizes) -> int | None:
    if decl.size_kind == "fixed":
        return decl.size
    if decl.size_kind == "twin":
        return sizes.sizes.get(decl.source)
    if decl.size_kind == "datum":
        return int(values[decl.source]) if decl.source in values else None
    if decl.size_kind == "factor":
        return len(levels[decl.name]) if decl.name in levels else None
    if decl.size_kind == "slice" and decl.from_size is not None and decl.name not in sizes.sizes:
        return size_of(decl.from_size, sizes.sizes)
    return None


def size_of(size: ir.Size | ir.Dim, sizes: dict[str, int]) -> int:
    """The size of a dim or of a symbolic size, given named sizes."""
    if isinstance(size, str):
        return sizes[size]
    if isinstance(size, ir.Anon):
        return size_of(size.size, sizes)
    if isinstance(size, ir.ConstSize):
        return size.n
    return len(range(size_of(size.of, sizes))[size.lo:size.hi])


def _check_sizes(model: ir.Model, sizes: dict[str, int]) -> None:
    for a, b, span in model.size_checks:
        na, nb = size_of(a, sizes), size_of(b, sizes)
        if na != nb:
            raise _err("E-size-mismatch", f"an unnamed dim of size {na} is matched with "
                       f"{'dim `' + b + '`' if isinstance(b, str) else 'a dim'} of size {nb}", span,
                       "the sizes must agree; check the slice bounds or the data")


# ----------------------------------------------------------------- elements
def _materialized_dims(e: ir.Expr) -> tuple[ir.Dim, ...]:
    """The dims of the array lowering builds for ``e`` (a contraction over shared dims builds the product)."""
    return tuple(e.dims) + (e.over,) if isinstance(e, ir.Contract) else tuple(e.dims)


def _node_exprs(node: ir.Node) -> tuple[ir.Expr, ...]:
    return node.dist.children() if isinstance(node, ir.RandomVar) else (node.expr,)


def _check_elements(model: ir.Model, sizes: dict[str, int]) -> None:
    """No variable or intermediate array may exceed :data:`MAX_ELEMENTS` (checked before building anything).

    Every dim too, used or not: its coordinates are built (found by the lowering fuzz run: an unused
    ``dim d = 9223372036854775807`` exhausted memory in ``list(range(...))``).
    """
    for node in model.nodes:
        _check_count(f"`{node.name}`", getattr(node, "dims", ()), sizes, node.span)
        stack = list(_node_exprs(node))
        while stack:
            e = stack.pop()
            span = getattr(e, "span", None)
            _check_count("this expression", _materialized_dims(e), sizes,
                         span if span is not None and span.source is not None else node.span)
            _check_literal_index(e, sizes, node.span)
            stack.extend(e.children())
    for decl in model.dims:  # after the variables, whose lines say more
        _check_count(f"dim `{decl.name}`", (decl.name,), sizes, decl.span)


def _check_literal_index(e: ir.Expr, sizes: dict[str, int], fallback: Span) -> None:
    """``a[k]`` with a literal ``k`` must lie inside the dim, whose size is known once data are bound.

    Found by the lowering fuzz run: ``x1[2]`` on a dim of size 2 reached PyTensor, an ``IndexError``.
    """
    if not (isinstance(e, ir.TakeAt) and isinstance(e.index, ir.Const) and isinstance(e.index.value, int)):
        return
    size, k = size_of(e.dim, sizes), e.index.value
    if not 0 <= k < size:
        span = e.span if e.span is not None and e.span.source is not None else fallback
        raise _err("E-index-range", f"index {k} is outside dim `{ir.dim_label(e.dim)}` of size {size:,} "
                   f"(indices run from 0 to {size - 1:,})", span, "indexing is 0-based")


def _check_count(what: str, dims, sizes: dict[str, int], span: Span) -> None:
    shape = [size_of(d, sizes) for d in dims]
    n = int(np.prod(shape, dtype=object)) if shape else 1
    if n > MAX_ELEMENTS:
        listed = ", ".join(f"{ir.dim_label(d)}={k:,}" for d, k in zip(dims, shape))
        raise _err("E-too-large", f"{what} would have {n:,} elements ({listed}); the limit is {MAX_ELEMENTS:,}",
                   span, "is a dim much larger than intended, or is this an accidental outer product of two dims?")


# ------------------------------------------------------------------ factors
def _sorted_levels(labels) -> list:
    unique = list(dict.fromkeys(labels.tolist()))
    try:
        return sorted(unique, key=float)
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _encode(decl: ir.DataDecl, labels: np.ndarray, levels: dict, coords: dict) -> np.ndarray:
    dim = decl.factor_of or decl.name
    known = levels.get(dim) or coords.get(dim)
    if known is None:
        if decl.factor_of is not None:
            raise _err("E-factor-levels", f"factor `{decl.name}` indexes dim `{dim}`, whose coordinates are unknown",
                       decl.span, f"give the coordinates as a data entry `{dim}`, or declare `{dim}` as a factor first")
        known = _sorted_levels(labels)
    levels[dim] = list(known)
    lookup = {_key(v): i for i, v in enumerate(known)}
    codes = np.empty(len(labels), dtype=np.int64)
    for i, label in enumerate(labels):
        code = lookup.get(_key(label))
        if code is None:
            raise _err("E-factor-levels", f"factor `{decl.name}` has the label {label!r} at {decl.name}[{i}], "
                       f"which is not a level of `{dim}`", decl.span, f"known levels: {list(known)[:10]}")
        codes[i] = code
    return codes


def _key(label) -> str:
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        return str(int(label))
    return str(label)


# --------------------------------------------------------------------- bind
def bind(model: ir.Model, raw: dict[str, Any], levels: dict[str, list] | None = None,
         allow_left_out: bool = False) -> BoundData:
    """Validate ``raw`` against ``model``'s declarations.

    ``levels`` (fit-time factor levels) keep codes stable when re-binding new
    data; ``allow_left_out`` lets observed data be left out (to predict them).
    """
    levels = {k: list(v) for k, v in (levels or {}).items()}
    observed = {n.observed for n in model.observed}
    sizes, coords = _Sizes(), {}
    _dim_entries(model, raw, sizes, coords)
    values, missing, left_out = {}, {}, []
    for decl in model.data:
        if decl.name not in raw:
            if allow_left_out and decl.name in observed:
                left_out.append(decl.name)
                continue
            raise _err("E-data-missing-variable", f"the data have no entry `{decl.name}`", decl.span,
                       _missing_hint(decl.name, raw))
        arr = _to_array(decl, raw[decl.name])
        _shape_sizes(decl, arr, sizes)
        if decl.vtype is VType.FACTOR:
            values[decl.name] = _encode(decl, arr, levels, coords)
            continue
        mask = _check_values(decl, arr, allow_missing=decl.name in observed)
        if mask is not None:
            missing[decl.name] = mask
        values[decl.name] = arr.astype(np.int64) if decl.vtype.is_integer and mask is None else arr
    _derived_sizes(model, values, levels, sizes)
    _check_sizes(model, sizes.sizes)
    _check_elements(model, sizes.sizes)
    _check_early_uses(model, missing)
    all_coords = {d.name: _coords(d.name, sizes.sizes, coords, levels) for d in model.dims}
    declared = {d.name for d in model.data} | {d.name for d in model.dims}
    ignored = tuple(sorted(k for k in raw if k not in declared))
    warnings = data_warnings(model, values, {k: raw[k] for k in ignored}, sizes.sizes)
    return BoundData(values, dict(sizes.sizes), all_coords, levels, missing, ignored, tuple(left_out), warnings)


def _missing_hint(name: str, raw: dict) -> str:
    close = did_you_mean(name, [str(k) for k in raw])
    given = ", ".join(f"`{k}`" for k in list(raw)[:12]) + (", ..." if len(raw) > 12 else "")
    have = f"the data have {given}" if raw else "the data are empty"
    return f"{close} ({have})" if close else \
        f"every `data` declaration needs a value (JSON entry, CSV column or mapping key); {have}"


def _coords(dim: str, sizes, coords, levels) -> list:
    if dim in levels:
        return list(levels[dim])
    if dim in coords:
        return list(coords[dim])
    return list(range(sizes[dim]))


def _check_early_uses(model: ir.Model, missing: dict) -> None:
    for name, span in model.early_uses:
        if name in missing:
            raise _err("E-missing-used-early", f"`{name}` has missing values, so it cannot be used before "
                       "the `~` line that imputes them", span, f"move this use below `{name} ~ ...`")


def data_hash(bound: BoundData) -> str:
    """A stable hash of the bound values, sizes and levels (for provenance and caching)."""
    h = hashlib.sha256()
    for name in sorted(bound.values):
        arr = np.ascontiguousarray(bound.values[name])
        h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode() + arr.tobytes())
    h.update(json.dumps({"sizes": bound.sizes, "levels": bound.levels}, sort_keys=True, default=str).encode())
    return h.hexdigest()
