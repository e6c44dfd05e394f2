"""Lowering distributions: IR ``Dist`` -> a PyMC distribution (registry).

Parameters are aligned by the kind their signature gives them (see
:mod:`ppl.semantics.signatures`): elementwise ones to the variable's dims,
a consumed dim (category, component, matrix twin) last.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
from pymc.distributions.transforms import CholeskyCorrTransform

from ..semantics import ir
from ..semantics.signatures import (CONSUMED, EVENT, MATRIX, MIX_PARAM, STATIC, WEIGHTS,
                                    signature)
from .expr import Env, align, broadcast_full, lower_expr, lower_real
from .mixture import mixture_of, normal_mixture, support_transform

__all__ = ["make_dist", "make_rv", "ordered_transform", "redim_dist", "lowered_params"]


def _param_dims(kind: str, dims, event, consumed) -> tuple:
    if kind in (CONSUMED, WEIGHTS, MIX_PARAM):
        return tuple(dims) + (consumed,)
    if kind == MATRIX:
        batch = tuple(d for d in dims if d not in event)
        return batch + (event[-1], consumed)
    return tuple(dims)


def _static(value, env: Env) -> int:
    return env.size(value.dim) if isinstance(value, ir.SizeOf) else int(value)


def _params(dist: ir.Dist, dims, env: Env) -> dict:
    sig = signature(dist.name)
    out = {}
    for name, expr in dist.params:
        kind = sig.kind(name)
        if kind == STATIC:
            out[name] = _static(expr if isinstance(expr, ir.SizeOf) else int(expr.value), env)
            continue
        want = _param_dims(kind, dims, dist.event, dist.consumed)
        value = (lower_expr if dist.discrete else lower_real)(expr, env)  # see lower_real
        if kind in (MIX_PARAM, EVENT) or dist.name in _MIXTURE_BACKED:
            # a scalar Dirichlet `a` sized the simplex 1 (found by the fuzz); see _MIXTURE_BACKED
            out[name] = broadcast_full(value, expr.dims, want, env)
        else:
            out[name] = align(value, expr.dims, want)
    return out


# PyMC builds these as a `Mixture` of `DiracDelta(0)` and the count distribution, with weights
# `stack([1 - psi, psi])`.  `Mixture.dist` first calls its `rv_op` without a size (to learn `ndim_supp`),
# and that call sizes the mixture from the components' parameters alone: a matrix `psi` with a `mu` of
# shape (1, 1) (a scalar aligned to the variable's dims) made weights (2, 2, 2) be broadcast to
# (1, 1, 2), PyTensor's "Alloc static input type and target shape are incompatible", for any `psi`
# with more elements than the other parameters, whatever the size asked (found by the lowering fuzz,
# ROBUSTNESS.md #34).  Every parameter broadcast to the variable's full shape sizes the components.
_MIXTURE_BACKED = frozenset({"ZeroInflatedPoisson", "ZeroInflatedBinomial", "ZeroInflatedNegativeBinomial"})


def lowered_params(dist: ir.Dist, dims, env: Env) -> dict:
    """A distribution's parameters lowered and aligned to ``dims`` (by kind), by PyMC name."""
    return _params(dist, dims, env)


def make_dist(dist: ir.DistExpr, dims, env: Env):
    """An unnamed PyMC distribution (``.dist``) for mixtures and wrappers."""
    return _DIST_BUILDERS[type(dist)](dist, dims, env, None, {})


def make_rv(name: str, dist: ir.DistExpr, dims, env: Env, **kwargs):
    """A named PyMC random variable in the current model context."""
    return _DIST_BUILDERS[type(dist)](dist, dims, env, name, kwargs)


def _shape(dims, env: Env) -> tuple:
    return tuple(env.size(d) for d in dims)


def _simple(dist: ir.Dist, dims, env: Env, name, kwargs):
    params = _params(dist, dims, env)
    if dist.name in _SPECIAL:
        return _SPECIAL[dist.name](name, params, _shape(dims, env), **_free_transform(dist, name, kwargs))
    cls = getattr(pm, dist.name)
    if name is None:
        return cls.dist(**params, shape=_shape(dims, env))
    extra = _RV_OPTIONS[dist.name](params) if dist.name in _RV_OPTIONS else {}
    return cls(name, **params, dims=dims or None, **(extra | kwargs))


