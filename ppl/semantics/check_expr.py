"""Checking expressions: names, types and named dims -> IR expressions."""

from __future__ import annotations

from ..errors import PplError, Span
from ..syntax import ast
from . import ir
from . import messages as msg
from .context import Context
from .functions import ALIASES, CONSTANTS, FUNCTIONS, INT_PRESERVING
from .signatures import DISTRIBUTIONS
from .types import VType, arith_type

__all__ = ["check_expr", "int_literal"]

_ARITH = {"add", "sub", "mul"}
_COMPARE = {"<", "<=", ">", ">=", "==", "!="}


def check_expr(e: ast.Expr, ctx: Context) -> ir.Expr:
    """Check one expression; raise :class:`PplError` on the first mistake."""
    handler = _HANDLERS.get(type(e))
    if handler is None:  # pragma: no cover - the grammar has no other node
        raise TypeError(f"unexpected expression node {type(e).__name__}")
    return handler(e, ctx)


def _number(e: ast.Number, ctx: Context) -> ir.Expr:
    vtype = VType.COUNT if e.is_int else VType.REAL
    return ir.Const((), vtype, int(e.text) if e.is_int else e.value, span=e.span)


def _name(e: ast.Name, ctx: Context) -> ir.Expr:
    sym = ctx.symbols.get(e.name)
    if sym is not None:
        _note_early_use(sym, ctx, e.span)
        return ir.Ref(sym.dims, sym.vtype, e.name, sym.kind, span=e.span)
    if e.name in CONSTANTS:
        return ir.Const((), VType.REAL, CONSTANTS[e.name], span=e.span)
    raise PplError(_unknown_name(e.name, e.span, ctx))


def _note_early_use(sym, ctx: Context, span: Span) -> None:
    if sym.kind == "data" and sym.name not in ctx.early_uses and sym.observed_at is None:
        ctx.early_uses[sym.name] = span


def _unknown_name(name: str, span: Span, ctx: Context):
    if name in ctx.dims:
        return msg.dim_as_value(span, name)
    if name in FUNCTIONS or name in ALIASES:
        return msg.function_as_value(span, name)
    if name in DISTRIBUTIONS:
        return msg.dist_as_value(span, name)
    if name in ctx.defined_later:
        return msg.used_before_definition(span, name, ctx.defined_later[name].line)
    return msg.undefined_name(span, name, list(ctx.symbols) + list(CONSTANTS))


def _no_factor(expr: ir.Expr, span: Span) -> None:
    if expr.vtype is VType.FACTOR:
        name = expr.name if isinstance(expr, ir.Ref) else "this"
        raise PplError(msg.factor_arithmetic(span, name))


def _apply(fn: str, args: list[ir.Expr], vtype: VType, span: Span, ctx: Context) -> ir.Expr:
    for arg, a_span in zip(args, [span] * len(args)):
        _no_factor(arg, getattr(arg, "span", a_span) or a_span)
    dims, aligned = ctx.align(args, span)
    return ir.Apply(dims, vtype, fn, tuple(aligned), span=span)


def _unary(e: ast.Unary, ctx: Context) -> ir.Expr:
    arg = check_expr(e.operand, ctx)
    if e.op == "not":
        return _apply("not", [arg], VType.BOOL, e.span, ctx)
    vtype = VType.INT if arg.vtype.is_integer else VType.REAL
    return _apply("neg", [arg], vtype, e.span, ctx)


def _binary(e: ast.Binary, ctx: Context) -> ir.Expr:
    left, right = check_expr(e.left, ctx), check_expr(e.right, ctx)
    if e.op == "matmul":
        return _contract(left, right, None, e.span, ctx)
    if e.op in _ARITH:
        vtype = arith_type(left.vtype, right.vtype)
    elif e.op in _COMPARE or e.op in ("and", "or"):
        vtype = VType.BOOL
    else:  # div, pow
        vtype = VType.REAL
    return _apply(e.op, [left, right], vtype, e.span, ctx)


def _contract(left: ir.Expr, right: ir.Expr, over: str | None, span: Span, ctx: Context) -> ir.Expr:
    _no_factor(left, span)
    _no_factor(right, span)
    if over is None:
        shared = [d for d in left.dims if d in right.dims and isinstance(d, str)]
        if len(shared) != 1:
            raise PplError(msg.no_shared_dim(span, left.dims, right.dims, several=len(shared) > 1))
        over = shared[0]
    for side in (left, right):
        if over not in side.dims:
            raise PplError(msg.dim_not_in(span, over, "an operand of the product", side.dims))
    dims = tuple(d for d in left.dims if d != over)
    dims += tuple(d for d in right.dims if d != over and d not in dims)
    return ir.Contract(dims, arith_type(left.vtype, right.vtype), left, right, over, span=span)


