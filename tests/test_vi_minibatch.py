"""Minibatch ADVI: the same optimum as the full batch (up to its extra noise), the
full-data log density and log-likelihood at every draw, and the models it refuses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import ppl
from conftest import MODELS
from ppl.vi import VIConfig, compile_program

REGRESSION = """
model bayes_linreg
dim obs
dim coef
data X: real[obs, coef]
data y: real[obs]
data sigma: positive
alpha ~ Normal(0, 10)
beta[coef] ~ Normal(0, 5)
y ~ Normal(alpha + X @ beta, sigma)
"""

N, BATCH = 2050, 200  # N not a multiple of the batch: the last block overlaps


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(N, 3))
    X[:, 1] += 0.8 * X[:, 0]
    data = {"X": X, "y": 0.5 + X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 1.5, N), "sigma": 1.5}
    A = np.column_stack([np.ones(N), X])
    prec = np.diag([1 / 100] + [1 / 25] * 3) + A.T @ A / 1.5**2
    cov = np.linalg.inv(prec)
    model = ppl.compile(REGRESSION)
    program = compile_program(model, model.bind(data), VIConfig(batch_size=BATCH, progressbar=False))
    return model, data, program, cov @ (A.T @ data["y"] / 1.5**2), cov, prec


def test_program_is_compiled_for_the_batch_and_sees_all_rows(setup):
    _, _, program, *_ = setup
    batch = program.objective.batch
    assert (batch.dim, batch.total, batch.size) == ("obs", N, BATCH)
    assert batch.scale == pytest.approx(N / BATCH)
    shapes = dict(zip(program.data_names, program.data_shapes()))
    assert shapes["X"] == (N, 3) and shapes["y"] == (N,)


def test_minibatch_reaches_the_full_batch_optimum(setup):
    _, _, program, mean, cov, prec = setup
    sd = np.sqrt(np.diag(cov))
    errors = []
    for seed in (1, 2, 3):
        fit = program.fit(seed=seed)
        assert fit.stop_reason == "converged"
        errors.append((fit.params["mu"] - mean) / sd)
        np.testing.assert_allclose(np.exp(fit.params["log_sd"]), 1 / np.sqrt(np.diag(prec)), rtol=0.15)
    errors = np.array(errors)
    assert np.max(np.abs(errors)) < 0.35, errors  # one fit: within the noise the subsampling adds
    assert np.max(np.abs(errors.mean(axis=0))) < 0.2, errors  # no bias: the average is closer


def test_draws_are_evaluated_on_all_rows(setup):
    model, data, program, *_ = setup
    fit = program.fit(seed=1)
    draws = program.draw(fit, 30, seed=2)
    full = model.build(data)
    logp = full.compile_logp(jacobian=True)
    layout = program.objective.layout
    ref = [logp(dict(zip(layout.names, layout.unflatten(z)))) for z in draws.z]
    np.testing.assert_allclose(draws.log_p, ref, rtol=1e-10)
    mu = draws.values["alpha"][:, None] + draws.values["beta"] @ data["X"].T
    np.testing.assert_allclose(draws.loglik["y"], st.norm.logpdf(data["y"], mu, 1.5), rtol=1e-10)


def test_model_fit_with_batch_size_keeps_full_coords(setup):
    model, data, *_ = setup
    res = model.fit(data, batch_size=BATCH, draws=50, seed=3, steps=2000, progressbar=False)
    assert res["log_likelihood"]["y"].shape == (1, 50, N)
    assert res["observed_data"]["y"].size == N
    assert '"batch_size": 200' in res.attrs["ppl_options"]


def test_factor_index_models_minibatch():
    model = ppl.load(MODELS / "radon_varying_intercept.ppl")
    res = model.fit(batch_size=50, draws=20, seed=1, steps=2000, progressbar=False)
    assert res["posterior"]["a"].dims == ("chain", "draw", "county")
    assert np.isfinite(res["sample_stats"]["log_p"].values).all()


# --------------------------------------------------------------------- refused
LOCAL = """
model local
dim obs
data y: real[obs]
z[obs] ~ Normal(0, 1)
y ~ Normal(z, 1)
"""

TWO_DIMS = """
model two
dim a
dim b
data y: real[a]
data w: real[b]
mu ~ Normal(0, 1)
y ~ Normal(mu, 1)
w ~ Normal(mu, 1)
"""


def test_local_parameters_are_refused():
    model = ppl.compile(LOCAL)
    with pytest.raises(ppl.PplError, match="parameter along the minibatch dim `obs`"):
        model.fit({"y": np.zeros(10)}, batch_size=2, progressbar=False)


def test_ambiguous_batch_dim_asks_for_one():
    model = ppl.compile(TWO_DIMS)
    data = {"y": np.zeros(10), "w": np.zeros(6)}
    with pytest.raises(ppl.PplError, match="--batch-dim"):
        model.fit(data, batch_size=2, progressbar=False)
    with pytest.raises(ppl.PplError, match="did you mean `a`"):
        model.fit(data, batch_size=2, batch_dim="A", progressbar=False)


def test_summed_out_latent_along_the_batch_dim_minibatches():
    """z[obs] is summed out: its marginal is the observed carrier's pointwise density, scaled
    like any row; its memberships are recovered for every row."""
    model = ppl.load(MODELS / "three_gaussians.ppl")
    res = model.fit(batch_size=50, draws=30, seed=2, progressbar=False)
    assert res["vi"].attrs["stop_reason"] == "converged"
    n = res["observed_data"]["y"].size
    assert res["posterior"]["z"].shape == (1, 30, n) and res["posterior"]["z_probs"].shape == (1, 30, n, 3)
    np.testing.assert_allclose(res["posterior"]["mu"].mean().values, 0.0, atol=1.0)
