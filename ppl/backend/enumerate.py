"""Substituting a summed-out latent by its values: the IR along a value dim.

To sum ``z[obs]`` out, its dependents are evaluated once for every value of
``z``.  Rather than repeating the graph, ``z`` is replaced by the vector of
its values, which carries a fresh *value dim*, and the dims of every
expression that depends on it are recomputed.  Because those expressions are
elementwise along ``z``'s dims (checked by :mod:`ppl.semantics.marginal`),
element ``i`` of a result along the value dim ``k`` is the expression with
``z[i] = k``: ``mu[z]`` becomes ``mu[values]`` over ``[k]``, and
``Normal(mu[z], sigma)`` observed at ``y[obs]`` has a log density over
``[obs, k]``, the table that a log-sum-exp over ``k`` sums out.

:func:`with_dims` rebuilds one expression given the new dims of the names it
refers to; the rules mirror the checker's (:mod:`ppl.semantics.check_expr`)
and the lowering's (:mod:`ppl.backend.expr`) dim conventions.  A dim of
``z`` that no operand carries any more is dropped (the result is constant
along it); where an explicit dim list keeps it (``fill``), it is broadcast.
"""

from __future__ import annotations

from dataclasses import replace

from ..semantics import ir

__all__ = ["with_dims", "union"]


def union(*dim_lists) -> tuple:
    """Dims in order of first appearance."""
    out: list = []
    for dims in dim_lists:
        out += [d for d in dims if d not in out]
    return tuple(out)


def with_dims(e: ir.Expr, renamed: dict[str, tuple]) -> ir.Expr:
    """``e`` with the names in ``renamed`` taking the given dims (others unchanged)."""
    if not _mentions(e, renamed):
        return e
    return _RULES[type(e)](e, renamed)


def _mentions(e: ir.Expr, renamed) -> bool:
    if isinstance(e, ir.Ref):
        return e.name in renamed
    return any(_mentions(c, renamed) for c in e.children())


def _ref(e: ir.Ref, renamed):
    return replace(e, dims=renamed[e.name])


def _apply(e: ir.Apply, renamed):
    args = tuple(with_dims(a, renamed) for a in e.args)
    return replace(e, args=args, dims=union(*(a.dims for a in args)))


def _relabel(e: ir.Relabel, renamed):
    arg = with_dims(e.arg, renamed)
    mapping = dict(zip(e.arg.dims, e.dims))
    return replace(e, arg=arg, dims=tuple(mapping.get(d, d) for d in arg.dims))


def _vector(e: ir.VectorLit, renamed):
    items = tuple(with_dims(i, renamed) for i in e.items)
    inner = union(*(i.dims for i in items))
    return replace(e, items=items, dims=inner + e.dims[-1:])


def _reduce(e: ir.Reduce, renamed):
    arg = with_dims(e.arg, renamed)
    if e.over is not None:
        return replace(e, arg=arg, dims=tuple(d for d in arg.dims if d != e.over))
    result = arg  # "over everything" keeps the value dim: reduce the old dims one by one
    for dim in [d for d in e.arg.dims if d in arg.dims]:
        result = ir.Reduce(tuple(d for d in result.dims if d != dim), e.vtype, e.fn, result, dim, span=e.span)
    return result


def _scan(e: ir.Scan, renamed):
    arg = with_dims(e.arg, renamed)
    return replace(e, arg=arg, dims=arg.dims)


def _contract(e: ir.Contract, renamed):
    left, right = with_dims(e.left, renamed), with_dims(e.right, renamed)
    dims = tuple(d for d in left.dims if d != e.over)
    dims += tuple(d for d in right.dims if d != e.over and d not in dims)
    return replace(e, left=left, right=right, dims=dims)


def _take(e: ir.TakeAt, renamed):
    base, index = with_dims(e.base, renamed), with_dims(e.index, renamed)
    if index.dims:  # a latent scalar index now runs over its values: a gather
        return _gather_dims(ir.Gather(e.dims, e.vtype, base, e.dim, index, span=e.span))
    return replace(e, base=base, index=index, dims=tuple(d for d in base.dims if d != e.dim))


def _gather(e: ir.Gather, renamed):
    return _gather_dims(replace(e, base=with_dims(e.base, renamed), index=with_dims(e.index, renamed)))


def _gather_dims(e: ir.Gather) -> ir.Gather:
    pos = e.base.dims.index(e.dim)
    new = tuple(d for d in e.index.dims if d not in e.base.dims)
    return replace(e, dims=e.base.dims[:pos] + new + e.base.dims[pos + 1:])


def _slice(e: ir.SliceOp, renamed):
    base = with_dims(e.base, renamed)
    return replace(e, base=base, dims=tuple(e.new if d == e.dim else d for d in base.dims))


def _fill(e: ir.Fill, renamed):
    value = with_dims(e.value, renamed)
    return replace(e, value=value, dims=union(e.dims, value.dims))


_RULES = {
    ir.Ref: _ref, ir.Apply: _apply, ir.Relabel: _relabel, ir.VectorLit: _vector, ir.Reduce: _reduce,
    ir.Scan: _scan, ir.Contract: _contract, ir.TakeAt: _take, ir.Gather: _gather, ir.SliceOp: _slice,
    ir.Fill: _fill,
}
