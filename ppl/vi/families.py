"""Gaussian approximating families on the unconstrained space.

ADVI (Kucukelbir, Tran, Ranganath, Gelman & Blei 2017, "Automatic
Differentiation Variational Inference", JMLR 18(14)) fits q(z) = N(mu, Sigma)
to the posterior of the unconstrained parameters z: mean-field with a
diagonal Sigma (log standard deviations are the free parameters) or
full-rank with Sigma = L L^T (L lower triangular, log of its diagonal free).

Each family is a set of pure JAX functions of a parameter pytree (a dict of
arrays), so that fits are vmappable over data sets.  The registry
:data:`FAMILIES` maps a method name to its family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

__all__ = ["Family", "MEAN_FIELD", "FULL_RANK", "FAMILIES"]

_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Family:
    """One approximating family: ``init``, ``sample`` (reparameterised),
    ``log_q``, ``entropy``, ``mean``, ``log_sd`` (of each marginal) and ``cov``."""

    name: str
    init: Callable      # (mu0: (d,), scale: float) -> params
    transform: Callable  # (params, eps: (..., d)) -> z
    log_q: Callable      # (params, z: (d,)) -> scalar
    entropy: Callable    # params -> scalar
    mean: Callable       # params -> (d,)
    log_sd: Callable     # params -> (d,)
    cov: Callable        # params -> (d, d)


# ---------------------------------------------------------------- mean-field
def _mf_init(mu0, scale):
    import jax.numpy as jnp

    mu0 = jnp.asarray(mu0, dtype=jnp.float64)
    return {"mu": mu0, "log_sd": jnp.full_like(mu0, jnp.log(scale))}


def _mf_transform(params, eps):
    import jax.numpy as jnp

    return params["mu"] + jnp.exp(params["log_sd"]) * eps


def _mf_log_q(params, z):
    import jax.numpy as jnp

    u = (z - params["mu"]) * jnp.exp(-params["log_sd"])
    return jnp.sum(-0.5 * u**2 - params["log_sd"]) - 0.5 * z.shape[-1] * _LOG_2PI


def _mf_entropy(params):
    import jax.numpy as jnp

    d = params["mu"].shape[-1]
    return jnp.sum(params["log_sd"]) + 0.5 * d * (1.0 + _LOG_2PI)


def _mf_cov(params):
    import jax.numpy as jnp

    return jnp.diag(jnp.exp(2 * params["log_sd"]))


MEAN_FIELD = Family("advi", _mf_init, _mf_transform, _mf_log_q, _mf_entropy,
                    mean=lambda p: p["mu"], log_sd=lambda p: p["log_sd"], cov=_mf_cov)


# ----------------------------------------------------------------- full-rank
def _chol(params):
    """L: strictly lower part from ``off`` (row-major), diagonal ``exp(log_diag)``."""
    import jax.numpy as jnp

    d = params["mu"].shape[-1]
    rows, cols = jnp.tril_indices(d, -1)
    L = jnp.zeros((d, d), dtype=params["mu"].dtype).at[rows, cols].set(params["off"])
    return L + jnp.diag(jnp.exp(params["log_diag"]))


def _fr_init(mu0, scale):
    import jax.numpy as jnp

    mu0 = jnp.asarray(mu0, dtype=jnp.float64)
    d = mu0.shape[0]
    return {"mu": mu0, "off": jnp.zeros(d * (d - 1) // 2, dtype=mu0.dtype),
            "log_diag": jnp.full_like(mu0, jnp.log(scale))}


def _fr_transform(params, eps):
    return params["mu"] + eps @ _chol(params).T


def _fr_log_q(params, z):
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    u = solve_triangular(_chol(params), z - params["mu"], lower=True)
    return -0.5 * jnp.sum(u**2) - jnp.sum(params["log_diag"]) - 0.5 * z.shape[-1] * _LOG_2PI


def _fr_entropy(params):
    import jax.numpy as jnp

    d = params["mu"].shape[-1]
    return jnp.sum(params["log_diag"]) + 0.5 * d * (1.0 + _LOG_2PI)


def _fr_log_sd(params):
    import jax.numpy as jnp

    return 0.5 * jnp.log(jnp.sum(_chol(params) ** 2, axis=1))


def _fr_cov(params):
    L = _chol(params)
    return L @ L.T


FULL_RANK = Family("fullrank", _fr_init, _fr_transform, _fr_log_q, _fr_entropy,
                   mean=lambda p: p["mu"], log_sd=_fr_log_sd, cov=_fr_cov)

FAMILIES: dict[str, Family] = {"advi": MEAN_FIELD, "fullrank": FULL_RANK}
