"""Many gradient estimates at fixed parameters: the variance of an estimator, measured.

``gradient_samples(engine, params, estimator, n, key)`` returns ``n``
independent single-draw estimates of the ELBO's gradient (one flat vector per
estimate, over every parameter of q) at ``params``.  For the score-function
estimator with a baseline, the baseline is the ELBO at ``params`` estimated
from ``BASELINE_DRAWS`` independent draws (what the running mean of a fit
tends to at fixed parameters); without it, zero.  Both estimators are unbiased
(tested), so their per-parameter variances compare directly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradient_samples", "elbo_estimate", "BASELINE_DRAWS"]

BASELINE_DRAWS = 4000
_CHUNK = 500


def _flat(tree):
    import jax
    import jax.numpy as jnp

    return jnp.concatenate([jnp.ravel(x) for x in jax.tree.leaves(tree)])


def elbo_estimate(engine, params, key, n: int = BASELINE_DRAWS) -> float:
    """The mean of ``n`` single-draw ELBO estimates at ``params`` (all rows)."""
    import jax

    from .train import make_loss

    loss = make_loss(engine, "reparam", 1)
    data = tuple(jax.numpy.asarray(x) for x in engine.data)
    fn = jax.jit(jax.vmap(lambda k: loss(params, k, data, 0.0)[1]))
    return float(np.mean(np.concatenate([np.asarray(fn(k)) for k in jax.random.split(key, n // _CHUNK)
                                         for k in [jax.random.split(k, _CHUNK)]])))


def gradient_samples(engine, params, estimator: str, n: int, key, baseline: bool = True) -> np.ndarray:
    """``(n, n_params)``: independent estimates of the ELBO gradient at ``params`` (leaves in pytree order)."""
    import jax

    from .train import make_loss

    params = jax.tree.map(jax.numpy.asarray, params)
    data = tuple(jax.numpy.asarray(x) for x in engine.data)
    k_base, k_grad = jax.random.split(key)
    b = elbo_estimate(engine, params, k_base) if (estimator == "score" and baseline) else 0.0
    grad = jax.grad(lambda p, k: make_loss(engine, estimator, 1)(p, k, data, b)[0])
    fn = jax.jit(jax.vmap(lambda k: -_flat(grad(params, k))))
    keys = jax.random.split(k_grad, n)
    return np.concatenate([np.asarray(fn(keys[i:i + _CHUNK])) for i in range(0, n, _CHUNK)])
