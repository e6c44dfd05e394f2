"""Generated quantities and ``Model.predict`` against NumPy computed from the posterior draws.

``models/linear_regression_predict.ppl``: ``mu_new = alpha + beta * x_new`` is
derived (exact per draw), ``y_new ~ Normal(mu_new, sigma)`` is a generated
quantity (drawn per draw).  ``predict`` re-binds to new ``x`` and ``x_new``
(other sizes) with the observed ``y`` left out, so ``y`` is drawn too.  Drawn
values are checked through their standardized residuals, which must be
standard normal: a draw paired with another draw's parameters would not be
(the new points lie far out, where the posterior of the line is wide).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import ppl
from conftest import MODELS

NEW = {"x": [-1.0, 0.0, 2.5, 40.0], "x_new": [-30.0, 25.0]}


@pytest.fixture(scope="module")
def fitted():
    model = ppl.load(MODELS / "linear_regression_predict.ppl")
    result = model.sample(draws=300, tune=300, chains=2, seed=5, progressbar=False)
    return model, result


def _params(result):
    post = result["posterior"]
    return (post[k].values[..., None] for k in ("alpha", "beta", "sigma"))


def _assert_standard_normal(z):
    z = np.ravel(z)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 0.08
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_generated_quantities_are_drawn_per_posterior_draw(fitted):
    _, result = fitted
    alpha, beta, sigma = _params(result)
    x_new = result["constant_data"]["x_new"].values
    post = result["posterior"]
    assert post["y_new"].dims == ("chain", "draw", "new")
    np.testing.assert_allclose(post["mu_new"].values, alpha + beta * x_new, rtol=1e-12)
    _assert_standard_normal((post["y_new"].values - post["mu_new"].values) / sigma)


def test_predict_on_new_data_with_y_left_out(fitted):
    model, result = fitted
    preds = model.predict(result, NEW, seed=11)["predictions"]
    alpha, beta, sigma = _params(result)
    x, x_new = np.array(NEW["x"]), np.array(NEW["x_new"])
    assert dict(preds.sizes) == {"chain": 2, "draw": 300, "obs": 4, "new": 2}
    assert {"y", "y_new", "mu_new"} <= set(preds.data_vars)
    np.testing.assert_allclose(preds["mu_new"].values, alpha + beta * x_new, rtol=1e-12)
    _assert_standard_normal((preds["y_new"].values - (alpha + beta * x_new)) / sigma)
    _assert_standard_normal((preds["y"].values - (alpha + beta * x)) / sigma)


def test_predictions_pair_each_draw_with_its_own_parameters(fitted):
    """Shuffling the draws breaks the pairing: the residuals are then far from standard normal."""
    model, result = fitted
    preds = model.predict(result, NEW, seed=11)["predictions"]
    alpha, beta, sigma = _params(result)
    shuffled = np.random.default_rng(0).permutation(preds["y"].values.reshape(-1, 4)).reshape(2, 300, 4)
    z = (shuffled - (alpha + beta * np.array(NEW["x"]))) / sigma
    assert abs(z[..., -1].std() - 1) > 0.3  # at x = 40 the line's posterior spread dominates sigma


def test_predict_records_provenance_and_is_seeded(fitted):
    model, result = fitted
    first, second = model.predict(result, NEW, seed=3), model.predict(result, NEW, seed=3)
    np.testing.assert_array_equal(first["predictions"]["y"].values, second["predictions"]["y"].values)
    assert first.attrs["ppl_model"] == "linear_regression_predict" and "ppl_data_sha256" in first.attrs
