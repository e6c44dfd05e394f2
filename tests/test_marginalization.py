"""Summed-out discrete latents and explicit mixtures against brute-force enumeration.

For every model in ``models/`` that sums a latent out, and for small models
written here that exercise each rule (several dependents, potentials, paths
through ``let`` and ``=``, a latent without dims, data bounds, ``Truncated``,
``logit_p``), the log-likelihood and its gradient with respect to the
parameters' (constrained) values equal an enumeration written in
NumPy/SciPy (tests/marginal_helpers.py) to rtol 1e-10, at random points and at
extreme ones: component log densities far below -1e4, weights of exactly 0.
The full models (priors and transforms included) also match PyMC's own
``NormalMixture``/``Mixture``/``ZeroInflatedPoisson`` where one applies, with
finite gradients at extreme unconstrained points.
"""

from __future__ import annotations

import json

import numpy as np
import pymc as pm
import pytest

import ppl
from conftest import MODELS
from marginal_helpers import (bern_logpmf, binom_logpmf, complex_step_grad, joint_enumeration, likelihood_fn,
                              lse, norm_logpdf, pois_logpmf)
from reference_models import REFERENCES

RTOL = 1e-10


def _data(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text())


def _check(model_fn, brute, point: dict, skip_grad=()) -> None:
    """Value and gradient of the compiled likelihood against the brute force at ``point``."""
    value, grads = model_fn(point)
    expected = brute({k: np.asarray(v, dtype=complex) for k, v in point.items()})
    np.testing.assert_allclose(value, expected.real, rtol=RTOL)
    expected_grads = complex_step_grad(brute, point)
    for name, g in grads.items():
        assert np.all(np.isfinite(g)), (name, g)
        mask = np.ones(np.shape(g), dtype=bool)
        for skipped_name, index in skip_grad:
            if skipped_name == name:
                mask[index] = False
        np.testing.assert_allclose(g[mask], expected_grads[name][mask], rtol=RTOL, atol=1e-9)


# ---------------------------------------------------------------- models/ files
def _mixture_brute(y, normalize=True, sigma=None):
    """Categorical(w) normalizes w (PyMC's definition), which moves the gradient off the simplex."""
    fixed = sigma

    def brute(p):
        sigma = np.broadcast_to(p["sigma"] if fixed is None else fixed, np.shape(p["mu"]))
        w = p["w"] / np.sum(p["w"]) if normalize else p["w"]
        with np.errstate(divide="ignore"):
            log_w = np.log(w)
        return np.sum(lse(log_w + norm_logpdf(y[:, None], p["mu"], sigma), axis=1))
    return brute


def _zip_brute(y):
    def brute(p):
        zero = pois_logpmf(y, 0 * p["mu"])  # z = 0: a Poisson(0), all mass at 0
        poisson = pois_logpmf(y, p["mu"])
        return np.sum(lse(np.stack([np.log(1 - p["psi"]) + zero, np.log(p["psi"]) + poisson], axis=-1)))
    return brute


def _capture_brute(y):
    def brute(p):
        absent = np.log(1 - p["omega"]) + np.sum(bern_logpmf(y, 0 * p["p"]), axis=1)
        present = np.log(p["omega"]) + np.sum(bern_logpmf(y, p["p"] + 0 * y), axis=1)
        return np.sum(lse(np.stack([absent, present], axis=-1)))
    return brute


def _simplex(rng, k):
    return rng.dirichlet(np.ones(k))


