"""The catalogue of report and study messages: one constructor per kind.

A study file's mistakes point at the key in the TOML file
(``diagnostics/x.toml:12:1: error: ...`` with the line and a caret); the
location comes from :mod:`.study.locate`.
"""

from __future__ import annotations

from ..errors import Diagnostic, SourceFile, Span, did_you_mean

__all__ = ["no_input", "unknown_input", "study_syntax", "unknown_key", "missing_key", "wrong_type", "bad_value",
           "unknown_ref", "unknown_parameter", "missing_file", "duplicate_name", "study_span"]


def study_span(source: SourceFile, pos: tuple[int, int] | None, width: int = 1) -> Span:
    """A span at ``pos`` (line, col) in the study file, or naming the file only."""
    if pos is None:
        return Span(source, 0, 0, 0, 0)
    line, col = pos
    return Span(source, line, col, line, col + max(width, 1))


def _file_span(path: str) -> Span:
    return Span(SourceFile(str(path), ""), 0, 0, 0, 0)


def no_input(path: str) -> Diagnostic:
    return Diagnostic("E-report-input", "no such file", _file_span(path),
                      "give a model (.ppl), a result (.nc, .zarr) or a study (.toml)")


def unknown_input(path: str) -> Diagnostic:
    return Diagnostic("E-report-input", "cannot make a report from this kind of file", _file_span(path),
                      "give a model (.ppl), a result (.nc, .zarr) or a study (.toml)")


def study_syntax(span: Span, why: str) -> Diagnostic:
    return Diagnostic("E-study-syntax", f"this study file is not valid TOML: {why}", span,
                      "see docs/reports.md for the study format")


def unknown_key(span: Span, where: str, key: str, known) -> Diagnostic:
    hint = did_you_mean(key, known) or f"keys of {where}: {', '.join(sorted(known))}"
    return Diagnostic("E-study-key", f"unknown key `{key}` in {where}", span, hint)


def missing_key(span: Span, where: str, key: str, hint: str) -> Diagnostic:
    return Diagnostic("E-study-key", f"{where} needs `{key}`", span, hint)


def wrong_type(span: Span, where: str, expected: str, got: str) -> Diagnostic:
    return Diagnostic("E-study-type", f"{where} must be {expected}, not {got}", span)


def bad_value(span: Span, where: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic("E-study-value", f"{where}: {message}", span, hint)


def unknown_ref(span: Span, where: str, kind: str, name: str, known) -> Diagnostic:
    hint = did_you_mean(name, known) or (f"{kind}s of this study: {', '.join(known)}" if known else
                                         f"define a {kind} first")
    return Diagnostic("E-study-ref", f"{where} names the {kind} `{name}`, which the study does not define", span,
                      hint)


def unknown_parameter(span: Span, where: str, name: str, model: str, known) -> Diagnostic:
    hint = did_you_mean(name, known) or f"parameters and derived quantities of `{model}`: {', '.join(known)}"
    return Diagnostic("E-study-ref", f"{where}: the model `{model}` has no parameter `{name}`", span, hint)


def missing_file(span: Span, where: str, path: str) -> Diagnostic:
    return Diagnostic("E-study-file", f"{where}: no such file `{path}`", span,
                      "paths are relative to the study file")


def duplicate_name(span: Span, where: str, name: str) -> Diagnostic:
    return Diagnostic("E-study-value", f"{where}: the name `{name}` is used twice", span,
                      "give every run a different name")