def _vector(e: ast.Vector, ctx: Context) -> ir.Expr:
    if not e.items:
        raise PplError(msg.empty_vector(e.span))
    items = [check_expr(item, ctx) for item in e.items]
    dims, aligned = ctx.align(items, e.span)
    for item in aligned:
        _no_factor(item, e.span)
        if set(item.dims) != set(dims) and item.dims:
            raise PplError(msg.vector_dims(e.span))
    new = ctx.fresh_anon(ir.ConstSize(len(items)))
    vtype = arith_type(*(i.vtype for i in items))
    return ir.VectorLit(dims + (new,), vtype, tuple(aligned), span=e.span)


# ------------------------------------------------------------------ indexing
def int_literal(e) -> int | None:
    """The value of an integer literal, possibly negated; else ``None``."""
    if isinstance(e, ast.Number) and e.is_int:
        return int(e.text)
    if isinstance(e, ast.Unary) and e.op == "neg":
        inner = int_literal(e.operand)
        return None if inner is None else -inner
    return None


def _index_target(idx: ir.Expr, ctx: Context) -> ir.Dim | None:
    """The dim a factor or Categorical index applies to (``None``: positional)."""
    if isinstance(idx, ir.Ref):
        sym = ctx.symbols[idx.name]
        return sym.factor_dim or sym.index_dim
    return None


def _index(e: ast.Index, ctx: Context) -> ir.Expr:
    base = check_expr(e.base, ctx)
    _no_factor(base, e.span)
    items = [it if isinstance(it, ast.Slice) else check_expr(it, ctx) for it in e.items]
    targets = [None if isinstance(it, ast.Slice) else _index_target(it, ctx) for it in items]
    for item, target, node in zip(items, targets, e.items):
        if target is not None and target not in base.dims:
            raise PplError(msg.factor_index_dim(node.span, item.name, ir.dim_label(target), base.dims))
    remaining = [d for d in base.dims if d not in targets]
    positional = [i for i, t in enumerate(targets) if t is None]
    if len(positional) > len(remaining):
        raise PplError(msg.too_many_indices(e.span, _describe(e.base), base.dims, len(items)))
    for i, dim in zip(positional, remaining):
        targets[i] = dim
    result = base
    for item, target, node in zip(items, targets, e.items):
        result = _apply_index(result, item, target, node, ctx)
    return result


def _describe(e: ast.Expr) -> str:
    return f"`{e.name}`" if isinstance(e, ast.Name) else "the indexed expression"


def _apply_index(base: ir.Expr, item, dim: ir.Dim, node, ctx: Context) -> ir.Expr:
    if isinstance(item, ast.Slice):
        return _slice(base, item, dim, ctx)
    _check_index(item, node, ctx)
    if not item.dims:
        dims = tuple(d for d in base.dims if d != dim)
        return ir.TakeAt(dims, base.vtype, base, dim, item, span=node.span)
    pos = base.dims.index(dim)
    new = tuple(d for d in item.dims if d not in base.dims or d == dim)  # `i[i]` keeps the dim (fuzz)
    dims = base.dims[:pos] + new + base.dims[pos + 1:]
    return ir.Gather(dims, base.vtype, base, dim, item, span=node.span)


_INDEX_TYPES = (VType.INT, VType.COUNT, VType.FACTOR)


def _check_index(item: ir.Expr, node, ctx: Context) -> None:
    """An index is int/count/factor data (or an expression of data only) or a Categorical variable."""
    if _index_target(item, ctx) is not None:
        return  # a factor or a Categorical variable
    if item.vtype not in _INDEX_TYPES:
        raise PplError(msg.bad_index_type(node.span, item.vtype))
    if not item.is_data:
        name = item.name if isinstance(item, ir.Ref) and item.kind in ("param", "generated") else None
        raise PplError(msg.index_not_data(node.span, name))


def _slice(base: ir.Expr, item: ast.Slice, dim: ir.Dim, ctx: Context) -> ir.Expr:
    bounds = []
    for b in (item.lo, item.hi):
        value = None if b is None else int_literal(b)
        if b is not None and value is None:
            raise PplError(msg.slice_bound(b.span))
        bounds.append(value)
    lo, hi = bounds
    if lo in (None, 0) and hi is None:
        return base
    new = ctx.fresh_anon(ir.SliceSize(dim, lo, hi))
    dims = tuple(new if d == dim else d for d in base.dims)
    return ir.SliceOp(dims, base.vtype, base, dim, lo, hi, new, span=item.span)