FILE_CASES = {
    "old_faithful": (lambda d: _mixture_brute(np.array(d["waiting"], float)), [
        {"w": [0.36, 0.64], "mu": [54.6, 80.1], "sigma": [5.9, 5.9]},
        {"w": [0.0, 1.0], "mu": [54.6, 80.1], "sigma": [5.9, 5.9]},  # a weight of exactly 0
        {"w": [0.5, 0.5], "mu": [-300.0, 400.0], "sigma": [0.05, 0.07]},  # component logps about -1e7
        {"w": [1e-300, 1.0 - 1e-300], "mu": [30.0, 31.0], "sigma": [0.5, 0.6]},
    ]),
    "three_gaussians": (lambda d: _mixture_brute(np.array(d["y"], float), sigma=1.0), [
        {"w": [0.2, 0.3, 0.5], "mu": [-2.0, 0.1, 2.0]},
        {"w": [0.0, 0.4, 0.6], "mu": [-2.0, 0.1, 2.0]},
        {"w": [0.3, 0.3, 0.4], "mu": [150.0, 160.0, 170.0]},  # every component far away: logps about -1e4
    ]),
    "zip_latent": (lambda d: _zip_brute(np.array(d["y"])), [
        {"psi": 0.6, "mu": 3.0}, {"psi": 1e-12, "mu": 3.0}, {"psi": 0.999999, "mu": 250.0},
        {"psi": 0.5, "mu": 1e-8},
    ]),
    "capture_recapture": (lambda d: _capture_brute(np.array(d["y"])), [
        {"omega": 0.5, "p": 0.4}, {"omega": 0.37, "p": 1e-9}, {"omega": 1 - 1e-12, "p": 0.999},
    ]),
}


@pytest.fixture(scope="module")
def file_models():
    return {}


def _file_model(name, cache):
    if name not in cache:
        cache[name] = ppl.load(MODELS / f"{name}.ppl").build()
    return cache[name]


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_model_file_likelihood_equals_enumeration(name, file_models):
    make_brute, points = FILE_CASES[name]
    brute = make_brute(_data(name))
    fn = likelihood_fn(_file_model(name, file_models))
    rng = np.random.default_rng(20261122)
    random_points = []
    for _ in range(3):
        random_points.append({k: _jitter(np.asarray(v, float), rng) for k, v in points[0].items()})
    for point in points + random_points:
        zero_w = [("w", i) for i, v in enumerate(np.atleast_1d(point.get("w", []))) if v == 0]
        _check(fn, brute, point, skip_grad=zero_w)


def _jitter(value, rng):
    if value.ndim and np.isclose(value.sum(), 1) and np.all(value >= 0) and np.all(value <= 1):
        return rng.dirichlet(np.ones(value.size) * 3)
    if np.all((value > 0) & (value < 1)):
        return rng.uniform(0.05, 0.95, value.shape)
    out = value * rng.uniform(0.7, 1.3, value.shape)
    return np.sort(out) if value.ndim else out


def _extreme_points(pm_model, seed=7):
    rng = np.random.default_rng(seed)
    for scale in (0.5, 3.0, 8.0):
        yield {v.name: rng.normal(0, scale, size=np.shape(pm_model.initial_point()[v.name]))
               for v in pm_model.value_vars}


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_full_model_gradient_is_finite_at_extreme_points(name, file_models):
    compiled = _file_model(name, file_models)
    dlogp = compiled.compile_dlogp()
    for point in _extreme_points(compiled):
        assert np.all(np.isfinite(dlogp(point))), point


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_full_model_matches_pymc_reference_at_extreme_points(name, file_models):
    """Priors, transforms and the marginal together, against the hand-written PyMC model
    (tests/test_models_logp.py does the same at moderate points in the default run)."""
    compiled = _file_model(name, file_models)
    reference = REFERENCES[name](_data(name))
    logp_c, logp_r = compiled.compile_logp(), reference.compile_logp()
    dlogp_c, dlogp_r = compiled.compile_dlogp(), reference.compile_dlogp()
    for point in _extreme_points(compiled):
        np.testing.assert_allclose(logp_c(point), logp_r(point), rtol=1e-8)
        np.testing.assert_allclose(dlogp_c(point), dlogp_r(point), rtol=1e-7, atol=1e-8)


# --------------------------------------------------------------- small models
def _build(src: str, data: dict):
    return ppl.compile(src).build(data)


