"""SBC: ranks, thinning, detection of wrong posteriors, parallel = serial, partial results.

Fast tests use a conjugate model whose exact posterior is drawn directly (a correct "engine") and
deliberately wrong versions of it; NUTS itself is tested on eight schools (small here, full in slow).
"""

from __future__ import annotations

import numpy as np
import pytest

from . import calib_models as cm
from .calib_models import MODELS
from ppl.diagnostics import sbc
from ppl.diagnostics.calibration import BuiltBy
from ppl.diagnostics.checks import Verdict
from ppl.diagnostics.fitters import FitOptions
from ppl.diagnostics.sbc import ranks_of, thin_step
from ppl.diagnostics.text import render_text


def test_ranks_count_draws_below_the_truth():
    draws = np.array([[0.1, 5.0], [0.2, 6.0], [0.3, 7.0], [0.4, 8.0]])
    ranks, u = ranks_of(np.array([0.25, 100.0]), draws, np.random.default_rng(0))
    assert ranks.tolist() == [2, 4]
    assert 2 / 5 <= u[0] < 3 / 5 and 4 / 5 <= u[1] < 1


def test_thinning_to_the_effective_sample_size():
    rng = np.random.default_rng(1)
    iid = rng.normal(size=(2000, 1))
    assert thin_step(iid, 2)[0] == 1
    ar = np.zeros(2000)
    for t in range(1, 2000):
        ar[t] = 0.95 * ar[t - 1] + rng.normal()
    step, ess = thin_step(ar[:, None], 2)
    assert ess < 200 and step == int(2000 // ess)


def test_exact_posterior_passes():
    result = sbc(cm.normal_mean_model(), reps=200, engine=cm.exact_normal, seed=1, workers=1, progress=False)
    assert result.verdict is Verdict.PASS
    assert result.n_completed == 200 and result.ranks.shape == (200, 1)
    assert result.parameters[0].pattern == "uniform"
    assert result.histograms[0].counts.sum() == 200 and result.band.n == 200


@pytest.mark.parametrize("engine, pattern", [(cm.overconfident_normal, "too narrow"),
                                             (cm.biased_normal, "biased")])
def test_wrong_posteriors_fail(engine, pattern):
    result = sbc(cm.normal_mean_model(), reps=200, engine=engine, seed=1, workers=1, progress=False)
    assert result.verdict is Verdict.FAIL
    assert result.check.flagged and result.check.flagged[0].startswith("mu")
    assert pattern in result.parameters[0].pattern


def test_a_pymc_model_object_is_never_sent_to_workers():
    """No model object is pickled: a PyMC model runs here (with a warning), and Dask refuses it."""
    kwargs = dict(reps=6, engine=cm.exact_normal, seed=5, progress=False)
    serial = sbc(cm.normal_mean_model(), workers=1, **kwargs)
    with pytest.warns(UserWarning, match="runs its replications in this process"):
        here = sbc(cm.normal_mean_model(), workers=2, **kwargs)
    np.testing.assert_array_equal(serial.ranks, here.ranks)
    with pytest.raises(ValueError, match="cannot be sent to Dask"):
        sbc(cm.normal_mean_model(), scheduler="tcp://127.0.0.1:1", **kwargs)


def test_process_pool_and_dask_give_the_serial_result():
    from distributed import Client, LocalCluster

    kwargs = dict(reps=12, engine=cm.exact_normal, seed=5, progress=False)
    source = BuiltBy(cm.normal_mean_model)
    serial = sbc(cm.normal_mean_model(), workers=1, **kwargs)
    pooled = sbc(source, workers=2, **kwargs)
    np.testing.assert_array_equal(serial.ranks, pooled.ranks)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            on_dask = sbc(source, scheduler=client, **kwargs)
        by_address = sbc(source, scheduler=cluster.scheduler_address, **kwargs)
    np.testing.assert_array_equal(serial.ranks, on_dask.ranks)
    np.testing.assert_array_equal(serial.u, by_address.u)


def test_interrupt_keeps_partial_results():
    result = sbc(cm.normal_mean_model(), reps=30, engine=cm.Interrupting(at=7), seed=2, workers=1, progress=False)
    assert result.interrupted and result.n_completed == 7 and result.n_requested == 30
    assert any("interrupted" in n for n in result.notes)


def test_failed_replications_are_recorded_and_skipped():
    result = sbc(cm.normal_mean_model(), reps=9, engine=cm.failing_every_third, seed=3, workers=1, progress=False)
    assert result.n_completed == 6 and len(result.failures) == 3
    assert "deliberate failure" in result.failures[0].error


def test_nuts_on_eight_schools_small():
    """A fast run of the real engine path: ppl model source, set_observed, PyMC's NUTS step reused."""
    import ppl
    from ppl.diagnostics.calibration import PplSource

    model = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    source = PplSource.of(model, model.bind())
    result = sbc(source, reps=12, engine="pymc", options=FitOptions(draws=300, tune=300, chains=2), seed=4,
                 workers=1, progress=False)
    assert result.n_completed == 12 and not result.failures
    assert result.ranks.shape == (12, 18)
    assert [p.name for p in result.parameters][:3] == ["mu", "tau", "theta_raw[0]"]
    assert (result.ranks >= 0).all() and (result.ranks <= result.n_thinned[:, None]).all()
    assert result.verdict is not Verdict.FAIL


@pytest.mark.slow
def test_nuts_on_eight_schools_noncentered_passes():
    import ppl
    from ppl.diagnostics.calibration import PplSource

    model = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    result = sbc(PplSource.of(model, model.bind()), reps=200, engine="nutpie",
                 options=FitOptions(draws=1000, tune=1000, chains=2, target_accept=0.95), seed=2018, workers=2,
                 progress=False)
    print(render_text(result))
    assert result.n_completed >= 195
    assert result.verdict is Verdict.PASS, result.check.summary


@pytest.mark.slow
def test_nuts_on_a_wrong_model_fails():
    """Simulate from the non-centred model, fit a model whose prior on mu is shifted: SBC must fail."""
    import ppl
    from ppl.diagnostics.calibration import PplSource

    right = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    text = (MODELS / "eight_schools_noncentered.ppl").read_text().replace("mu ~ Normal(0, 5)", "mu ~ Normal(5, 2)")
    wrong = ppl.compile(text, "wrong.ppl")
    result = sbc(PplSource.of(right, right.bind()), fit_model=PplSource.of(wrong, right.bind()), reps=100,
                 engine="nutpie", options=FitOptions(draws=500, tune=500, chains=2), seed=7, workers=2,
                 progress=False)
    print(render_text(result))
    assert result.verdict is Verdict.FAIL
    assert any(f.startswith("mu") for f in result.check.flagged)


@pytest.mark.slow
def test_batched_blackjax_sbc_equals_sequential():
    """NUTS (BlackJAX) vmapped over replications gives the same ranks as one replication at a time."""
    import ppl
    from ppl.diagnostics.calibration import PplSource
    from ppl.diagnostics.fitters import FitOptions
    from ppl.infer.calibrate import BlackjaxEngine

    model = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    source = PplSource.of(model, model.bind())
    options = FitOptions(draws=200, tune=200, chains=2)
    batched = sbc(source, engine=BlackjaxEngine(), reps=6, seed=3, batch=4, options=options, progress=False)
    serial = sbc(source, engine=BlackjaxEngine(), reps=6, seed=3, workers=1, options=options, progress=False)
    np.testing.assert_array_equal(batched.ranks, serial.ranks)
    np.testing.assert_allclose(batched.u, serial.u, atol=1e-12)
    np.testing.assert_array_equal(batched.n_thinned, serial.n_thinned)
    assert batched.engine == "blackjax" and not batched.failures
