"""Missing entries of a finite discrete observed variable are summed out (LANGUAGE.md, "Missing values").

The variable is enumerated like a summed-out latent, its observed entries
pinned to their values.  Checked against an enumeration written in
NumPy/SciPy (tests/marginal_helpers.py): the log-likelihood and its gradient
(complex step) at random points, to rtol 1e-10; a model where nothing depends
on the missing entries against the same model on the observed rows only; the
recovered probabilities of each missing entry against the analytic
conditional, per draw; the pointwise log-likelihood for LOO; and the located
errors (infinite support, a use that is not elementwise).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import ppl
from conftest import ROOT
from marginal_helpers import binom_logpmf, complex_step_grad, likelihood_fn, lse, norm_logpdf, pois_logpmf
from ppl import driver
from ppl.errors import PplError
from ppl.infer.recover import marginal_log_likelihood, recover_discrete

RTOL = 1e-10

MIXTURE = """
dim obs
dim component = 3
data g: count[obs]
data x: real[obs]
w[component] ~ Dirichlet([2, 2, 2])
mu[component] ~ Normal(0, 5)
s ~ HalfNormal(2)
g ~ Categorical(w)
let m = mu[g]
x ~ Normal(m, s)
twice = 2 * g
"""

BINOMIAL_WIDE = """
dim obs
dim rep
data n: count[obs]
data y: count[obs]
data c: count[obs, rep]
theta ~ Beta(2, 2)
lam ~ Gamma(2, 1)
y ~ Binomial(n, theta)
c ~ Poisson(lam * (y + 1))
"""

ALONE = """
dim obs
dim component = 3
data g: count[obs]
data x: real[obs]
w[component] ~ Dirichlet([2, 2, 2])
mu ~ Normal(0, 5)
g ~ Categorical(w)
x ~ Normal(mu, 1)
"""


def _check(fn, brute, point: dict) -> None:
    value, grads = fn(point)
    np.testing.assert_allclose(value, brute({k: np.asarray(v, dtype=complex) for k, v in point.items()}).real,
                               rtol=RTOL)
    expected = complex_step_grad(brute, point)
    for name, g in grads.items():
        assert np.all(np.isfinite(g)), (name, g)
        np.testing.assert_allclose(g, expected[name], rtol=RTOL, atol=1e-9)


def _mixture_data(rng, n=7):
    g = rng.integers(0, 3, n).astype(float)
    x = rng.normal(np.array([-2.0, 0.5, 3.0])[g.astype(int)], 1.0)
    g[[1, 4, 5]] = np.nan
    return {"g": [None if np.isnan(v) else int(v) for v in g], "x": x.tolist()}, g, x


def _mixture_table(p, x):
    """log w_k + log Normal(x_i | mu_k, s): the joint of (g_i = k, x_i), by the formula."""
    w = p["w"] / np.sum(p["w"])
    return np.log(w)[None, :] + norm_logpdf(np.asarray(x)[:, None], p["mu"][None, :], p["s"])


def _mixture_brute(g, x):
    missing = np.isnan(g)
    gi = np.where(missing, 0, g).astype(int)

    def brute(p):
        table = _mixture_table(p, x)
        observed = table[np.arange(len(x)), gi]
        return np.sum(observed[~missing]) + np.sum(lse(table[missing], axis=1))
    return brute


def test_categorical_with_missing_entries_equals_enumeration():
    data, g, x = _mixture_data(np.random.default_rng(1))
    fn = likelihood_fn(ppl.compile(MIXTURE).build(data))
    brute = _mixture_brute(g, x)
    rng = np.random.default_rng(2)
    for _ in range(3):
        _check(fn, brute, {"w": rng.dirichlet([2, 2, 2]), "mu": rng.normal(0, 3, 3), "s": rng.gamma(2, 0.7)})
    _check(fn, brute, {"w": [0.2, 0.3, 0.5], "mu": [-90.0, 0.5, 60.0], "s": 0.3})  # terms far below -1e4


def test_binomial_with_data_n_and_a_dependent_with_extra_dims_equals_enumeration():
    rng = np.random.default_rng(3)
    n = np.array([3, 5, 2, 4, 5, 1])
    y = rng.binomial(n, 0.4).astype(float)
    c = rng.poisson(1.5 * (y[:, None] + 1) * np.ones((1, 3)))
    y[[0, 3, 4]] = np.nan
    data = {"n": n.tolist(), "y": [None if np.isnan(v) else int(v) for v in y], "c": c.tolist()}
    fn = likelihood_fn(ppl.compile(BINOMIAL_WIDE).build(data))
    missing = np.isnan(y)

    def brute(p):
        values = np.arange(0, n.max() + 1)
        table = (binom_logpmf(values[None, :], n[:, None], p["theta"])
                 + np.sum(pois_logpmf(c[:, :, None], p["lam"] * (values[None, None, :] + 1)), axis=1))
        observed = np.where(missing, 0, y).astype(int)
        return (np.sum(table[np.arange(len(y)), observed][~missing])
                + np.sum(lse(table[missing], axis=1)))

    for point in ({"theta": 0.35, "lam": 1.7}, {"theta": 0.9, "lam": 0.2}, {"theta": 1e-3, "lam": 40.0}):
        _check(fn, brute, point)


LOGISTIC = """
dim obs
data t: real[obs]
data b: bool[obs]
alpha ~ Normal(0, 2)
beta ~ Normal(0, 2)
b ~ Bernoulli(logit_p=alpha + beta * t)
"""

CATEGORICAL_ALONE = """
dim obs
dim component = 3
data g: count[obs]
w[component] ~ Dirichlet([2, 2, 2])
g ~ Categorical(w)
"""


def _nulls(values, missing):
    return [None if m else v for v, m in zip(values, missing)]


@pytest.mark.parametrize("case", ["logistic", "categorical"])
def test_missing_entries_that_nothing_depends_on_drop_out(case):
    """The full log density and its gradient (priors, transforms, Jacobians) equal the same model
    on the observed rows only."""
    rng = np.random.default_rng(5)
    missing = np.array([0, 1, 0, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    if case == "logistic":
        src, t = LOGISTIC, rng.normal(0, 1, 10)
        b = rng.integers(0, 2, 10).tolist()
        full = {"t": t.tolist(), "b": _nulls(b, missing)}
        dropped = {"t": t[~missing].tolist(), "b": [v for v, m in zip(b, missing) if not m]}
    else:
        src, g = CATEGORICAL_ALONE, rng.integers(0, 3, 10).tolist()
        full, dropped = {"g": _nulls(g, missing)}, {"g": [v for v, m in zip(g, missing) if not m]}
    with_missing, reference = ppl.compile(src).build(full), ppl.compile(src).build(dropped)
    fns = [(m.compile_logp(), m.compile_dlogp()) for m in (with_missing, reference)]
    for _ in range(3):
        point = {k: rng.normal(0, 1.5, np.shape(v)) for k, v in reference.initial_point().items()}
        (logp, dlogp), (ref_logp, ref_dlogp) = fns
        np.testing.assert_allclose(logp(point), ref_logp(point), rtol=RTOL)
        np.testing.assert_allclose(dlogp(point), ref_dlogp(point), rtol=RTOL, atol=1e-12)


# ------------------------------------------------------------------ recovery
def _posterior(draws: dict, chains: int) -> xr.Dataset:
    out = {k: (("chain", "draw") + tuple(f"{k}_dim_{i}" for i in range(np.ndim(v) - 2)), np.asarray(v))
           for k, v in draws.items()}
    ndraw = next(iter(draws.values())).shape[1]
    return xr.Dataset(out, coords={"chain": np.arange(chains), "draw": np.arange(ndraw)})


def test_recovered_probabilities_of_missing_entries_equal_the_conditional_per_draw():
    data, g, x = _mixture_data(np.random.default_rng(6))
    model = ppl.compile(MIXTURE)
    lowered = driver.build(model.ir, model.bind(data))
    rng = np.random.default_rng(7)
    draws = {"w": rng.dirichlet([3, 3, 3], size=(2, 10)), "mu": rng.normal(0, 2, (2, 10, 3)),
             "s": rng.gamma(3, 0.4, (2, 10))}
    out = recover_discrete(lowered, _posterior(draws, 2), seed=8)
    missing = np.isnan(g)
    probs = out["g_probs"]
    assert probs.dims == ("chain", "draw", "obs", "component")
    assert np.all(np.isnan(probs.values[:, :, ~missing]))  # observed entries are not recovered
    np.testing.assert_array_equal(out["g"].values[:, :, ~missing], np.broadcast_to(g[~missing], (2, 10, 4)))
    for c in range(2):
        for d in range(10):
            p = {k: v[c, d] for k, v in draws.items()}
            table = _mixture_table(p, x)[missing]
            expected = np.exp(table - lse(table, axis=1).real[:, None]).real
            np.testing.assert_allclose(probs.values[c, d][missing], expected, rtol=1e-10, atol=1e-300)
    pointwise = marginal_log_likelihood(lowered, _posterior(draws, 2))["g"]
    assert pointwise.dims == ("chain", "draw", "obs")
    for c in range(2):
        table = _mixture_table({k: v[c, 0] for k, v in draws.items()}, x)
        gi = np.where(missing, 0, g).astype(int)
        expected = np.where(missing, lse(table, axis=1).real, table[np.arange(len(x)), gi])
        np.testing.assert_allclose(pointwise.values[c, 0], expected, rtol=1e-10)


def test_drawn_missing_entries_follow_their_probabilities():
    data, g, x = _mixture_data(np.random.default_rng(9))
    model = ppl.compile(MIXTURE)
    lowered = driver.build(model.ir, model.bind(data))
    rng = np.random.default_rng(10)
    n = 4000
    draws = {"w": np.tile([0.3, 0.3, 0.4], (1, n, 1)), "mu": np.tile([-2.0, 0.5, 3.0], (1, n, 1)),
             "s": np.full((1, n), 1.5)}
    out = recover_discrete(lowered, _posterior(draws, 1), seed=rng)
    missing = np.isnan(g)
    p = out["g_probs"].values[0, 0][missing]
    freq = np.stack([(out["g"].values[0][:, missing] == k).mean(0) for k in range(3)], axis=-1)
    np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(0.25 / n))


def test_log_likelihood_without_dependents_has_the_observed_entries_only():
    rng = np.random.default_rng(11)
    missing = np.array([0, 1, 0, 0, 1, 0], dtype=bool)
    g = rng.integers(0, 3, 6)
    model = ppl.compile(CATEGORICAL_ALONE)
    lowered = driver.build(model.ir, model.bind({"g": _nulls(g.tolist(), missing)}))
    w = rng.dirichlet([2, 2, 2], size=(1, 5))
    ll = marginal_log_likelihood(lowered, _posterior({"w": w}, 1))["g"]
    assert ll.dims == ("chain", "draw", "g_observed")
    np.testing.assert_array_equal(ll["g_observed"].values, np.flatnonzero(~missing))
    np.testing.assert_allclose(ll.values[0], np.log(w[0][:, g[~missing]]), rtol=1e-12)


# ------------------------------------------------------------- end to end
def test_sampling_recovers_missing_entries_and_their_derived_quantities():
    data, g, x = _mixture_data(np.random.default_rng(12), 12)
    result = ppl.compile(MIXTURE).sample(data, engine="pymc", draws=40, tune=60, chains=2, seed=3,
                                         progressbar=False)
    post = result["posterior"]
    assert {"g", "g_probs", "twice"} <= set(post.data_vars)
    assert post["g"].dims == ("chain", "draw", "obs")
    np.testing.assert_array_equal(post["twice"].values, 2 * post["g"].values)
    missing = np.isnan(g)
    np.testing.assert_array_equal(post["g"].values[..., ~missing], np.broadcast_to(g[~missing], (2, 40, int((~missing).sum()))))
    log_lik = result["log_likelihood"]
    assert list(log_lik.data_vars) == ["g"] and log_lik["g"].dims == ("chain", "draw", "obs")
    from ppl.infer.summary import format_summary

    text = format_summary(result)
    assert "P(g = value | data) by component at its missing entries" in text


@pytest.mark.slow  # a subprocess that samples: ~45 s on a loaded 2-core machine
def test_cli_sample_on_a_model_with_missing_discrete_entries(tmp_path):
    data, _, _ = _mixture_data(np.random.default_rng(13))
    (tmp_path / "m.ppl").write_text(MIXTURE)
    (tmp_path / "m.json").write_text(json.dumps(data))
    out = tmp_path / "out.nc"
    proc = _cli("sample", tmp_path / "m.ppl", "--data", tmp_path / "m.json", "--draws", "30", "--tune", "40",
                "--chains", "1", "--seed", "1", "--engine", "pymc", "--quiet", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "posterior membership probabilities of `g`" in proc.stdout
    tree = xr.open_datatree(out, engine="h5netcdf")
    assert {"g", "g_probs", "twice"} <= set(tree["posterior"].data_vars)
    assert list(tree["log_likelihood"].data_vars) == ["g"]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "ppl.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


# ----------------------------------------------------------------- errors
POISSON = """
dim obs
data y: count[obs]
lam ~ Gamma(2, 1)
y ~ Poisson(lam)
"""

NOT_ELEMENTWISE = """
dim obs
data g: bool[obs]
data x: real
p ~ Beta(1, 1)
g ~ Bernoulli(p)
x ~ Normal(sum(g), 1)
"""


def test_infinite_support_with_missing_values_is_a_located_error():
    with pytest.raises(PplError) as info:
        ppl.compile(POISSON, name="m.ppl").build({"y": [1, None, 3]})
    err = info.value
    assert err.code == "E-discrete-missing"
    assert str(err).startswith("m.ppl:5:1: error: `y` is discrete (Poisson) and has missing values")
    assert "Truncated(..., upper=N)" in str(err)
    pm_model = ppl.compile(POISSON, marginalize=False).build({"y": [1, None, 3]})
    assert "y_unobserved" in pm_model.named_vars  # marginalization off: PyMC imputes them
    ppl.compile(POISSON).build({"y": [1, 2, 3]})  # fully observed: fine


def test_truncated_count_with_missing_values_is_summed_out():
    src = POISSON.replace("y ~ Poisson(lam)", "y ~ Truncated(Poisson(lam), upper=30)")
    fn = likelihood_fn(ppl.compile(src).build({"y": [1, None, 3]}))
    from scipy.stats import poisson

    value, _ = fn({"lam": 2.5})
    expected = np.sum(poisson.logpmf([1, 3], 2.5)) - 2 * np.log(poisson.cdf(30, 2.5))
    np.testing.assert_allclose(value, expected, rtol=RTOL)  # the missing entry sums to 1


def test_use_that_is_not_elementwise_is_an_error_only_with_missing_values():
    with pytest.raises(PplError) as info:
        ppl.compile(NOT_ELEMENTWISE, name="m.ppl").build({"g": [1, None, 0], "x": 1.0})
    assert info.value.code == "E-marginal-not-elementwise"
    assert str(info.value).startswith("m.ppl:7:")
    ppl.compile(NOT_ELEMENTWISE).build({"g": [1, 1, 0], "x": 1.0})


def test_cli_reports_the_error_without_traceback(tmp_path):
    (tmp_path / "m.ppl").write_text(POISSON)
    (tmp_path / "m.json").write_text(json.dumps({"y": [1, None, 3]}))
    proc = _cli("sample", tmp_path / "m.ppl", "--data", tmp_path / "m.json", "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "m.ppl:5:1: error: `y` is discrete (Poisson) and has missing values" in proc.stderr


def test_show_reports_the_decision_on_the_data():
    from ppl.semantics.pretty import show_missing

    data, g, _ = _mixture_data(np.random.default_rng(14))
    model = ppl.compile(MIXTURE)
    bound = model.bind(data)
    text = show_missing(driver.on_data(model.ir, bound), {"g": (3, 7)}, model.ir)
    assert text.splitlines()[:3] == [
        "summed out where missing (missing entries of discrete data)",
        "  g [obs]: 3 of 7 entries missing; 3 values along `component`",
        "    summed out of x through m: every path is elementwise along [obs]; the observed entries are pinned to "
        "their values"]
    assert "computed after inference, per draw, from those draws: twice" in text
    assert show_missing(driver.on_data(model.ir, model.bind({"g": [0, 1], "x": [0.0, 1.0]})), {}) == ""
    alone = ppl.compile(CATEGORICAL_ALONE)
    text = show_missing(driver.on_data(alone.ir, alone.bind({"g": [0, None, 2]})), {"g": (1, 3)})
    assert "nothing observed depends on them: they drop out of the model" in text and "`g_observed`" in text


def test_dependent_with_missing_values_of_its_own_is_an_error_only_if_both_are_missing():
    data, _, x = _mixture_data(np.random.default_rng(15))
    data["x"] = [None] + data["x"][1:]
    with pytest.raises(PplError) as info:
        ppl.compile(MIXTURE, name="m.ppl").build(data)
    assert info.value.code == "E-marginal-missing"
    assert str(info.value).startswith("m.ppl:11:1: error: `x` has missing values and depends on the summed-out `g`")
    data["g"] = [0, 1, 2, 0, 1, 2, 0]
    assert "x_unobserved" in ppl.compile(MIXTURE).build(data).named_vars  # g fully observed: x imputed


TWO_DIMS = """
dim ind
dim occasion
data y: bool[ind, occasion]
p[occasion] ~ Beta(2, 2)
y ~ Bernoulli(p)
"""


def test_bernoulli_over_two_dims_recovers_p_of_one_at_missing_entries_only():
    rng = np.random.default_rng(16)
    y = rng.integers(0, 2, (4, 3)).astype(float)
    missing = np.zeros((4, 3), dtype=bool)
    missing[[0, 2, 3], [1, 1, 2]] = True
    y[missing] = np.nan
    model = ppl.compile(TWO_DIMS)
    lowered = driver.build(model.ir, model.bind({"y": [[None if np.isnan(v) else int(v) for v in row] for row in y]}))
    p = rng.uniform(0.05, 0.95, (1, 6, 3))
    post = _posterior({"p": p}, 1)
    out = recover_discrete(lowered, post, seed=17)
    probs = out["y_probs"].values
    assert out["y_probs"].dims == ("chain", "draw", "ind", "occasion")
    np.testing.assert_allclose(probs[..., missing], np.broadcast_to(p[:, :, None, :], probs.shape)[..., missing],
                               rtol=1e-12)
    assert np.all(np.isnan(probs[..., ~missing]))
    np.testing.assert_array_equal(out["y"].values[..., ~missing], np.broadcast_to(y[~missing], (1, 6, 9)))
    ll = marginal_log_likelihood(lowered, post)["y"]
    assert ll.dims == ("chain", "draw", "y_observed") and ll.shape == (1, 6, 9)
    np.testing.assert_array_equal(ll["y_observed"].values, np.flatnonzero(~missing.reshape(-1)))
    expected = np.where(y == 1, np.log(p[:, :, None, :]), np.log1p(-p[:, :, None, :]))[..., ~missing]
    np.testing.assert_allclose(ll.values, expected, rtol=1e-12)


def test_forward_draws_of_the_variable_come_from_its_own_distribution():
    """Prior predictive draws of a variable with missing entries: y_i ~ Categorical(w) given each draw of w."""
    import pymc as pm

    data, _, _ = _mixture_data(np.random.default_rng(18))
    pm_model = ppl.compile(MIXTURE).build(data)
    with pm_model:
        prior = pm.sample_prior_predictive(draws=3000, var_names=["g", "w"], random_seed=19)
    g = prior["prior_predictive"]["g"].values.reshape(3000, -1)
    w = prior["prior"]["w"].values.reshape(3000, -1)
    assert g.shape == (3000, 7) and set(np.unique(g)) == {0, 1, 2}
    for k in range(3):  # E[1(g_i = k) - w_k] = 0, within 5 standard errors
        diff = (g == k) - w[:, [k]]
        assert np.all(np.abs(diff.mean(0)) < 5 * diff.std(0) / np.sqrt(3000))
