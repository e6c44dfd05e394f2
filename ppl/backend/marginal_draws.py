"""Forward draws from a summed-out model's observed variable.

The carrier's log density is the marginal over the latent's values, which is
enough to fit the model, but prior and posterior predictive checks and
simulation-based calibration also draw the observed variable.  Its marginal
distribution is drawn the way it is defined: the latent's position ``k``
from its prior (``softmax_k log P(z = v_k)``), then the variable from its
distribution with the parameters it has at ``z = v_k``.  This is the ``dist``
of the carrier's ``pm.CustomDist``; its log density stays the log-sum-exp.

Supported for univariate distributions whose parameters are elementwise
(``Normal``, ``Poisson``, ``Bernoulli``, ``Binomial``, ...), which is how a
latent's dependents are written; for others (and for observed dependents
other than the carrier, whose draws would need the same latent draw) the
variable has no forward draws, and asking for them is PyMC's "random not
implemented" error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pymc as pm
import pytensor.tensor as pt

from ..semantics import ir
from ..semantics.signatures import ELEM, signature
from .distributions import lowered_params
from .expr import broadcast_full

__all__ = ["ForwardDraws", "forward_draws"]


@dataclass
class ForwardDraws:
    """Extra parameters of the carrier (the log prior, then each distribution parameter per value,
    all over the latent's dims, the carrier's other dims and the values) and its ``dist`` function."""

    params: list
    dist: Callable


def _drawable(dist: ir.DistExpr) -> bool:
    if not isinstance(dist, ir.Dist) or dist.event or dist.consumed is not None:
        return False
    sig = signature(dist.name)
    return sig.family in ("continuous", "discrete") and all(sig.kind(name) == ELEM for name, _ in dist.params)


def forward_draws(lm, dist_k: ir.DistExpr, dims_k: tuple, own_dims: tuple) -> ForwardDraws | None:
    """The forward draws of a carrier whose distribution, over the values, is ``dist_k`` on ``dims_k``."""
    if not _drawable(dist_k):
        return None
    params = lowered_params(dist_k, dims_k, lm.env)
    names = list(params)
    per_value = [broadcast_full(params[n], dims_k, own_dims, lm.env) for n in names]
    log_prior = broadcast_full(lm.log_prior, lm.full, lm.full, lm.env)
    n_extra = len(own_dims) - len(lm.full)
    return ForwardDraws([log_prior] + per_value, _draw_fn(getattr(pm, dist_k.name), names, n_extra))


def _at(param, position):
    """``param[..., position]`` along the last (value) axis, position broadcast over the rest."""
    index = pt.broadcast_to(pt.shape_padright(position), tuple(param.shape[:-1]) + (1,))
    return pt.take_along_axis(param, index, axis=-1)[..., 0]


def _draw_fn(cls, names: list[str], n_extra: int):
    def dist(rest, own, log_prior, *params_and_size):
        *params, _size = params_and_size
        position = pm.Categorical.dist(logit_p=log_prior)
        for _ in range(n_extra):
            position = pt.shape_padright(position)
        return cls.dist(**{n: _at(p, position) for n, p in zip(names, params)})
    return dist