TWO_DEPENDENTS = """
dim obs
dim component = 3
data y: real[obs]
data c: count[obs]
w[component] ~ Dirichlet([1, 1, 1])
mu[component] ~ Normal(0, 5)
lam[component] ~ Gamma(2, 1)
z[obs] ~ Categorical(w)
let m = mu[z] + 0.5
shifted[obs] = 2 * m
y ~ Normal(shifted, 1.5)
c ~ Poisson(lam[z])
potential log(1.5 + sin(m))
"""


def _two_dependents_joint(p, y, c, z):
    m = p["mu"][z] + 0.5
    with np.errstate(divide="ignore"):
        log_w = np.log(p["w"][z] / np.sum(p["w"]))
    return (np.sum(log_w) + np.sum(norm_logpdf(y, 2 * m, 1.5))
            + np.sum(pois_logpmf(c, p["lam"][z])) + np.sum(np.log(1.5 + np.sin(m))))


def test_several_dependents_and_a_potential_add_inside_the_sum():
    """Two observed dependents, a potential, a `let` and an `=` on the path: the total equals
    the sum over every joint configuration of z (3^6 of them), not just per element."""
    rng = np.random.default_rng(1)
    y, c = rng.normal(0, 2, 6), rng.poisson(2, 6)
    fn = likelihood_fn(_build(TWO_DEPENDENTS, {"y": y, "c": c}))

    def brute(p):
        return joint_enumeration(range(3), 6, lambda z: _two_dependents_joint(p, y, c, z))

    for point in ({"w": [0.2, 0.3, 0.5], "mu": [-1.0, 0.3, 2.0], "lam": [0.5, 2.0, 6.0]},
                  {"w": [0.0, 0.3, 0.7], "mu": [-80.0, 0.3, 2.0], "lam": [1e-6, 2.0, 300.0]}):
        _check(fn, brute, point, skip_grad=[("w", 0)] if point["w"][0] == 0 else ())


def test_only_the_carrier_carries_the_log_likelihood():
    rng = np.random.default_rng(2)
    pm_model = _build(TWO_DEPENDENTS, {"y": rng.normal(0, 2, 6), "c": rng.poisson(2, 6)})
    assert [rv.name for rv in pm_model.observed_RVs] == ["y", "c"]
    assert not pm_model.potentials  # the potential is inside the carrier's marginal
    point = pm_model.initial_point()
    logps = pm_model.compile_fn(pm_model.logp(vars=[pm_model["c"]], sum=False), inputs=pm_model.value_vars,
                                on_unused_input="ignore")(point)
    assert np.all(np.asarray(logps) == 0)


WIDE = """
dim ind
dim occasion
data y: bool[occasion, ind]
omega ~ Beta(1, 1)
p[occasion] ~ Beta(1, 1)
z[ind] ~ Bernoulli(logit_p=logit(omega))
y ~ Bernoulli(z * p)
"""


def test_dependent_with_extra_dims_in_another_order():
    """y[occasion, ind] with z[ind]: each individual's whole history enters once."""
    rng = np.random.default_rng(3)
    y = rng.binomial(1, 0.3, size=(4, 7))
    y[:, :2] = 0
    fn = likelihood_fn(_build(WIDE, {"y": y}))

    def brute(p):
        absent = np.log(1 - p["omega"]) + np.sum(bern_logpmf(y, 0 * p["p"][:, None]), axis=0)
        present = np.log(p["omega"]) + np.sum(bern_logpmf(y, p["p"][:, None] + 0 * y), axis=0)
        return np.sum(lse(np.stack([absent, present], axis=-1)))

    _check(fn, brute, {"omega": 0.4, "p": [0.2, 0.5, 0.7, 0.9]})
    _check(fn, brute, {"omega": 1e-10, "p": [1e-10, 0.5, 0.7, 1 - 1e-10]})


N_MIXTURE = """
dim site
dim visit
data y: count[site, visit]
lam ~ Gamma(2, 0.2)
p ~ Beta(1, 1)
N[site] ~ Truncated(Poisson(lam), upper=40)
y ~ Binomial(N, p)
"""


