"""Amortized VI against the closed form of probabilistic PCA.

With x_n = W^T z_n + mu + Normal(0, sigma^2 I) and z_n ~ Normal(0, I), the
posterior of z_n given x_n is Gaussian (Tipping & Bishop 1999, eq. 7):
precision Lambda = (W W^T + sigma^2 I) / sigma^2, mean Lambda^-1 W (x_n - mu) / sigma^2,
and the marginal is x_n ~ Normal(mu, W^T W + sigma^2 I).  A linear encoder
(``encoder=()``) contains the exact posterior when Lambda is diagonal
(models/ppca.json is simulated with orthogonal rows of W), so the fit must
reproduce its mean and sd and its ELBO must reach the exact log marginal
likelihood; when Lambda is not diagonal the best mean-field q has the exact
mean, sds 1/sqrt(Lambda_ii), and an ELBO below log p(x) by the closed-form KL.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy import stats

import ppl
from tests.conftest import MODELS

sys.path.insert(0, str(MODELS))
from simulate import simulate  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")

FIXED = """
dim obs
dim feature
dim latent
data W: real[latent, feature]
data mu: real[feature]
data sigma: positive
data x: real[obs, feature]
z[obs, latent] ~ Normal(0, 1)
x ~ Normal(z @ W + mu, sigma)
"""
SEED = 20261206


def exact(x, W, mu, sigma):
    """(log p(x), posterior means, posterior precision) of PPCA with loadings ``W[latent, feature]``."""
    K, D = W.shape
    log_marginal = stats.multivariate_normal(mu, W.T @ W + sigma**2 * np.eye(D)).logpdf(x).sum()
    precision = (W @ W.T + sigma**2 * np.eye(K)) / sigma**2
    means = np.linalg.solve(precision, W @ (x - mu).T / sigma**2).T
    return log_marginal, means, precision


def mean_field_gap(precision, n_rows: int) -> float:
    """n KL(q* || p) for the best diagonal Gaussian q* of a Gaussian posterior of precision ``precision``."""
    return n_rows * 0.5 * (np.sum(np.log(np.diag(precision))) - np.linalg.slogdet(precision)[1])


def fit_fixed(W, draws=1000, **options):
    data, truth = simulate("ppca")
    values = dict(data, W=W, mu=truth["mu"], sigma=truth["sigma"])
    model = ppl.compile(FIXED)
    options = {"encoder": (), "tol_elbo": 1e-6, **options}
    result = model.fit(values, approximation={"z": "amortized"}, seed=SEED, draws=draws, progressbar=False,
                       **options)
    return result, values


@pytest.fixture(scope="module")
def fixed():
    _, truth = simulate("ppca")
    result, values = fit_fixed(truth["W"])
    return result, values


def test_the_simulated_loadings_give_a_diagonal_posterior():
    _, truth = simulate("ppca")
    W = truth["W"]
    off = W @ W.T - np.diag(np.diag(W @ W.T))
    assert np.abs(off).max() < 1e-10


def test_elbo_reaches_the_exact_log_marginal_likelihood(fixed):
    result, v = fixed
    log_marginal, _, _ = exact(np.asarray(v["x"]), v["W"], v["mu"], v["sigma"])
    attrs = result["vi"].attrs
    assert attrs["stop_reason"] == "converged"
    # the ELBO is a lower bound: equal within its Monte Carlo se and a small optimisation gap (500 rows)
    assert attrs["final_elbo"] - log_marginal < 3 * attrs["final_elbo_se"] + 1e-6
    assert log_marginal - attrs["final_elbo"] < 0.1
    # q equal to the posterior makes log p(x, z) - log q(z | x) the same for every draw
    ratio = result["sample_stats"]["log_p"].values - result["sample_stats"]["log_q"].values
    assert np.std(ratio) < 0.5


def test_encoder_reproduces_the_exact_posterior(fixed):
    result, v = fixed
    _, means, precision = exact(np.asarray(v["x"]), v["W"], v["mu"], v["sigma"])
    sd = np.sqrt(np.diag(np.linalg.inv(precision)))
    mean, enc_sd = ppl.vi.load_amortized(result).encode()
    assert np.max(np.abs(mean - means) / sd) < 0.05
    rel = np.abs(enc_sd / sd - 1)
    assert rel.max() < 0.02 and rel.mean() < 0.005, (rel.max(), rel.mean())
    # the draws in the result are draws of q: their moments match too
    z = result["posterior"]["z"].values[0]
    np.testing.assert_allclose(z.mean(axis=0), means, atol=4 * sd.max() / np.sqrt(z.shape[0]) + 0.01)


def test_iwae_is_the_exact_log_marginal_when_q_is_exact(fixed):
    result, v = fixed
    log_marginal, _, _ = exact(np.asarray(v["x"]), v["W"], v["mu"], v["sigma"])
    per_row = ppl.vi.load_amortized(result).iwae(k=256, seed=1)
    assert per_row.shape == (500,)
    assert abs(per_row.sum() - log_marginal) < 0.05
    assert per_row.sum() >= result["vi"].attrs["final_elbo"] - 3 * result["vi"].attrs["final_elbo_se"]


@pytest.mark.slow
def test_a_rotated_loading_gives_the_best_mean_field_encoder():
    """W rotated by 45 degrees: the posterior covariance is not diagonal; the encoder's sds are
    1 / sqrt(Lambda_ii) and the ELBO is log p(x) minus n KL(q* || p) in closed form."""
    _, truth = simulate("ppca")
    c = np.sqrt(0.5)
    W = np.array([[c, -c], [c, c]]) @ truth["W"]
    result, v = fit_fixed(W)
    log_marginal, means, precision = exact(np.asarray(v["x"]), W, v["mu"], v["sigma"])
    gap = mean_field_gap(precision, 500)
    assert gap > 5
    mean, sd = ppl.vi.load_amortized(result).encode()
    rel = np.abs(sd * np.sqrt(np.diag(precision)) - 1)
    assert rel.max() < 0.02 and rel.mean() < 0.005, (rel.max(), rel.mean())
    assert np.max(np.abs(mean - means)) < 0.02
    attrs = result["vi"].attrs
    assert abs(log_marginal - gap - attrs["final_elbo"]) < 0.1 + 3 * attrs["final_elbo_se"]


def test_learned_loadings_have_the_exact_posterior_at_the_fitted_values():
    """W, mu, sigma as point estimates: at the fitted values the encoder is the exact posterior, and the
    ELBO is log p(x | W, mu, sigma) + log p(W, mu, sigma) (+ log sigma, the log transform's Jacobian)."""
    model = ppl.load(MODELS / "ppca.ppl")
    result = model.fit(approximation={"z": "amortized", "W": "point", "mu": "point", "sigma": "point"},
                       encoder=(), tol_elbo=1e-6, seed=SEED, draws=1000, progressbar=False)
    post = result["posterior"]
    W, mu, sigma = (post[name].values[0, 0] for name in ("W", "mu", "sigma"))
    for name in ("W", "mu", "sigma"):  # point estimates: every draw is the same
        assert np.ptp(post[name].values, axis=1).max() == 0
    x = np.asarray(model.bind().values["x"])
    log_marginal, means, precision = exact(x, W, mu, sigma)
    # the ML loadings make W W^T diagonal under a mean-field encoder (any rotation has the same likelihood)
    assert mean_field_gap(precision, 500) < 0.1
    sd = np.sqrt(np.diag(np.linalg.inv(precision)))
    mean, enc_sd = ppl.vi.load_amortized(result).encode()
    assert np.max(np.abs(mean - means) / sd) < 0.05
    rel = np.abs(enc_sd / sd - 1)
    assert rel.max() < 0.03 and rel.mean() < 0.01, (rel.max(), rel.mean())
    log_prior = (stats.norm(0, 2).logpdf(W).sum() + stats.norm(0, 5).logpdf(mu).sum()
                 + stats.halfnorm(scale=1).logpdf(sigma) + np.log(sigma))
    attrs = result["vi"].attrs
    assert abs(log_marginal + log_prior - attrs["final_elbo"]) < 0.2 + 3 * attrs["final_elbo_se"]
    # and the fit is close to PPCA's maximum likelihood noise level (Tipping & Bishop 1999, eq. 8)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.T, bias=True)))[::-1]
    assert abs(sigma**2 - eig[2:].mean()) < 0.02


@pytest.mark.slow
def test_a_tanh_encoder_approaches_the_exact_posterior():
    _, truth = simulate("ppca")
    result, v = fit_fixed(truth["W"], encoder=(32,), activation="tanh")
    log_marginal, means, precision = exact(np.asarray(v["x"]), v["W"], v["mu"], v["sigma"])
    sd = np.sqrt(np.diag(np.linalg.inv(precision)))
    mean, enc_sd = ppl.vi.load_amortized(result).encode()
    # tanh units only approximate the linear map, worst at the edge rows where they saturate
    err = np.abs(mean - means) / sd
    assert np.median(err) < 0.05 and np.quantile(err, 0.95) < 0.2 and err.max() < 1
    rel = np.abs(enc_sd / sd - 1)
    assert np.median(rel) < 0.02 and rel.max() < 0.2
    assert 0 < log_marginal - result["vi"].attrs["final_elbo"] < 5
