"""WAIC against a hand implementation of the published formulas and against closed forms.

Formulas: Watanabe (2010); Vehtari, Gelman & Gabry (2017), eqs. 3 (lppd), 11-12 (p_waic as the
sample variance of the log-likelihood over draws), 23 (se).  No published WAIC value for exactly
this model and prior was found in the reference corpus; the closed-form test below is exact instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ppl.diagnostics import loo, waic
from ppl.diagnostics.checks import Verdict
from ppl.diagnostics.waic import waic_arrays


def hand_waic(log_lik):
    """Loops over observations and draws, straight from the formulas."""
    S, n = log_lik.shape
    lppd, p_waic, pointwise = 0.0, 0.0, []
    for i in range(n):
        col = [float(log_lik[s, i]) for s in range(S)]
        top = max(col)
        lppd_i = top + math.log(sum(math.exp(c - top) for c in col) / S)
        mean = sum(col) / S
        p_i = sum((c - mean) ** 2 for c in col) / (S - 1)
        lppd += lppd_i
        p_waic += p_i
        pointwise.append(lppd_i - p_i)
    mean_e = sum(pointwise) / n
    se = math.sqrt(n * sum((e - mean_e) ** 2 for e in pointwise) / (n - 1))
    return {"elpd": lppd - p_waic, "p": p_waic, "lppd": lppd, "se": se}


def test_matches_hand_implementation_on_fixed_arrays():
    rng = np.random.default_rng(0)
    log_lik = rng.normal(-2, 0.7, size=(300, 12)) + rng.gamma(1, 1, size=(1, 12))
    ours, hand = waic_arrays(log_lik), hand_waic(log_lik)
    for key in ("elpd", "p", "lppd", "se"):
        assert ours[key] == pytest.approx(hand[key], rel=1e-12)


def test_closed_form_complete_pooling_eight_schools():
    """y_j ~ N(mu, sigma_j), flat prior: mu | y ~ N(m, v).  Then exactly
    lppd_j = log N(y_j | m, sigma_j^2 + v) and
    p_waic_j = Var[(y_j - mu)^2] / (4 sigma_j^4) = (2 v^2 + 4 (y_j - m)^2 v) / (4 sigma_j^4)."""
    y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
    s = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])
    v = 1 / np.sum(1 / s ** 2)
    m = v * np.sum(y / s ** 2)
    mu = np.random.default_rng(1).normal(m, np.sqrt(v), size=200_000)
    result = waic_arrays(stats.norm.logpdf(y[None, :], mu[:, None], s[None, :]))
    lppd_exact = stats.norm.logpdf(y, m, np.sqrt(s ** 2 + v))
    p_exact = (2 * v ** 2 + 4 * (y - m) ** 2 * v) / (4 * s ** 4)
    np.testing.assert_allclose(result["p_i"], p_exact, rtol=0.02)
    np.testing.assert_allclose(result["lppd_i"], lppd_exact, atol=2e-3)
    assert result["elpd"] == pytest.approx(np.sum(lppd_exact - p_exact), abs=5e-3)


def test_waic_close_to_loo_and_flags_large_p(eight_schools):
    tree = eight_schools["noncentered"]
    w = waic(tree)
    assert w.elpd == pytest.approx(loo(tree).elpd, abs=0.15)
    assert w.waic == pytest.approx(-2 * w.elpd)
    assert w.verdict is Verdict.PASS

    rng = np.random.default_rng(2)
    wild = rng.normal(0, 1.5, size=(1, 1000, 3))  # pointwise log-lik variance 2.25 > 0.4
    tree = xr.DataTree.from_dict({"log_likelihood": xr.Dataset({"y": (("chain", "draw", "i"), wild)})})
    result = waic(tree)
    assert result.verdict is Verdict.WARN and len(result.check.flagged) == 3
