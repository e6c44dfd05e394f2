"""A compiled variational program: fit one model on many data sets.

:class:`VIProgram` holds the JAX functions of one model (on data of fixed
shapes), the approximating family and the options.  ``fit(data, key)`` runs
the optimisation and returns a :class:`VIFit`; ``fit_many`` fits a stack of
data sets at once with ``jax.vmap``; ``draw`` draws from a fitted
approximation and evaluates the model at the draws.  Nothing is recompiled
when the data change (same shapes and dtypes): the calibration checks (VSBC)
call it many times.

>>> program = compile_program(model, model.bind(), VIConfig())   # doctest: +SKIP
>>> fit = program.fit(program.data_from(new_bound), seed=1)        # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import PplError
from . import messages as msg
from .convergence import DIVERGED, RUNNING, STOP_REASONS
from .families import FAMILIES
from .optimize import init_state, make_chunk, run_chunks, shuffle_rows, step_limit

__all__ = ["VIProgram", "VIFit", "Draws", "data_inputs"]


@dataclass(frozen=True)
class VIFit:
    """The outcome of one optimisation.

    ``params`` are q's parameters (the average of the last window's iterates);
    ``elbo`` the per-step ELBO estimates; ``windows`` the per-window record of
    the convergence check (``elbo``, ``elbo_se``, ``rel_change``,
    ``param_change``, ``lr``, ``passed``); ``stop_reason`` is ``converged``,
    ``max_steps`` or ``diverged`` (then ``diverged_step`` is the step).
    """

    method: str
    params: dict
    stop_reason: str
    steps: int
    elbo: np.ndarray
    windows: dict[str, np.ndarray]
    diverged_step: int | None = None
    last_params: dict = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return self.stop_reason == "converged"


@dataclass(frozen=True)
class Draws:
    """Draws from q and the model evaluated there.

    ``z`` (draws, d) unconstrained; ``log_p`` the model's joint log density at
    ``z`` (Jacobian included, all data); ``log_q`` q's log density at ``z``;
    ``loglik`` the elementwise log-likelihood of each observed variable;
    ``values`` the constrained parameters and derived quantities.  Arrays too
    large to keep (see ``skipped``) are left out.
    """

    z: np.ndarray
    log_p: np.ndarray
    log_q: np.ndarray
    loglik: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    skipped: tuple[str, ...] = ()


class VIProgram:
    """One model compiled for variational inference (see the module docstring)."""

    def __init__(self, objective, config, data: tuple[np.ndarray, ...]):
        import jax

        self.objective = objective
        self.config = config
        self.family = FAMILIES[config.method]
        self.data = data
        self.traces = 0
        chunk = make_chunk(objective, self.family, config, on_trace=self._count_trace)
        self._chunk = jax.jit(chunk)
        self._chunk_many = jax.jit(jax.vmap(chunk, in_axes=(0, 0, None)))
        self._init = jax.jit(lambda key: init_state(objective, self.family, config, key))
        self._eval_fns: dict[str, Callable] = {}

    def _count_trace(self) -> None:
        self.traces += 1

    # ------------------------------------------------------------------ data
    @property
    def data_names(self) -> tuple[str, ...]:
        return self.objective.data_names

    def data_shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(np.shape(x) for x in self.data)

    def data_from(self, values: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """The program's data inputs from a mapping (e.g. ``BoundData.values``).

        Shapes must be those the program was compiled for; dtypes are cast.
        """
        return data_inputs(self.objective, values)

    # ------------------------------------------------------------------- fit
    def _prepared(self, data, key, stacked: bool = False) -> tuple:
        """Device arrays for the optimisation; minibatched data shuffled once (seeded by ``key``)."""
        import dataclasses

        import jax

        batch = self.objective.batch
        if batch is not None and stacked:  # one more leading axis: the data sets
            batch = dataclasses.replace(batch, axes=tuple(None if a is None else a + 1 for a in batch.axes))
        seed = int(np.asarray(jax.random.key_data(key)).ravel()[-1])
        return tuple(jax.numpy.asarray(x) for x in shuffle_rows(batch, tuple(data), seed))

    def _limit(self, steps: int | None) -> int:
        """The step limit: ``steps`` rounded up to whole windows."""
        return step_limit(steps, self.config)

    def fit(self, data=None, seed=None, *, key=None, steps: int | None = None,
            progress: Callable | None = None) -> VIFit:
        """Optimise q on ``data`` (default: the data the program was built with).

        ``steps`` overrides the configured step limit (no recompilation);
        ``progress(steps_done, total_steps, record, finished)`` is called after each call.
        """
        import jax

        key = _key(seed) if key is None else key
        data = self._prepared(self.data if data is None else data, key)
        state, elbos, records = run_chunks(self._chunk, self._init(key), data, self._limit(steps), progress)
        return _to_fit(self.config.method, state, elbos, records)

    def fit_many(self, data_stack, seeds, *, steps: int | None = None) -> list[VIFit]:
        """Fit a stack of data sets at once (``jax.vmap``): each input has a
        leading axis over data sets; ``seeds`` one seed per data set."""
        import jax

        keys = jax.numpy.stack([_key(s) for s in seeds])
        state = jax.vmap(self._init)(keys)
        data = self._prepared(data_stack, keys[0], stacked=True)
        limit, elbos, records = self._limit(steps), [], []
        while True:
            state, elbo, record = jax.device_get(self._chunk_many(state, data, limit))
            elbos.append(elbo)
            records.append(record)
            if np.all((np.asarray(state["status"]) != RUNNING) | (np.asarray(state["step"]) >= limit)):
                break
        return [_to_fit(self.config.method, _index(state, i), [e[i] for e in elbos], [_index(r, i) for r in records])
                for i in range(len(keys))]

    # ----------------------------------------------------------------- draws
    def draw(self, fit: VIFit, draws: int, seed=None, *, data=None, key=None) -> Draws:
        """``draws`` draws from the fitted q and the model evaluated at them."""
        from .evaluate import evaluate

        data = self.data if data is None else data
        key = _key(seed) if key is None else key
        return evaluate(self, fit.params, data, key, draws)


def _full_shape(objective, i: int) -> tuple[int, ...]:
    shape = list(np.shape(objective.data_values[i]))
    batch = objective.batch
    if batch is not None and batch.axes[i] is not None:
        shape[batch.axes[i]] = batch.total
    return tuple(shape)


def data_inputs(objective, values: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The data inputs of ``objective`` taken from ``values``, checked against the compiled shapes
    (all rows of the minibatch dim), cast to the compiled dtypes."""
    out = []
    for i, (name, ref) in enumerate(zip(objective.data_names, objective.data_values)):
        if name not in values:
            raise PplError(msg.refit_missing_data(name))
        arr, shape = np.asarray(values[name]), _full_shape(objective, i)
        if arr.shape != shape:
            raise PplError(msg.refit_shape(name, shape, arr.shape))
        out.append(arr.astype(ref.dtype, copy=False))
    return tuple(out)


