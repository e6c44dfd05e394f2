"""Which discrete latents are summed out, decided at check time.

An unobserved discrete variable with finite support that an observed
variable or a ``potential`` depends on is *marginalized* (docs/language.md,
"Discrete latent variables"): the lowering enumerates its values and sums the
joint density of its dependents over them with a log-sum-exp
(:mod:`ppl.backend.marginal`).  This module checks the contract's rules and
records one :class:`~ppl.semantics.ir.Marginal` per latent:

1. the values are known before sampling: ``Bernoulli``, ``Categorical``,
   ``DiscreteUniform``, ``Binomial``, ``BetaBinomial``,
   ``ZeroInflatedBinomial`` with data bounds, or ``Truncated``/``Censored``
   with an upper bound; at most :data:`FINITE_SUPPORT_LIMIT` values;
2. every path to an observed variable or a potential goes through ``let`` and
   ``=`` only, and is elementwise along the latent's dims: no reduction,
   scan, contraction, slice, single-element pick or gather by data along
   them, and no distribution that consumes one of them or uses it as an event
   dim;
3. an observed variable or potential depends on at most one summed-out
   latent.

Uses that no observed variable needs (``N = sum(z)``) are computed after
inference from the recovered draws, so they may use the latent in any way.

The missing entries of an observed discrete variable are summed out the same
way (:func:`plan_missing`, called when data are bound, since which entries
are missing is known only then): the variable is enumerated like a latent,
its observed entries pinned to their values, and the same rules apply to
what depends on it.

References
----------
Stan Development Team, *Stan User's Guide*, "Latent discrete parameters"
(summing out by hand with ``log_sum_exp``).
F. Obermeyer et al. (2019), "Tensor variable elimination for plated factor
graphs", ICML (automatic enumeration in Pyro/NumPyro).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import PplError
from . import ir
from . import messages as msg
from .roles import ancestors, is_root, node_refs, references
from .signatures import FINITE_SUPPORT_LIMIT
from .types import Support, VType

__all__ = ["plan_marginals", "plan_missing", "FINITE_SUPPORT_LIMIT"]

# distribution -> (lower, upper): a parameter name or a constant
_RANGES = {
    "DiscreteUniform": ("lower", "upper"),
    "Binomial": (0, "n"),
    "BetaBinomial": (0, "n"),
    "ZeroInflatedBinomial": (0, "n"),
}
_SUPPORT_MIN = {Support.BOOL: 0, Support.COUNT: 0, Support.POSITIVE_INT: 1}


def plan_marginals(model: ir.Model) -> ir.Model:
    """Mark the discrete latents to sum out; raise at the line that prevents it."""
    roots = [n.name for n in model.nodes if is_root(n)]
    needed = ancestors(model, roots) | set(roots)
    latents = [n for n in model.nodes if isinstance(n, ir.RandomVar) and n.role == "param" and n.dist.discrete]
    plans, after = [], set()
    for z in latents:
        plan, later = _plan(model, z, needed)
        plans.append(plan)
        after |= later
    _one_latent_each(model, plans)
    names = {p.name for p in plans}
    nodes = tuple(replace(n, role="marginalized") if n.name in names else n for n in model.nodes)
    return replace(model, nodes=nodes, marginals=tuple(plans), generated=model.generated | frozenset(after))


def plan_missing(model: ir.Model, missing) -> ir.Model:
    """Sum out the missing entries of the observed discrete variables named in ``missing``.

    Each becomes a :class:`~ppl.semantics.ir.Marginal` with ``observed=True``
    (its own carrier), checked by the rules for latents; what only depends on
    it is computed after inference from its recovered draws.  Raises at the
    variable's line when it cannot be summed out (infinite support, a
    non-elementwise use, ...).  Does nothing when marginalization is off
    (PyMC then imputes the entries with its discrete steps) or nothing
    discrete is missing; idempotent.
    """
    done = {p.name for p in model.marginals}
    ys = [n for n in model.observed if n.name in missing and n.dist.discrete and n.name not in done]
    if not model.marginalize or not ys:
        return model
    roots = [n.name for n in model.nodes if is_root(n)]
    needed = ancestors(model, roots) | set(roots)
    plans, after = list(model.marginals), set()
    for y in ys:
        owner = next((p.name for p in plans if y.name in p.dependents), None)
        if owner is not None:
            raise PplError(msg.marginal_missing(y.span, y.name, owner))
        plan, later = _plan_observed(model, y, needed)
        plans.append(plan)
        after |= later
    _one_latent_each(model, plans)
    return replace(model, marginals=tuple(plans), generated=model.generated | frozenset(after))


def _plan_observed(model: ir.Model, y: ir.RandomVar, needed: set[str]) -> tuple[ir.Marginal, set[str]]:
    try:
        plan, later = _plan(model, y, needed)
    except PplError as exc:
        if exc.diagnostic.code not in ("E-infinite-discrete-latent", "E-not-enumerable"):
            raise
        why = ("its support is infinite" if exc.diagnostic.code == "E-infinite-discrete-latent"
               else "a Mixture of discrete distributions is not summed out in version 1")
        raise PplError(msg.discrete_missing(y.span, y.name, y.dist.name, why)) from None
    return replace(plan, observed=True, carrier=y.name), later


# ------------------------------------------------------------------- support
def _const(value: int) -> ir.Const:
    return ir.Const((), VType.INT, value)


def _static(e: ir.Expr | None) -> float | None:
    return e.value if isinstance(e, ir.Const) else None


def _support(z: ir.RandomVar, model: ir.Model) -> tuple[str, str | None, ir.Expr | None, ir.Expr | None]:
    """(kind, value dim, lower, upper) of the latent's values."""
    dist = z.dist
    if isinstance(dist, ir.MixtureOf):
        raise PplError(msg.not_enumerable(z.span, z.name, "a Mixture of discrete distributions"))
    if isinstance(dist, ir.Wrapped):
        lower, upper = _wrapped_range(z, dist)
        return "range", _value_dim(z, model), lower, upper
    if dist.name == "Bernoulli":
        return "bool", None, _const(0), _const(1)
    if dist.name == "Categorical":
        return "categorical", dist.consumed, None, None
    if dist.name in _RANGES:
        lower, upper = (_bound(z, dist, b) for b in _RANGES[dist.name])
        return "range", _value_dim(z, model), lower, upper
    raise PplError(msg.infinite_support(z.span, z.name, dist.name))


