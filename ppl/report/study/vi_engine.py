"""The variational engine, seen from a study: is it there, and a compile-once fitter for VSBC.

VI fits go through ``Model.fit(method=...)`` (``ppl.vi``).  When that engine
is not installed in this build, :func:`vi_available` says why and the study
reports a "VI engine not available" section instead of failing.

:class:`VIFitterFactory` is the VSBC engine: a picklable factory
``(pm_model, options) -> fitter`` (see :mod:`ppl.diagnostics.fitters`)
that compiles the model's VI program once per worker and re-fits it on each
simulated data set through its data inputs (nothing is recompiled).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Mapping

import numpy as np

__all__ = ["vi_available", "VIFitterFactory", "UNAVAILABLE_HINT"]

UNAVAILABLE_HINT = ("variational inference (ADVI) comes with the `ppl.vi` engine (Model.fit); install a ppl build "
                    "that has it, or compare with NUTS runs only")


def vi_available(model) -> tuple[bool, str]:
    """Whether ``model`` can be fitted with VI here, and if not, why."""
    if not hasattr(model, "fit"):
        return False, "VI engine not available: this build of ppl has no Model.fit"
    if importlib.util.find_spec("ppl.vi") is None:
        return False, "VI engine not available: the package ppl.vi is missing"
    return True, ""


@dataclass(frozen=True)
class _Checked:
    """What ``compile_program`` reads of a model: its checked IR."""

    ir: object


@dataclass(frozen=True, eq=False)
class VIFitterFactory:
    """Compile-once VI fitter for VSBC: ``factory(pm_model, options)(data, seed) -> Fit``."""

    ir: object
    bound: object
    method: str
    steps: int
    learning_rate: float
    draws: int

    @property
    def __name__(self) -> str:  # the name VSBC records for its engine
        return self.method

    def __call__(self, pm_model, options):
        from ...diagnostics.fitters import Fit
        from ...vi import VIConfig
        from ...vi.run import compile_program

        config = VIConfig(method=self.method, steps=self.steps, learning_rate=self.learning_rate, draws=self.draws,
                          progressbar=False)
        program = compile_program(_Checked(self.ir), self.bound, config, pm_model)
        base = dict(self.bound.values)

        def fit(data: Mapping[str, np.ndarray], seed: int) -> Fit:
            inputs = program.data_from({**base, **data})
            result = program.fit(inputs, seed=int(seed))
            draws = program.draw(result, self.draws, seed=int(seed) + 1, data=inputs)
            return Fit({k: np.asarray(v) for k, v in draws.values.items()}, chains=1)

        return fit
