"""Re-binding a built model to new data of the same shapes (``Model.set_data``).

The reference for every check is the same model rebuilt from scratch on the
new data: the re-bound model, and a logp/gradient function compiled *before*
the re-binding, must give exactly its values.
"""

from __future__ import annotations

import json

import numpy as np
import pymc as pm
import pytest

import ppl
from conftest import MODELS
from ppl.backend.lower import lower
from ppl.errors import PplError
from ppl.semantics.types import VType

# covariates (pm.Data), observed data, a factor defining its own dim, derived data,
# a bool and a count likelihood, slices of an observed series, data used only by
# a generated quantity
REBIND_MODELS = ["linear_regression", "radon_varying_intercept", "poisson_glm_offset", "logistic_regression",
                 "ar1", "linear_regression_predict"]


def _default_data(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text())


def _perturbed(model: ppl.Model, data: dict, rng) -> dict:
    """The same shapes and levels, other values, each within its declared type."""
    new = dict(data)
    for decl in model.ir.data:
        value = np.asarray(data[decl.name])
        if decl.vtype is VType.FACTOR:
            new[decl.name] = list(rng.permutation(value))
        elif decl.vtype is VType.BOOL:
            new[decl.name] = (1 - value).tolist()
        elif decl.vtype is VType.COUNT:
            new[decl.name] = (value + rng.integers(0, 3, size=value.shape)).tolist()
        elif decl.vtype is VType.POSITIVE:
            new[decl.name] = (value * rng.uniform(0.5, 2.0, size=value.shape)).tolist()
        else:
            new[decl.name] = (value + rng.normal(0, 0.5, size=value.shape)).tolist()
    return new


def _random_point(pm_model, rng) -> dict:
    return {k: rng.normal(0, 0.5, size=np.shape(v)) for k, v in pm_model.initial_point().items()}


@pytest.mark.parametrize("name", REBIND_MODELS)
def test_set_data_equals_a_rebuilt_model_and_reuses_compiled_functions(name):
    rng = np.random.default_rng(7)
    model = ppl.load(MODELS / f"{name}.ppl")
    pm_model = model.build()
    logp, dlogp = pm_model.compile_logp(), pm_model.compile_dlogp()
    point = _random_point(pm_model, rng)
    before = logp(point)

    new = _perturbed(model, _default_data(name), rng)
    assert model.set_data(pm_model, new) == []
    rebuilt = ppl.load(MODELS / f"{name}.ppl").build(new)

    expected = rebuilt.compile_logp()(point)
    assert not np.isclose(expected, before)  # the new data change the density
    np.testing.assert_allclose(logp(point), expected, rtol=1e-12)  # compiled before set_data
    np.testing.assert_allclose(pm_model.compile_logp()(point), expected, rtol=1e-12)
    np.testing.assert_allclose(dlogp(point), rebuilt.compile_dlogp()(point), rtol=1e-12, atol=1e-12)


def test_set_data_updates_the_data_a_sampler_sees():
    """After set_data, posterior predictive draws of the observed variable follow the new covariates."""
    text = "dim obs\ndata x: real[obs]\ndata y: real[obs]\nb ~ Normal(0, 1)\ny ~ Normal(b * x, 0.001)\n"
    model = ppl.compile(text, "m.ppl")
    pm_model = model.build({"x": [1.0, 1.0], "y": [0.0, 0.0]})
    model.set_data(pm_model, {"x": [100.0, -100.0], "y": [0.0, 0.0]})
    draws = pm.draw(pm_model["y"], draws=200, random_seed=1)
    b = pm.draw(pm_model["b"], draws=200, random_seed=1)
    assert np.corrcoef(draws[:, 0], b)[0, 1] > 0.99 and np.corrcoef(draws[:, 1], b)[0, 1] < -0.99


# ------------------------------------------------------------------- refusals
INDEXED = """\
dim obs
dim group = 3
data g: int[obs]
data y: real[obs]
mu[group] ~ Normal(0, 1)
y ~ Normal(mu[g], 1)
"""


def _indexed():
    model = ppl.compile(INDEXED, "m.ppl")
    return model, model.build({"g": [0, 1, 2, 1], "y": [0.1, 0.2, 0.3, 0.4]})


def _refused(model, pm_model, data) -> str:
    point = {"mu": np.array([0.3, -0.2, 0.5])}
    before = pm_model.compile_logp()(point)
    with pytest.raises(PplError) as info:
        model.set_data(pm_model, data)
    assert pm_model.compile_logp()(point) == before  # the model keeps its data
    return str(info.value)


def test_other_sizes_are_refused_with_the_dim_named():
    model, pm_model = _indexed()
    text = _refused(model, pm_model, {"g": [0, 1, 2], "y": [0.1, 0.2, 0.3]})
    assert "dim `obs` has size 3 in the new data but 4 in the built model" in text
    assert "m.ppl:1:" in text and "Model.build(data)" in text


def test_out_of_range_index_is_refused_and_rolled_back():
    model, pm_model = _indexed()
    text = _refused(model, pm_model, {"g": [1, 2, 3, 1], "y": [0.1, 0.2, 0.3, 0.4]})
    assert "index value 3 is out of range for a dim of size 3" in text and "looks 1-based" in text


def test_one_based_index_warns():
    model, pm_model = _indexed()
    warnings = model.set_data(pm_model, {"g": [1, 2, 2, 1], "y": [0.1, 0.2, 0.3, 0.4]})
    assert [w.code for w in warnings] == ["W-index-one-based"]


def test_missing_values_are_refused():
    model, pm_model = _indexed()
    text = _refused(model, pm_model, {"g": [0, 1, 2, 1], "y": [0.1, None, 0.3, 0.4]})
    assert "`y` has missing values" in text and "pattern of missing values is part of the model" in text


def test_a_model_built_with_missing_values_is_refused():
    model = ppl.load(MODELS / "regression_missing.ppl")
    pm_model = model.build()
    with pytest.raises(PplError, match="`x` has missing values"):
        model.set_data(pm_model, None)


def test_other_coordinates_are_refused():
    model = ppl.compile(INDEXED, "m.ppl")
    pm_model = model.build({"g": [0, 1], "y": [0.1, 0.2], "obs": ["a", "b"]})
    with pytest.raises(PplError, match="dim `obs` has other coordinates"):
        model.set_data(pm_model, {"g": [0, 1], "y": [0.1, 0.2], "obs": ["a", "c"]})


def test_left_out_observed_data_is_refused():
    model = ppl.load(MODELS / "linear_regression_predict.ppl")
    data = _default_data("linear_regression_predict")
    without_y = {k: v for k, v in data.items() if k != "y"}
    lowered = lower(model.ir, model.bind(without_y, allow_left_out=True))
    with pytest.raises(PplError, match="observed data `y` was left out when the model was built"):
        ppl.backend.rebind.set_data(lowered, model.bind(data))


def test_a_model_not_built_by_ppl_is_a_type_error():
    with pm.Model() as pm_model:
        pm.Normal("x")
    with pytest.raises(TypeError, match="model built by ppl"):
        ppl.compile(INDEXED).set_data(pm_model, {"g": [0], "y": [0.0]})
