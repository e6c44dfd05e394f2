"""Small models with exact posteriors and deliberately wrong "fits", for SBC and VSBC tests.

Module-level functions so that worker processes (spawned, or Dask) can unpickle them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ppl.diagnostics.fitters import Fit

MODELS = Path(__file__).resolve().parents[2] / "models"
N_OBS = 10


def normal_mean_model():
    """mu ~ N(0, 1); y_i ~ N(mu, 1), i = 1..10, with y as pm.Data."""
    import pymc as pm

    with pm.Model() as model:
        y = pm.Data("y_obs", np.zeros(N_OBS))
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu, 1, observed=y)
    return model


def _normal_posterior(y):
    n = y.size
    return y.sum() / (n + 1), (1.0 / (n + 1)) ** 0.5


def exact_normal(pm_model, options, scale=1.0, shift=0.0):
    """Exact posterior draws of ``mu`` (conjugate), optionally with a wrong sd or mean."""
    def fit(data, seed):
        mean, sd = _normal_posterior(np.asarray(data["y"]))
        rng = np.random.default_rng(seed)
        return Fit({"mu": rng.normal(mean + shift * sd, sd * scale, size=(400,))}, chains=1)
    return fit


def overconfident_normal(pm_model, options):
    return exact_normal(pm_model, options, scale=0.6)


def biased_normal(pm_model, options):
    return exact_normal(pm_model, options, shift=0.5)


class Interrupting:
    """A fitter factory whose fit raises KeyboardInterrupt at replication ``at`` (to test partial results)."""

    def __init__(self, at: int):
        self.at = at
        self.calls = 0

    def __call__(self, pm_model, options):
        inner = exact_normal(pm_model, options)

        def fit(data, seed):
            self.calls += 1
            if self.calls > self.at:
                raise KeyboardInterrupt
            return inner(data, seed)
        return fit


def failing_every_third(pm_model, options):
    inner = exact_normal(pm_model, options)
    count = {"n": 0}

    def fit(data, seed):
        count["n"] += 1
        if count["n"] % 3 == 0:
            raise FloatingPointError("deliberate failure")
        return inner(data, seed)
    return fit


def precision_model(n_obs: int = 20):
    """tau ~ Gamma(3, 2) (rate); y_i ~ N(0, 1/sqrt(tau)); posterior Gamma(3 + n/2, 2 + sum(y^2)/2)."""
    import pymc as pm

    with pm.Model() as model:
        y = pm.Data("y_obs", np.zeros(n_obs))
        tau = pm.Gamma("tau", alpha=3, beta=2)
        pm.Normal("y", 0, sigma=1 / pm.math.sqrt(tau), observed=y)
    return model


def exact_precision(pm_model, options, factor=1.0):
    """Exact conjugate posterior draws of ``tau`` (times ``factor``: < 1 shrinks, a biased approximation)."""
    def fit(data, seed):
        y = np.asarray(data["y"])
        rng = np.random.default_rng(seed)
        shape, rate = 3 + y.size / 2, 2 + np.sum(y ** 2) / 2
        return Fit({"tau": factor * rng.gamma(shape, 1 / rate, size=2000)})
    return fit


def shrunk_precision(pm_model, options):
    """A normal approximation of the posterior of tau, shrunk towards zero (like an under-dispersed VI fit)."""
    def fit(data, seed):
        y = np.asarray(data["y"])
        rng = np.random.default_rng(seed)
        shape, rate = 3 + y.size / 2, 2 + np.sum(y ** 2) / 2
        mode = (shape - 1) / rate
        return Fit({"tau": 0.85 * rng.normal(mode, np.sqrt(shape - 1) / rate, size=2000)})
    return fit


def inflated_precision(pm_model, options):
    return exact_precision(pm_model, options, factor=1.25)


class BatchedPrecision:
    """``exact_precision`` with a ``batched`` fitter (a list comprehension): tests the batched runner
    without JAX.  ``calls`` records each batch's size; ``interrupt_at`` raises KeyboardInterrupt on that call."""

    __name__ = "batched-exact"

    def __init__(self, interrupt_at: int | None = None):
        self.calls: list[int] = []
        self.interrupt_at = interrupt_at

    def __call__(self, pm_model, options):
        return exact_precision(pm_model, options)

    def batched(self, pm_model, options):
        one = exact_precision(pm_model, options)

        def fit_batch(datas, seeds):
            if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
                raise KeyboardInterrupt
            self.calls.append(len(datas))
            return [one(d, s) if s % 7 else FloatingPointError("deliberate") for d, s in zip(datas, seeds)]
        return fit_batch
