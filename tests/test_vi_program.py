"""The VI result and the compiled program: densities per draw against independent
computations, the result's layout, re-fitting without recompiling, vmap over data
sets, divergence."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import ppl
from conftest import MODELS
from ppl.vi import VIConfig, compile_program

FAST = dict(steps=3000, progressbar=False)


@pytest.fixture(scope="module")
def schools():
    return ppl.load(MODELS / "eight_schools_centered.ppl")


@pytest.fixture(scope="module", params=["advi", "fullrank"])
def result(request, schools):
    return request.param, schools.fit(method=request.param, draws=200, seed=5, **FAST)


def _unconstrained(result, pm_model):
    """The unconstrained point of each draw, from the constrained draws (log transform of tau)."""
    post = result["posterior"]
    return [{"mu": post["mu"].values[0, i], "tau_log__": np.log(post["tau"].values[0, i]),
             "theta": post["theta"].values[0, i]} for i in range(post.sizes["draw"])]


def test_log_p_matches_pymc_compile_logp_with_jacobian(result, schools):
    _, res = result
    pm_model = schools.build()
    logp = pm_model.compile_logp(jacobian=True)
    ref = np.array([logp(p) for p in _unconstrained(res, pm_model)])
    np.testing.assert_allclose(res["sample_stats"]["log_p"].values[0], ref, rtol=1e-10, atol=1e-8)


def test_log_q_matches_scipy_gaussian(result):
    method, res = result
    vi = res["vi"]
    labels = list(vi["vi_coord"].values)
    post = res["posterior"]
    z = np.column_stack([post["mu"].values[0], np.log(post["tau"].values[0]), post["theta"].values[0]])
    assert labels == ["mu", "tau_log__"] + [f"theta[{i}]" for i in range(8)]
    mean = vi["mu"].values
    cov = vi["cov"].values if method == "fullrank" else np.diag(vi["sd"].values ** 2)
    ref = st.multivariate_normal(mean, cov).logpdf(z)
    np.testing.assert_allclose(res["sample_stats"]["log_q"].values[0], ref, rtol=1e-9)


def test_pointwise_log_likelihood_matches_scipy(result, schools):
    _, res = result
    post, y, sigma = res["posterior"], res["observed_data"]["y"].values, res["constant_data"]["sigma"].values
    ref = st.norm.logpdf(y, post["theta"].values[0], sigma)
    np.testing.assert_allclose(res["log_likelihood"]["y"].values[0], ref, rtol=1e-10)


def test_result_layout_and_provenance(result):
    method, res = result
    assert set(res.children) >= {"posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data", "vi"}
    assert res["posterior"]["theta"].dims == ("chain", "draw", "school")
    assert res["posterior"].sizes["draw"] == 200 and res["posterior"].sizes["chain"] == 1
    a = res["vi"].attrs
    assert a["method"] == method and a["stop_reason"] in ("converged", "max_steps")
    assert res["vi"]["elbo"].size == a["steps"]
    ratio = res["sample_stats"]["log_p"].values - res["sample_stats"]["log_q"].values
    assert a["final_elbo"] == pytest.approx(ratio.mean())
    assert res.attrs["ppl_model"] == "eight_schools_centered" and res.attrs["ppl_model_sha256"]
    assert '"method": "' + method + '"' in res.attrs["ppl_options"]


def test_generated_quantities_are_drawn_per_draw():
    model = ppl.load(MODELS / "linear_regression_predict.ppl")
    res = model.fit(draws=50, seed=2, **FAST)
    post = res["posterior"]
    assert post["y_new"].dims[:2] == ("chain", "draw") and np.isfinite(post["y_new"].values).all()
    # each draw of y_new is centred on that draw's regression line
    x_new = res["constant_data"]["x_new"].values
    line = post["alpha"].values[0][:, None] + post["beta"].values[0][:, None] * x_new
    z = (post["y_new"].values[0] - line) / post["sigma"].values[0][:, None]
    assert abs(z.mean()) < 0.3 and 0.7 < z.std() < 1.3


# ------------------------------------------------------------- compile once
@pytest.fixture(scope="module")
def program(schools):
    return compile_program(schools, schools.bind(), VIConfig(steps=1000, progressbar=False))


def test_refit_on_new_data_does_not_recompile(program, schools):
    program.fit(seed=1)
    traces = program.traces
    bound = schools.bind()
    for shift in (5.0, -5.0):
        new = program.data_from({"y": bound.values["y"] + shift, "sigma": bound.values["sigma"]})
        fit = program.fit(new, seed=2)
        assert fit.steps > 0
    assert program.traces == traces == 1


def test_refit_equals_a_program_compiled_on_the_new_data(program, schools):
    bound = schools.bind()
    new_values = {"y": bound.values["y"] + 7.0, "sigma": bound.values["sigma"] * 1.5}
    refit = program.fit(program.data_from(new_values), seed=4)
    fresh = compile_program(schools, schools.bind(new_values), VIConfig(steps=1000, progressbar=False))
    direct = fresh.fit(seed=4)
    assert refit.steps == direct.steps
    np.testing.assert_allclose(refit.params["mu"], direct.params["mu"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(refit.params["log_sd"], direct.params["log_sd"], rtol=1e-10, atol=1e-12)


def test_seed_reproduces_fit_and_draws(program):
    a, b = program.fit(seed=3), program.fit(seed=3)
    np.testing.assert_array_equal(a.params["mu"], b.params["mu"])
    np.testing.assert_array_equal(program.draw(a, 20, seed=1).z, program.draw(b, 20, seed=1).z)
    assert not np.array_equal(program.fit(seed=4).params["mu"], a.params["mu"])


def test_data_of_another_shape_is_refused(program):
    with pytest.raises(ppl.PplError, match="compiled shape"):
        program.data_from({"y": np.zeros(9), "sigma": np.ones(9)})


def test_vmap_over_data_sets_matches_sequential_fits(program, schools):
    bound = schools.bind()
    ys = np.random.default_rng(0).normal(0, 10, size=(3, 8))
    datasets = [program.data_from({"y": y, "sigma": bound.values["sigma"]}) for y in ys]
    stacked = [np.stack(parts) for parts in zip(*datasets)]
    many = program.fit_many(stacked, seeds=[1, 2, 3])
    for fit, data, seed in zip(many, datasets, [1, 2, 3]):
        one = program.fit(data, seed=seed)
        assert fit.steps == one.steps and fit.stop_reason == one.stop_reason
        np.testing.assert_allclose(fit.params["mu"], one.params["mu"], rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ divergence
def test_divergence_stops_with_a_clear_message(schools):
    with pytest.raises(ppl.PplError) as err:
        schools.fit(learning_rate=50.0, seed=1, steps=500, progressbar=False)
    text = str(err.value)
    assert "diverged" in text and "NaN or infinite at step" in text
    assert "--learning-rate 5" in text  # what to try


def test_bad_options_are_user_errors(schools):
    for kwargs, message in [({"method": "nuts"}, "unknown VI method"), ({"steps": 0}, "--steps"),
                            ({"learning_rate": -1.0}, "--learning-rate"), ({"batch_size": 0}, "--batch-size")]:
        with pytest.raises(ppl.PplError, match=message):
            schools.fit(progressbar=False, **kwargs)
