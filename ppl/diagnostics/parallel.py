"""Running calibration replications: serially, on a local process pool, or on Dask.

A :class:`Job` says how to build the model and its fitter (once per worker)
and how to turn one fit into an outcome; a :class:`Task` is one
replication's simulated data, true parameters and seed.  Workers cache the
built fitter by the job's token (and thread, for threaded Dask workers), so
each worker compiles the model once however many replications it runs.

Interrupting a run (Ctrl-C) keeps the outcomes already collected:
:func:`run_tasks` returns them with ``interrupted=True``.  A replication
whose fit raises is recorded as a failure and the run goes on.

What travels to workers is data: model text and bound arrays
(:class:`~.calibration.PplSource`), or a reference to an importable
function (:class:`~.calibration.BuiltBy`), plus the simulated data of each
replication.  The process pool and Dask move these with Python's standard
serialization between processes of this same run; no model object or code
is ever serialized, and nothing is read back from a file.  A PyMC model
object (:class:`~.calibration.InProcess`) runs in this process.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .fitters import FitOptions, make_fitter

__all__ = ["Job", "Task", "Failure", "RunOutcome", "run_tasks", "run_task", "new_token"]


@dataclass(frozen=True, eq=False)
class Job:
    """What every replication shares: the model source, the engine, and the outcome function."""

    model: Any                      # a calibration.ModelSource (.build() -> pm.Model), or None
    engine: Any                     # engine name or factory(pm_model, options) -> fitter
    options: FitOptions
    outcome: Callable               # outcome(fit, task) -> result object
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True, eq=False)
class Task:
    """One replication."""

    index: int
    seed: int
    data: dict
    truth: dict


@dataclass(frozen=True)
class Failure:
    """A replication whose fit raised."""

    index: int
    error: str


@dataclass(frozen=True, eq=False)
class RunOutcome:
    results: tuple
    failures: tuple[Failure, ...]
    interrupted: bool


def new_token() -> str:
    return uuid.uuid4().hex


# ------------------------------------------------------------ worker side
_STATE: dict = {}
_LOCK = threading.Lock()


def _fitter(job: Job):
    key = (job.token, threading.get_ident())
    with _LOCK:
        if key in _STATE:
            return _STATE[key]
        for old in [k for k in _STATE if k[1] == key[1]]:  # one job per thread at a time: free the old model
            del _STATE[old]
    pm_model = job.model.build() if job.model is not None else None
    fitter = make_fitter(job.engine, pm_model, job.options)
    with _LOCK:
        _STATE[key] = fitter
    return fitter


def run_task(job: Job, task: Task):
    """Fit one replication (in a worker) and return its outcome, or a :class:`Failure`."""
    try:
        fit = _fitter(job)(task.data, task.seed)
        return job.outcome(fit, task)
    except Exception as exc:  # noqa: BLE001 - one failed replication must not end the study
        return Failure(task.index, f"{type(exc).__name__}: {exc}")


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates the pool
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


# ------------------------------------------------------------ parent side
class _Progress:
    def __init__(self, total: int, description: str, enabled: bool):
        self._bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task(description, total=total)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _collect(results, failures, item, progress) -> None:
    (failures if isinstance(item, Failure) else results).append(item)
    progress.advance()


def _serial(job, tasks, progress, results, failures) -> None:
    for task in tasks:
        _collect(results, failures, run_task(job, task), progress)


def _pool(job, tasks, workers, progress, results, failures) -> None:
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_init)
    try:
        for item in pool.imap_unordered(functools.partial(run_task, job), tasks):
            _collect(results, failures, item, progress)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _dask(job, tasks, scheduler, progress, results, failures) -> None:
    from distributed import Client, as_completed

    own = isinstance(scheduler, str)
    client = Client(scheduler) if own else scheduler
    futures = []
    try:
        job_future = client.scatter(job, broadcast=True, hash=False)
        futures = [client.submit(run_task, job_future, t, pure=False) for t in tasks]
        for fut in as_completed(futures):
            _collect(results, failures, fut.result(), progress)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if own:
            client.close()


def _placement(job: Job, workers, scheduler):
    """Jobs whose model exists only in this process run here (nothing is pickled to workers)."""
    if not getattr(job.model, "in_process_only", False):
        return workers, scheduler
    if scheduler is not None:
        raise ValueError("a PyMC model object cannot be sent to Dask workers: pass "
                         "ppl.diagnostics.calibration.BuiltBy(<module-level function>) or a ppl model")
    if workers not in (None, 1):
        warnings.warn("a PyMC model object runs its replications in this process; pass "
                      "BuiltBy(<module-level function>) or a ppl model to use worker processes", stacklevel=3)
    return 1, None


def run_tasks(job: Job, tasks: Sequence[Task], *, workers: int | None = None, scheduler=None,
              progress: bool = True, description: str = "replications") -> RunOutcome:
    """Run every task; keep what finished if interrupted.

    Parameters
    ----------
    workers : int, optional
        Size of the local process pool (default: the number of CPUs, at most
        the number of tasks); 1 runs in this process.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client; replaces
        the local pool.
    """
    workers, scheduler = _placement(job, workers, scheduler)
    results, failures = [], []
    bar = _Progress(len(tasks), description, progress)
    interrupted = False
    try:
        if scheduler is not None:
            _dask(job, tasks, scheduler, bar, results, failures)
        else:
            n = min(workers or os.cpu_count() or 1, max(len(tasks), 1))
            (_serial(job, tasks, bar, results, failures) if n <= 1 else
             _pool(job, tasks, n, bar, results, failures))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    order = sorted(results, key=lambda r: r.index)
    return RunOutcome(tuple(order), tuple(sorted(failures, key=lambda f: f.index)), interrupted)
