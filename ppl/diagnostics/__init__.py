"""Diagnostics for any PyMC model and any xarray DataTree result.

Every function returns frozen, typed data (JSON through
:func:`~ppl.diagnostics.checks.to_jsonable`) with :class:`Check` verdicts
against named, cited thresholds (:mod:`ppl.diagnostics.thresholds`);
statistical problems are verdicts, never exceptions.

>>> from ppl import diagnostics as dx                          # doctest: +SKIP
>>> report = dx.convergence(result)                             # R-hat, ESS, MCSE, divergences, ...
>>> dx.psis_vi(log_p, log_q, draws)                             # k-hat of a variational fit
>>> dx.loo(result); dx.waic(result); dx.compare({"a": r1, "b": r2})
>>> dx.sbc(pm_model, reps=200, engine="nutpie")                 # simulation-based calibration
>>> dx.vsbc(pm_model, engine=vi_factory, reps=100)              # VSBC of a variational fit
>>> dx.vsbc_vi(ppl.load("m.ppl"), reps=1000)                    # VSBC of ADVI, replications vmapped

Importing this package does not import PyMC or ArviZ; the functions do.
"""

from .checks import Check, Citation, Threshold, Verdict, to_jsonable, worst
from .compare import Comparison, compare
from .convergence import ConvergenceReport, convergence
from .fitters import Fit, FitOptions
from .loo import LooResult, loo, loo_approximate_posterior
from .psis import PsisResult, psis_vi
from .results import open_result, vi_log_densities
from .sbc import SBCResult, sbc
from .simulate import Simulation, simulate_prior
from .text import render_json, render_text
from .vsbc import VSBCResult, vsbc
from .waic import WaicResult, waic


def vsbc_vi(model, data=None, **kwargs) -> VSBCResult:
    """VSBC of ADVI on a ppl model (see :func:`ppl.vi.calibrate.vsbc_vi`; imports JAX when called)."""
    from ..vi.calibrate import vsbc_vi as _vsbc_vi

    return _vsbc_vi(model, data, **kwargs)

__all__ = [
    "Check", "Citation", "Threshold", "Verdict", "to_jsonable", "worst",
    "convergence", "ConvergenceReport", "psis_vi", "PsisResult", "loo", "loo_approximate_posterior", "LooResult",
    "waic", "WaicResult", "compare", "Comparison", "sbc", "SBCResult", "vsbc", "vsbc_vi", "VSBCResult", "Fit", "FitOptions",
    "Simulation", "simulate_prior", "open_result", "vi_log_densities", "render_text", "render_json",
]
