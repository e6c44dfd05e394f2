"""Simulation-based calibration (Talts et al. 2018) of an MCMC engine on a model.

For ``j = 1..M``: draw ``theta_j`` from the prior, simulate data ``y_j`` of
the real data's shape, fit the model to ``y_j``, thin the posterior draws to
about their effective sample size (so that they are nearly independent),
and record the rank of ``theta_j`` among the ``L_j`` thinned draws of every
scalar parameter.  If the engine samples the posterior correctly the ranks
are uniform on ``0..L_j``; the ranks are made continuous
(``u = (r + V) / (L_j + 1)``) and tested with a chi-square test on a rank
histogram and a simultaneous ECDF test (see :mod:`.uniformity`).

The model is compiled once per worker and re-fitted on each data set by
replacing its observed data (:mod:`.model_data`); replications run on a
local process pool or a Dask cluster (:mod:`.parallel`).

References
----------
Talts, S., Betancourt, M., Simpson, D., Vehtari, A., Gelman, A. (2018).
Validating Bayesian inference algorithms with simulation-based calibration.
arXiv:1804.06788.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import thresholds as T
from .batched import run_batched, supports_batch
from .calibration import (calibration_check, flat_draws, flat_truth, make_tasks, model_source, param_labels,
                          rep_seeds, simulate_replications)
from .checks import Check, Verdict
from .fitters import Fit, FitOptions
from .labels import readonly
from .parallel import Failure, Job, Task, run_tasks
from .uniformity import EcdfBand, Histogram, UniformityTest, default_bins, ecdf_band, histogram, uniformity_test

__all__ = ["SBCReplication", "SBCParameter", "SBCResult", "sbc", "sbc_result", "ranks_of", "thin_step"]


@dataclass(frozen=True, eq=False)
class SBCReplication:
    """One replication: rank and continuous rank ``u`` of every scalar, and the thinning."""

    index: int
    seed: int
    ranks: np.ndarray
    u: np.ndarray
    n_thinned: int
    min_ess: float
    n_divergent: int | None


@dataclass(frozen=True)
class SBCParameter:
    """Calibration of one scalar parameter across replications."""

    name: str
    test: UniformityTest
    mean_u: float
    var_u: float
    pattern: str


@dataclass(frozen=True, eq=False)
class SBCResult:
    """Ranks of every replication, their uniformity tests, plot data and the verdict."""

    engine: str
    n_requested: int
    parameters: tuple[SBCParameter, ...]
    ranks: np.ndarray
    u: np.ndarray
    n_thinned: np.ndarray
    n_divergent: np.ndarray
    histograms: tuple[Histogram, ...]
    band: EcdfBand | None
    check: Check
    failures: tuple[Failure, ...]
    interrupted: bool
    notes: tuple[str, ...] = ()
    kind: str = "sbc"

    @property
    def n_completed(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.check,)

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict


# ------------------------------------------------------------ per replication
def thin_step(draws: np.ndarray, chains: int) -> tuple[int, float]:
    """Thinning step that leaves about ESS draws (the smallest bulk ESS over the columns), and that ESS."""
    import arviz_stats as azs

    n, k = draws.shape
    per_chain = n // chains
    arr = draws[: chains * per_chain].reshape(chains, per_chain, k)
    ess = np.asarray(azs.ess(np.moveaxis(arr, -1, 0), chain_axis=-2, draw_axis=-1, method="bulk"), dtype=float)
    min_ess = float(np.nanmin(ess)) if np.isfinite(ess).any() else 1.0
    return max(1, int(n // max(min_ess, 1.0))), min_ess


def ranks_of(truth: np.ndarray, draws: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each ``truth[k]`` among ``draws[:, k]`` and its randomized continuous version."""
    less = np.sum(draws < truth, axis=0)
    ties = np.sum(draws == truth, axis=0)
    u = (less + rng.uniform(size=less.shape) * (ties + 1)) / (draws.shape[0] + 1)
    return less.astype(int), u


def _outcome(names, fit: Fit, task: Task) -> SBCReplication:
    draws = flat_draws(names, fit.draws)
    step, min_ess = thin_step(draws, max(fit.chains, 1))
    per_chain = draws.shape[0] // max(fit.chains, 1)
    thinned = draws[: per_chain * fit.chains].reshape(fit.chains, per_chain, -1)[:, ::step].reshape(-1, draws.shape[1])
    ranks, u = ranks_of(flat_truth(names, task.truth), thinned, np.random.default_rng(task.seed))
    return SBCReplication(task.index, task.seed, ranks, u, int(thinned.shape[0]), min_ess, fit.n_divergent)


# ------------------------------------------------------------ across replications
def _pattern(mean_u: float, var_u: float, flagged: bool) -> str:
    if not flagged:
        return "uniform"
    if abs(mean_u - 0.5) > abs(var_u - 1 / 12) * 6:
        return ("true values sit above the posterior draws: the posterior is biased low" if mean_u > 0.5 else
                "true values sit below the posterior draws: the posterior is biased high")
    return ("U-shaped ranks: the posterior is too narrow (overconfident)" if var_u > 1 / 12 else
            "hump-shaped ranks: the posterior is too wide (underconfident)")


