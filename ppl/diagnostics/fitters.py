"""Compile-once fitters: ``make_fitter(engine, pm_model, options)(data, seed) -> Fit``.

A fitter is built once per worker from one PyMC model and then re-fits it
on each simulated data set:

* ``nutpie``: ``nutpie.compile_pymc_model`` once; each fit swaps the
  observed data with ``CompiledModel.with_data`` (no recompilation).
* ``pymc``: the NUTS step (the compiled log density and its gradient) is
  built once; each fit sets the observed shared variables and calls
  ``pm.sample`` with that step (PyMC still builds its small trace and
  initial-point functions per call).
* ``numpyro`` / ``blackjax``: ``pm.sample(nuts_sampler=...)`` per fit, which
  re-JITs each time: correct but slow; prefer nutpie for calibration.

Any other engine is a callable ``factory(pm_model, options) -> fitter``
(e.g. a variational fit); a fitter returns a :class:`Fit`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .model_data import observed_shared, set_observed

__all__ = ["Fit", "FitOptions", "make_fitter", "FITTERS", "fit_from_tree"]


@dataclass(frozen=True, eq=False)
class Fit:
    """Posterior draws of one fit: ``draws[name]`` is ``(chains * draws, ...)``, chain-major.

    An optimisation (VI) also says why it stopped (``stop_reason``:
    ``converged`` or ``max_steps``) after how many ``steps``.
    """

    draws: Mapping[str, np.ndarray]
    chains: int = 1
    n_divergent: int | None = None
    stop_reason: str | None = None
    steps: int | None = None


@dataclass(frozen=True)
class FitOptions:
    """Sampler settings of each replication's fit."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    target_accept: float | None = None
    extra: dict = field(default_factory=dict)


def fit_from_tree(tree, names=None) -> Fit:
    """A :class:`Fit` from a DataTree with a ``posterior`` (and maybe ``sample_stats``) group."""
    post = tree["posterior"].to_dataset()
    chains = int(post.sizes.get("chain", 1))
    draws = {}
    for name in names or post.data_vars:
        arr = np.asarray(post[name].transpose("chain", "draw", ...).values)
        draws[str(name)] = arr.reshape(-1, *arr.shape[2:])
    n_div = None
    if "sample_stats" in tree.children and "diverging" in tree["sample_stats"].data_vars:
        n_div = int(np.asarray(tree["sample_stats"]["diverging"].values).sum())
    return Fit(draws, chains, n_div)


def _nutpie(pm_model, options: FitOptions):
    import nutpie

    compiled = nutpie.compile_pymc_model(pm_model)
    shared = {rv: var.name for rv, var in observed_shared(pm_model).items()}
    kwargs = dict(options.extra)
    if options.target_accept is not None:
        kwargs["target_accept"] = options.target_accept

    def fit(data: Mapping[str, np.ndarray], seed: int) -> Fit:
        model = compiled.with_data(**{shared[k]: v for k, v in data.items()})
        tree = nutpie.sample(model, draws=options.draws, tune=options.tune, chains=options.chains, cores=1,
                             seed=int(seed), progress_bar=False, save_warmup=False, **kwargs)
        return fit_from_tree(tree)

    return fit


def _quiet_sample(**kwargs):
    import logging

    import pymc as pm

    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pm.sample(**kwargs)
    finally:
        logger.setLevel(level)


def _pymc(pm_model, options: FitOptions):
    import pymc as pm

    step_kwargs = {} if options.target_accept is None else {"target_accept": options.target_accept}
    with pm_model:
        step = pm.NUTS(**step_kwargs)

    def fit(data: Mapping[str, np.ndarray], seed: int) -> Fit:
        set_observed(pm_model, data)
        tree = _quiet_sample(draws=options.draws, tune=options.tune, chains=options.chains, cores=1, step=step,
                             random_seed=int(seed), progressbar=False, compute_convergence_checks=False,
                             model=pm_model, **options.extra)
        return fit_from_tree(tree)

    return fit


def _pm_sample_engine(engine: str):
    def factory(pm_model, options: FitOptions):
        def fit(data: Mapping[str, np.ndarray], seed: int) -> Fit:
            set_observed(pm_model, data)
            kwargs = dict(options.extra)
            if options.target_accept is not None:
                kwargs["target_accept"] = options.target_accept
            tree = _quiet_sample(draws=options.draws, tune=options.tune, chains=options.chains, cores=1,
                                 nuts_sampler=engine, random_seed=int(seed), progressbar=False,
                                 compute_convergence_checks=False, model=pm_model, **kwargs)
            return fit_from_tree(tree)

        return fit

    return factory


FITTERS: dict[str, Callable] = {
    "nutpie": _nutpie,
    "pymc": _pymc,
    "numpyro": _pm_sample_engine("numpyro"),
    "blackjax": _pm_sample_engine("blackjax"),
}


def make_fitter(engine, pm_model, options: FitOptions):
    """The fitter of ``engine`` (a name in :data:`FITTERS`, or a factory callable) for ``pm_model``."""
    if callable(engine):
        return engine(pm_model, options)
    if engine not in FITTERS:
        raise KeyError(f"unknown engine `{engine}`; engines: {', '.join(FITTERS)}")
    return FITTERS[engine](pm_model, options)
