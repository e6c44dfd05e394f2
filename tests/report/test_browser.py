"""Reports in headless Chromium: no console errors, every plot loads, something is drawn, no script runs.

The browser checks run over the DevTools protocol (:mod:`.browser`); the
first test shows that they catch what they look for on a page that has
every fault, so a passing report is not a test that cannot fail.
"""

from __future__ import annotations

import io

import numpy as np

from ppl.report import write_report

from .browser import inspect
from .synthetic import XSS


def non_blank(png: bytes) -> bool:
    """More than one colour in the top 900 px, and not almost all background."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return pixels.std() > 5 and (pixels < 200).mean() > 0.01


def assert_opens_cleanly(page) -> None:
    assert page.console_errors == []
    assert page.dialogs == []
    assert page.scripts == 0
    assert page.images and all(i["complete"] and i["width"] > 0 for i in page.images), page.images
    assert non_blank(page.screenshot)


def test_the_checks_catch_a_broken_page(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><h1>x</h1><img src="missing.png">'
                   '<script>console.error("boom"); window.__xss_ran = true; alert(1);</script></body></html>')
    page = inspect(chromium, bad)
    assert any("boom" in e for e in page.console_errors)
    assert page.dialogs == ["1"] and page.marker and page.scripts == 1
    assert page.images == [{"alt": "", "complete": True, "width": 0}]
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    assert not non_blank(inspect(chromium, blank).screenshot)


def test_synthetic_report_opens_cleanly(chromium, synthetic, tmp_path):
    write_report(synthetic, tmp_path)
    page = inspect(chromium, tmp_path / "report.html")
    assert_opens_cleanly(page)
    assert len(page.images) == len(synthetic.figures())
    assert page.title == synthetic.title


def test_script_in_model_name_title_and_source_does_not_run(chromium, hostile, tmp_path):
    write_report(hostile, tmp_path)
    page = inspect(chromium, tmp_path / "report.html")
    assert_opens_cleanly(page)
    assert not page.marker                      # the <img onerror> in the model's comments did not fire
    assert page.title == XSS and page.h1 == XSS  # shown as text, exactly as written
