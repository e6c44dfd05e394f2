"""Numerical edge cases in compiled models: a located error or a warning, never a silent NaN.

Extreme data (1e300) make the log density -inf at the start: PyMC raises a
raw SamplingError and nutpie a RuntimeError ("All initialization points
failed"); both become ``E-start`` at the line of the variable, naming the
first bad element and its datum.  Subnormal, constant and perfectly
separated data sample, with a warning; NaN draws get a warning.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import ppl
from ppl import driver
from ppl.backend.numerics import nonfinite_draws, start_diagnostic
from ppl.errors import PplError

NORMAL = "dim obs\ndata y: real[obs]\nmu ~ Normal(0, 1)\nsigma ~ HalfNormal(1)\ny ~ Normal(mu, sigma)\n"
LOGISTIC = ("dim obs\ndata x: real[obs]\ndata y: bool[obs]\na ~ Normal(0, 2.5)\nb ~ Normal(0, 2.5)\n"
            "y ~ Bernoulli(logit_p=a + b * x)\n")
SMALL = dict(draws=30, tune=30, chains=1, seed=7, progressbar=False)


def _diagnose(text: str, data: dict):
    model = ppl.compile(text, "m.ppl")
    return start_diagnostic(model.ir, model.build(data))


@pytest.mark.parametrize("y, first", [([1.0, 1e300, 2.0], "y[1] (the datum is 1e+300)"),
                                       ([1.0, 2.0, -1e200], "y[2] (the datum is -1e+200)")])
def test_extreme_data_name_the_first_bad_datum(y, first):
    diag = _diagnose(NORMAL, {"y": y})
    assert diag.code == "E-start" and diag.span.line == 5
    assert f"the log density of `y` is -inf at the starting point, first at {first}" in diag.message


def test_a_degenerate_prior_names_its_variable():
    diag = _diagnose(NORMAL.replace("HalfNormal(1)", "HalfNormal(0)"), {"y": [1.0, 2.0]})
    assert diag.span.line == 4 and "`sigma`" in diag.message


def test_a_potential_that_is_infinite_at_the_start():
    diag = _diagnose("mu ~ Normal(0, 1)\npotential bad = log(mu - mu)\n", {})
    assert diag is not None and diag.span.line == 2


def test_finite_models_have_no_start_diagnostic():
    assert _diagnose(NORMAL, {"y": [1.0, 2.0, 3.0]}) is None


def test_subnormal_data_warn_and_sample_finitely():
    model = ppl.compile(NORMAL, "m.ppl")
    bound = model.bind({"y": [1e-310, 2e-310, 0.0, 1.0]})
    assert [w.code for w in bound.warnings] == ["W-data-subnormal"]
    assert _diagnose(NORMAL, {"y": [1e-310, 2e-310, 0.0, 1.0]}) is None


@pytest.mark.parametrize("engine", ["nutpie", "pymc"])
def test_extreme_data_stop_each_engine_with_a_located_error(engine):
    model = ppl.compile(NORMAL, "m.ppl")
    with pytest.raises(PplError) as info:
        model.sample({"y": [1.0, 1e300, 2.0]}, engine=engine, **SMALL)
    assert info.value.code == "E-start" and info.value.span.line == 5
    assert "y[1] (the datum is 1e+300)" in str(info.value)


@pytest.mark.parametrize("data, message", [
    ({"y": [1.0, 1.0, 1.0]}, "every value of `y` is 1: a scale parameter fit to it is pushed towards zero"),
    ({"y": [1.0, 2.0, 2.0]}, None),
])
def test_constant_observed_data_warn(data, message):
    warnings = ppl.compile(NORMAL, "m.ppl").bind(data).warnings
    assert [w.message.split(",")[0] for w in warnings] == ([message.split(",")[0]] if message else [])


@pytest.mark.slow
def test_zero_variance_data_warn_and_give_finite_draws():
    text = "dim obs\ndata x: real[obs]\ndata y: real[obs]\na ~ Normal(0, 1)\nb ~ Normal(0, 1)\n" \
           "sigma ~ HalfNormal(1)\ny ~ Normal(a + b * x, sigma)\n"
    model = ppl.compile(text, "m.ppl")
    data = {"x": [2.0] * 6, "y": [1.0, 1.2, 0.8, 1.1, 0.9, 1.0]}
    assert [w.code for w in model.bind(data).warnings] == ["W-data-constant"]
    result = model.sample(data, engine="pymc", **SMALL)
    assert "every value of `x` is 2" in result.attrs["ppl_warnings"]
    assert np.isfinite(result["posterior"]["b"].values).all()


@pytest.mark.slow
def test_perfect_separation_warns_and_the_prior_keeps_draws_finite():
    model = ppl.compile(LOGISTIC, "m.ppl")
    data = {"x": [-2.0, -1.5, -1.0, 1.0, 1.5, 2.0], "y": [0, 0, 0, 1, 1, 1]}
    warnings = model.bind(data).warnings
    assert [w.code for w in warnings] == ["W-separation"] and warnings[0].span.line == 6
    assert "every 1 has a value >= 1 and every 0 a value <= -1" in warnings[0].message
    result = model.sample(data, engine="pymc", **SMALL)
    assert np.isfinite(result["posterior"]["b"].values).all()


def test_separation_by_a_matrix_column_through_a_let():
    text = ("dim obs\ndim k\ndata X: real[obs, k]\ndata y: bool[obs]\nw[k] ~ Normal(0, 1)\n"
            "let eta = X @ w\ny ~ Bernoulli(logit_p=eta)\n")
    X = [[0.3, -1.0], [0.1, -2.0], [0.2, 1.0], [0.4, 3.0]]
    warnings = ppl.compile(text, "m.ppl").bind({"X": X, "y": [0, 0, 1, 1]}).warnings
    assert [w.message.split(":")[0] for w in warnings] == ["`y` is perfectly separated by column 1 of `X`"]


def test_no_separation_warning_for_overlapping_data():
    data = {"x": [-2.0, 1.5, -1.0, 1.0, -1.5, 2.0], "y": [0, 0, 1, 1, 1, 0]}
    assert ppl.compile(LOGISTIC, "m.ppl").bind(data).warnings == ()


def test_nan_draws_of_a_derived_quantity_are_reported():
    model = ppl.compile("dim obs\ndata y: real[obs]\nmu ~ Normal(0, 1)\nr = log(mu)\ny ~ Normal(mu, 1)\n", "m.ppl")
    result = model.sample({"y": [-1.0, -3.0, -2.0]}, engine="pymc", **SMALL)
    warnings = nonfinite_draws(model.ir, result)
    assert [w.code for w in warnings] == ["W-nonfinite-draws"] and warnings[0].span.line == 4
    assert "`r` is NaN or infinite in" in warnings[0].message
    assert any("`r` is NaN or infinite" in w for w in json.loads(result.attrs["ppl_warnings"]))


def test_lowered_model_carries_data_warnings():
    model = ppl.compile(NORMAL, "m.ppl")
    lowered = driver.build(model.ir, model.bind({"y": [1e200, 1.0]}))
    assert [w.code for w in lowered.warnings] == ["W-data-extreme"]


@pytest.mark.parametrize("text, line, dist", [
    ("p ~ Flat()\n", 1, "Flat"),
    ("mu ~ Normal(0, 1)\np ~ HalfFlat()\nq ~ Normal(p, 1)\n", 2, "HalfFlat"),
    ("p ~ Censored(dist=Flat(), upper=0)\n", 1, "Flat"),
])
def test_an_improper_prior_with_nothing_observed_is_a_located_error(text, line, dist):
    """Was an internal error (exit 1): PyMC cannot draw the prior of a model with nothing observed."""
    with pytest.raises(PplError) as info:
        ppl.compile(text, "m.ppl").sample({}, engine="pymc", **SMALL)
    assert info.value.code == "E-improper-prior" and info.value.span.line == line
    assert f"has an improper prior ({dist}) and nothing in the model is observed" in str(info.value)


def test_a_vector_of_censored_flat_has_no_starting_point():
    """Found by the lowering fuzz run: PyMC draws the starting point of a vector of Censored(Flat()) and fails."""
    diag = _diagnose("dim k = 3\np3[k] ~ Censored(dist=Flat(), upper=0)\npotential sum(p3)\n", {})
    assert diag.code == "E-start" and diag.span.line == 2
    assert "cannot choose a starting point for `p3`" in diag.message and "Censored of Flat" in diag.message


def test_a_flat_prior_with_observed_data_still_samples_from_its_start():
    assert _diagnose("dim obs\ndata y: real[obs]\nmu ~ Flat()\ny ~ Normal(mu, 1)\n", {"y": [1.0, 2.0]}) is None


TWO_COVARIATES = ("dim obs\ndata x1: real[obs]\ndata x2: real[obs]\ndata y: bool[obs]\na ~ Normal(0, 2.5)\n"
                  "b1 ~ Normal(0, 2.5)\nb2 ~ Normal(0, 2.5)\ny ~ Bernoulli(logit_p=a + b1 * x1 + b2 * x2)\n")


def _xor_free_diagonal(n: int, seed: int):
    """Points separated by the line x1 + x2 = 0 but by neither coordinate alone."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 2))
    x = x[np.abs(x.sum(axis=1)) > 0.2]
    return x, (x.sum(axis=1) > 0).astype(int)


