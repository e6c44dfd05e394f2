"""Summing discrete latents out of the PyMC model (the lowering of ``ir.Marginal``).

For a latent ``z[obs]`` with values ``v_1..v_K`` (a value dim ``k``) this
builds the table of log joint densities, one row per element of ``z``:

    L[i, k] = log P(z_i = v_k) + sum over dependents d of
              sum over d's other dims of log p(d | z_i = v_k, ...)

by lowering the dependents with ``z`` replaced by its values
(:mod:`ppl.backend.enumerate`), then adds ``sum_i logsumexp_k L[i, k]`` to
the model.  The first observed dependent, the *carrier*, becomes a
``pm.CustomDist`` whose log density is that marginal, one value per element
of ``z`` (so PyMC's ``log_likelihood`` for LOO is the marginal one); other
observed dependents keep their data but contribute 0 (their terms are inside
the carrier's); with potentials only, the marginal is a ``pm.Potential``.
An observed variable whose missing entries are summed out
(``plan.observed``) is enumerated the same way, with its observed entries
pinned: ``log P(y_i = v_k)`` becomes ``-inf`` where ``y_i`` is observed and
``v_k`` is not its value, so that the log-sum-exp of an observed element is
exactly its own log density plus its dependents' at that value, and that of a
missing element is the marginal.  The variable is its own carrier.
``L`` is kept (:class:`LoweredMarginal`) so that
:func:`ppl.infer.recover.recover_discrete` can compute the membership
probabilities ``softmax_k L[i, k]`` per posterior draw.

References
----------
Stan Development Team, *Stan User's Guide*, "Latent discrete parameters".
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import PplError
from ..semantics import ir
from ..semantics import messages as msg
from ..semantics.signatures import FINITE_SUPPORT_LIMIT
from .distributions import make_dist, redim_dist
from .enumerate import union, with_dims
from .expr import Env, align, broadcast_full, lower_expr
from .guard import guarded, guarded_logp
from .marginal_draws import forward_draws
from .mixture import log_sum_exp, safe_log

__all__ = ["LoweredMarginal", "begin_marginal", "lower_path", "add_dependent", "finish_marginal"]


@dataclass
class LoweredMarginal:
    """One summed-out latent in a built model.

    ``log_joint`` has dims ``plan.dims + (value_dim,)``; ``values`` are the
    latent's values along ``value_dim`` (an internal dim name).
    """

    plan: ir.Marginal
    value_dim: str
    values: np.ndarray
    env: Env
    renamed: dict
    log_prior: Any = None
    terms: dict = field(default_factory=dict)  # dependent -> log density summed to plan.dims + (k,)
    unsummed: dict = field(default_factory=dict)  # observed dependent -> (term over its dims + k, dims)
    forward: dict = field(default_factory=dict)  # observed dependent -> (its distribution over the values, dims)
    log_joint: Any = None
    missing: np.ndarray | None = None  # plan.observed: which elements are missing (over plan.dims)
    observed: np.ndarray | None = None  # plan.observed: the data, missing entries filled with values[0]
    draw_prior: Any = None  # plan.observed: the log prior before pinning (for forward draws)

    @property
    def full(self) -> tuple:
        return tuple(self.plan.dims) + (self.value_dim,)


def _eval_int(expr: ir.Expr, env: Env, reduce) -> int:
    return int(reduce(np.asarray(lower_expr(expr, env).eval())))


def _values(plan: ir.Marginal, env: Env) -> np.ndarray:
    if plan.kind == "bool":
        return np.arange(2)
    if plan.kind == "categorical":
        return np.arange(env.size(plan.value_dim))
    lo, hi = _eval_int(plan.lower, env, np.min), _eval_int(plan.upper, env, np.max)
    return np.arange(lo, hi + 1)


def begin_marginal(plan: ir.Marginal, node: ir.RandomVar, env: Env, data: np.ndarray | None = None
                   ) -> LoweredMarginal:
    """Enumerate the latent's values and its log prior over them.

    ``data`` are the values of an observed variable whose missing entries
    (NaN) are summed out (``plan.observed``): its observed entries are pinned.
    """
    values = _values(plan, env)
    if len(values) > FINITE_SUPPORT_LIMIT:
        raise PplError(msg.support_too_large(plan.span, plan.name, len(values), FINITE_SUPPORT_LIMIT))
    if not len(values):
        lo, hi = _eval_int(plan.lower, env, np.min), _eval_int(plan.upper, env, np.max)
        raise PplError(msg.support_empty(plan.span, plan.name, lo, hi))
    value_dim = f"{plan.name}_values__"
    sizes = ChainMap({value_dim: len(values)}, env.sizes)
    overlay = {plan.name: pt.constant(values.astype("int64"))}
    sub_env = Env(sizes, ChainMap(overlay, env.values), env.gathers)
    lm = LoweredMarginal(plan, value_dim, values, sub_env, {plan.name: (value_dim,)})
    prior = _PRIORS.get(node.dist.name, _generic_prior)
    lm.log_prior = prior(node.dist, lm, env)  # over lm.full, possibly broadcastable along the latent's dims
    if data is not None:
        _pin_observed(lm, np.asarray(data, dtype=float))
    return lm


def _pin_observed(lm: LoweredMarginal, data: np.ndarray) -> None:
    """Give the values other than an observed entry's own probability 0 (log -inf) at that entry."""
    lm.missing = np.isnan(data)
    lm.observed = np.where(lm.missing, lm.values[0], data).astype("int64")
    allowed = lm.missing[..., None] | (lm.observed[..., None] == lm.values)
    lm.draw_prior = broadcast_full(lm.log_prior, lm.full, lm.full, lm.env)
    lm.log_prior = pt.where(pt.constant(allowed), lm.draw_prior, -np.inf)