def test_truncated_poisson_abundance_is_summed_over_0_to_upper():
    rng = np.random.default_rng(4)
    y = rng.binomial(rng.poisson(8, size=(5, 1)), 0.4, size=(5, 3))
    fn = likelihood_fn(_build(N_MIXTURE, {"y": y}))
    values = np.arange(41)

    def brute(p):
        log_pmf = pois_logpmf(values, p["lam"])
        log_prior = log_pmf - lse(log_pmf, axis=0)  # truncated at 40
        table = log_prior[None, :] + np.sum(binom_logpmf(y[:, :, None], values[None, None, :], p["p"]), axis=1)
        return np.sum(lse(table, axis=1))

    _check(fn, brute, {"lam": 8.0, "p": 0.4})
    _check(fn, brute, {"lam": 35.0, "p": 0.02})


SCALAR = """
dim obs
data y: count[obs]
data lo: int
data hi: int
rate ~ Gamma(2, 1)
k ~ DiscreteUniform(lo, hi)
y ~ Poisson(k * rate)
"""


def test_latent_without_dims_sums_every_observation_inside():
    y = np.array([3, 5, 4, 6, 2])
    fn = likelihood_fn(_build(SCALAR, {"y": y, "lo": 1, "hi": 9}))
    values = np.arange(1, 10)

    def brute(p):
        per_k = [np.sum(pois_logpmf(y, k * p["rate"])) for k in values]
        return lse(np.array(per_k) - np.log(len(values)), axis=0)

    _check(fn, brute, {"rate": 0.8})
    _check(fn, brute, {"rate": 1e-6})


BINOMIAL_DATA_N = """
dim obs
data n: count[obs]
data y: real[obs]
theta ~ Beta(2, 2)
k[obs] ~ Binomial(n, theta)
y ~ Normal(k, 0.7)
"""


def test_binomial_latent_with_data_n_uses_values_up_to_the_largest_n():
    n = np.array([0, 3, 7, 2])
    y = np.array([0.2, 2.5, 4.0, 1.1])
    fn = likelihood_fn(_build(BINOMIAL_DATA_N, {"n": n, "y": y}))
    values = np.arange(8)

    def brute(p):
        table = binom_logpmf(values[None, :], n[:, None], p["theta"]) + norm_logpdf(y[:, None], values[None, :], 0.7)
        return np.sum(lse(table, axis=1))

    _check(fn, brute, {"theta": 0.3})


# ----------------------------------------------------------- explicit mixtures
NORMAL_MIXTURE = """
dim obs
dim component = 3
data y: real[obs]
w[component] ~ Dirichlet([1, 1, 1])
mu[component] ~ Normal(0, 10)
sigma[component] ~ HalfNormal(5)
y ~ NormalMixture(w, mu, sigma)
"""

MIXTURE = """
dim obs
dim component = 2
data y: real[obs]
w[component] ~ Dirichlet([1, 1])
mu ~ Normal(0, 10)
y ~ Mixture(w, [Normal(mu, 1), StudentT(3, 0, 5)])
"""

COUNT_MIXTURE = """
dim obs
dim component = 2
data y: count[obs]
w[component] ~ Dirichlet([1, 1])
a ~ Gamma(2, 1)
b ~ Gamma(10, 1)
y ~ Mixture(w, [Poisson(a), Poisson(b)])
"""


F = np.float64  # PyMC would make float32 constants of Python floats such as 10.0


def _pymc_normal_mixture(y):
    with pm.Model(coords={"obs": range(len(y)), "component": range(3)}) as model:
        w = pm.Dirichlet("w", a=np.ones(3), dims="component")
        mu = pm.Normal("mu", F(0.0), F(10.0), dims="component")
        sigma = pm.HalfNormal("sigma", F(5.0), dims="component")
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y, dims="obs")
    return model