def _bound(z: ir.RandomVar, dist: ir.Dist, which) -> ir.Expr:
    if isinstance(which, int):
        return _const(which)
    expr = dict(dist.params)[which]
    if not expr.is_data:
        raise PplError(msg.support_not_data(getattr(expr, "span", z.span) or z.span, z.name, dist.name, which))
    return expr


def _wrapped_range(z: ir.RandomVar, dist: ir.Wrapped) -> tuple[ir.Expr, ir.Expr]:
    inner_lower = inner_upper = None
    if dist.inner.name in _RANGES:
        inner_lower, inner_upper = (_bound(z, dist.inner, b) for b in _RANGES[dist.inner.name])
    elif dist.inner.support in _SUPPORT_MIN:
        inner_lower = _const(_SUPPORT_MIN[dist.inner.support])
    if dist.inner.name == "Bernoulli":
        inner_upper = _const(1)
    lower = _finite_bound(dist.lower) or inner_lower
    upper = _finite_bound(dist.upper) or inner_upper
    if lower is None or upper is None:
        raise PplError(msg.infinite_support(z.span, z.name, f"{dist.kind} {dist.inner.name}"))
    for name, bound in (("lower", lower), ("upper", upper)):
        if not bound.is_data:
            raise PplError(msg.support_not_data(getattr(bound, "span", z.span) or z.span, z.name, dist.kind, name))
    return lower, upper


def _finite_bound(e: ir.Expr | None) -> ir.Expr | None:
    """The bound, unless it is absent or a literal infinity (``inf``, ``-inf``)."""
    inner = e.args[0] if isinstance(e, ir.Apply) and e.fn == "neg" else e
    if e is None or (isinstance(inner, ir.Const) and abs(inner.value) == float("inf")):
        return None
    return e


def _value_dim(z: ir.RandomVar, model: ir.Model) -> str:
    """``<z>_value``, unless the model already uses that name."""
    taken = {d.name for d in model.dims} | {d.name for d in model.data} | {n.name for n in model.nodes}
    name = f"{z.name}_value"
    return name if name not in taken else f"{z.name}_value__"


def _dim_size(dim, model: ir.Model) -> int | None:
    if not isinstance(dim, str):
        return dim.size.n if isinstance(dim.size, ir.ConstSize) else None
    decl = model.dim_decl(dim)
    if decl.size_kind == "fixed":
        return decl.size
    return _dim_size(decl.source, model) if decl.size_kind == "twin" else None


def _static_size(kind, value_dim, lower, upper, model) -> int | None:
    if kind == "bool":
        return 2
    if kind == "categorical":
        return _dim_size(value_dim, model)
    lo, hi = _static(lower), _static(upper)
    return None if lo is None or hi is None else int(hi) - int(lo) + 1


# ---------------------------------------------------------------------- plan
def _plan(model: ir.Model, z: ir.RandomVar, needed: set[str]) -> tuple[ir.Marginal, set[str]]:
    kind, value_dim, lower, upper = _support(z, model)
    size = _static_size(kind, value_dim, lower, upper, model)
    if size is not None and size > FINITE_SUPPORT_LIMIT:
        raise PplError(msg.support_too_large(z.span, z.name, size, FINITE_SUPPORT_LIMIT))
    tainted, path, dependents, after = {z.name}, [], [], set()
    start = model.nodes.index(z) + 1
    for node in model.nodes[start:]:
        if not node_refs(node) & tainted:
            continue
        if node.name not in needed:  # computed after inference, from the recovered draws
            after.add(node.name)
            tainted.add(node.name)
            continue
        _check_dependent(node, z, tainted)
        if isinstance(node, ir.Derived):
            path.append(node.name)
            tainted.add(node.name)
            if node.role == "derived":
                after.add(node.name)  # saved: recomputed per draw from the recovered latent
        else:
            dependents.append(node.name)
    carrier = next((d for d in dependents if isinstance(model.node(d), ir.RandomVar)), None)
    plan = ir.Marginal(z.name, tuple(z.dims), kind, value_dim, size, lower, upper, tuple(path),
                       tuple(dependents), carrier, span=z.span)
    return plan, after


