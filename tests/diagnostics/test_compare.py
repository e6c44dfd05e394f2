"""Model comparison: ranking, paired differences and stacking weights against a hand optimizer."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ppl.diagnostics import compare, loo


def _tree(log_lik):
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"a": (("chain", "draw"), np.zeros(log_lik.shape[:2]))}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw", "i"), log_lik)})})


def hand_stacking_two(elpd_a, elpd_b):
    """Maximize sum_i log(w exp(elpd_a,i) + (1 - w) exp(elpd_b,i)) over a fine grid of w."""
    w = np.linspace(0, 1, 100_001)[:, None]
    score = np.log(w * np.exp(elpd_a) + (1 - w) * np.exp(elpd_b)).sum(axis=1)
    return float(w[np.argmax(score), 0])


def test_stacking_weights_match_hand_optimizer():
    rng = np.random.default_rng(0)
    n = 60
    y = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(0, 3, n // 2)])  # half narrow, half wide
    ll_a = stats.norm.logpdf(y, rng.normal(0, 0.05, (1, 800, 1)), 1.0)   # model a: sd 1
    ll_b = stats.norm.logpdf(y, rng.normal(0, 0.05, (1, 800, 1)), 3.0)   # model b: sd 3
    a, b = loo(_tree(ll_a)), loo(_tree(ll_b))
    result = compare({"a": a, "b": b})
    weights = {r.name: r.weight for r in result.rows}
    assert 0.05 < weights["a"] < 0.95  # each model predicts part of the data best
    assert weights["a"] == pytest.approx(hand_stacking_two(a.elpd_i, b.elpd_i), abs=2e-3)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_ranking_and_paired_difference():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 40)
    good = loo(_tree(stats.norm.logpdf(y, rng.normal(0, 0.1, (2, 500, 1)), 1.0)))
    bad = loo(_tree(stats.norm.logpdf(y, rng.normal(2, 0.1, (2, 500, 1)), 1.0)))
    result = compare({"bad": bad, "good": good})
    assert result.best == "good" and [r.rank for r in result.rows] == [0, 1]
    diff = good.elpd_i - bad.elpd_i
    assert result.rows[1].elpd_diff == pytest.approx(-diff.sum())
    assert result.rows[1].dse == pytest.approx(np.sqrt(diff.size * np.var(diff)), rel=1e-6)
    assert result.rows[0].weight > 0.99


def test_different_observations_are_refused():
    rng = np.random.default_rng(2)
    a = loo(_tree(rng.normal(size=(1, 100, 5))))
    b = loo(_tree(rng.normal(size=(1, 100, 6))))
    with pytest.raises(ValueError, match="different numbers of observations"):
        compare({"a": a, "b": b})
    with pytest.raises(ValueError, match="at least two"):
        compare({"a": a})


def test_eight_schools_models_predict_alike(eight_schools):
    result = compare(eight_schools)
    assert {r.name for r in result.rows} == {"centered", "noncentered"}
    assert abs(result.rows[1].elpd_diff) < 2 * result.rows[1].dse + 0.2  # the same model, reparameterized
