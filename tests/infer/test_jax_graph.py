"""The JAX path computes the same log density as PyMC's C backend, for every model.

``jax_model(pm_model).logp`` (data as inputs) against ``pm_model.compile_logp()``
at 5 random unconstrained points per model, float64, rtol 1e-8; and the
expansion to constrained values and pointwise log-likelihoods against PyMC's.
"""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from ppl.infer.jax_graph import enable_x64, jax_model
from tests.conftest import MODELS

pytestmark = pytest.mark.filterwarnings("ignore")
NAMES = [p.stem for p in sorted(MODELS.glob("*.ppl"))]


def _points(pm_model, rng, n=5):
    ip = pm_model.initial_point()
    for _ in range(n):
        yield {k: v + rng.normal(0, 0.3, size=np.shape(v)) for k, v in ip.items()}


@pytest.mark.parametrize("name", NAMES)
def test_jax_logp_equals_pymc(name):
    enable_x64()
    pm_model = ppl.load(MODELS / f"{name}.ppl").build()
    if any(rv.dtype.startswith("int") for rv in pm_model.free_RVs):
        pytest.skip("discrete parameters: no unconstrained density")
    jm = jax_model(pm_model)
    c_logp = pm_model.compile_logp()
    data = list(jm.data_values)
    for point in _points(pm_model, np.random.default_rng(20261122)):
        values = [np.asarray(point[n]) for n in jm.value_names]
        np.testing.assert_allclose(float(jm.logp(values, data)), c_logp(point), rtol=1e-8)


def test_expand_gives_constrained_values_and_pointwise_loglik():
    enable_x64()
    pm_model = ppl.load(MODELS / "eight_schools_noncentered.ppl").build()
    jm = jax_model(pm_model)
    point = next(_points(pm_model, np.random.default_rng(1)))
    out = dict(zip(jm.expand_names, jm.expand([point[n] for n in jm.value_names], list(jm.data_values))))
    np.testing.assert_allclose(out["tau"], np.exp(point["tau_log__"]), rtol=1e-12)
    np.testing.assert_allclose(out["theta"], point["mu"] + out["tau"] * point["theta_raw"], rtol=1e-12)
    pointwise = pm_model.compile_fn(pm_model.logp(vars=pm_model.observed_RVs, sum=False)[0],
                                    inputs=pm_model.value_vars, on_unused_input="ignore")
    np.testing.assert_allclose(out["y"], pointwise(point), rtol=1e-10)


def test_new_data_are_inputs_not_constants():
    enable_x64()
    pm_model = ppl.load(MODELS / "eight_schools_noncentered.ppl").build()
    jm = jax_model(pm_model)
    point = next(_points(pm_model, np.random.default_rng(2)))
    values = [point[n] for n in jm.value_names]
    data = dict(zip(jm.data_names, jm.data_values))
    moved = {**data, "y": data["y"] + 1.0}
    assert float(jm.logp(values, list(moved.values()))) != pytest.approx(float(jm.logp(values, list(data.values()))))
