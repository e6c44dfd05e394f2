"""Running calibration replications in batches: one vectorised fit per chunk, in this process.

An engine that can fit many data sets at once has a ``batched`` method:
``engine.batched(pm_model, options) -> fit_batch(datas, seeds)`` returning
one :class:`~.fitters.Fit` (or the exception of a failed replication) per
data set (the VI engine vmaps its whole optimisation over them,
:mod:`ppl.vi.calibrate`).  :func:`run_batched` builds that fitter once and
feeds it chunks of ``chunk`` replications; the last chunk is padded with
copies of its last replication, so every call has the same shapes and the
computation is compiled once.  Chunks bound the memory (every replication's
data, optimiser state and draws are on the device together).

Interrupting (Ctrl-C) keeps the chunks already finished, like the process
pool of :mod:`.parallel`.
"""

from __future__ import annotations

from typing import Sequence

from .parallel import Failure, Job, RunOutcome, Task, _Progress

__all__ = ["run_batched", "supports_batch"]


def supports_batch(engine) -> bool:
    """Whether ``engine`` can fit many replications at once."""
    return callable(getattr(engine, "batched", None))


def _padded(tasks: Sequence[Task], size: int) -> list[Task]:
    return list(tasks) + [tasks[-1]] * (size - len(tasks))


def _outcomes(job: Job, chunk: Sequence[Task], fits) -> list:
    out = []
    for task, fit in zip(chunk, fits):
        if isinstance(fit, BaseException):
            out.append(Failure(task.index, f"{type(fit).__name__}: {fit}"))
            continue
        try:
            out.append(job.outcome(fit, task))
        except Exception as exc:  # noqa: BLE001 - one bad replication must not end the study
            out.append(Failure(task.index, f"{type(exc).__name__}: {exc}"))
    return out


def run_batched(job: Job, tasks: Sequence[Task], *, chunk: int, progress: bool = True,
                description: str = "replications") -> RunOutcome:
    """Fit ``tasks`` ``chunk`` at a time with the engine's batched fitter; keep what finished if interrupted."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if not supports_batch(job.engine):
        raise ValueError("this engine cannot fit replications in batches (it has no `batched` method)")
    size = min(chunk, max(len(tasks), 1))
    results, failures = [], []
    bar = _Progress(len(tasks), description, progress)
    interrupted = False
    try:
        pm_model = job.model.build() if job.model is not None else None
        fit_batch = job.engine.batched(pm_model, job.options)
        for start in range(0, len(tasks), size):
            part = list(tasks[start:start + size])
            padded = _padded(part, size)
            fits = fit_batch([t.data for t in padded], [t.seed for t in padded])[:len(part)]
            for item in _outcomes(job, part, fits):
                (failures if isinstance(item, Failure) else results).append(item)
                bar.advance()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    return RunOutcome(tuple(sorted(results, key=lambda r: r.index)), tuple(sorted(failures, key=lambda f: f.index)),
                      interrupted)
