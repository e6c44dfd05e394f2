"""The JSON rendering of a :class:`~ppl.report.model.Report` (a pure function of it).

Every field of the report and its sections, as plain JSON (verdicts as
strings, NaN as ``null``, floats to :data:`DIGITS` significant digits: a
report is for reading, the result files keep full precision); figures are
listed by key, title and caption without their image bytes (they are in
``report.html``).
"""

from __future__ import annotations

import json
import math

from ..diagnostics.checks import to_jsonable
from .model import Report

__all__ = ["render_json", "report_data", "DIGITS"]

DIGITS = 6


def _round(value):
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def report_data(report: Report) -> dict:
    """The report as JSON-ready data, with the overall verdict first."""
    return {"verdict": report.headline.verdict.value, **_round(to_jsonable(report))}


def render_json(report: Report) -> str:
    return json.dumps(report_data(report), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