def test_separation_by_a_combination_of_covariates():
    x, y = _xor_free_diagonal(60, 1)
    for j in range(2):  # the single-column check cannot see it
        assert x[y == 1, j].min() < x[y == 0, j].max() and x[y == 0, j].min() < x[y == 1, j].max()
    warnings = ppl.compile(TWO_COVARIATES, "m.ppl").bind({"x1": x[:, 0], "x2": x[:, 1], "y": y}).warnings
    assert [w.code for w in warnings] == ["W-separation"] and warnings[0].span.line == 8
    assert "separated by a linear combination of `x1`, `x2`" in warnings[0].message


def test_no_joint_separation_when_one_label_is_flipped():
    x, y = _xor_free_diagonal(200, 1)
    for centre in ([1.5, 1.5], [-1.5, -1.5]):  # a point deep inside each side, relabelled
        inside = np.argmin(((x - centre) ** 2).sum(axis=1))
        y[inside] = 1 - y[inside]
    # brute force over directions: no line x . (cos t, sin t) = c separates the relabelled data
    for t in np.linspace(0, np.pi, 721):
        proj = x @ np.array([np.cos(t), np.sin(t)])
        assert not (proj[y == 1].min() > proj[y == 0].max() or proj[y == 0].min() > proj[y == 1].max())
    warnings = ppl.compile(TWO_COVARIATES, "m.ppl").bind({"x1": x[:, 0], "x2": x[:, 1], "y": y}).warnings
    assert warnings == ()
