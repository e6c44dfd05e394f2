"""Check verdicts against thresholds, the sample-size dependent k threshold, JSON of results."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ppl.diagnostics import thresholds as T
from ppl.diagnostics.checks import Check, Threshold, Verdict, to_jsonable, worst


def test_threshold_above_and_below():
    above = Threshold("X", "above", 1.0, 2.0, "rule")
    assert [above.verdict(v) for v in (0.5, 1.0, 1.5, 2.5)] == [Verdict.PASS, Verdict.PASS, Verdict.WARN,
                                                                 Verdict.FAIL]
    below = Threshold("Y", "below", 0.3, 0.2, "rule")
    assert [below.verdict(v) for v in (0.5, 0.25, 0.1)] == [Verdict.PASS, Verdict.WARN, Verdict.FAIL]


def test_nan_is_not_a_pass():
    assert T.RHAT.verdict(float("nan")) is Verdict.FAIL
    assert T.TREEDEPTH.verdict(float("nan")) is Verdict.WARN  # no fail level


def test_warn_only_threshold_never_fails():
    assert T.TREEDEPTH.verdict(0.9) is Verdict.WARN


def test_worst():
    assert worst([]) is Verdict.PASS
    assert worst([Verdict.PASS, Verdict.FAIL, Verdict.WARN]) is Verdict.FAIL


@pytest.mark.parametrize("s, expected", [(100, 0.5), (1000, 1 - 1 / 3), (10_000, 0.7), (10**6, 0.7)])
def test_good_k_is_min_of_log_rule_and_cap(s, expected):
    # Vehtari et al. 2024: min(1 - 1/log10(S), 0.7)
    assert T.good_k(s) == pytest.approx(expected)


def test_every_threshold_names_a_source():
    for th in (T.RHAT, T.MCSE, T.DIVERGENCES, T.TREEDEPTH, T.EBFMI, T.P_WAIC, T.ess_threshold(4, "bulk"),
               T.psis_vi_threshold(10_000), T.loo_k_threshold(4000)):
        assert th.citations and all(c.reference for c in th.citations)


def test_json_of_a_check_has_no_nan_and_round_trips():
    check = Check("x", "X", Verdict.WARN, float("nan"), T.RHAT, "s", flagged=("a",))
    data = to_jsonable(check)
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["verdict"] == "warn" and data["value"] is None
    assert to_jsonable(np.array([1.0, math.inf])) == [1.0, None]
