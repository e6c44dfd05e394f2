"""Helpers for the marginalization tests: brute-force enumeration in NumPy/SciPy.

Everything here is written from the math, independently of ``ppl.backend``:
log densities by their formulas, the sum over a latent's values as an explicit
log-sum-exp over an enumerated axis (or over every joint configuration), and
gradients by complex-step differentiation (Squire and Trapp 1998, "Using
complex variables to estimate derivatives of real functions", SIAM Review
40(1)), which is exact to rounding, unlike finite differences.  The
functions accept complex parameters for that reason.
"""

from __future__ import annotations

import itertools

import numpy as np
import pymc as pm
import pytensor
from pytensor.graph.replace import graph_replace
from scipy.special import gammaln

__all__ = ["lse", "norm_logpdf", "pois_logpmf", "bern_logpmf", "binom_logpmf", "complex_step_grad",
           "likelihood_fn", "joint_enumeration"]

LOG_2PI = np.log(2 * np.pi)


def lse(x, axis=-1):
    """log(sum(exp(x))) along ``axis``, complex-safe; ``-inf`` entries contribute nothing."""
    x = np.asarray(x, dtype=complex)
    dead = np.isneginf(x.real)
    top = np.max(np.where(dead, -np.inf, x.real), axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    terms = np.where(dead, 0.0, np.exp(np.where(dead, 0.0, x - top)))
    total = np.sum(terms, axis=axis)
    with np.errstate(divide="ignore"):
        return np.log(total) + np.squeeze(top, axis=axis)


def norm_logpdf(y, mu, sigma):
    return -0.5 * ((y - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * LOG_2PI


def _xlogy(x, y):
    """x log(y) with 0 log 0 = 0 and x log 0 = -inf for x > 0 (x is data, real)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=complex)
    zero = (y.real == 0) & (y.imag == 0)
    safe = np.where(zero, 1.0, y)
    out = x * np.log(safe)
    return np.where(zero, np.where(x == 0, 0.0, -np.inf), out)


def pois_logpmf(y, mu):
    return _xlogy(y, mu) - mu - gammaln(np.asarray(y, dtype=float) + 1)


def bern_logpmf(y, p):
    return _xlogy(y, p) + _xlogy(1 - np.asarray(y), 1 - p)


def binom_logpmf(y, n, p):
    y, n = np.asarray(y, dtype=float), np.asarray(n, dtype=float)
    inside = (y >= 0) & (y <= n)
    comb = np.where(inside, gammaln(n + 1) - gammaln(np.clip(y, 0, None) + 1) - gammaln(np.clip(n - y, 0, None) + 1),
                    0.0)
    return np.where(inside, comb + _xlogy(y, p) + _xlogy(n - y, 1 - p), -np.inf)


def complex_step_grad(f, params: dict, h: float = 1e-30) -> dict:
    """d f / d params by the complex step: Im f(x + i h e_j) / h, for every element j."""
    grads = {}
    for name, value in params.items():
        value = np.asarray(value, dtype=float)
        g = np.zeros(value.shape)
        for j in np.ndindex(value.shape):
            shifted = {k: np.asarray(v, dtype=complex) for k, v in params.items()}
            bumped = shifted[name].copy()
            bumped[j] += 1j * h
            shifted[name] = bumped
            g[j] = np.imag(f(shifted)) / h
        grads[name] = g
    return grads


def joint_enumeration(values, n: int, log_joint_of_config) -> complex:
    """log sum over every configuration in values^n of exp(log_joint_of_config(config))."""
    terms = [log_joint_of_config(np.array(c)) for c in itertools.product(values, repeat=n)]
    return lse(np.array(terms), axis=0)


def likelihood_fn(pm_model):
    """The model's total log-likelihood (observed variables and potentials) and its gradient,
    as a function of the free variables' *constrained* values, in ``pm_model.free_RVs`` order."""
    total = sum(pm.logp(rv, pm_model.rvs_to_values[rv]).sum() for rv in pm_model.observed_RVs)
    total = total + sum(pot.sum() for pot in pm_model.potentials)
    inputs = {rv: rv.type(name=rv.name) for rv in pm_model.free_RVs}
    data = {rv: pm_model.rvs_to_values[rv] for rv in pm_model.observed_RVs}
    out = graph_replace(total, {**inputs, **data}, strict=False)
    grads = pytensor.grad(out, list(inputs.values()), disconnected_inputs="ignore")
    fn = pytensor.function(list(inputs.values()), [out, *grads], on_unused_input="ignore")
    names = [rv.name for rv in pm_model.free_RVs]

    def evaluate(point: dict):
        value, *g = fn(*[np.asarray(point[n], dtype=float) for n in names])
        return float(value), dict(zip(names, g))

    return evaluate
