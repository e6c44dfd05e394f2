"""One model compiled for guide-based VI: compile, fit, and the fitted state.

:func:`compile_engine` builds the model on the rows one step sees (all rows,
or ``batch_size`` rows of the amortized variables' dim for a minibatch),
splits its log density per row (:mod:`.terms`), lays out q
(:mod:`.guide`) and compiles the optimisation loop (:mod:`.train`).
:meth:`Engine.fit` runs it and returns a :class:`VIFit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ... import driver
from ..minibatch import batch_bound
from ..objective import Batch
from ..optimize import run_chunks, shuffle_rows, step_limit
from ..program import VIFit, fit_record
from .encoder import encoder_rows, standardizer
from .guide import make_guide
from .spec import Spec

__all__ = ["Engine", "compile_engine"]


@dataclass(eq=False)
class Engine:
    """The compiled pieces of one guide-based fit (see the module docstring)."""

    model: object
    spec: Spec
    config: object
    objective: object
    guide: object
    pm_model: object
    data: tuple          # the full data, one array per data input
    batch: Batch | None
    shift: np.ndarray
    scale: np.ndarray
    traces: int = 0
    _chunk: Callable | None = None
    _init: Callable | None = None
    cache: dict = field(default_factory=dict)

    @property
    def n_in(self) -> int:
        return int(self.shift.size)

    @property
    def row_scale(self) -> float:
        return 1.0 if self.batch is None else self.batch.scale

    @property
    def total_rows(self) -> int:
        return self.objective.rows if self.batch is None else self.batch.total

    def compile_loop(self) -> None:
        import jax

        from .train import init_state, make_chunk

        self._chunk = jax.jit(make_chunk(self, on_trace=self._count))
        self._init = jax.jit(lambda key: init_state(self, key))

    def _count(self) -> None:
        self.traces += 1

    def fit(self, key, steps: int | None = None, progress: Callable | None = None) -> VIFit:
        """Optimise q from a fresh start (``key``); ``steps`` overrides the step limit."""
        import jax

        if self._chunk is None:
            self.compile_loop()
        seed = int(np.asarray(jax.random.key_data(key)).ravel()[-1])
        data = tuple(jax.numpy.asarray(x) for x in shuffle_rows(self.batch, self.data, seed))
        limit = step_limit(steps, self.config)
        state, elbos, records = run_chunks(self._chunk, self._init(key), data, limit, progress)
        return _to_fit(state, elbos, records)


def _to_fit(state, elbos, records) -> VIFit:
    import jax

    params = jax.tree.map(np.asarray, state["avg"])
    last = jax.tree.map(np.asarray, state["params"])
    return VIFit("guide", params, last_params=last, **fit_record(state, elbos, records))


def full_data(objective, values: dict) -> tuple[np.ndarray, ...]:
    """The data inputs over all rows, in the objective's order and dtypes."""
    out = []
    for name, ref in zip(objective.data_names, objective.data_values):
        out.append(np.asarray(values[name]).astype(ref.dtype, copy=False))
    return tuple(out)


def compile_engine(model, bound, config, spec: Spec, seed: int = 0) -> Engine:
    """Build and compile ``model`` on ``bound`` for the approximation ``spec``."""
    from ..run import _check_continuous
    from .terms import build_row_objective

    dim = spec.local_dim
    if dim is None and config.batch_size is not None:
        from ..minibatch import resolve_batch_dim

        dim = resolve_batch_dim(model.ir, config.batch_dim)
    minibatch = dim is not None and config.batch_size is not None and config.batch_size < bound.sizes[dim]
    shaped = batch_bound(model.ir, bound, dim, config.batch_size) if minibatch else bound
    pm_model = driver.build(model.ir, shaped).pm_model
    _check_continuous(model, pm_model)
    data_dims = {d.name: d.dims for d in model.ir.data}
    objective = build_row_objective(pm_model, data_dims, dim, spec.names("amortized"), seed)
    guide = make_guide(objective, spec.kinds, tuple(config.encoder), config.activation)
    data = full_data(objective, bound.values)
    batch = Batch(dim, int(bound.sizes[dim]), objective.rows, objective.data_axes) if minibatch else None
    if guide.locals:
        shift, scale = standardizer(np.asarray(encoder_rows(data, objective.encoder_inputs, objective.data_axes)))
    else:
        shift, scale = np.zeros(0), np.ones(0)
    return Engine(model, spec, config, objective, guide, pm_model, data, batch, shift, scale)
