"""The VI engine of calibration studies (VSBC): one compiled program, many data sets.

:class:`VIEngine` is a fitter factory in the sense of
:mod:`ppl.diagnostics.fitters`: ``engine(pm_model, options)`` compiles the
model's :class:`~ppl.vi.program.VIProgram` once and returns
``fit(data, seed) -> Fit``, which re-fits it on one simulated data set
(the sequential path: one replication after another, on a process pool or
Dask).  ``engine.batched(pm_model, options)`` returns
``fit_batch(datas, seeds) -> [Fit or Exception]``, which fits a whole
chunk of replications as **one** compiled computation: the optimisation
loop (``lax.scan`` over Adam steps, the windowed convergence check) is
``jax.vmap``-ed over the data sets (:meth:`VIProgram.fit_many`) and so are
the draws from each fitted q.

Both paths use the same keys: replication ``j`` with seed ``s`` is fitted
from ``PRNGKey(s)`` and its draws come from ``PRNGKey(s + 1)``, so the
batched and the sequential path give the same fits and the same draws (to
float rounding; tested).  Each replication keeps its own convergence
verdict: inside the vmapped loop a replication that converged stops moving
(its later windows are computed and discarded), so its result and its
``stop_reason`` are those of its own fit.  A replication whose optimisation
diverged is a failure of that replication, not of the study.

The workers of the sequential path receive the model's text and bound data
(:class:`~ppl.diagnostics.calibration.PplSource`) and check and compile it
themselves; nothing is unpickled into code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from .config import VIConfig, check_config

__all__ = ["VIEngine", "Diverged", "vsbc_vi"]


class Diverged(FloatingPointError):
    """The optimisation of one replication produced a non-finite ELBO or gradient."""


@dataclass(frozen=True)
class _Checked:
    """What :func:`~ppl.vi.run.compile_program` reads of a model: its checked IR."""

    ir: object


def _draw_key(seed: int):
    from .program import _key

    return _key(int(seed) + 1)


@dataclass(frozen=True, eq=False)
class VIEngine:
    """ADVI (``config.method``) as a calibration engine; ``draws`` draws from each fitted q.

    ``source`` is a :class:`~ppl.diagnostics.calibration.PplSource` (model
    text and bound data): the model's IR is compiled from it where the
    engine runs.
    """

    source: object
    config: VIConfig
    draws: int = 1000
    _compiled: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:  # workers get the source and options, never compiled code
        return {"source": self.source, "config": self.config, "draws": self.draws}

    def __setstate__(self, state: dict) -> None:
        for key, value in {**state, "_compiled": {}}.items():
            object.__setattr__(self, key, value)

    @property
    def __name__(self) -> str:  # the name VSBC records for its engine
        return self.config.method

    # ------------------------------------------------------------- compile
    def program(self, pm_model=None):
        """The compiled VI program of the model, on data shaped like the bound data.

        Compiled once per engine object (and process): the program takes any
        data of those shapes as inputs, so later studies with this engine reuse it.
        """
        if "program" not in self._compiled:
            self._compiled["program"] = self._compile(pm_model)
        return self._compiled["program"]

    def _compile(self, pm_model):
        from ..driver import compile_source
        from ..errors import SourceFile
        from ..semantics.checker import CheckOptions
        from .run import compile_program

        src = self.source
        ir_model = compile_source(SourceFile(src.name, src.text), CheckOptions(src.marginalize))
        config = replace(self.config, progressbar=False)
        check_config(config)
        return compile_program(_Checked(ir_model), src.bound, config, pm_model)

    def _inputs(self, program, data: Mapping[str, np.ndarray]) -> tuple:
        return program.data_from({**self.source.bound.values, **data})

    # ---------------------------------------------------------- sequential
    def __call__(self, pm_model, options=None) -> Callable:
        """``fit(data, seed) -> Fit``: one replication at a time on the compiled program."""
        from ..diagnostics.fitters import Fit

        program = self.program(pm_model)

        def fit(data: Mapping[str, np.ndarray], seed: int) -> Fit:
            inputs = self._inputs(program, data)
            vifit = program.fit(inputs, seed=int(seed))
            _raise_if_diverged(vifit)
            draws = program.draw(vifit, self.draws, key=_draw_key(seed), data=inputs)
            return Fit({k: np.asarray(v) for k, v in draws.values.items()}, chains=1,
                       stop_reason=vifit.stop_reason, steps=vifit.steps)

        return fit

    # ------------------------------------------------------------- batched
    def batched(self, pm_model, options=None) -> Callable:
        """``fit_batch(datas, seeds) -> [Fit or Exception]``: a chunk of replications at once (vmap)."""
        from ..diagnostics.fitters import Fit

        program = self.program(pm_model)
        if "values_many" not in self._compiled:
            self._compiled["values_many"] = _values_many(program)
        values_many = self._compiled["values_many"]

        def fit_batch(datas: Sequence[Mapping[str, np.ndarray]], seeds) -> list:
            inputs = [self._inputs(program, d) for d in datas]
            stacked = tuple(np.stack(parts) for parts in zip(*inputs))
            fits = program.fit_many(stacked, [int(s) for s in seeds])
            params = {k: np.stack([f.params[k] for f in fits]) for k in fits[0].params}
            eps = np.stack([_eps(program, _draw_key(s), self.draws) for s in seeds])
            values = values_many(params, eps, stacked)
            out = []
            for j, vifit in enumerate(fits):
                if vifit.stop_reason == "diverged":
                    out.append(Diverged(_diverged_text(vifit)))
                    continue
                out.append(Fit({k: v[j] for k, v in values.items()}, chains=1, stop_reason=vifit.stop_reason,
                               steps=vifit.steps))
            return out

        return fit_batch


def _diverged_text(vifit) -> str:
    return f"the optimisation diverged (non-finite ELBO or gradient) at step {vifit.diverged_step + 1}"


def _raise_if_diverged(vifit) -> None:
    if vifit.stop_reason == "diverged":
        raise Diverged(_diverged_text(vifit))


def _eps(program, key, n: int) -> np.ndarray:
    """The standard normal draws :meth:`VIProgram.draw` makes from ``key`` (the same stream)."""
    from .evaluate import _normal_draws

    return _normal_draws(key, n, program.objective.layout.size)


def _values_many(program) -> Callable:
    """``(params[M], eps[M, S, d], data[M]) -> {name: values[M, S, ...]}``: the constrained
    parameters and derived quantities at draws from each of M fitted q, in one jitted call."""
    import jax

    objective, family = program.objective, program.family
    if objective.batch is not None:
        raise ValueError("batched VSBC fits every row of the data: give no batch_size")

    def values_one(params, eps, data):
        z = family.transform(params, eps)
        return jax.vmap(lambda flat: objective.outputs(flat, *data)[1])(z)

    fn = jax.jit(jax.vmap(values_one))

    def values_many(params, eps, data) -> dict:
        out = jax.device_get(fn(params, eps, tuple(data)))
        return {name: np.asarray(v) for name, v in zip(objective.value_names, out)}

    return values_many


def vsbc_vi(model, data=None, *, method: str = "advi", reps: int = 100, steps: int = 20_000,
            learning_rate: float = 0.05, draws: int = 1000, parameters=None, seed: int | None = None,
            batch: int | None = 100, workers: int | None = None, scheduler=None, progress: bool = True,
            **options):
    """VSBC (Yao et al. 2018) of ADVI on a ppl model: ``reps`` simulated data sets, each fitted.

    Parameters
    ----------
    model : ppl.Model
        The model; ``data`` binds its data (the simulated data take the
        observed variables' shapes from it).
    method : ``"advi"`` (mean-field) or ``"fullrank"``.
    steps, learning_rate, options
        The optimisation of each replication (:class:`~ppl.vi.VIConfig`);
        each stops by its own windowed convergence check, or runs all
        ``steps`` with ``stop_early=False``.
    draws : draws from each fitted q that give ``p_ij``.
    batch : int or None
        Replications fitted at once by one vmapped computation (a chunk;
        bounds the memory); ``None`` fits them one by one on ``workers``
        processes or the Dask ``scheduler``.

    Returns
    -------
    ppl.diagnostics.VSBCResult

    References
    ----------
    Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Yes, but did it
    work?: Evaluating variational inference. ICML, PMLR 80, 5581-5590.
    """
    from ..diagnostics.calibration import PplSource
    from ..diagnostics.vsbc import vsbc

    config = VIConfig(method=method, steps=steps, learning_rate=learning_rate, draws=draws, progressbar=False,
                      **options)
    check_config(config)
    source = PplSource.of(model, model.bind(data))
    engine = VIEngine(source, config, draws)
    return vsbc(source, engine=engine, reps=reps, parameters=parameters, seed=seed, batch=batch, workers=workers,
                scheduler=scheduler, progress=progress, method=method)
