"""Log densities over a latent's values, with degenerate entries that do not poison gradients.

Summing ``z`` out evaluates each dependent at every value of ``z``.  Written
as ``y ~ Poisson(z * mu)``, the dependent at ``z = 0`` is ``Poisson(0)``: a
point mass, with log density 0 at ``y = 0`` and ``-inf`` elsewhere.  Its
weight in the log-sum-exp is 0 where the data are impossible, but the chain
rule still multiplies it by the derivative of ``y * log(z * mu)`` at
``z * mu = 0``, which is infinite (``0 * inf`` is NaN), and PyMC's formulas
evaluate ``0 * log(0)`` in branches they discard, which automatic
differentiation follows too.  PyTensor's C backend happens to rewrite these
products away; its JAX backend (the numpyro and blackjax engines,
variational inference) does not, and NUTS then diverges on every step.

The guard evaluates such entries apart.  An entry is *degenerate* where a
parameter sits on a value that makes the distribution a point mass (a
probability or a rate of 0, ``Bernoulli``'s ``p = 1``, ...; registry
:data:`DEGENERATE`).  The log density is evaluated twice: with every
parameter replaced by a harmless constant at the degenerate entries (the live
branch, which carries the gradient elsewhere), and with parameters built
from constants only (the boundary values at the degenerate entries), whose
value is taken there.  A point mass does not depend on the other parameters,
and the true derivative at those entries is 0 (a parameter written
``z * mu`` has derivative ``z = 0``), which is what the guard gives.  Both
branches are finite, so neither the ``0 * inf`` nor a compiler that
simplifies ``where(p == 0, 0, p)`` to ``p`` (XLA does) can bring NaN back;
``pytensor.gradient.disconnected_grad`` would not help either, as it is an
identity in the JAX backend.
"""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from ..semantics import ir
from ..semantics.signatures import ELEM, signature
from .distributions import lowered_params

__all__ = ["DEGENERATE", "guarded", "guarded_logp"]

# distribution -> parameter -> the values at which the distribution is a point mass
DEGENERATE: dict[str, dict[str, tuple[float, ...]]] = {
    "Bernoulli": {"p": (0.0, 1.0)},
    "Binomial": {"p": (0.0, 1.0)},
    "Poisson": {"mu": (0.0,)},
    "NegativeBinomial": {"mu": (0.0,), "p": (1.0,)},
    "Geometric": {"p": (1.0,)},
    "ZeroInflatedPoisson": {"psi": (0.0,), "mu": (0.0,)},
    "ZeroInflatedBinomial": {"psi": (0.0,), "p": (0.0,)},
    "ZeroInflatedNegativeBinomial": {"psi": (0.0,), "mu": (0.0,)},
}
_CLASSES = {  # the same distributions' PyMC classes (a fixed table: no name lookup on a module)
    "Bernoulli": pm.Bernoulli, "Binomial": pm.Binomial, "Poisson": pm.Poisson,
    "NegativeBinomial": pm.NegativeBinomial, "Geometric": pm.Geometric,
    "ZeroInflatedPoisson": pm.ZeroInflatedPoisson, "ZeroInflatedBinomial": pm.ZeroInflatedBinomial,
    "ZeroInflatedNegativeBinomial": pm.ZeroInflatedNegativeBinomial,
}
_HARMLESS = {"p": 0.5, "psi": 0.5}  # any value inside the range; 1.0 for rates and shapes


def guarded(dist: ir.DistExpr) -> bool:
    """Whether ``dist`` can be degenerate: a registered discrete distribution with elementwise parameters."""
    if not isinstance(dist, ir.Dist) or dist.event or dist.consumed is not None or dist.name not in DEGENERATE:
        return False
    sig = signature(dist.name)
    return all(sig.kind(name) == ELEM for name, _ in dist.params)


def _degenerate_mask(name: str, params: dict):
    mask = None
    for param, points in DEGENERATE[name].items():
        for point in points:
            if param in params:
                hit = pt.eq(params[param], point)
                mask = hit if mask is None else pt.or_(mask, hit)
    return mask


def _constant_param(dist_name: str, name: str, param, mask):
    """The parameter rebuilt from constants: its degenerate value where it has one, else harmless."""
    if not param.dtype.startswith("float"):
        return param  # integer parameters (a Binomial's n) are data or values, without gradient
    value = pt.as_tensor_variable(_HARMLESS.get(name, 1.0))
    for point in DEGENERATE[dist_name].get(name, ()):
        value = pt.switch(pt.eq(param, point), point, value)
    return pt.switch(mask, value, _HARMLESS.get(name, 1.0))


def _live_param(name: str, param, mask):
    if not param.dtype.startswith("float"):
        return param
    return pt.switch(mask, _HARMLESS.get(name, 1.0), param)


def guarded_logp(dist: ir.Dist, dims_k: tuple, env, value):
    """The log density of ``value`` under ``dist`` over ``dims_k``, degenerate entries evaluated apart."""
    cls = _CLASSES[dist.name]
    shape = tuple(env.size(d) for d in dims_k)
    params = lowered_params(dist, dims_k, env)
    mask = _degenerate_mask(dist.name, params)
    if mask is None:
        return pm.logp(cls.dist(**params, shape=shape), value)
    live = {k: _live_param(k, v, mask) for k, v in params.items()}
    fixed = {k: _constant_param(dist.name, k, v, mask) for k, v in params.items()}
    return pt.switch(mask, pm.logp(cls.dist(**fixed, shape=shape), value),
                     pm.logp(cls.dist(**live, shape=shape), value))
