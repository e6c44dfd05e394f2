"""Draws from the prior and data simulated from them, for SBC and VSBC.

``simulate_prior(pm_model, reps, seed)`` compiles the forward sampler once
(``pm.sample_prior_predictive``) and returns ``reps`` parameter draws with a
data set simulated from each, with the shapes of the model's current data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .labels import readonly
from .model_data import observed_shared

__all__ = ["Simulation", "simulate_prior", "default_parameters"]


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


def _stacked(ds, names) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        da = ds[name]
        arr = np.asarray(da.transpose("chain", "draw", ...).values)
        out[name] = readonly(arr.reshape(-1, *arr.shape[2:]))
    return out


def simulate_prior(pm_model, reps: int, seed: int | None = None, parameters=None) -> Simulation:
    """``reps`` prior draws of ``parameters`` (default: all) and observed data simulated from each."""
    import logging

    import pymc as pm

    params = list(parameters or default_parameters(pm_model))
    observed = list(observed_shared(pm_model))
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # no "Sampling: [...]" line per study
    try:
        prior = pm.sample_prior_predictive(draws=reps, model=pm_model, random_seed=seed,
                                           var_names=params + observed)
    finally:
        logger.setLevel(level)
    return Simulation(_stacked(prior["prior"].to_dataset(), params),
                      _stacked(prior["prior_predictive"].to_dataset(), observed))