def sbc_result(engine: str, n_requested: int, labels: tuple[str, ...], reps: list[SBCReplication],
               failures, interrupted: bool, notes=()) -> SBCResult:
    """Test the replications' ranks and assemble the result (a pure function of the outcomes)."""
    k = len(labels)
    u = np.array([r.u for r in reps], dtype=float).reshape(len(reps), k)
    ranks = np.array([r.ranks for r in reps], dtype=int).reshape(len(reps), k)
    bins = default_bins(len(reps))
    tests = [uniformity_test(labels[i], u[:, i], bins) for i in range(k)] if len(reps) >= 2 else []
    check = calibration_check("sbc", "Simulation-based calibration (rank uniformity)",
                              {t.name: t.p_min for t in tests}, 2, (T.TALTS_2018, T.SAILYNOJA_2022),
                              "the engine does not sample this model's posterior correctly: check the model's "
                              "parameterization and the sampler settings (more tuning, higher target_accept)")
    n_tests = 2 * max(len(tests), 1)
    flagged = {t.name for t in tests if t.p_min * n_tests < T.CALIBRATION_ALPHA_WARN}
    params = tuple(SBCParameter(t.name, t, float(u[:, i].mean()), float(u[:, i].var()),
                                _pattern(float(u[:, i].mean()), float(u[:, i].var()), t.name in flagged))
                   for i, t in enumerate(tests))
    notes = list(notes)
    if len(reps) < 50:
        notes.append(f"only {len(reps)} replications: the tests have little power (use 100 or more)")
    if failures:
        notes.append(f"{len(failures)} replications failed and are left out (first: {failures[0].error})")
    if interrupted:
        notes.append(f"interrupted: {len(reps)} of {n_requested} replications completed")
    div = np.array([r.n_divergent if r.n_divergent is not None else -1 for r in reps], dtype=int)
    if (div > 0).any():
        notes.append(f"{int((div > 0).sum())} replications had divergent transitions")
    return SBCResult(engine, n_requested, params, readonly(ranks), readonly(u),
                     readonly(np.array([r.n_thinned for r in reps], dtype=int)), readonly(div),
                     tuple(histogram(labels[i], u[:, i], bins) for i in range(k)) if reps else (),
                     ecdf_band(len(reps)) if len(reps) >= 2 else None, check, tuple(failures), interrupted,
                     tuple(notes))


def sbc(model, *, reps: int = 100, engine="nutpie", options: FitOptions = FitOptions(), parameters=None,
        seed: int | None = None, workers: int | None = None, scheduler=None, progress: bool = True,
        fit_model=None, simulate=None, batch: int | None = None) -> SBCResult:
    """Simulation-based calibration of ``engine`` on ``model``.

    Parameters
    ----------
    model : pymc.Model or object with ``build() -> pymc.Model``
        Simulated from (its prior and observed variables) and, unless
        ``fit_model`` is given, fitted.  Observed data must be ``pm.Data``.
    reps : int
        Number of replications ``M``.
    engine : str or callable
        ``"nutpie"``, ``"pymc"``, ``"numpyro"``, ``"blackjax"``, or a factory
        ``(pm_model, options) -> fitter`` (see :mod:`.fitters`).
    parameters : list of str, optional
        Variables to calibrate (default: free random variables and deterministics).
    fit_model : optional
        A different model to fit (to study a misspecified fit).
    simulate : callable, optional
        ``simulate(reps, seed) -> Simulation`` instead of the model's prior.
    workers, scheduler, progress
        See :func:`.parallel.run_tasks`.
    batch : int, optional
        Fit ``batch`` replications per call with the engine's batched fitter
        (``engine.batched``, e.g. :class:`ppl.infer.calibrate.BlackjaxEngine`;
        in this process); default: one replication per call on workers.
    """
    pm_model, source = model_source(model)
    _, fit_source = model_source(fit_model) if fit_model is not None else (None, source)
    sim_seed, seeds = rep_seeds(seed, reps)
    simulation = simulate_replications(pm_model, simulate, reps, sim_seed, parameters)
    names = param_labels(pm_model, simulation.params)
    job = Job(fit_source, engine, options, functools.partial(_outcome, names))
    tasks = make_tasks(simulation, seeds)
    if batch is not None:
        if not supports_batch(engine):
            raise ValueError("batch= needs an engine with a `batched` method (e.g. ppl.infer.calibrate.BlackjaxEngine)")
        run = run_batched(job, tasks, chunk=batch, progress=progress, description="SBC")
    else:
        run = run_tasks(job, tasks, workers=workers, scheduler=scheduler, progress=progress, description="SBC")
    labels = tuple(label for _, ls in names for label in ls)
    engine_name = engine if isinstance(engine, str) else getattr(engine, "__name__", "custom")
    return sbc_result(engine_name, reps, labels, list(run.results), list(run.failures), run.interrupted)