def _check_dependent(node: ir.Node, z: ir.RandomVar, tainted: set[str]) -> None:
    if isinstance(node, ir.RandomVar) and node.role != "observed":
        raise PplError(msg.marginal_latent_dependent(node.span, node.name, z.name, node.dist.discrete, z.span))
    if isinstance(node, ir.RandomVar):
        _check_dist(node, z, tainted)
        return
    _check_expr(node.expr, z, tainted, node.span)
    missing = [d for d in z.dims if d not in node.expr.dims]
    if missing:
        reason = f"this has no dim `{missing[0]}`, a dim of `{z.name}`"
        raise PplError(msg.marginal_not_elementwise(node.span, z.name, reason, z.dims, z.span))


def _check_dist(node: ir.RandomVar, z: ir.RandomVar, tainted: set[str]) -> None:
    dist = node.dist
    for child in dist.children():
        _check_expr(child, z, tainted, node.span)
    consumed = dist.component_dim if isinstance(dist, ir.MixtureOf) else getattr(dist, "consumed", None)
    for dim, role in [(consumed, "consumes")] + [(d, "has as its event dim") for d in dist.event]:
        if dim is not None and dim in z.dims:
            reason = (f"{dist.name} {role} `{ir.dim_label(dim)}`, a dim of `{z.name}`, so its elements do not "
                      "enter separately")
            raise PplError(msg.marginal_not_elementwise(dist.span or node.span, z.name, reason, z.dims, z.span))
    missing = [d for d in z.dims if d not in node.dims]
    if missing:
        reason = f"`{node.name}` has no dim `{missing[0]}`, a dim of `{z.name}`"
        raise PplError(msg.marginal_not_elementwise(node.span, z.name, reason, z.dims, z.span))


# ---------------------------------------------------- elementwise along z's dims
def _check_expr(e: ir.Expr, z: ir.RandomVar, tainted: set[str], fallback) -> None:
    found = _crossing(e, z, tainted)
    if found is None:
        return
    node, reason, gather_dim = found
    span = getattr(node, "span", None) or fallback
    if gather_dim is not None:
        raise PplError(msg.marginal_gather(span, z.name, gather_dim, z.span))
    raise PplError(msg.marginal_not_elementwise(span, z.name, reason, z.dims, z.span))


def _crossing(e: ir.Expr, z: ir.RandomVar, tainted: set[str]):
    """The first subexpression that mixes elements of ``z`` along its dims, with why."""
    if not references(e) & tainted:
        return None
    for child in e.children():
        found = _crossing(child, z, tainted)
        if found is not None:
            return found
    rule = _RULES.get(type(e))
    return None if rule is None else rule(e, z, tainted)


def _tainted(e: ir.Expr, tainted: set[str]) -> bool:
    return bool(references(e) & tainted)


def _reduce(e: ir.Reduce, z, tainted):
    if e.over is None and z.dims:
        return e, f"`{e.fn}` here reduces over every dim, including those of `{z.name}`", None
    if e.over in z.dims:
        return e, f"`{e.fn}` here reduces over `{e.over}`, a dim of `{z.name}`", None
    return None


def _scan(e: ir.Scan, z, tainted):
    if e.along in z.dims:
        return e, f"`{e.fn}` here runs along `{e.along}`, a dim of `{z.name}`", None
    return None


def _contract(e: ir.Contract, z, tainted):
    if e.over in z.dims:
        return e, f"this product sums over `{e.over}`, a dim of `{z.name}`", None
    return None


def _take(e: ir.TakeAt, z, tainted):
    if e.dim in z.dims and _tainted(e.base, tainted):
        return e, f"this picks one element along `{e.dim}`, a dim of `{z.name}`", None
    return None


def _slice(e: ir.SliceOp, z, tainted):
    if e.dim in z.dims and _tainted(e.base, tainted):
        return e, f"this slices along `{e.dim}`, a dim of `{z.name}`", None
    return None


def _gather(e: ir.Gather, z, tainted):
    if e.dim in z.dims and _tainted(e.base, tainted):
        return e, "", e.dim
    return None


_RULES = {ir.Reduce: _reduce, ir.Scan: _scan, ir.Contract: _contract, ir.TakeAt: _take,
          ir.SliceOp: _slice, ir.Gather: _gather}


def _one_latent_each(model: ir.Model, plans: list[ir.Marginal]) -> None:
    owner: dict[str, str] = {}
    for plan in plans:
        for dep in plan.dependents:
            if dep in owner:
                node = model.node(dep)
                raise PplError(msg.marginal_several(node.span, dep, owner[dep], plan.name))
            owner[dep] = plan.name
