"""Renderers: golden Markdown and JSON of a seeded synthetic report; escaping; number formatting."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from conftest import GOLDEN, check_golden
from ppl.diagnostics.checks import Verdict
from ppl.report import render_html, render_json, render_markdown, render_text
from ppl.report.render_common import fmt



def test_markdown_golden(synthetic, update_golden):
    check_golden(GOLDEN / "report" / "synthetic.md", render_markdown(synthetic), update_golden)


def test_json_golden(synthetic, update_golden):
    check_golden(GOLDEN / "report" / "synthetic.json", render_json(synthetic), update_golden)


def test_json_is_the_report_without_image_bytes(synthetic):
    data = json.loads(render_json(synthetic))
    assert data["verdict"] == synthetic.headline.verdict.value == "fail"
    kinds = [s["kind"] for s in data["sections"]]
    assert kinds == ["model", "data", "run", "run", "run", "figures", "calibration", "calibration", "comparison",
                     "unavailable"]
    figures = [f for s in data["sections"] for f in s.get("figures", [])]
    assert figures and all(set(f) == {"key", "title", "caption", "media_type"} for f in figures)
    assert len(figures) == len(synthetic.figures()) and all(f.data for f in synthetic.figures())
    run = data["sections"][2]
    assert run["checks"][0]["threshold"]["citations"][0]["key"]  # every check carries its sources


def test_headline_verdicts_follow_the_checks(synthetic):
    runs = {r.name: r for r in synthetic.headline.runs}
    assert runs["good NUTS"].trust == "trust" and runs["good NUTS"].verdict is Verdict.PASS
    assert runs["bad NUTS"].trust == "do not trust"
    assert runs["ADVI"].trust == "do not trust"
    assert "use full-rank ADVI instead of mean-field" in runs["ADVI"].advice
    assert runs["VSBC of ADVI"].trust == "do not trust"
    assert runs["full-rank ADVI"].trust == "not run"
    text = render_text(synthetic)
    assert text.splitlines()[1].startswith("verdict: FAIL")
    assert "bad NUTS: do not trust" in text


def test_renderers_are_pure(synthetic):
    assert render_markdown(synthetic) == render_markdown(synthetic)
    assert render_html(synthetic) == render_html(synthetic)


def test_html_escapes_every_text_from_models_and_data(hostile):
    page = render_html(hostile)
    assert "<script" not in page.lower()
    assert "<img src=x" not in page and "<b>C" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;C&lt;/b&gt;" in page                  # a data label (a coordinate of `school`)
    assert "&lt;img src=x onerror=&quot;window.__xss_ran" in page  # a comment in the model source
    assert 'http-equiv="Content-Security-Policy"' in page


def test_markdown_escapes_html_in_text(hostile):
    md = render_markdown(hostile)
    head = md.split("```text")[0]  # everything before the model source (title, description, headline)
    assert not re.search(r"(?<!\\)<", head)  # every < of the title, description and names is escaped
    assert "\\<script\\>alert(1)\\</script\\>" in head


def test_markdown_fence_is_longer_than_any_backtick_run():
    from ppl.report.render_md import _fence

    lines = _fence(["a ```` b"])
    assert lines[0] == "`````text" and lines[-1] == "`````"


@pytest.mark.parametrize("cell, text", [(None, "-"), (float("nan"), "-"), (3, "3"), (1234.56, "1235"),
                                        (0.012345, "0.0123"), (-0.0, "0"), (float("inf"), "inf"), ("x|y", "x|y"),
                                        (1.0, "1")])
def test_fmt(cell, text):
    assert fmt(cell) == text


def test_volatile_fields_do_not_reach_renderings_when_masked(synthetic):
    changed = replace(synthetic, created="2030-01-01")
    assert render_markdown(changed) != render_markdown(synthetic)  # the stamp is shown ...
    assert "<created>" in render_markdown(synthetic)                # ... and masked in the goldens


def test_long_tables_are_cut_in_html_and_markdown_but_not_in_json():
    from ppl.report.build import assemble
    from ppl.report.model import DataSection, Table
    from ppl.report.render_common import MAX_ROWS

    rows = tuple((f"x[{i}]", float(i)) for i in range(MAX_ROWS + 7))
    report = assemble("t", "", "s", [DataSection("m", "", Table(("variable", "value"), rows))])
    assert "x[99]" in render_html(report) and "x[100]" not in render_html(report)
    assert "7 more rows are in report.json" in render_html(report)
    assert "(7 more rows are in report.json)" in render_markdown(report) and "x\\[100\\]" not in render_markdown(report)
    assert len(json.loads(render_json(report))["sections"][0]["table"]["rows"]) == MAX_ROWS + 7
