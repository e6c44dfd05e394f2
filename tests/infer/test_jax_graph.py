"""The JAX path computes the same log density and gradient as PyMC's C backend, for every model.

``jax_model(pm_model).logp`` (data as inputs) and its jitted ``jax.grad``
against ``pm_model.compile_logp()`` / ``compile_dlogp()`` (PyTensor's C
backend, gradient by PyTensor's own symbolic differentiation, so independent
of JAX's autodiff) at random unconstrained points per model, float64, rtol
1e-8; and the expansion to constrained values and pointwise log-likelihoods
against PyMC's.  The gradient is jitted because XLA's fusion is where it
went wrong (NaN on ``zip_latent``, see :mod:`ppl.infer.jax_lse`).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import ppl
from ppl.infer.jax_graph import enable_x64, jax_model
from tests.conftest import MODELS

pytestmark = pytest.mark.filterwarnings("ignore")
NAMES = [p.stem for p in sorted(MODELS.glob("*.ppl"))]


def _points(pm_model, rng, n=5, scales=(0.3,)):
    ip = pm_model.initial_point()
    for i in range(n):
        scale = scales[i % len(scales)]
        yield {k: v + rng.normal(0, scale, size=np.shape(v)) for k, v in ip.items()}


@functools.cache
def _built(name):
    """The model and its JAX conversion, shared by the log density and gradient tests."""
    enable_x64()
    pm_model = ppl.load(MODELS / f"{name}.ppl").build()
    if any(rv.dtype.startswith("int") for rv in pm_model.free_RVs):
        return pm_model, None
    return pm_model, jax_model(pm_model)


def _continuous(name):
    pm_model, jm = _built(name)
    if jm is None:
        pytest.skip("discrete parameters: no unconstrained density")
    return pm_model, jm


@pytest.mark.parametrize("name", NAMES)
def test_jax_logp_equals_pymc(name):
    pm_model, jm = _continuous(name)
    c_logp = pm_model.compile_logp()
    data = list(jm.data_values)
    for point in _points(pm_model, np.random.default_rng(20261122)):
        values = [np.asarray(point[n]) for n in jm.value_names]
        np.testing.assert_allclose(float(jm.logp(values, data)), c_logp(point), rtol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_jax_gradient_equals_pymc(name):
    import jax

    pm_model, jm = _continuous(name)
    c_logp, c_dlogp = pm_model.compile_logp(), pm_model.compile_dlogp()
    data = list(jm.data_values)
    grad = jax.jit(jax.grad(lambda v: jm.logp(v, data)))
    checked = 0
    for point in _points(pm_model, np.random.default_rng(20261206), n=6, scales=(0.3, 1.0)):
        if not np.isfinite(c_logp(point)):
            continue
        got = np.concatenate([np.ravel(g) for g in grad([np.asarray(point[n]) for n in jm.value_names])])
        want = c_dlogp(point)  # flattened in the order of pm_model.value_vars, as jm.value_names
        scale = max(1.0, float(np.max(np.abs(want))))
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8 * scale)
        checked += 1
    assert checked >= 3


def test_logsumexp_is_fenced_in_the_jax_graph():
    """Summed-out latents keep one fenced log-sum-exp op on the JAX path (the NaN-gradient fix)."""
    import jax

    enable_x64()
    pm_model = ppl.load(MODELS / "zip_latent.ppl").build()
    jm = jax_model(pm_model)
    values = [np.asarray(v) for v in pm_model.initial_point().values()]
    jaxpr = str(jax.make_jaxpr(lambda v: jm.logp(v, list(jm.data_values)))(values))
    assert "optimization_barrier" in jaxpr


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
