"""Variational simulation-based calibration, VSBC (Yao et al. 2018).

For ``j = 1..M``: draw ``theta_j`` from the prior, simulate data ``y_j``, fit
the approximation ``q_j`` to ``y_j`` and compute, for every scalar
parameter ``i``, ``p_ij = P_{q_j}(theta_i < theta_ij)`` from the draws of
``q_j``.  For an exact posterior the ``p_ij`` are uniform; for an
approximation they need not be, but an *unbiased* one keeps them symmetric
about 0.5.  Symmetry is tested with the two-sample Kolmogorov-Smirnov statistic of
``p_i`` against ``1 - p_i``, its p-value calibrated by random reflections
(see :func:`symmetry_test`); the direction of an asymmetry is the direction
of the bias (mostly ``p`` near 1: the true values sit above the draws, so
``q`` underestimates the parameter).

Generic over the fit: ``engine`` is any factory ``(pm_model, options) ->
fitter`` with ``fitter(data, seed) -> Fit`` (see :mod:`.fitters`), so the
same code calibrates ADVI, full-rank ADVI, a Laplace approximation or MCMC.
An engine that can fit many data sets at once (``engine.batched``, e.g.
:class:`ppl.vi.calibrate.VIEngine`) runs ``batch`` replications per call
in this process (:mod:`.batched`); otherwise replications run one by one on
workers (:mod:`.parallel`).  Both give the same ``p`` for the same seed.

References
----------
Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Yes, but did it work?:
Evaluating variational inference. ICML, PMLR 80, 5581-5590.
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
from .uniformity import Histogram, default_bins, histogram

SIGN_FLIPS = 2000  # reflections for the symmetry test's p-value (resolution 1 / SIGN_FLIPS)

__all__ = ["SIGN_FLIPS", "VSBCReplication", "VSBCParameter", "VSBCResult", "vsbc", "vsbc_result", "symmetry_test"]


@dataclass(frozen=True, eq=False)
class VSBCReplication:
    index: int
    seed: int
    p: np.ndarray
    stop_reason: str | None = None   # of an optimisation: converged / max_steps
    steps: int | None = None


@dataclass(frozen=True)
class VSBCParameter:
    """Symmetry test of one scalar's ``p`` values and the direction of its bias."""

    name: str
    ks_statistic: float
    p_value: float
    ks_pvalue_naive: float
    mean_p: float
    direction: str  # "under" (q underestimates), "over", or "none"


@dataclass(frozen=True, eq=False)
class VSBCResult:
    """The ``p_ij`` of every replication, the symmetry tests, histograms and the verdict."""

    method: str
    n_requested: int
    parameters: tuple[VSBCParameter, ...]
    p: np.ndarray
    histograms: tuple[Histogram, ...]
    check: Check
    failures: tuple[Failure, ...]
    interrupted: bool
    notes: tuple[str, ...] = ()
    stop_reasons: tuple[str, ...] = ()   # per completed replication, for optimisations
    steps: tuple[int, ...] = ()
    kind: str = "vsbc"

    @property
    def n_completed(self) -> int:
        return int(self.p.shape[0])

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.check,)

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict


def _outcome(names, fit: Fit, task: Task) -> VSBCReplication:
    draws = flat_draws(names, fit.draws)
    p = np.mean(draws < flat_truth(names, task.truth), axis=0)
    return VSBCReplication(task.index, task.seed, p, fit.stop_reason, fit.steps)


def _ks_mirror(p: np.ndarray) -> float:
    """Two-sample KS statistic of ``p`` against ``1 - p``."""
    a, b = np.sort(p), np.sort(1.0 - p)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") - np.searchsorted(b, grid, side="right")))
                 / p.size)


def _sign_flip_pvalue(p: np.ndarray, observed: float, n_flips: int, seed: int) -> float:
    """P-value of the KS statistic under symmetry about 0.5: reflect each ``p_j`` with probability 1/2."""
    rng = np.random.default_rng(seed)
    flips = rng.uniform(size=(n_flips, p.size)) < 0.5
    null = np.array([_ks_mirror(np.where(f, 1.0 - p, p)) for f in flips])
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_flips))


def symmetry_test(name: str, p: np.ndarray, alpha: float = T.CALIBRATION_ALPHA_WARN,
                  n_flips: int = SIGN_FLIPS) -> VSBCParameter:
    """KS statistic of ``p`` against ``1 - p``, its p-value under symmetry, and the bias direction.

    Yao et al. (2018) read the p-value of a two-sample KS test, but ``p`` and
    ``1 - p`` are not independent samples and that p-value is anti-conservative
    (about 10% rejections at the 5% level for exact posteriors).  The p-value
    here is exact under the null of symmetry about 0.5: the KS statistic over
    random reflections ``p_j -> 1 - p_j``.  The two-sample KS p-value is kept
    as ``ks_pvalue_naive`` for comparison with the paper.
    """
    from scipy import stats

    p = np.asarray(p, dtype=float)
    stat = _ks_mirror(p)
    pvalue = _sign_flip_pvalue(p, stat, n_flips, seed=p.size)
    mean_p = float(p.mean())
    direction = "none"
    if pvalue < alpha:
        direction = "under" if mean_p > 0.5 else "over"
    return VSBCParameter(name, stat, pvalue, float(stats.ks_2samp(p, 1.0 - p).pvalue), mean_p, direction)


