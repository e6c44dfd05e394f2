"""The JSON rendering of a :class:`~ppl.report.model.Report` (a pure function of it).

Every field of the report and its sections, as plain JSON (verdicts as
strings, NaN as ``null``); figures are listed by key, title and caption
without their image bytes (they are in ``report.html``).
"""

from __future__ import annotations

import json

from ..diagnostics.checks import to_jsonable
from .model import Report

__all__ = ["render_json", "report_data"]


def report_data(report: Report) -> dict:
    """The report as JSON-ready data, with the overall verdict first."""
    data = to_jsonable(report)
    return {"verdict": report.headline.verdict.value, **data}


def render_json(report: Report) -> str:
    return json.dumps(report_data(report), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
