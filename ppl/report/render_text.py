"""The terminal rendering of a :class:`~ppl.report.model.Report`: the headline and each section's verdict.

Short by design (the full report is in the files); a pure function of the report.
"""

from __future__ import annotations

from ..diagnostics.text import render_check
from .model import Report
from .render_common import section_title, verdict_label

__all__ = ["render_text"]


def _section_lines(section) -> list[str]:
    verdict = getattr(section, "verdict", None)
    if section.kind == "unavailable":
        return [f"== {section_title(section)}: {section.reason}"]
    if verdict is None:
        return []
    lines = [f"== {section_title(section)} -> {verdict_label(verdict)}"]
    for check in getattr(section, "checks", ()):
        lines += render_check(check) if check.verdict.rank else []
    return lines


def render_text(report: Report) -> str:
    """The headline verdict, one line per run, what to do, and the failing checks of each section."""
    h = report.headline
    lines = [report.title, f"verdict: {verdict_label(h.verdict)} ({h.summary})"]
    lines += [f"  {r.name}: {r.trust}" + (f" - {r.reasons[0]}" if r.reasons else "") for r in h.runs]
    if h.advice:
        lines += ["what to do:", *[f"  - {a}" for a in h.advice]]
    for section in report.sections:
        lines += _section_lines(section)
    return "\n".join(lines)