class CholeskyCorr(CholeskyCorrTransform):
    """PyMC's Cholesky-correlation transform under a name without ``_``.

    PyMC 6.4 names LKJCorr's value variable ``L_cholesky_corr__`` and undoes
    that with ``get_untransformed_name``, which drops the last three
    ``_``-separated parts: ``L_cholesky``, not ``L``.  ``pm.sample`` then fails
    computing the log-likelihood (``compute_log_likelihood``: "exact match
    required for all data variable names").  Named ``choleskycorr``, the value
    variable is ``L_choleskycorr__`` -> ``L``; density and Jacobian are PyMC's.
    """

    name = "choleskycorr"


def _lkj_options(params: dict) -> dict:
    return {"default_transform": CholeskyCorr(n=params["n"], upper=False)}


# extra keyword arguments of a named random variable, by distribution
_RV_OPTIONS = {"LKJCorr": _lkj_options}


def _wrapped(dist: ir.Wrapped, dims, env: Env, name, kwargs):
    inner = _simple(dist.inner, dims, env, None, {})
    lower = lower_expr if dist.discrete else lower_real
    bounds = {k: align(lower(b, env), b.dims, tuple(dims))
              for k, b in (("lower", dist.lower), ("upper", dist.upper)) if b is not None}
    cls = getattr(pm, dist.kind)
    if name is None:
        return cls.dist(inner, **bounds, shape=_shape(dims, env))
    return cls(name, inner, **bounds, dims=dims or None, **kwargs)


def _mixture(dist: ir.MixtureOf, dims, env: Env, name, kwargs):
    comps = [(getattr(pm, c.name), _params(c, dims, env)) for c in dist.components]
    w = align(lower_expr(dist.weights, env), dist.weights.dims, tuple(dims) + (dist.component_dim,))
    return mixture_of(name, w, comps, _shape(dims, env), **_free_transform(dist, name, kwargs))


def _free_transform(dist, name, kwargs) -> dict:
    """A mixture declared as a parameter needs its support's transform stated."""
    if name is None or "observed" in kwargs or "transform" in kwargs or dist.discrete:
        return kwargs
    transform = support_transform(dist.support)
    return kwargs if transform is None else {**kwargs, "transform": transform}


_SPECIAL = {"NormalMixture": normal_mixture}  # explicit log-sum-exp marginals (ppl.backend.mixture)
_DIST_BUILDERS = {ir.Dist: _simple, ir.Wrapped: _wrapped, ir.MixtureOf: _mixture}


def ordered_transform(dist: ir.DistExpr):
    """PyMC's ordered transform, passed as ``transform=``: PyMC applies it after the
    distribution's default one (log, logodds, interval).  Chaining the default
    in here too applied it twice, and an ordered Beta or HalfNormal started at
    NaN (found by the lowering fuzz)."""
    from pymc.distributions import transforms as tr

    return tr.ordered


def ordered_initval(dist: ir.DistExpr, shape: tuple) -> np.ndarray:
    """A strictly increasing start inside the support along the last axis."""
    k = shape[-1]
    if dist.support.name == "POSITIVE":
        base = np.arange(1.0, k + 1.0)
    elif dist.support.name == "UNIT":
        base = np.arange(1.0, k + 1.0) / (k + 1.0)
    else:
        base = np.linspace(-1.0, 1.0, k) if k > 1 else np.zeros(1)
    return np.broadcast_to(base, shape).copy()



def redim_dist(dist: ir.DistExpr, renamed: dict) -> ir.DistExpr:
    """``dist`` with the names in ``renamed`` taking new dims (see :mod:`ppl.backend.enumerate`)."""
    from dataclasses import replace

    from .enumerate import with_dims

    if isinstance(dist, ir.Wrapped):
        bounds = {k: None if b is None else with_dims(b, renamed)
                  for k, b in (("lower", dist.lower), ("upper", dist.upper))}
        return replace(dist, inner=redim_dist(dist.inner, renamed), **bounds)
    if isinstance(dist, ir.MixtureOf):
        return replace(dist, weights=with_dims(dist.weights, renamed),
                       components=tuple(redim_dist(c, renamed) for c in dist.components))
    return replace(dist, params=tuple((k, with_dims(v, renamed)) for k, v in dist.params))
