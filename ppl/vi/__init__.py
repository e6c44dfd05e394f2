"""Variational inference: ADVI mean-field, full-rank and minibatch, on JAX.

``fit(model, bound, VIConfig(...)) -> DataTree`` (what ``Model.fit`` calls);
``compile_program(model, bound, config) -> VIProgram`` for re-fitting one
compiled model on many data sets (VSBC) or on all at once (``fit_many``).
Importing this package imports neither PyMC nor JAX.
"""

from .config import METHODS, VIConfig, check_config
from .program import Draws, VIFit, VIProgram
from .run import compile_program, fit


def load_amortized(source):
    """The fitted encoder/decoder of an amortized fit (a result tree or file); see :mod:`ppl.vi.amortized`."""
    from .amortized import load_amortized as _load

    return _load(source)


__all__ = ["VIConfig", "METHODS", "check_config", "VIProgram", "VIFit", "Draws", "compile_program", "fit",
           "load_amortized"]