def _key(seed):
    import jax

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    return jax.random.PRNGKey(int(seed) % 2**32)


def _index(tree, i):
    import jax

    return jax.tree.map(lambda x: x[i], tree)


def fit_record(state, elbos, records) -> dict:
    """``stop_reason``, ``steps``, ``elbo``, ``windows``, ``diverged_step`` of a finished windowed loop."""
    status, bad = int(state["status"]), int(state["bad_step"])
    steps = bad if status == DIVERGED else int(state["step"])
    elbo = np.concatenate([np.asarray(e) for e in elbos])
    elbo = elbo[:steps + 1] if status == DIVERGED else elbo[:steps]  # a diverged fit keeps its bad step
    ran = np.concatenate([np.asarray(r["ran"]) for r in records])
    if status == DIVERGED:  # the window that diverged is not a window of the fit
        ran[np.flatnonzero(ran)[-1:]] = False
    windows = {k: np.concatenate([np.asarray(r[k]) for r in records])[ran] for k in records[0] if k != "ran"}
    return dict(stop_reason=STOP_REASONS[status], steps=steps, elbo=elbo, windows=windows,
                diverged_step=bad if bad >= 0 else None)


def _to_fit(method: str, state, elbos, records) -> VIFit:
    params = {k: np.asarray(v) for k, v in state["mon"]["avg"].items()}
    last = {k: np.asarray(v) for k, v in state["params"].items()}
    return VIFit(method, params, last_params=last, **fit_record(state, elbos, records))