# ------------------------------------------------------------------ log priors
def _aligned_param(dist: ir.Dist, name: str, want, env: Env):
    expr = dict(dist.params)[name]
    return align(lower_expr(expr, env), expr.dims, want)


def _bernoulli_prior(dist: ir.Dist, lm: LoweredMarginal, env: Env):
    if "logit_p" in dict(dist.params):
        logit = _aligned_param(dist, "logit_p", lm.plan.dims, env)
        return pt.stack([-pt.softplus(logit), -pt.softplus(-logit)], axis=-1)
    p = _aligned_param(dist, "p", lm.plan.dims, env)
    return pt.stack([safe_log(1.0 - p), safe_log(p)], axis=-1)


def _categorical_prior(dist: ir.Dist, lm: LoweredMarginal, env: Env):
    want = tuple(lm.plan.dims) + (dist.consumed,)
    if "logit_p" in dict(dist.params):
        logit = _aligned_param(dist, "logit_p", want, env)
        return logit - log_sum_exp(logit, axis=-1)[..., None]
    expr = dict(dist.params)["p"]
    p = align(lower_expr(expr, env), expr.dims, _own_order(expr.dims, want))
    # normalized over the values on p's own dims, then broadcast: weights shared by every element
    # of the latent are normalized once (3 values, not a (1, 3) broadcast row)
    log_p = safe_log(p / pt.sum(p, axis=-1, keepdims=True))
    return align(log_p, _own_order(expr.dims, want), want)


def _own_order(have: tuple, want: tuple) -> tuple:
    """The dims of ``have`` in the order of ``want`` (the value dim last)."""
    return tuple(d for d in want if d in have)


def _generic_prior(dist: ir.DistExpr, lm: LoweredMarginal, env: Env):
    rv = make_dist(dist, lm.full, lm.env)
    value = align(pt.constant(lm.values.astype("int64")), (lm.value_dim,), lm.full)
    return pm.logp(rv, value)


_PRIORS = {"Bernoulli": _bernoulli_prior, "Categorical": _categorical_prior}


# ------------------------------------------------------------ path, dependents
def lower_path(node: ir.Derived, lm: LoweredMarginal) -> None:
    """A ``let`` or ``=`` between the latent and its dependents, over the values."""
    expr = with_dims(node.expr, lm.renamed)
    dims = union(expr.dims, tuple(d for d in node.dims if d not in node.expr.dims))
    lm.env.values[node.name] = broadcast_full(lower_expr(expr, lm.env), expr.dims, dims, lm.env)
    lm.renamed[node.name] = dims


def add_dependent(node: ir.Node, lm: LoweredMarginal, env: Env) -> None:
    """Add a dependent's log density given each value of the latent."""
    if isinstance(node, ir.PotentialNode):
        expr = with_dims(node.expr, lm.renamed)
        full = union(node.expr.dims, (lm.value_dim,))
        term, dims = broadcast_full(lower_expr(expr, lm.env), expr.dims, full, lm.env), full
    else:
        term, dims, dist_k, dims_k = _observed_term(node, lm, env)
        lm.unsummed[node.name] = (term, dims)
        lm.forward[node.name] = (dist_k, dims_k)
    lm.terms[node.name] = _sum_to(term, dims, lm)


def _observed_term(node: ir.RandomVar, lm: LoweredMarginal, env: Env):
    dist = redim_dist(node.dist, lm.renamed)
    batch = tuple(d for d in node.dims if d not in dist.event)
    dims_k = batch + (lm.value_dim,) + tuple(dist.event)
    # static shape: lets PyTensor fuse the log density with the log-sum-exp; elementwise log
    # densities broadcast over the values by themselves
    data = pt.specify_shape(env.values[node.name], tuple(env.size(d) for d in node.dims))
    value = broadcast_full(data, node.dims, dims_k, lm.env) if dist.event else align(data, node.dims, dims_k)
    if guarded(dist):
        term = guarded_logp(dist, dims_k, lm.env, value)
    else:
        term = pm.logp(make_dist(dist, dims_k, lm.env), value)
    return term, batch + (lm.value_dim,), dist, dims_k


