"""Fixtures of the report tests: Chromium, a synthetic report, studies run small (shared per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import find_chromium

ROOT = Path(__file__).resolve().parents[2]
STUDIES = ROOT / "diagnostics"
NO_BROWSER = ("Chromium is not installed, so the HTML reports cannot be opened: scripts/test installs Debian's "
              "`chromium` when it runs as root with apt-get; otherwise run `apt-get install -y chromium`")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(NO_BROWSER)
    return path


@pytest.fixture(scope="session")
def synthetic():
    from .synthetic import masked, synthetic_report

    return masked(synthetic_report())


@pytest.fixture(scope="session")
def hostile(synthetic):
    """The synthetic report with a title, description and model name that are HTML/JS payloads.

    The model source already has an ``<img onerror>`` comment and a data label is ``<b>C</b>``.
    """
    from dataclasses import replace

    from .synthetic import XSS

    sections = tuple(replace(s, name=XSS) if s.kind == "model" else replace(s, model=XSS) if s.kind == "data"
                     else s for s in synthetic.sections)
    return replace(synthetic, title=XSS, description='<img src=x onerror="alert(2)">', sections=sections)


def tiny_limits():
    """Small enough for the default test run, large enough for the eight-schools verdicts to hold."""
    from ppl.report import Limits

    return Limits(draws=500, tune=500, chains=4, vi_draws=4000, steps=5000, reps=8, rep_draws=300)


@pytest.fixture(scope="session")
def eight_schools_small(tmp_path_factory):
    """The shipped eight-schools study at small size: ``(report, output folder)``."""
    from ppl.report import load_study, run_study, write_report

    study = load_study(str(STUDIES / "eight_schools.toml")).limited(tiny_limits(), "test size")
    report = run_study(study)
    out = tmp_path_factory.mktemp("eight_schools")
    write_report(report, out)
    return report, out
