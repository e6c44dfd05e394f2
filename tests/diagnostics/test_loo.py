"""PSIS-LOO against exact LOO by quadrature, ArviZ's documented eight-schools value, and closed forms.

Documented value: ArviZ's test suite (arviz-devs/arviz-stats, tests/loo/test_loo.py, commit 0267f36)
asserts that PSIS-LOO of its ``centered_eight`` example gives elpd_loo = -30.78, p_loo = 0.94 and
se = 1.34 (to one decimal); pyloo's README prints the same -30.78 for that data.  The example is the
centred eight-schools model, mu ~ N(0, 5), tau ~ HalfCauchy(5), theta ~ N(mu, tau),
y ~ N(theta, sigma): ``test_the_example_is_our_model`` checks that against its stored prior draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy import special, stats

from ppl.diagnostics import loo, loo_approximate_posterior, to_jsonable
from ppl.diagnostics.checks import Verdict

DOCUMENTED = {"elpd": -30.78, "p": 0.94, "se": 1.34}
DATA = json.loads((Path(__file__).resolve().parents[2] / "models" / "eight_schools_centered.json").read_text())


def exact_eight_schools_loo() -> float:
    """Exact elpd_loo of eight schools: theta integrated out analytically, (mu, log tau) by quadrature."""
    y, s = np.array(DATA["y"], float), np.array(DATA["sigma"], float)
    mu, log_tau = np.meshgrid(np.linspace(-40, 50, 601), np.linspace(-12, np.log(2000), 801), indexing="ij")
    tau = np.exp(log_tau)
    log_prior = stats.norm.logpdf(mu, 0, 5) + stats.halfcauchy.logpdf(tau, scale=5) + log_tau
    ll = np.stack([stats.norm.logpdf(y[j], mu, np.sqrt(s[j] ** 2 + tau ** 2)) for j in range(8)])
    full = log_prior + ll.sum(0)
    return float(sum(special.logsumexp(full) - special.logsumexp(full - ll[i]) for i in range(8)))


EXACT = exact_eight_schools_loo()  # -30.742 (stable to 1e-8 under grid refinement)


@pytest.fixture(scope="module")
def example():
    from arviz_base import load_arviz_data

    return load_arviz_data("centered_eight")


def test_the_example_is_our_model(example):
    prior = example["prior"]
    assert stats.kstest(prior["mu"].values.ravel(), stats.norm(0, 5).cdf).pvalue > 0.01
    assert stats.kstest(prior["tau"].values.ravel(), stats.halfcauchy(scale=5).cdf).pvalue > 0.01
    np.testing.assert_array_equal(example["observed_data"]["obs"].values, DATA["y"])
    np.testing.assert_array_equal(example["constant_data"]["sigma"].values, DATA["sigma"])


def test_documented_value_on_the_example(example):
    result = loo(example)
    for key, value in DOCUMENTED.items():
        assert getattr(result, key) == pytest.approx(value, abs=0.15)
    assert result.verdict is Verdict.PASS
    assert result.observations[0] == "obs[Choate]" and result.pareto_k.shape == (8,)


def test_example_agrees_with_exact_loo(example):
    assert EXACT == pytest.approx(-30.742, abs=1e-3)
    assert loo(example).elpd == pytest.approx(EXACT, abs=0.1)


# The centred fit diverges in the funnel (25-40 divergences in 2 x 1000 draws), so its posterior is
# biased and its elpd_loo scatters more: over seeds 20240611, 1, 2 it gave -30.87, -30.70, -30.66 (exact
# -30.74).  The non-centred fit is the one held to Monte Carlo error.
TOLERANCE = {"centered": 0.3, "noncentered": 0.15}


@pytest.mark.parametrize("name", ["centered", "noncentered"])
def test_our_sampled_eight_schools(eight_schools, name):
    result = loo(eight_schools[name])
    assert result.elpd == pytest.approx(EXACT, abs=TOLERANCE[name])     # our posterior, to Monte Carlo error
    assert result.elpd == pytest.approx(DOCUMENTED["elpd"], abs=0.2)    # and ArviZ's documented value
    assert result.n_samples == 2000 and result.var_name == "y"
    assert json.dumps(to_jsonable(result), allow_nan=False)


def _tree(draws: dict, log_lik: dict):
    post = xr.Dataset({k: (("chain", "draw"), v) for k, v in draws.items()})
    ll = xr.Dataset({k: (("chain", "draw", f"{k}_obs"), v) for k, v in log_lik.items()})
    return xr.DataTree.from_dict({"posterior": post, "log_likelihood": ll})


def test_influential_observation_is_named():
    rng = np.random.default_rng(3)
    y = np.array([0.1, -0.3, 0.4, 0.0, 20.0])
    mu = rng.normal(y.sum() / 6, np.sqrt(1 / 6), size=(2, 2000))  # the posterior under mu ~ N(0, 1)
    ll = stats.norm.logpdf(y, mu[..., None], 1)
    result = loo(_tree({"mu": mu}, {"y": ll}))
    assert result.verdict is not Verdict.PASS
    assert result.check.flagged[0].startswith("y[4] (k = ")
    assert len(result.check.flagged) == 1


def test_several_observed_variables_are_joined():
    rng = np.random.default_rng(4)
    mu = rng.normal(size=(2, 500))
    tree = _tree({"mu": mu}, {"y": stats.norm.logpdf(np.zeros(3), mu[..., None]),
                              "z": stats.norm.logpdf(np.ones(2), mu[..., None])})
    both = loo(tree)
    assert both.observations == ("y[0]", "y[1]", "y[2]", "z[0]", "z[1]")
    only = loo(tree, var_name="z")
    assert only.n_observations == 2
    np.testing.assert_allclose(both.elpd_i[3:], only.elpd_i, rtol=1e-2)
    with pytest.raises(KeyError, match="no log-likelihood of `w`"):
        loo(tree, var_name="w")


def test_missing_log_likelihood_is_an_error():
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": (("chain", "draw"), np.zeros((1, 5)))})})
    with pytest.raises(ValueError, match="no log_likelihood group"):
        loo(tree)


@pytest.mark.parametrize("shift, scale", [(0.3, 1.3), (1.0, 1.5)])
def test_approximate_posterior_recovers_exact_loo(shift, scale):
    """Normal mean, known variance: exact LOO is closed form; q is a shifted, wider 'VI' fit."""
    rng = np.random.default_rng(11)
    n, prior_sd = 20, 10.0
    y = rng.normal(1, 1, n)

    def posterior(obs):
        v = 1 / (1 / prior_sd ** 2 + obs.size)
        return v * obs.sum(), v

    exact = sum(stats.norm.logpdf(y[i], posterior(np.delete(y, i))[0], np.sqrt(1 + posterior(np.delete(y, i))[1]))
                for i in range(n))
    m, v = posterior(y)
    q_mean, q_sd = m + shift * np.sqrt(v), scale * np.sqrt(v)
    x = rng.normal(q_mean, q_sd, 4000)
    ll = stats.norm.logpdf(y[None, :], x[:, None], 1)
    tree = _tree({"mu": x[None]}, {"y": ll[None]})
    log_p = stats.norm.logpdf(x, 0, prior_sd) + ll.sum(1)
    corrected = loo_approximate_posterior(tree, log_p, stats.norm.logpdf(x, q_mean, q_sd))
    plain = loo(tree)
    assert corrected.method == "psis-loo-approximate-posterior"
    assert corrected.elpd == pytest.approx(exact, abs=0.05)
    assert abs(plain.elpd - exact) > 0.5  # plain PSIS-LOO on q's draws estimates LOO of q, not of the model
