"""The catalogue of diagnostics messages (result files, options): one constructor per kind.

Messages about a result file point at the file; option mistakes have no
location.  Statistical problems are never errors: they are check verdicts.
"""

from __future__ import annotations

from ..errors import NO_SPAN, Diagnostic, SourceFile, Span, did_you_mean

__all__ = ["file_span", "no_result_file", "unreadable_result", "missing_group", "unknown_variable", "option",
           "not_refittable", "nothing_to_calibrate", "different_observations"]


def file_span(path: str) -> Span:
    """A span that names a file without a line (rendered ``path: error: ...``)."""
    return Span(SourceFile(str(path), ""), 0, 0, 0, 0)


def no_result_file(path: str) -> Diagnostic:
    return Diagnostic("E-result-file", "no such result file", file_span(path),
                      "give a result written by `ppl sample --out FILE.nc` (or .zarr)")


def unreadable_result(path: str, why: str) -> Diagnostic:
    return Diagnostic("E-result-file", f"cannot read this result file ({why})", file_span(path),
                      "results are NetCDF (.nc) or Zarr (.zarr) DataTrees as written by `ppl sample --out`")


def missing_group(path: str, group: str, needed_for: str, hint: str) -> Diagnostic:
    return Diagnostic("E-result-group", f"the result has no `{group}` group, needed for {needed_for}",
                      file_span(path), hint)


def unknown_variable(path: str, name: str, names) -> Diagnostic:
    hint = did_you_mean(name, names) or f"variables: {', '.join(sorted(names))}"
    return Diagnostic("E-result-variable", f"the result has no variable `{name}`", file_span(path), hint)


def option(message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E-option", message, NO_SPAN, hint)


def not_refittable(why: str) -> Diagnostic:
    return Diagnostic("E-calibration-model", f"this model cannot be re-fitted on simulated data: {why}", NO_SPAN,
                      "calibration needs every observed variable fully observed from data")


def nothing_to_calibrate() -> Diagnostic:
    return Diagnostic("E-calibration-model", "the model has no observed variables or no parameters to calibrate",
                      NO_SPAN, "SBC simulates data from the prior and fits them: the model needs both")


def different_observations(counts: str) -> Diagnostic:
    return Diagnostic("E-compare", f"the results were fitted to different observations: {counts}", NO_SPAN,
                      "compare models fitted to the same data")