def _direction_text(param: VSBCParameter) -> str:
    return {"under": "underestimated", "over": "overestimated"}.get(param.direction, "")


def _convergence_note(reps: list[VSBCReplication]) -> list[str]:
    reasons = [r.stop_reason for r in reps if r.stop_reason is not None]
    capped = [r for r in reps if r.stop_reason == "max_steps"]
    if not reasons or not capped:
        return []
    return [f"{len(capped)} of {len(reasons)} fits stopped at the step limit ({max(r.steps or 0 for r in capped)} "
            "steps) before their convergence check passed; their p values are included"]


def vsbc_result(method: str, n_requested: int, labels, reps: list[VSBCReplication], failures,
                interrupted: bool) -> VSBCResult:
    """Test the replications' ``p`` values and assemble the result (a pure function of the outcomes)."""
    k = len(labels)
    p = np.array([r.p for r in reps], dtype=float).reshape(len(reps), k)
    n_tests = max(k, 1)
    params = tuple(symmetry_test(labels[i], p[:, i], T.CALIBRATION_ALPHA_WARN / n_tests) for i in range(k)) \
        if len(reps) >= 2 else ()
    check = calibration_check("vsbc", "VSBC symmetry of P_q(theta < theta_true)",
                              {q.name: q.p_value for q in params}, 1, (T.YAO_2018_VI,),
                              "the variational approximation is biased for the flagged parameters: try full-rank "
                              "ADVI, reparameterize, or use NUTS")
    biased = [f"{q.name} is {_direction_text(q)} by q" for q in params if q.direction != "none"]
    notes = biased + _convergence_note(reps)
    if len(reps) < 50:
        notes.append(f"only {len(reps)} replications: the KS test has little power (use 100 or more)")
    if failures:
        notes.append(f"{len(failures)} replications failed and are left out (first: {failures[0].error})")
    if interrupted:
        notes.append(f"interrupted: {len(reps)} of {n_requested} replications completed")
    bins = default_bins(len(reps))
    hists = tuple(histogram(labels[i], p[:, i], bins) for i in range(k)) if reps else ()
    reasons = tuple(r.stop_reason for r in reps) if any(r.stop_reason for r in reps) else ()
    steps = tuple(int(r.steps) for r in reps) if reasons and all(r.steps is not None for r in reps) else ()
    return VSBCResult(method, n_requested, params, readonly(p), hists, check, tuple(failures), interrupted,
                      tuple(notes), reasons, steps)


def vsbc(model=None, *, engine, reps: int = 100, options: FitOptions = FitOptions(), parameters=None,
         seed: int | None = None, workers: int | None = None, scheduler=None, progress: bool = True,
         simulate=None, method: str | None = None, batch: int | None = None) -> VSBCResult:
    """VSBC of the approximation that ``engine`` fits to ``model``.

    Parameters
    ----------
    model : pymc.Model or object with ``build() -> pymc.Model``, optional
        Simulated from (unless ``simulate`` is given) and passed to ``engine``
        in each worker.
    engine : callable or str
        Factory ``(pm_model, options) -> fitter``; ``fitter(data, seed)``
        returns a :class:`~.fitters.Fit` with draws from ``q``.
    simulate : callable, optional
        ``simulate(reps, seed) -> Simulation`` (parameters and data with the
        replication first) instead of the model's prior.
    method : str, optional
        Name of the approximation in the result (default: the engine's name).
    batch : int, optional
        Fit ``batch`` replications per call with the engine's batched fitter
        (``engine.batched``; in this process, ``workers`` and ``scheduler``
        unused); default: one replication per call on workers.
    """
    pm_model, source = model_source(model)
    sim_seed, seeds = rep_seeds(seed, reps)
    simulation = simulate_replications(pm_model, simulate, reps, sim_seed, parameters)
    names = param_labels(pm_model, simulation.params)
    job = Job(source, engine, options, functools.partial(_outcome, names))
    tasks = make_tasks(simulation, seeds)
    if batch is not None:
        if not supports_batch(engine):
            raise ValueError("batch= needs an engine with a `batched` method (e.g. ppl.vi.calibrate.VIEngine)")
        run = run_batched(job, tasks, chunk=batch, progress=progress, description="VSBC")
    else:
        run = run_tasks(job, tasks, workers=workers, scheduler=scheduler, progress=progress, description="VSBC")
    labels = tuple(label for _, ls in names for label in ls)
    name = method or (engine if isinstance(engine, str) else getattr(engine, "__name__", "custom"))
    return vsbc_result(name, reps, labels, list(run.results), list(run.failures), run.interrupted)
