"""The notes under a comparison table say what the ranking means (ppl.report.compare_notes)."""

from __future__ import annotations

from types import SimpleNamespace

from ppl.report.compare_notes import comparison_notes


def _row(name, diff=0.0, dse=0.0, diag_elpd=""):
    return SimpleNamespace(name=name, elpd_diff=diff, dse=dse, diag_elpd=diag_elpd)


def _notes(*rows, n=200, untrusted=None):
    return comparison_notes(SimpleNamespace(rows=rows), n, untrusted)


def test_a_clear_difference_a_noisy_one_and_a_small_one():
    notes = _notes(_row("a"), _row("b", -30.0, 7.0), _row("c", -9.0, 5.0), _row("d", -3.9, 0.5))
    assert notes[0] == "ranked first by elpd_loo: a"
    assert notes[1].startswith("b: elpd_diff -30 (se 7) against a") and notes[1].endswith("predicts clearly worse")
    assert notes[2].endswith("within two standard errors; not a clear difference")
    assert "a small difference (|elpd_diff| < 4)" in notes[3] and "do not single out a better model" in notes[3]
    assert len(notes) == 4  # 200 observations, no high k, every run trusted: nothing more to say


def test_few_observations_high_k_and_untrusted_runs_are_said():
    notes = _notes(_row("a", diag_elpd="2 k̂ > 0.70"), _row("b", -50.0, 3.0), n=8, untrusted={"a": "do not trust"})
    assert "b: elpd_diff -50 (se 3) against a: predicts clearly worse" in notes
    assert "only 8 observations (fewer than 100)" in notes[2]
    assert notes[3].startswith("a: 2 k̂ > 0.70: its elpd_loo may be too optimistic")
    assert notes[4].startswith('a: its run\'s verdict is "do not trust"')
