"""The Bernoulli-logit rewrite on the JAX path (:mod:`ppl.infer.jax_logit`) against PyTensor's C backend."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile import mode
from pytensor.graph.fg import FunctionGraph

from ppl.infer.jax_graph import enable_x64, jaxify
from ppl.infer.jax_logit import simplify_binary_logit


def _loglik(y_values, x_values):
    x, y = pt.vector("x"), pt.vector("y", dtype="int64")
    logp = pm.logp(pm.Bernoulli.dist(logit_p=x), y)
    c_fn = pytensor.function([x, y], [logp, pt.grad(logp.sum(), x)])
    enable_x64()
    import jax

    jax_fn = jaxify([x, y], [logp])
    value_and_grad = jax.jit(lambda xx, yy: (jax_fn(xx, yy)[0], jax.grad(lambda v: jax_fn(v, yy)[0].sum())(xx)))
    return c_fn(x_values, y_values), [np.asarray(a) for a in value_and_grad(x_values, y_values)]


def test_the_rewrite_fires_on_pymcs_bernoulli_logit_graph():
    x, y = pt.vector("x"), pt.vector("y", dtype="int64")
    fgraph = FunctionGraph([x, y], [pm.logp(pm.Bernoulli.dist(logit_p=x), y)], clone=True)
    mode.JAX.optimizer.rewrite(fgraph)
    assert simplify_binary_logit(fgraph) == 1
    softplus = [n for n in fgraph.toposort() if "Softplus" in str(n.op) or "Log1p" in str(n.op)]
    assert len(softplus) == 1  # one softplus per row instead of two


# 800: PyTensor's own JAX softplus had a NaN gradient beyond |x| ~ 710 (replaced by stable_softplus)
@pytest.mark.parametrize("scale", [0.5, 5.0, 40.0, 800.0])
def test_values_and_gradients_equal_the_c_backend(scale):
    rng = np.random.default_rng(11)
    x = rng.normal(0, scale, 200)
    y = rng.integers(0, 2, 200)
    (c_logp, c_grad), (j_logp, j_grad) = _loglik(y, x)
    # x - softplus(x) rounds to a few ulp of x: absolute error ~1e-16 |x| where the value is tiny
    atol = 4e-16 * np.abs(x)
    assert np.all(np.abs(j_logp - c_logp) <= 1e-10 * np.abs(c_logp) + atol)
    assert np.all(np.abs(j_grad - c_grad) <= 1e-10 * np.abs(c_grad) + atol)


def test_values_outside_zero_one_stay_minus_infinity():
    (c_logp, _), (j_logp, _) = _loglik(np.array([0, 1, 2, -1]), np.array([0.3, -0.2, 0.1, 1.0]))
    assert np.isneginf(j_logp[2:]).all() and np.isneginf(c_logp[2:]).all()
    np.testing.assert_allclose(j_logp[:2], c_logp[:2], rtol=1e-12)


def test_every_softplus_on_the_jax_path_has_a_finite_gradient():
    import jax

    enable_x64()
    x = pt.vector("x")
    fn = jaxify([x], [pt.softplus(x).sum()])
    points = np.array([-1000.0, -800.0, -30.0, 0.0, 30.0, 800.0, 1000.0])
    grad = np.asarray(jax.grad(lambda v: fn(v)[0])(points))
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-points)), rtol=1e-12)
    np.testing.assert_allclose(float(fn(points)[0]), np.logaddexp(0, points).sum(), rtol=1e-12)
