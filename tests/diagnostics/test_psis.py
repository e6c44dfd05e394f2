"""PSIS k-hat of a variational fit on known Gaussians, and the PSIS-corrected moments.

For q = N(0, s^2) and p = N(0, 1) with s < 1 the ratios p/q have a Pareto tail of
shape k = 1 - s^2; for s >= 1 they are bounded (k <= 0).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ppl.diagnostics import psis_vi
from ppl.diagnostics.checks import Verdict

S = 10_000


def _fit(q_mean, q_sd, seed, p_mean=0.0, p_sd=1.0, const=0.0, size=S):
    x = np.random.default_rng(seed).normal(q_mean, q_sd, size=size)
    return psis_vi(stats.norm.logpdf(x, p_mean, p_sd) + const, stats.norm.logpdf(x, q_mean, q_sd), {"x": x}), x


def test_q_narrower_than_p_gives_large_k_and_fails():
    result, _ = _fit(0.0, 0.4, seed=1)  # true k = 1 - 0.16 = 0.84
    assert result.khat > 0.7
    assert result.verdict is Verdict.FAIL
    assert result.good_k == pytest.approx(0.7)
    assert result.check.advice


def test_q_wider_with_matching_mean_gives_small_k_and_passes():
    result, _ = _fit(0.0, 2.0, seed=2)
    assert result.khat < 0.5
    assert result.verdict is Verdict.PASS


def test_k_orders_with_the_width_of_q():
    ks = [_fit(0.0, s, seed=3)[0].khat for s in (0.3, 0.5, 0.8, 1.5)]
    assert ks == sorted(ks, reverse=True)


def test_psis_corrects_the_mean_and_sd_of_a_shifted_wide_q():
    result, x = _fit(0.5, 1.5, seed=4, p_mean=0.0, p_sd=1.0)
    est = result.estimates[0]
    assert est.raw_mean == pytest.approx(0.5, abs=0.05)  # the raw VI mean is off by 0.5
    mc_se = 1.0 / np.sqrt(result.ess)
    assert abs(est.psis_mean - 0.0) < 4 * mc_se  # corrected: the target mean 0
    assert est.psis_sd == pytest.approx(1.0, abs=0.05)
    assert est.raw_sd == pytest.approx(1.5, abs=0.05)


def test_unnormalized_log_p_gives_the_same_result():
    a, _ = _fit(0.0, 0.6, seed=5)
    b, _ = _fit(0.0, 0.6, seed=5, const=123.4)
    assert a.khat == pytest.approx(b.khat)
    np.testing.assert_allclose(a.log_weights, b.log_weights, atol=1e-10)


def test_sign_convention_ratios_are_p_over_q():
    # swapping p and q (ratios q/p for draws from q) is a different, bounded problem here
    x = np.random.default_rng(6).normal(0, 0.3, size=S)  # true k = 1 - 0.09
    right = psis_vi(stats.norm.logpdf(x, 0, 1), stats.norm.logpdf(x, 0, 0.3))
    swapped = psis_vi(stats.norm.logpdf(x, 0, 0.3), stats.norm.logpdf(x, 0, 1))
    assert right.khat > 0.7 > swapped.khat


def test_dataarray_inputs_and_named_elements():
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1.2, size=(2, S // 2, 3))
    lp = stats.norm.logpdf(x).sum(-1)
    lq = stats.norm.logpdf(x, 0, 1.2).sum(-1)
    draws = xr.Dataset({"b": (("chain", "draw", "k"), x)}, coords={"k": ["a", "b", "c"]})
    result = psis_vi(xr.DataArray(lp, dims=("chain", "draw")), xr.DataArray(lq, dims=("chain", "draw")), draws)
    assert [e.name for e in result.estimates] == ["b[a]", "b[b]", "b[c]"]
    assert result.n_draws == S and result.verdict is Verdict.PASS


def test_few_draws_are_noted_and_shift_the_threshold():
    result, _ = _fit(0.0, 1.0, seed=8, size=500)
    assert any("noisy" in n for n in result.notes)
    assert result.good_k == pytest.approx(1 - 1 / np.log10(500))


def test_exact_q_has_uniform_weights():
    x = np.random.default_rng(9).normal(size=1000)
    result = psis_vi(stats.norm.logpdf(x) + 2.0, stats.norm.logpdf(x))
    assert result.verdict is Verdict.PASS
    np.testing.assert_allclose(np.exp(result.log_weights), 1 / 1000)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="log_p has 3 values but log_q has 2"):
        psis_vi(np.zeros(3), np.zeros(2))
