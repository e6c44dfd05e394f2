"""Checking the right side of ``~``: distribution signatures and dim rules.

The rules (docs/language.md, "Random variables"): a variable's dims are the
dims written on its left (for an observed variable, the data's dims), or else
the union of its arguments' dims minus the consumed dims.  Every argument dim
must be one of the variable's dims, except one *consumed* dim where the
parameter kind allows it (the category dim of ``p``, the component dim of
mixture weights, the event dim's twin in ``MvNormal``'s matrix).
"""

from __future__ import annotations

from ..errors import PplError, Span
from ..syntax import ast
from . import ir
from . import messages as msg
from .check_expr import check_expr
from .context import Context
from .functions import FUNCTIONS
from .signatures import (CONSUMED, DISTRIBUTIONS, EVENT, MATRIX, MIX_PARAM, STATIC, WEIGHTS,
                         Signature)

__all__ = ["check_dist"]

_CONSUMING = (CONSUMED, WEIGHTS)


def _lookup(e: ast.Expr, ctx: Context) -> tuple[Signature, ast.Call]:
    if not isinstance(e, ast.Call):
        what = "a number" if isinstance(e, ast.Number) else "an expression"
        raise PplError(msg.not_a_distribution(e.span, what))
    sig = DISTRIBUTIONS.get(e.func.name)
    if sig is None:
        if e.func.name in FUNCTIONS:
            raise PplError(msg.not_a_distribution(e.func.span, f"the function `{e.func.name}`"))
        raise PplError(msg.unknown_distribution(e.func.span, e.func.name, DISTRIBUTIONS))
    return sig, e


def bind_params(sig: Signature, call: ast.Call) -> dict[str, ast.Expr]:
    """Map positional and keyword arguments to PyMC parameter names."""
    if len(call.args) > len(sig.positional):
        raise PplError(msg.too_many_args(call.args[len(sig.positional)].span, sig, len(call.args)))
    given = dict(zip(sig.positional, call.args))
    for kw in call.kwargs:
        if kw.name.name not in sig.all_params:
            raise PplError(msg.unknown_param(kw.name.span, sig, kw.name.name))
        if kw.name.name in given:
            raise PplError(msg.duplicate_param(kw.name.span, sig, kw.name.name))
        given[kw.name.name] = kw.value
    _choose_parameterization(sig, set(given), call)
    return given


def _choose_parameterization(sig: Signature, names: set[str], call: ast.Call) -> None:
    fits = [g for g in sig.parameterizations if names <= {p.rstrip("?") for p in g}]
    if not fits:
        raise PplError(msg.mixed_parameterization(call.span, sig, sorted(names)))
    missing = [[p for p in g if not p.endswith("?") and p not in names] for g in fits]
    if not any(not m for m in missing):
        raise PplError(msg.missing_param(call.span, sig, missing[0]))


def check_dist(e: ast.Expr, written: tuple[str, ...] | None, name: str, ctx: Context,
               ) -> tuple[ir.DistExpr, tuple[str, ...]]:
    """Check a distribution call for variable ``name``; return it and the variable's dims."""
    sig, call = _lookup(e, ctx)
    params = bind_params(sig, call)
    if sig.family == "wrapper":
        return _wrapper(sig, call, params, written, name, ctx)
    if sig.name == "Mixture":
        return _mixture(call, params, written, name, ctx)
    checked = {p: check_expr(x, ctx) for p, x in params.items()}
    return _simple(sig, call, checked, written, name, ctx)


def _simple(sig, call, checked, written, name, ctx):
    static = _statics(sig, checked, call)
    values = {p: x for p, x in checked.items() if sig.kind(p) != STATIC}
    consumed = _consumed(sig, values, written, call.span, ctx)
    dims = written if written is not None else _union_dims(sig, values, consumed, call.span)
    event = _event(sig, dims, static, call.span, name, ctx)
    fitted = {p: _fit_param(sig, p, x, dims, consumed, event, call, name, ctx) for p, x in values.items()}
    params = tuple(fitted.items()) + tuple((p, checked[p]) for p in static)
    dist = ir.Dist(sig.name, params, consumed, event, sig.support,
                   tuple((p, v) for p, v in static.items() if isinstance(v, int)), span=call.span)
    return dist, tuple(dims)


