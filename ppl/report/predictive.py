"""Prior and posterior predictive checks: simulated data sets beside the observed ones.

The simulations use PyMC's forward samplers on the model built from the
real data (so they have the data's shape).  The posterior predictive uses a
thinned subset of the draws: a plot needs tens of data sets, not thousands.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from .model import Figure
from .plots_checks import predictive_plot

__all__ = ["observed_values", "prior_predictive_figure", "posterior_predictive_figure", "N_SETS"]

N_SETS = 100


def observed_values(pm_model) -> dict[str, np.ndarray]:
    """``{observed variable: its data}`` (masked entries as NaN)."""
    out = {}
    for rv in pm_model.observed_RVs:
        value = pm_model.rvs_to_values[rv]
        data = value.get_value() if hasattr(value, "get_value") else getattr(value, "data", None)
        if data is None:
            continue
        arr = np.ma.filled(np.ma.asarray(data).astype(float), np.nan)
        out[rv.name] = arr
    return out


def _quiet(fn, *args, **kwargs):
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    finally:
        logger.setLevel(level)


def _stack(ds, names) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        if name in ds.data_vars:
            arr = np.asarray(ds[name].transpose("chain", "draw", ...).values, dtype=float)
            out[name] = arr.reshape(-1, *arr.shape[2:])
    return out


def prior_predictive_figure(pm_model, key: str, seed: int | None = None, sets: int = N_SETS) -> Figure | None:
    """ECDFs of data simulated from the prior against the observed data (``None`` without observations)."""
    from ..diagnostics.simulate import prior_draws

    observed = observed_values(pm_model)
    if not observed:
        return None
    simulated = _quiet(prior_draws, pm_model, list(observed), sets, seed)
    return predictive_plot(observed, {k: np.asarray(v, dtype=float) for k, v in simulated.items()}, "prior", key)


def _thinned(result, sets: int):
    import xarray as xr

    posterior = result["posterior"].to_dataset()
    total = posterior.sizes["chain"] * posterior.sizes["draw"]
    step = max(1, total // sets // max(posterior.sizes["chain"], 1))
    return xr.DataTree.from_dict({"posterior": posterior.isel(draw=slice(None, None, step))})


def posterior_predictive_figure(pm_model, result, key: str, seed: int | None = None,
                                sets: int = N_SETS) -> Figure | None:
    """ECDFs of data replicated from the posterior against the observed data."""
    import pymc as pm

    observed = observed_values(pm_model)
    if not observed:
        return None
    free = {rv.name for rv in pm_model.free_RVs}
    thinned = _thinned(result, sets)
    keep = [n for n in thinned["posterior"].data_vars if n in free]
    trace = thinned["posterior"].to_dataset()[keep]
    pp = _quiet(pm.sample_posterior_predictive, trace, model=pm_model, var_names=list(observed),
                random_seed=seed, progressbar=False)
    return predictive_plot(observed, _stack(pp["posterior_predictive"].to_dataset(), observed), "posterior", key)
