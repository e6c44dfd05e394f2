"""What SBC and VSBC share: model sources, simulated replications, scalar labels, the verdict.

Both draw ``reps`` parameter sets from the prior with data simulated from
each (compiled once, in the parent), fit every data set with one compiled
model per worker (:mod:`.parallel`), reduce each fit to a few numbers per
scalar parameter (in the worker), and test those numbers across
replications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import thresholds as T
from .checks import Check, Verdict
from .parallel import Task
from .simulate import Simulation, simulate_prior

__all__ = ["ModelSource", "PplSource", "BuiltBy", "InProcess", "model_source", "param_labels", "make_tasks", "flat_truth", "flat_draws",
           "calibration_check", "rep_seeds", "simulate_replications"]


class ModelSource:
    """Anything with ``build() -> pm.Model`` that workers can receive (see :class:`PplSource`)."""

    def build(self):  # pragma: no cover - protocol
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class PplSource(ModelSource):
    """A ppl model's text and its bound data: each worker parses, checks and lowers it once.

    Workers get plain text and arrays, never a pickled model or code: the
    worker side runs the same parse, check and lowering as a ``ppl`` command.
    """

    text: str
    name: str
    marginalize: bool
    bound: object       # ppl.data.BoundData: arrays, sizes, coords and levels

    @classmethod
    def of(cls, model, bound) -> "PplSource":
        """The source of a :class:`ppl.Model` bound to ``bound``."""
        return cls(model.source.text, model.source.name, model.ir.marginalize, bound)

    def build(self):
        from ..driver import build, compile_source
        from ..errors import SourceFile
        from ..semantics.checker import CheckOptions

        ir_model = compile_source(SourceFile(self.name, self.text), CheckOptions(self.marginalize))
        return build(ir_model, self.bound).pm_model


@dataclass(frozen=True)
class BuiltBy(ModelSource):
    """A PyMC model made by an importable module-level function; each worker imports and calls it."""

    function: Callable

    def build(self):
        return self.function()


@dataclass(frozen=True, eq=False)
class InProcess(ModelSource):
    """A PyMC model object: it cannot be sent to workers, so its replications run in this process."""

    pm_model: object
    in_process_only = True

    def build(self):
        return self.pm_model


def model_source(model):
    """``(pm_model, source)``: the model to simulate from here, and how workers build their copy.

    A PyMC model object is never serialized to workers (no pickle of models
    or code): it runs in this process (:class:`InProcess`); pass
    :class:`BuiltBy` or a :class:`PplSource` to spread the work.
    """
    if model is None:
        return None, None
    if hasattr(model, "build") and not hasattr(model, "free_RVs"):
        return model.build(), model
    return model, InProcess(model)


def _dim_values(pm_model, name: str, shape: tuple[int, ...]):
    dims = (pm_model.named_vars_to_dims.get(name) if pm_model is not None else None) or ()
    values = []
    for k, size in enumerate(shape):
        coords = pm_model.coords.get(dims[k]) if k < len(dims) and pm_model is not None else None
        values.append(list(coords) if coords is not None and len(coords) == size else list(range(size)))
    return values


def param_labels(pm_model, params: dict[str, np.ndarray]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``((name, labels of its scalars in C order), ...)`` using the model's coords where known."""
    out = []
    for name, arr in params.items():
        shape = tuple(arr.shape[1:])
        if not shape:
            out.append((name, (name,)))
            continue
        values = _dim_values(pm_model, name, shape)
        labels = tuple(f"{name}[{', '.join(str(values[k][i]) for k, i in enumerate(idx))}]"
                       for idx in np.ndindex(*shape))
        out.append((name, labels))
    return tuple(out)


def rep_seeds(seed: int | None, reps: int) -> tuple[int, np.ndarray]:
    """A simulation seed and one fit seed per replication, all from ``seed``."""
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, size=reps + 1)
    return int(seeds[0]), seeds[1:]


def make_tasks(simulation: Simulation, seeds) -> list[Task]:
    tasks = []
    for j in range(simulation.reps):
        truth, data = simulation.replication(j)
        tasks.append(Task(j, int(seeds[j]), data, truth))
    return tasks


def flat_truth(names, truth: dict) -> np.ndarray:
    return np.concatenate([np.asarray(truth[n], dtype=float).reshape(-1) for n, _ in names])


def flat_draws(names, draws: dict) -> np.ndarray:
    """``(S, k)``: the draws of every scalar parameter, in the order of ``names``."""
    blocks = []
    for name, _ in names:
        arr = np.asarray(draws[name], dtype=float)
        blocks.append(arr.reshape(arr.shape[0], -1))
    return np.concatenate(blocks, axis=1)


def simulate_replications(pm_model, simulate_fn: Callable | None, reps: int, seed: int, parameters) -> Simulation:
    if simulate_fn is not None:
        return simulate_fn(reps, seed)
    if pm_model is None:
        raise ValueError("give a model to simulate from, or a `simulate(reps, seed)` function")
    return simulate_prior(pm_model, reps, seed, parameters)


@dataclass(frozen=True)
class _Flag:
    name: str
    p: float


def calibration_check(kind: str, title: str, p_values: dict[str, float], tests_per_param: int,
                      citations, advice: str) -> Check:
    """Verdict from the smallest p-value, Bonferroni-adjusted over all tests."""
    n_tests = max(len(p_values) * tests_per_param, 1)
    threshold = T.calibration_threshold(kind.upper(), n_tests, citations)
    adjusted = {name: min(1.0, p * n_tests) for name, p in p_values.items()}
    value = min(adjusted.values()) if adjusted else float("nan")
    verdict = threshold.verdict(value)
    flagged = tuple(f"{n} (adjusted p = {p:.3g})" for n, p in sorted(adjusted.items(), key=lambda kv: kv[1])
                    if p < threshold.warn)
    if verdict is Verdict.PASS:
        summary = f"no evidence of miscalibration over {len(p_values)} parameters (smallest adjusted p = {value:.3g})"
    else:
        summary = f"{len(flagged)} of {len(p_values)} parameters look miscalibrated (smallest adjusted p = {value:.3g})"
    return Check(kind, title, verdict, value, threshold, summary, advice if verdict is not Verdict.PASS else "",
                 flagged)