def _statics(sig, checked, call) -> dict[str, object]:
    out = {}
    for p, x in checked.items():
        if sig.kind(p) != STATIC:
            continue
        if isinstance(x, ir.Const) and float(x.value).is_integer():
            out[p] = int(x.value)
        elif isinstance(x, ir.SizeOf):
            out[p] = x
        else:
            raise PplError(msg.static_param(getattr(x, "span", call.span), sig.name, p))
    return out


def _consumed(sig, values, written, span, ctx) -> ir.Dim | None:
    """The one consumed dim (category / component / matrix twin), if any."""
    found: ir.Dim | None = None
    for p, x in values.items():
        kind = sig.kind(p)
        if kind not in _CONSUMING and kind != MATRIX:
            continue
        if written is not None:
            extra = [d for d in x.dims if d not in written]
        elif kind == MATRIX:
            others = {d for q, y in values.items() if sig.kind(q) not in (MATRIX,) for d in y.dims}
            extra = [d for d in x.dims if d not in others]
        else:
            extra = list(x.dims[-1:])
        if len(extra) != 1:
            detail = "has no dim beyond the variable's" if not extra else \
                f"has several dims beyond the variable's: {', '.join(map(ir.dim_label, extra))}"
            raise PplError(msg.consumed_dim(getattr(x, "span", span), sig.name, p, detail))
        if found is not None and extra[0] != found:
            raise PplError(msg.consumed_dim(getattr(x, "span", span), sig.name, p,
                                            f"consumes `{ir.dim_label(extra[0])}` but another argument "
                                            f"consumes `{ir.dim_label(found)}`"))
        found = extra[0]
    return found


def _union_dims(sig, values, consumed, span) -> tuple[ir.Dim, ...]:
    dims: list[ir.Dim] = []
    for x in values.values():
        dims += [d for d in x.dims if d != consumed and d not in dims]
    return tuple(dims)


def _event(sig, dims, static, span, name, ctx) -> tuple[ir.Dim, ...]:
    n = sig.event_ndim
    if n < 0:  # ZeroSumNormal: the last n_zerosum_axes dims
        n = static.get("n_zerosum_axes", 1)
        if not isinstance(n, int):
            raise PplError(msg.static_param(span, sig.name, "n_zerosum_axes"))
    if n == 0:
        return ()
    if len(dims) < n:
        raise PplError(msg.event_dims(span, sig.name, f"needs {n} event dim{'s' if n > 1 else ''} written on "
                                      f"the left: `{name}[d] ~ {sig.name}(...)`"))
    event = tuple(dims[-n:])
    if sig.name == "LKJCorr":
        _check_twins(event, span, ctx)
    return event


def _check_twins(event, span, ctx) -> None:
    a, b = event
    decl_a, decl_b = ctx.dims.get(a), ctx.dims.get(b)
    twins = (decl_b and decl_b.size_kind == "twin" and decl_b.source == a) or \
        (decl_a and decl_a.size_kind == "twin" and decl_a.source == b)
    if not twins:
        raise PplError(msg.event_dims(span, "LKJCorr", f"needs a dim and its twin as its last two dims, "
                                      f"got [{ir.dim_label(a)}, {ir.dim_label(b)}]; declare `dim {b} = {a}`"))


def _fit_param(sig, p, x, dims, consumed, event, call, name, ctx) -> ir.Expr:
    kind = sig.kind(p)
    allowed = tuple(dims)
    if consumed is not None and (kind in _CONSUMING or kind in (MATRIX, MIX_PARAM)):
        allowed += (consumed,)
    x = ctx.fit_to(x, allowed, getattr(x, "span", call.span))
    extra = [d for d in x.dims if d not in allowed]
    if extra:
        span = getattr(x, "span", call.span)
        raise PplError(msg.param_dims(span, sig.name, p, x.dims, name, dims, [ir.dim_label(d) for d in extra]))
    if kind == MATRIX and event and event[-1] not in x.dims:
        raise PplError(msg.event_dims(call.span, sig.name, f"`{p}` must have the event dim `{event[-1]}`"))
    if kind == EVENT or kind == MATRIX or kind in _CONSUMING or kind == MIX_PARAM:
        return x
    _no_event_dim(sig, p, x, event, call)
    return x


