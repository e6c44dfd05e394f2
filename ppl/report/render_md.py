"""The Markdown rendering of a :class:`~ppl.report.model.Report` (a pure function of it).

Plots are listed by title: they are embedded in ``report.html`` only, since
Markdown viewers do not agree on embedded images.
"""

from __future__ import annotations

import re

from ..diagnostics.checks import Check, Verdict
from .model import Report, Table
from .render_common import fmt, shown_rows, section_title, settings_line, sources, verdict_label

__all__ = ["render_markdown", "RENDERERS"]

_MAX_FLAGGED = 10


def _inline(text: str) -> str:
    """Text shown as plain text: Markdown and HTML syntax (and table pipes) escaped."""
    return re.sub(r"([\\`*_{}\[\]<>#|!])", r"\\\1", str(text))


def _cell(text: str) -> str:
    """A table cell: escaped like any text, on one line."""
    return _inline(text).replace("\n", " ")


def _fence(lines) -> list[str]:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def _table(table: Table) -> list[str]:
    if not table.rows:
        return ["(empty)"]
    head = "| " + " | ".join(_cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    shown, rest = shown_rows(table)
    rows = ["| " + " | ".join(_cell(fmt(c)) for c in row) + " |" for row in shown]
    more = ["", f"({rest})"] if rest else []
    return ([f"*{_inline(table.title)}*", ""] if table.title else []) + [head, rule, *rows] + more


def _checks(checks: tuple[Check, ...]) -> list[str]:
    if not checks:
        return []
    lines = ["| check | verdict | value | rule | sources |", "|---|---|---|---|---|"]
    lines += [f"| {_cell(c.title)} | **{verdict_label(c.verdict)}** | {fmt(c.value)} | {_cell(c.threshold.rule)} | "
              f"{_cell(sources(c))} |" for c in checks]
    details = []
    for c in checks:
        if c.verdict is Verdict.PASS:
            continue
        details.append(f"- **{_inline(c.title)}**: {_inline(c.summary)}")
        if c.flagged:
            more = f" and {len(c.flagged) - _MAX_FLAGGED} more" if len(c.flagged) > _MAX_FLAGGED else ""
            details.append(f"  - flagged: {_inline(', '.join(c.flagged[:_MAX_FLAGGED]))}{more}")
        if c.advice:
            details.append(f"  - what to do: {_inline(c.advice)}")
    return lines + ([""] + details if details else [])


def _notes(notes) -> list[str]:
    return [f"- note: {_inline(n)}" for n in notes]


def _figures(figures) -> list[str]:
    if not figures:
        return []
    return ["Plots (in report.html):", *[f"- {_inline(f.title)}" for f in figures]]


def _blocks(*blocks) -> list[str]:
    out = []
    for block in blocks:
        if block:
            out += [*block, ""]
    return out


def _model(s) -> list[str]:
    width = len(str(len(s.source)))
    numbered = [f"{i:>{width}} | {line}" for i, line in enumerate(s.source, 1)]
    return _blocks([f"File: {_inline(s.path)}"], _fence(numbered), ["Checked variables and dims:"],
                   _fence(s.checked.splitlines()))


def _data(s) -> list[str]:
    return _blocks([f"Model: {_inline(s.model)}" + (f", data: {_inline(s.path)}" if s.path else "")],
                   _table(s.table), _notes(s.notes))


def _run(s) -> list[str]:
    head = [f"Model {_inline(s.model)}, method {_inline(s.method)}, engine {_inline(s.engine)}",
            "", f"Settings: {_inline(settings_line(s.settings))}" if s.settings else "",
            "", f"**Verdict: {verdict_label(s.verdict)}**"]
    loo = (["Model checks (they do not change the verdict on the draws):", ""] + _table(s.loo) + [""]
           + _checks(s.model_checks)) if s.loo is not None else []
    return _blocks(head, _checks(s.checks), ["Posterior summary:"], _table(s.summary), loo, _notes(s.notes),
                   _figures(s.figures))


def _calibration(s) -> list[str]:
    head = [f"{_inline(s.method.upper())} of run {_inline(s.run)}: {s.completed} of {s.reps} replications",
            "", f"**Verdict: {verdict_label(s.verdict)}**"]
    return _blocks(head, _checks(s.checks), _table(s.table), _notes(s.notes), _figures(s.figures))


def _comparison(s) -> list[str]:
    return _blocks([f"PSIS-LOO with {_inline(s.method)} weights"], _table(s.table), _checks(s.checks),
                   _notes(s.notes), _figures(s.figures))


def _figure_section(s) -> list[str]:
    return _blocks([_inline(s.text)] if s.text else [], _figures(s.figures))


def _unavailable(s) -> list[str]:
    return _blocks([f"**Not available:** {_inline(s.reason)}"] + ([f"", f"Hint: {_inline(s.hint)}"] if s.hint else []))


RENDERERS = {"model": _model, "data": _data, "run": _run, "calibration": _calibration, "comparison": _comparison,
             "figures": _figure_section, "unavailable": _unavailable}


def _headline(report: Report) -> list[str]:
    h = report.headline
    lines = [f"## Verdict: {verdict_label(h.verdict)}", "", _inline(h.summary), ""]
    if h.runs:
        lines += ["| run | verdict | why | what to do |", "|---|---|---|---|"]
        lines += [f"| {_cell(r.name)} | **{r.trust}** | {_cell('; '.join(r.reasons) or 'all checks pass')} "
                  f"| {_cell('; '.join(r.advice) or '-')} |" for r in h.runs]
        lines.append("")
    if h.advice:
        lines += ["What to do:", "", *[f"- {_inline(a)}" for a in h.advice], ""]
    return lines


def render_markdown(report: Report) -> str:
    """The whole report as Markdown."""
    lines = [f"# {_inline(report.title)}", ""]
    if report.description:
        lines += [_inline(report.description), ""]
    lines += [f"Source: {_inline(report.source)}", ""] + _headline(report)
    for section in report.sections:
        lines += [f"## {_inline(section_title(section))}", ""] + RENDERERS[section.kind](section)
    lines += _blocks(_notes(report.notes))
    versions = ", ".join(f"{k} {v}" for k, v in report.versions)
    lines += ["---", "", f"Made {report.created} with {versions}".rstrip()]
    return "\n".join(lines).rstrip() + "\n"