def _pymc_mixture(y):
    with pm.Model(coords={"obs": range(len(y)), "component": range(2)}) as model:
        w = pm.Dirichlet("w", a=np.ones(2), dims="component")
        mu = pm.Normal("mu", F(0.0), F(10.0))
        pm.Mixture("y", w=w, comp_dists=[pm.Normal.dist(mu, F(1.0)), pm.StudentT.dist(nu=F(3.0), mu=F(0.0), sigma=F(5.0))],
                   observed=y, dims="obs")
    return model


def _pymc_count_mixture(y):
    with pm.Model(coords={"obs": range(len(y)), "component": range(2)}) as model:
        w = pm.Dirichlet("w", a=np.ones(2), dims="component")
        a = pm.Gamma("a", F(2.0), F(1.0))
        b = pm.Gamma("b", F(10.0), F(1.0))
        pm.Mixture("y", w=w, comp_dists=[pm.Poisson.dist(a), pm.Poisson.dist(b)], observed=y, dims="obs")
    return model


@pytest.mark.parametrize("src, reference, data", [
    (NORMAL_MIXTURE, _pymc_normal_mixture, np.random.default_rng(5).normal(0, 3, 40)),
    (MIXTURE, _pymc_mixture, np.random.default_rng(6).standard_t(3, 40) * 4),
    (COUNT_MIXTURE, _pymc_count_mixture, np.random.default_rng(8).poisson(4, 40)),
], ids=["NormalMixture", "Mixture", "count Mixture"])
def test_mixture_syntax_equals_pymc_mixture(src, reference, data):
    compiled, ref = _build(src, {"y": data}), reference(data)
    assert sorted(v.name for v in compiled.value_vars) == sorted(v.name for v in ref.value_vars)
    logp_c, logp_r = compiled.compile_logp(), ref.compile_logp()
    like_c, like_r = compiled.compile_logp(vars=[compiled["y"]]), ref.compile_logp(vars=[ref["y"]])
    dlogp_c, dlogp_r = compiled.compile_dlogp(), ref.compile_dlogp()
    rng = np.random.default_rng(9)
    for scale in (0.5, 2.0):
        point = {v.name: rng.normal(0, scale, size=np.shape(compiled.initial_point()[v.name]))
                 for v in compiled.value_vars}
        np.testing.assert_allclose(like_c(point), like_r(point), rtol=RTOL)
        np.testing.assert_allclose(logp_c(point), logp_r(point), rtol=RTOL)
        np.testing.assert_allclose(dlogp_c(point), dlogp_r(point), rtol=1e-9, atol=1e-10)


def test_normal_mixture_is_stable_where_pymc_is_not():
    """Components far below -1e4 and a weight of exactly 0: finite, exact, NaN-free gradients."""
    y = np.array([0.0, 1.0, 2.0])
    fn = likelihood_fn(_build(NORMAL_MIXTURE, {"y": y}))
    brute = _mixture_brute(y, normalize=False)
    _check(fn, brute, {"w": [0.0, 0.5, 0.5], "mu": [0.0, 500.0, -700.0], "sigma": [1.0, 2.0, 1.5]},
           skip_grad=[("w", 0)])
    _check(fn, brute, {"w": [0.2, 0.3, 0.5], "mu": [900.0, 500.0, -700.0], "sigma": [0.1, 0.2, 0.1]})


def test_generated_mixture_draws_come_from_the_mixture():
    src = NORMAL_MIXTURE + "\ndim new\ny_new[new] ~ NormalMixture(w, mu, sigma)\n"
    model = ppl.compile(src)
    full = model.build({"y": np.zeros(3), "new": 4000}, generated=True)
    draws = pm.draw(full["y_new"], givens={full["w"]: np.array([0.2, 0.8, 0.0]),
                                           full["mu"]: np.array([-5.0, 5.0, 100.0]),
                                           full["sigma"]: np.ones(3)}, random_seed=3)
    assert abs(np.mean(draws < 0) - 0.2) < 0.03 and np.all(np.abs(draws) < 20)