# --------------------------------------------------------------------- calls
def _call(e: ast.Call, ctx: Context) -> ir.Expr:
    name = ALIASES.get(e.func.name, e.func.name)
    spec = FUNCTIONS.get(name)
    if spec is None:
        if name in DISTRIBUTIONS:
            raise PplError(msg.dist_as_value(e.func.span, name))
        raise PplError(msg.unknown_function(e.func.span, name, list(FUNCTIONS) + list(ALIASES)))
    if e.kwargs:
        raise PplError(msg.keyword_in_function(e.kwargs[0].span, name))
    lo, hi = spec.arity
    if not lo <= len(e.args) <= hi:
        raise PplError(msg.arity(e.span, name, spec.usage, len(e.args)))
    return _CALLS[spec.kind](name, e, ctx)


def _dim_arg(e: ast.Expr, fn: str, ctx: Context) -> str:
    if isinstance(e, ast.Name) and e.name in ctx.dims:
        return e.name
    if isinstance(e, ast.Name) and e.name in ctx.symbols:
        raise PplError(msg.reduce_variable(e.span, fn, e.name))
    if isinstance(e, ast.Name):
        raise PplError(msg.undefined_dim(e.span, e.name, ctx.dims))
    raise PplError(msg.reduce_variable(e.span, fn, "this"))


def _elementwise(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    arg = check_expr(e.args[0], ctx)
    vtype = arg.vtype if (name in INT_PRESERVING and arg.vtype.is_integer) else VType.REAL
    return _apply(name, [arg], vtype, e.span, ctx)


def _reduce(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    arg = check_expr(e.args[0], ctx)
    _no_factor(arg, e.span)
    vtype = arg.vtype if (name in INT_PRESERVING and arg.vtype.is_integer) else VType.REAL
    if vtype is VType.BOOL and name in ("sum", "cumsum"):  # a sum of indicators is a count
        vtype = VType.COUNT
    if len(e.args) == 1:
        if name == "logsumexp" and len(arg.dims) > 1:
            raise PplError(msg.reduce_needs_dim(e.span, name, arg.dims))
        return ir.Reduce((), vtype, name, arg, None, span=e.span)
    over = _dim_arg(e.args[1], name, ctx)
    if over not in arg.dims:
        raise PplError(msg.dim_not_in(e.args[1].span, over, f"the argument of `{name}`", arg.dims))
    return ir.Reduce(tuple(d for d in arg.dims if d != over), vtype, name, arg, over, span=e.span)


def _scan(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    arg = check_expr(e.args[0], ctx)
    _no_factor(arg, e.span)
    if len(e.args) == 2:
        along = _dim_arg(e.args[1], name, ctx)
        if along not in arg.dims:
            raise PplError(msg.dim_not_in(e.args[1].span, along, f"the argument of `{name}`", arg.dims))
    elif len(arg.dims) == 1:
        along = arg.dims[0]
    else:
        raise PplError(msg.reduce_needs_dim(e.span, name, arg.dims))
    vtype = arg.vtype if (name == "cumsum" and arg.vtype.is_integer) else VType.REAL
    return ir.Scan(arg.dims, vtype, name, arg, along, span=e.span)


def _size(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    dim = _dim_arg(e.args[0], name, ctx)
    return ir.SizeOf((), VType.COUNT, dim, span=e.span)


def _dot(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    left, right = check_expr(e.args[0], ctx), check_expr(e.args[1], ctx)
    return _contract(left, right, _dim_arg(e.args[2], name, ctx), e.span, ctx)


def _where(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    cond, a, b = (check_expr(x, ctx) for x in e.args)
    return _apply("where", [cond, a, b], arith_type(a.vtype, b.vtype), e.span, ctx)


def _clip(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    x, lo, hi = (check_expr(a, ctx) for a in e.args)
    return _apply("clip", [x, lo, hi], arith_type(x.vtype, lo.vtype, hi.vtype), e.span, ctx)


def _fill(name: str, e: ast.Call, ctx: Context) -> ir.Expr:
    value = check_expr(e.args[0], ctx)
    _no_factor(value, e.span)
    listed = []
    for a in e.args[1:]:
        dim = _dim_arg(a, name, ctx)
        if dim in listed:  # like a declaration: [obs, obs] broke alignment by name (found by the lowering fuzz)
            raise PplError(msg.duplicate_dim(a.span, dim))
        listed.append(dim)
    dims = tuple(listed) + tuple(d for d in value.dims if d not in listed)
    return ir.Fill(dims, value.vtype, value, span=e.span)


_CALLS = {
    "elementwise": _elementwise, "reduce": _reduce, "scan": _scan, "size": _size,
    "dot": _dot, "where": _where, "clip": _clip, "fill": _fill,
}

_HANDLERS = {
    ast.Number: _number, ast.Name: _name, ast.Unary: _unary, ast.Binary: _binary,
    ast.Vector: _vector, ast.Index: _index, ast.Call: _call,
}
