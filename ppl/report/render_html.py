"""The HTML rendering of a :class:`~ppl.report.model.Report`: one self-contained page.

A pure function of the report.  The page has no script at all, its styles
are inline and its plots are ``data:`` URIs, so it opens offline and can be
mailed as one file.  A Content-Security-Policy forbids scripts and every
remote load as a second line of defence; the first is that every piece of
text (model source, names, descriptions, data labels, messages) goes
through :func:`html.escape` in :func:`esc` and nowhere else is text put
into the page.
"""

from __future__ import annotations

import base64
import html

from ..diagnostics.checks import Check, Verdict
from .model import Figure, Report, Table
from .render_common import fmt, shown_rows, section_title, settings_line, verdict_label

__all__ = ["render_html", "esc", "RENDERERS", "CSP"]

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;
color:#222;line-height:1.4}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:right;vertical-align:top}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}td.text,th.text{text-align:left}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6rem;overflow-x:auto;font-size:.85rem}
.ln{color:#999;user-select:none}
.badge{display:inline-block;white-space:nowrap;padding:.05rem .5rem;border-radius:.6rem;font-weight:600;font-size:.85rem;color:#fff}
.pass{background:#2e7d32}.warn{background:#ef8f00}.fail{background:#c62828}
.headline{border:2px solid #999;border-radius:.5rem;padding:.6rem 1rem;margin:1rem 0}
.headline.pass{border-color:#2e7d32;background:#f1f8f1}.headline.warn{border-color:#ef8f00;background:#fff8ec}
.headline.fail{border-color:#c62828;background:#fdf1f1}
.headline .badge{font-size:1rem}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555;max-width:48rem}
.note{color:#555;font-size:.9rem}.muted{color:#777;font-size:.8rem}
details{margin:.4rem 0}summary{cursor:pointer}td ul{margin:0;padding-left:1.1rem}
"""


def esc(text) -> str:
    """Text as HTML: ``<``, ``>``, ``&`` and both quotes escaped."""
    return html.escape(str(text), quote=True)


def _badge(verdict: Verdict, text: str | None = None) -> str:
    return f'<span class="badge {verdict.value}">{esc(text or verdict_label(verdict))}</span>'


def _table(table: Table) -> str:
    if not table.rows:
        return '<p class="note">(empty)</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    shown, rest = shown_rows(table)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in shown)
    caption = f"<caption>{esc(table.title)}</caption>" if table.title else ""
    more = f'<p class="note">{esc(rest)}</p>' if rest else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _td(cell) -> str:
    cls = ' class="text"' if isinstance(cell, str) else ""
    return f"<td{cls}>{esc(fmt(cell))}</td>"


def _check_row(c: Check) -> str:
    detail = esc(c.summary)
    if c.flagged and c.verdict is not Verdict.PASS:
        detail += f"<br><b>flagged:</b> {esc(', '.join(c.flagged[:12]))}" + (" ..." if len(c.flagged) > 12 else "")
    if c.advice:
        detail += f"<br><b>what to do:</b> {esc(c.advice)}"
    cites = "; ".join(f'<span title="{esc(x.reference)}">{esc(x.key)}</span>' for x in c.threshold.citations)
    return (f"<tr><td>{esc(c.title)}</td><td>{_badge(c.verdict)}</td><td>{esc(fmt(c.value))}</td>"
            f'<td class="text">{detail}</td><td class="text">{esc(c.threshold.rule)}</td>'
            f'<td class="text">{cites}</td></tr>')


def _checks(checks) -> str:
    if not checks:
        return ""
    head = ('<tr><th>check</th><th>verdict</th><th>value</th><th class="text">result</th>'
            '<th class="text">threshold</th><th class="text">sources</th></tr>')
    return f"<table><thead>{head}</thead><tbody>{''.join(_check_row(c) for c in checks)}</tbody></table>"


def _notes(notes) -> str:
    return "".join(f'<p class="note">note: {esc(n)}</p>' for n in notes)


def _figure(f: Figure) -> str:
    data = base64.b64encode(f.data).decode("ascii")
    return (f'<figure id="fig-{esc(f.key)}"><img src="data:{esc(f.media_type)};base64,{data}" alt="{esc(f.title)}">'
            f"<figcaption><b>{esc(f.title)}.</b> {esc(f.caption)}</figcaption></figure>")


def _figures(figures) -> str:
    return "".join(_figure(f) for f in figures)


def _model(s) -> str:
    width = len(str(len(s.source)))
    lines = "\n".join(f'<span class="ln">{i:>{width}} </span>{esc(line)}' for i, line in enumerate(s.source, 1))
    return (f'<p>File: <code>{esc(s.path)}</code></p><pre class="source">{lines}</pre>'
            f"<details open><summary>Checked variables and dims</summary><pre>{esc(s.checked)}</pre></details>")


def _data(s) -> str:
    where = f", data: <code>{esc(s.path)}</code>" if s.path else ""
    return f"<p>Model <code>{esc(s.model)}</code>{where}</p>{_table(s.table)}{_notes(s.notes)}"


def _run(s) -> str:
    settings = f"<p>Settings: {esc(settings_line(s.settings))}</p>" if s.settings else ""
    loo = ""
    if s.loo is not None:
        loo = ("<h3>Model checks</h3><p class=\"note\">How reliable the predictive estimates are; they do not "
               f"change the verdict on the draws.</p>{_table(s.loo)}{_checks(s.model_checks)}")
    return (f"<p>Model <code>{esc(s.model)}</code>, method <b>{esc(s.method)}</b>, engine {esc(s.engine)}</p>"
            f"{settings}<p>Verdict: {_badge(s.verdict)}</p>{_checks(s.checks)}"
            f"<details open><summary>Posterior summary</summary>{_table(s.summary)}</details>"
            f"{loo}{_notes(s.notes)}{_figures(s.figures)}")


def _calibration(s) -> str:
    return (f"<p>{esc(s.method.upper())} of run <code>{esc(s.run)}</code>: {s.completed} of {s.reps} "
            f"replications</p><p>Verdict: {_badge(s.verdict)}</p>{_checks(s.checks)}{_table(s.table)}"
            f"{_notes(s.notes)}{_figures(s.figures)}")


def _comparison(s) -> str:
    return (f"<p>PSIS-LOO with {esc(s.method)} weights</p>{_table(s.table)}{_checks(s.checks)}{_notes(s.notes)}"
            f"{_figures(s.figures)}")


def _figure_section(s) -> str:
    return (f"<p>{esc(s.text)}</p>" if s.text else "") + _figures(s.figures)


def _unavailable(s) -> str:
    hint = f"<p>Hint: {esc(s.hint)}</p>" if s.hint else ""
    return f"<p>{_badge(Verdict.WARN, 'not available')} {esc(s.reason)}</p>{hint}"


RENDERERS = {"model": _model, "data": _data, "run": _run, "calibration": _calibration, "comparison": _comparison,
             "figures": _figure_section, "unavailable": _unavailable}


def _list(items) -> str:
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>" if items else "-"


def _headline(report: Report) -> str:
    h = report.headline
    rows = "".join(f"<tr><td>{esc(r.name)}</td><td>{_badge(r.verdict, r.trust)}</td>"
                   f'<td class="text">{_list(r.reasons) if r.reasons else "all checks pass"}</td>'
                   f'<td class="text">{_list(r.advice)}</td></tr>' for r in h.runs)
    head = "<tr><th>run</th><th>verdict</th><th class='text'>why</th><th class='text'>what to do</th></tr>"
    table = f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>" if h.runs else ""
    advice = f"<p><b>What to do:</b></p>{_list(h.advice)}" if h.advice else ""
    return (f'<section class="headline {h.verdict.value}" id="verdict"><h2>Verdict {_badge(h.verdict)}</h2>'
            f"<p>{esc(h.summary)}</p>{table}{advice}</section>")


def _section(index: int, section) -> str:
    return f'<section id="s{index}"><h2>{esc(section_title(section))}</h2>{RENDERERS[section.kind](section)}</section>'


def render_html(report: Report) -> str:
    """The whole report as one HTML page."""
    description = f"<p>{esc(report.description)}</p>" if report.description else ""
    versions = ", ".join(f"{k} {v}" for k, v in report.versions)
    body = "".join(_section(i, s) for i, s in enumerate(report.sections))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{esc(report.title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{esc(report.title)}</h1>{description}"
            f'<p class="muted">Source: {esc(report.source)}</p></header>{_headline(report)}{body}'
            f"{_notes(report.notes)}<footer><p class=\"muted\">Made {esc(report.created)} with {esc(versions)}</p>"
            "</footer></body></html>\n")