def _no_event_dim(sig, p, x, event, call) -> None:
    # ZeroSumNormal too: PyMC needs `sigma` of length one across the zero-sum axes (a ValueError at build,
    # found by the lowering fuzz run, when ZeroSumNormal was exempt here)
    bad = [d for d in x.dims if d in event]
    if bad:
        raise PplError(msg.event_dims(call.span, sig.name, f"`{p}` cannot vary along the event dim "
                                      f"`{ir.dim_label(bad[0])}`"))


# ------------------------------------------------------- wrappers and mixtures
def _inner_dist(e: ast.Expr, wrapper: str, written, name, ctx) -> tuple[ir.Dist, tuple]:
    if not isinstance(e, ast.Call) or e.func.name not in DISTRIBUTIONS:
        raise PplError(msg.nested_dist(e.span, wrapper, "this expression"))
    sig = DISTRIBUTIONS[e.func.name]
    if sig.family not in ("continuous", "discrete"):
        raise PplError(msg.nested_dist(e.span, wrapper, f"a {sig.family} distribution"))
    why = _CANNOT_WRAP.get((wrapper, sig.name))
    if why:
        raise PplError(msg.nested_dist(e.span, wrapper, f"`{sig.name}` ({why})"))
    return check_dist(e, written, name, ctx)


# What PyMC 6.4 cannot wrap (each a PyMC error at build before the lowering fuzz run found them): a
# distribution without a CDF cannot be truncated or censored; a zero-inflated one (a mixture) cannot be
# truncated, though it can be censored.
_NO_CDF = ("HalfStudentT", "SkewNormal", "VonMises")
_ZERO_INFLATED = ("ZeroInflatedPoisson", "ZeroInflatedBinomial", "ZeroInflatedNegativeBinomial")
_CANNOT_WRAP = {(w, d): "PyMC has no CDF for it" for w in ("Truncated", "Censored") for d in _NO_CDF} | {
    ("Truncated", d): "PyMC cannot truncate a zero-inflated mixture" for d in _ZERO_INFLATED}


def _wrapper(sig, call, params, written, name, ctx):
    if sig.name == "Truncated" and "lower" not in params and "upper" not in params:
        raise PplError(msg.wrapper_needs_bound(call.span, sig))  # PyMC: ValueError (found by the fuzz)
    inner, dims = _inner_dist(params["dist"], sig.name, written, name, ctx)
    bounds = {}
    for key in ("lower", "upper"):
        if key in params:
            b = ctx.fit_to(check_expr(params[key], ctx), dims, params[key].span)
            extra = [d for d in b.dims if d not in dims]
            if extra:
                raise PplError(msg.param_dims(params[key].span, sig.name, key, b.dims, name, dims,
                                              [ir.dim_label(d) for d in extra]))
            bounds[key] = b
    wrapped = ir.Wrapped(sig.name, inner, bounds.get("lower"), bounds.get("upper"), span=call.span)
    return wrapped, dims


def _mixture(call, params, written, name, ctx):
    comps_ast = params["comp_dists"]
    if not isinstance(comps_ast, ast.Vector):
        raise PplError(msg.nested_dist(comps_ast.span, "Mixture", "this expression; give a list `[DIST, ...]`"))
    weights = check_expr(params["w"], ctx)
    comps = [_inner_dist(c, "Mixture", written, name, ctx) for c in comps_ast.items]
    dims = written if written is not None else _union_dims_of(comps)
    extra = [d for d in weights.dims if d not in dims]
    if len(extra) != 1:
        raise PplError(msg.consumed_dim(params["w"].span, "Mixture", "w",
                                        "must have exactly one dim beyond the variable's: the component dim"))
    supports = {c.support.discrete for c, _ in comps}
    if len(supports) > 1:
        raise PplError(msg.nested_dist(comps_ast.span, "Mixture", "a mix of discrete and continuous components"))
    mix = ir.MixtureOf(weights, tuple(c for c, _ in comps), extra[0], span=call.span)
    ctx.size_checks.append((ctx.fresh_anon(ir.ConstSize(len(comps))), extra[0], comps_ast.span))
    return mix, tuple(dims)


def _union_dims_of(comps) -> tuple[ir.Dim, ...]:
    dims: list[ir.Dim] = []
    for _, cd in comps:
        dims += [d for d in cd if d not in dims]
    return tuple(dims)
