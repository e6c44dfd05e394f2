"""VSBC (Yao et al. 2018): symmetric p for an exact posterior, asymmetric for a biased approximation.

The model has a conjugate posterior for a precision tau, so the exact posterior is one "fit" and a
normal approximation shrunk towards zero (an under-dispersed, downward-biased q, like mean-field
ADVI on scale parameters) is the other.
"""

from __future__ import annotations

import numpy as np

from . import calib_models as cm
from ppl.diagnostics import vsbc
from ppl.diagnostics.checks import Verdict
from ppl.diagnostics.vsbc import symmetry_test


def test_exact_posterior_is_symmetric():
    result = vsbc(cm.precision_model(), engine=cm.exact_precision, reps=200, seed=11, workers=1, progress=False)
    assert result.verdict is Verdict.PASS, result.check.summary
    assert result.parameters[0].direction == "none"
    assert result.p.shape == (200, 1) and result.histograms[0].counts.sum() == 200


def test_shrunk_approximation_underestimates_tau():
    result = vsbc(cm.precision_model(), engine=cm.shrunk_precision, reps=200, seed=11, workers=1, progress=False,
                  method="shrunk-normal")
    assert result.verdict is Verdict.FAIL
    param = result.parameters[0]
    assert param.direction == "under" and param.mean_p > 0.6
    assert "tau is underestimated by q" in result.notes
    assert result.method == "shrunk-normal"


def test_inflated_approximation_overestimates_tau():
    result = vsbc(cm.precision_model(), engine=cm.inflated_precision, reps=200, seed=11, workers=1,
                  progress=False)
    assert result.verdict is Verdict.FAIL and result.parameters[0].direction == "over"


def test_symmetry_test_is_calibrated_where_two_sample_ks_is_not():
    """p and 1 - p are not independent samples: the two-sample KS p-value rejects too often."""
    rng = np.random.default_rng(0)
    tests = [symmetry_test("x", u, n_flips=400) for u in rng.uniform(size=(300, 100))]
    ours = np.mean([t.p_value < 0.05 for t in tests])
    naive = np.mean([t.ks_pvalue_naive < 0.05 for t in tests])
    assert 0.02 <= ours <= 0.09
    assert naive > ours


def test_generic_simulate_function_and_dask():
    from distributed import Client, LocalCluster

    from ppl.diagnostics.simulate import simulate_prior

    def simulate(reps, seed):
        return simulate_prior(cm.precision_model(), reps, seed)

    serial = vsbc(None, engine=cm.exact_precision, simulate=simulate, reps=10, seed=3, workers=1, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            on_dask = vsbc(None, engine=cm.exact_precision, simulate=simulate, reps=10, seed=3, scheduler=client,
                           progress=False)
    np.testing.assert_array_equal(serial.p, on_dask.p)