def _sum_to(term, dims: tuple, lm: LoweredMarginal):
    """Sum a term over the dims that are not the latent's, then order it as ``lm.full`` (broadcastable)."""
    extra = [i for i, d in enumerate(dims) if d not in lm.full]
    kept = tuple(d for d in dims if d in lm.full)
    summed = pt.sum(term, axis=extra) if extra else term
    return align(summed, kept, lm.full)


# ------------------------------------------------------------------- finishing
def finish_marginal(lm: LoweredMarginal, model: ir.Model, env: Env) -> None:
    """Add the marginal to the model: the carrier, the other observed dependents, or a potential."""
    lm.log_joint = broadcast_full(lm.log_prior + sum(lm.terms.values()), lm.full, lm.full, lm.env)
    carrier = lm.plan.carrier
    if lm.plan.observed:
        _observed_carrier(lm, env)
    if carrier is None:
        pm.Potential(f"{lm.plan.name}_marginal__", pt.sum(log_sum_exp(lm.log_joint, axis=-1)))
        return
    for name in lm.plan.dependents:
        if name in lm.unsummed:
            _observed_rv(model.node(name), lm, env, carrier=name == carrier)


def _observed_carrier(lm: LoweredMarginal, env: Env) -> None:
    """The variable with missing entries: the marginal as its log density, one value per element.

    Its forward draws are its own distribution (the log prior before pinning).
    """
    lo = int(lm.values[0])

    def draw(joint, prior, size):
        return pm.Categorical.dist(logit_p=prior) + lo

    pm.CustomDist(lm.plan.name, lm.log_joint, lm.draw_prior, logp=_lse_logp, dist=draw,
                  signature="(k),(k)->()", observed=lm.observed, dims=tuple(lm.plan.dims) or None,
                  class_name=f"Marginal_{lm.plan.name}")


def _lse_logp(value, joint, prior):
    return log_sum_exp(joint, axis=-1)


def _observed_rv(node: ir.RandomVar, lm: LoweredMarginal, env: Env, carrier: bool) -> None:
    """The observed variable: its data, and the marginal as its log density (0 if not the carrier).

    Its dims are the latent's, then its other dims (the data are transposed if
    needed), so that its log density has one value per element of the latent.
    The parameters are the rest of the joint and the variable's own term over
    its other dims; an event dim is passed as a zero vector, for its size.
    """
    term, dims = lm.unsummed[node.name]
    extra = tuple(d for d in dims if d not in lm.plan.dims and d != lm.value_dim)
    event = tuple(node.dist.event)
    own_dims = tuple(lm.plan.dims) + extra + (lm.value_dim,)
    own = align(term, dims, own_dims)
    params = [_rest(lm, node.name), own] + ([pt.zeros(tuple(env.size(d) for d in event))] if event else [])
    core = [f"e{i}" for i in range(len(extra))]
    events = [f"v{i}" for i in range(len(event))]
    inputs = ["(k)", f"({','.join(core + ['k'])})"] + ([f"({','.join(events)})"] if event else [])
    draws = forward_draws(lm, *lm.forward[node.name], own_dims) if carrier else None
    options = {"dtype": str(env.values[node.name].dtype)}
    if draws is not None:
        params += draws.params
        inputs += ["(k)"] + [inputs[1]] * (len(draws.params) - 1)
        options = {"dist": draws.dist}
    pv_dims = tuple(lm.plan.dims) + extra + event
    data = align(env.values[node.name], node.dims, pv_dims)
    pm.CustomDist(node.name, *params, logp=_carrier_logp(len(extra)) if carrier else _zero_logp,
                  signature=f"{','.join(inputs)}->({','.join(core + events)})", observed=data,
                  dims=pv_dims or None, class_name=f"Marginal_{node.name}", **options)


def _carrier_logp(n_extra: int):
    def logp(value, rest, own, *unused):  # unused: an event dim's size, the forward draws' parameters
        summed = pt.sum(own, axis=tuple(range(-1 - n_extra, -1))) if n_extra else own
        return log_sum_exp(rest + summed, axis=-1)
    return logp


def _zero_logp(value, rest, own, *unused):
    return pt.zeros_like(rest[..., 0])


def _rest(lm: LoweredMarginal, name: str):
    """The log prior plus every dependent's term but ``name``'s."""
    others = [t for dep, t in lm.terms.items() if dep != name]
    return lm.log_prior + sum(others) if others else lm.log_prior
