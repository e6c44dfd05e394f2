"""Lowering IR expressions to PyTensor, aligning operands by dim name."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytensor.tensor as pt

from ..data.bind import size_of
from ..semantics import ir
from .functions import ELEMENTWISE, REDUCE, SCAN

__all__ = ["Env", "lower_expr", "lower_real", "align", "broadcast_full"]


@dataclass
class Env:
    """Lowered values by name, and the dim sizes of the bound data."""

    sizes: dict[str, int]
    values: dict[str, object] = field(default_factory=dict)
    gathers: list = field(default_factory=list)  # (index tensor, size, span) for bound checks

    def size(self, dim: ir.Dim) -> int:
        return size_of(dim, self.sizes)


def align(x, have: tuple[ir.Dim, ...], want: tuple[ir.Dim, ...]):
    """Transpose ``x`` from dims ``have`` to ``want``, adding broadcastable dims."""
    x = pt.as_tensor_variable(x)
    if tuple(have) == tuple(want):
        return x
    pattern = [have.index(d) if d in have else "x" for d in want]
    return x.dimshuffle(pattern)


def broadcast_full(x, have, want, env: Env):
    """Align ``x`` to ``want`` and broadcast it to the full shape."""
    aligned = align(x, have, want)
    return pt.broadcast_to(aligned, tuple(env.size(d) for d in want))


def lower_expr(e: ir.Expr, env: Env):
    return _LOWER[type(e)](e, env)


def lower_real(e: ir.Expr, env: Env):
    """Lower ``e`` where its value is used as a real number.

    An integer literal becomes a float64 constant, not an int64 one.  This is
    not cosmetic: PyTensor merges equal constants when it compiles a function,
    and its ``local_useless_switch`` rewrite appends a constant's stack trace to
    itself (``copy_stack_trace(node.inputs, left)`` with ``left`` among the
    inputs).  An int64 literal of the model (``HalfNormal(1)``) merged with the
    int64 ``1`` of ``switch(c, 1, 1)`` in LKJCorr's shape graph had its trace
    tripled by every compilation of the model (``initial_point``, ``logp``,
    sampling, posterior predictive): 3^k entries after k compilations, >20 GB
    after ~20.  Model constants never take part in that rewrite as floats.
    Integer contexts (indices, integer arithmetic, counts) keep int64.
    """
    if isinstance(e, ir.Const):
        return pt.constant(np.float64(e.value))
    return lower_expr(e, env)


def _const(e: ir.Const, env: Env):
    dtype = "int64" if e.vtype.is_integer and float(e.value).is_integer() else "float64"
    return pt.constant(np.asarray(e.value, dtype=dtype))


def _ref(e: ir.Ref, env: Env):
    return env.values[e.name]


def _size_of(e: ir.SizeOf, env: Env):
    return pt.constant(np.int64(env.size(e.dim)))


def _apply(e: ir.Apply, env: Env):
    real = not all(a.vtype.is_integer for a in e.args)
    lower = lower_real if real else lower_expr
    args = [align(lower(a, env), a.dims, e.dims) for a in e.args]
    return ELEMENTWISE[e.fn](*args)


def _relabel(e: ir.Relabel, env: Env):
    return lower_expr(e.arg, env)


def _vector(e: ir.VectorLit, env: Env):
    inner = e.dims[:-1]
    dtype = "int64" if e.vtype.is_integer else "float64"
    lower = lower_expr if e.vtype.is_integer else lower_real
    items = [broadcast_full(lower(i, env), i.dims, inner, env) for i in e.items]
    return pt.stack([pt.cast(i, dtype) for i in items], axis=-1)


def _reduce(e: ir.Reduce, env: Env):
    x = lower_expr(e.arg, env)
    axis = None if e.over is None else e.arg.dims.index(e.over)
    return REDUCE[e.fn](x, axis=axis)


def _scan(e: ir.Scan, env: Env):
    return SCAN[e.fn](lower_expr(e.arg, env), e.arg.dims.index(e.along))


def _contract(e: ir.Contract, env: Env):
    left, right = lower_expr(e.left, env), lower_expr(e.right, env)
    shared = [d for d in e.left.dims if d in e.right.dims and d != e.over]
    if not shared:
        out = pt.tensordot(left, right, axes=[[e.left.dims.index(e.over)], [e.right.dims.index(e.over)]])
        return out
    full = tuple(e.dims) + (e.over,)
    return pt.sum(align(left, e.left.dims, full) * align(right, e.right.dims, full), axis=-1)


def _take_at(e: ir.TakeAt, env: Env):
    base = lower_expr(e.base, env)
    pos = e.base.dims.index(e.dim)
    index = int(e.index.value) if isinstance(e.index, ir.Const) else lower_expr(e.index, env)
    return base[(slice(None),) * pos + (index,)]


def _gather(e: ir.Gather, env: Env):
    base, idx = lower_expr(e.base, env), lower_expr(e.index, env)
    if e.index.is_data:
        env.gathers.append((idx, env.size(e.dim), e.index))
    pos = e.base.dims.index(e.dim)
    if not any(d in e.base.dims for d in e.index.dims):
        return pt.take(base, idx, axis=pos)
    indices = []
    for d in e.base.dims:
        if d == e.dim:
            indices.append(align(idx, e.index.dims, e.dims))
        else:
            indices.append(align(pt.arange(env.size(d)), (d,), e.dims))
    return base[tuple(indices)]


def _slice(e: ir.SliceOp, env: Env):
    base = lower_expr(e.base, env)
    pos = e.base.dims.index(e.dim)
    return base[(slice(None),) * pos + (slice(e.lo, e.hi),)]


def _fill(e: ir.Fill, env: Env):
    return broadcast_full(lower_expr(e.value, env), e.value.dims, e.dims, env)


_LOWER = {
    ir.Const: _const, ir.Ref: _ref, ir.SizeOf: _size_of, ir.Apply: _apply, ir.Relabel: _relabel,
    ir.VectorLit: _vector, ir.Reduce: _reduce, ir.Scan: _scan, ir.Contract: _contract,
    ir.TakeAt: _take_at, ir.Gather: _gather, ir.SliceOp: _slice, ir.Fill: _fill,
}
