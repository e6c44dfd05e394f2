"""``ppl.diagnostics.mcmc_stats`` and the summary table against ``arviz_stats`` itself.

The NumPy port must give arviz_stats' numbers (rank-normalized R-hat, bulk and
tail ESS, MCSE, HDI; Vehtari et al. 2021) on autocorrelated, i.i.d., discrete
(ties), heavy-tailed, one-chain, short, odd-length, constant and NaN draws; the
printed summary table must be character for character arviz_stats.summary's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ppl.diagnostics import mcmc_stats as ms

azs = pytest.importorskip("arviz_stats")


def _ar1(rng, shape, phi=0.7):
    e = rng.normal(size=shape)
    x = np.empty(shape)
    x[..., 0] = e[..., 0]
    for t in range(1, shape[-1]):
        x[..., t] = phi * x[..., t - 1] + e[..., t]
    return x


def _cases():
    rng = np.random.default_rng(20261206)
    return {
        "ar1": _ar1(rng, (3, 4, 800)),
        "iid": rng.normal(size=(2, 4, 250)),
        "ties": rng.poisson(2, size=(3, 4, 300)).astype(float),
        "one_chain": _ar1(rng, (2, 1, 400)),
        "odd_draws": _ar1(rng, (2, 3, 37)),
        "too_short": rng.normal(size=(2, 2, 3)),
        "constant": np.ones((1, 4, 50)),
        "with_nan": np.where(rng.random((2, 4, 60)) < 0.02, np.nan, rng.normal(size=(2, 4, 60))),
        "cauchy": rng.standard_cauchy((2, 4, 500)),
    }


CASES = _cases()
AXES = {"chain_axis": -2, "draw_axis": -1}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("stat", ["rhat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd"])
def test_matches_arviz_stats(case, stat):
    x = CASES[case]
    ours = {"rhat": lambda: ms.rhat(x), "ess_bulk": lambda: ms.ess_bulk(x),
            "ess_tail": lambda: ms.ess_tail(x, 0.05), "mcse_mean": lambda: ms.mcse_mean(x),
            "mcse_sd": lambda: ms.mcse_sd(x)}[stat]
    ref = {"rhat": lambda: azs.rhat(x, method="rank", **AXES), "ess_bulk": lambda: azs.ess(x, method="bulk", **AXES),
           "ess_tail": lambda: azs.ess(x, method="tail", prob=0.05, **AXES),
           "mcse_mean": lambda: azs.mcse(x, method="mean", **AXES),
           "mcse_sd": lambda: azs.mcse(x, method="sd", **AXES)}[stat]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0/0 of constant draws, in both implementations
        a, b = np.asarray(ours(), dtype=float), np.asarray(ref(), dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True)


def test_hdi_matches_arviz_stats():
    x = CASES["ar1"]
    ref = azs.hdi(xr.DataArray(x, dims=("k", "chain", "draw")), prob=0.94)
    np.testing.assert_array_equal(ms.hdi(x, 0.94), np.asarray(ref.transpose("k", "ci_bound")))


def test_next_fast_len_is_scipys():
    from scipy.fftpack import next_fast_len

    assert [ms.next_fast_len(n) for n in range(1, 3000)] == [next_fast_len(n) for n in range(1, 3000)]


def _tree():
    rng = np.random.default_rng(7)
    post = xr.Dataset({
        "mu": (("chain", "draw"), _ar1(rng, (4, 300)) * 3 + 2),
        "theta": (("chain", "draw", "school"), rng.normal(size=(4, 300, 3)) * [1e-4, 1.0, 250.0]),
        "beta": (("chain", "draw", "row", "col"), rng.standard_t(3, size=(4, 300, 2, 2))),
        "k": (("chain", "draw"), rng.poisson(3, size=(4, 300)).astype(float)),
    }, coords={"chain": np.arange(4), "draw": np.arange(300), "school": ["Choate", "Deerfield", "Hotchkiss"]})
    return xr.DataTree.from_dict({"posterior": post})


def test_summary_table_is_arviz_stats_summary():
    from ppl.infer.summary import format_table, summary_table

    tree = _tree()
    ours = summary_table(tree)
    ref = azs.summary(tree, ci_kind="hdi", ci_prob=0.94)
    assert list(ours.index) == list(ref.index) and list(ours.columns) == list(ref.columns)
    np.testing.assert_allclose(ours.to_numpy(float), pd.DataFrame(ref).to_numpy(float), rtol=1e-12)
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        assert format_table(ours) == ref.to_string()


def test_summary_does_not_import_arviz_stats():
    """The point of the port: printing a summary loads neither arviz_stats nor scipy.stats."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, xarray as xr; from ppl.infer.summary import format_summary, warnings_for; "
            "rng = np.random.default_rng(1); "
            "t = xr.DataTree.from_dict({'posterior': xr.Dataset({'mu': (('chain', 'draw'), rng.normal(size=(2, 50)))})}); "
            "format_summary(t); warnings_for(t); print(sorted(m for m in ('arviz_stats', 'scipy.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
