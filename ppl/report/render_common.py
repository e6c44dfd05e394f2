"""What every renderer shares: number formatting, verdict labels, check rows, settings lines."""

from __future__ import annotations

import math

from ..diagnostics.checks import Check, Verdict
from .model import Cell

__all__ = ["MAX_ROWS", "shown_rows", "fmt", "verdict_label", "check_value", "sources", "settings_line", "SECTION_TITLES", "section_title"]

_LABEL = {Verdict.PASS: "PASS", Verdict.WARN: "WARN", Verdict.FAIL: "FAIL"}

MAX_ROWS = 100  # rows of a table shown in HTML and Markdown; report.json has them all


def shown_rows(table) -> tuple[tuple, str]:
    """The rows to show and a note on the rest (``""`` when every row is shown)."""
    rest = len(table.rows) - MAX_ROWS
    if rest <= 0:
        return table.rows, ""
    return table.rows[:MAX_ROWS], f"{rest} more rows are in report.json"


SECTION_TITLES = {
    "model": "Model", "data": "Data", "run": "Run", "calibration": "Calibration", "comparison": "Comparison",
    "figures": "Plots", "unavailable": "Not available",
}


def fmt(cell: Cell) -> str:
    """A table cell as text: integers as they are, floats to 3 significant digits (large ones rounded)."""
    if cell is None:
        return "-"
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if math.isnan(cell):
            return "-"
        if math.isinf(cell):
            return "inf" if cell > 0 else "-inf"
        if abs(cell) >= 1000:
            return f"{cell:.0f}"
        text = f"{cell:.3g}"
        return "0" if text == "-0" else text
    return str(cell)


def verdict_label(verdict: Verdict) -> str:
    return _LABEL[verdict]


def check_value(check: Check) -> str:
    return fmt(check.value)


def sources(check: Check) -> str:
    """The short keys of a check's citations, ``; ``-separated."""
    return "; ".join(c.key for c in check.threshold.citations)


def settings_line(settings) -> str:
    return ", ".join(f"{k} = {v}" for k, v in settings)


def section_title(section) -> str:
    """The heading of a section: its kind's title and its name."""
    name = getattr(section, "name", "") or getattr(section, "model", "")
    return f"{SECTION_TITLES[section.kind]}: {name}" if name else SECTION_TITLES[section.kind]
