"""Draws from the prior and data simulated from them, for SBC and VSBC.

``simulate_prior(pm_model, reps, seed)`` compiles the forward sampler once
(``pm.sample_prior_predictive``) and returns ``reps`` parameter draws with a
data set simulated from each, with the shapes of the model's current data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .labels import readonly
from .model_data import observed_shared
from .ordered import restrict_ordered

__all__ = ["Simulation", "simulate_prior", "default_parameters", "prior_draws", "forward_draws"]


@dataclass(frozen=True, eq=False)
class Simulation:
    """``params[name]`` and ``data[name]`` arrays with the replication first."""

    params: dict[str, np.ndarray]
    data: dict[str, np.ndarray]

    @property
    def reps(self) -> int:
        first = next(iter(self.params.values()))
        return int(first.shape[0])

    def replication(self, j: int) -> tuple[dict, dict]:
        return ({k: v[j] for k, v in self.params.items()}, {k: v[j] for k, v in self.data.items()})


def default_parameters(pm_model) -> list[str]:
    """The free random variables and deterministics of a PyMC model (what is calibrated)."""
    names = [rv.name for rv in pm_model.free_RVs] + [d.name for d in pm_model.deterministics]
    return list(dict.fromkeys(names))


def simulate_prior(pm_model, reps: int, seed: int | None = None, parameters=None) -> Simulation:
    """``reps`` prior draws of ``parameters`` (default: all) and observed data simulated from each.

    Variables declared ``ordered`` are drawn from their prior restricted to
    increasing vectors, which is what the model's density says (PyMC's
    forward sampling alone ignores the constraint): see :mod:`.ordered`.
    """
    params = list(parameters or default_parameters(pm_model))
    observed = list(observed_shared(pm_model))
    draws = prior_draws(pm_model, params + observed, reps, seed)
    return Simulation({k: readonly(draws[k]) for k in params}, {k: readonly(draws[k]) for k in observed})


def prior_draws(pm_model, names: list[str], reps: int, seed=None) -> dict[str, np.ndarray]:
    """``{name: array (reps, ...)}`` from the prior (ordered variables restricted), data included."""
    return restrict_ordered(pm_model, functools.partial(forward_draws, pm_model), list(names), reps, seed)


def forward_draws(pm_model, reps: int, seed, names: list[str]) -> dict[str, np.ndarray]:
    """Plain forward draws (``pm.sample_prior_predictive``): ``{name: array (reps, ...)}``."""
    import logging

    import pymc as pm

    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # no "Sampling: [...]" line per study
    try:
        prior = pm.sample_prior_predictive(draws=reps, model=pm_model, random_seed=seed, var_names=names,
                                           return_inferencedata=False)
    finally:
        logger.setLevel(level)
    return {k: np.asarray(prior[k]) for k in names}
