"""Choices the plots make (ppl.report.plots)."""

from __future__ import annotations

import numpy as np

from ppl.report.plots import distinct_scalars


def test_pair_plot_skips_near_copies_and_constants():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(2, 4, 500))
    draws = {"p[0]": a, "p[1]": a * 2 + 1e-6 * b, "c": np.ones((4, 500)), "q": -a + 0.01 * b, "b": b,
             "mix": a + b, "label": (a > 0).astype(float)}
    assert distinct_scalars(draws, ["p[0]", "p[1]", "c", "label", "q", "b", "mix"], 3) == ["p[0]", "b", "mix"]
    assert distinct_scalars(draws, ["p[0]", "p[1]"], 3) == ["p[0]"]  # fewer than asked: no pair plot
    assert distinct_scalars(draws, ["missing", "b"], 1) == ["b"]
