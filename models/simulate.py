"""Regenerate the simulated data sets of the model corpus.

Run from anywhere::

    python models/simulate.py

For every simulated model ``NAME`` this writes, beside ``NAME.ppl``:

* ``NAME.json``: Stan-style data JSON holding exactly the ``data`` names the
  model declares (arrays as nested lists in the declared dim order, factor
  columns as string labels, missing values as ``null``);
* ``NAME.truth.json``: the parameter values the data were simulated from,
  keyed by the model's parameter names (arrays as nested lists).

True values are drawn from narrow ranges well inside each model's prior, so
that a posterior fitted to the data should cover them (the recovery test
checks that each lies within 3 posterior standard deviations of the
posterior mean). Each model has its own random stream, derived from
``SEED`` and the model name, so editing one simulator leaves the other data
sets unchanged. The eight-schools, Old Faithful and capture-recapture data
are real and are not touched here.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["SEED", "SIMULATORS", "RECOVERY_SETS", "simulate", "simulate_recovery_set", "write_json", "main"]

SEED = 20_240_601
DECIMALS = 4  # data are rounded to this many decimals (keeps files small)
MODELS_DIR = Path(__file__).resolve().parent

Simulated = tuple[dict, dict]  # (data, truth)


def _rng(name: str) -> np.random.Generator:
    """Return the random stream of one model, fixed by ``SEED`` and its name."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def _round(values: np.ndarray) -> np.ndarray:
    """Round simulated data to ``DECIMALS`` decimals."""
    return np.round(np.asarray(values, dtype=float), DECIMALS)


def _labels(prefix: str, codes: np.ndarray) -> list[str]:
    """Turn 0-based codes into zero-padded labels (``county_03``) that sort lexically."""
    return [f"{prefix}_{int(code):02d}" for code in codes]


def _standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws rescaled to sample mean 0 and sd 1 along the first axis.

    Used for the group effects: with only 10-12 groups, a raw draw
    whose sample mean is far from 0 shifts the posterior of the population
    mean away from its true value (an unlucky, not a wrong, truth).
    """
    draws = rng.normal(0.0, 1.0, size=shape)
    return (draws - draws.mean(axis=0)) / draws.std(axis=0)


def _group_codes(rng: np.random.Generator, n_groups: int, n_obs: int, min_size: int) -> np.ndarray:
    """Assign ``n_obs`` rows to groups of unequal sizes, each at least ``min_size``, shuffled."""
    extra = rng.multinomial(n_obs - n_groups * min_size, rng.dirichlet(np.full(n_groups, 2.0)))
    codes = np.repeat(np.arange(n_groups), min_size + extra)
    return rng.permutation(codes)


def linear_regression(rng: np.random.Generator) -> Simulated:
    """Linear regression: 100 rows, 3 standard normal covariates."""
    n_obs, n_coef = 100, 3
    X = rng.normal(0.0, 1.0, size=(n_obs, n_coef))
    alpha, beta, sigma = rng.normal(0.0, 1.0), rng.normal(0.0, 1.0, n_coef), rng.uniform(0.5, 1.5)
    y = alpha + X @ beta + rng.normal(0.0, sigma, n_obs)
    return {"X": _round(X), "y": _round(y)}, {"alpha": alpha, "beta": beta, "sigma": sigma}


def logistic_regression(rng: np.random.Generator) -> Simulated:
    """Logistic regression: 200 rows, 3 standard normal covariates, 0/1 outcome."""
    n_obs, n_coef = 200, 3
    X = rng.normal(0.0, 1.0, size=(n_obs, n_coef))
    alpha, beta = rng.uniform(-0.5, 0.5), rng.normal(0.0, 0.8, n_coef)
    p = 1.0 / (1.0 + np.exp(-(alpha + X @ beta)))
    y = rng.binomial(1, p)
    return {"X": _round(X), "y": y}, {"alpha": alpha, "beta": beta}


def radon_varying_intercept(rng: np.random.Generator) -> Simulated:
    """Varying intercepts: 150 houses in 12 counties, about 30% on the first floor."""
    n_obs, n_county = 150, 12
    county = _group_codes(rng, n_county, n_obs, min_size=4)
    floor = rng.binomial(1, 0.3, n_obs).astype(float)
    mu_a, sigma_a = rng.uniform(1.0, 2.0), rng.uniform(0.4, 0.8)
    a_raw = _standard_normal(rng, (n_county,))
    a = mu_a + sigma_a * a_raw
    b, sigma_y = rng.uniform(-0.8, -0.4), rng.uniform(0.5, 0.9)
    log_radon = a[county] + b * floor + rng.normal(0.0, sigma_y, n_obs)
    data = {"county": _labels("county", county), "floor": floor, "log_radon": _round(log_radon)}
    truth = {"mu_a": mu_a, "sigma_a": sigma_a, "a": a, "b": b, "sigma_y": sigma_y}
    return data, truth


def _chol_corr_2(rho: float) -> np.ndarray:
    """Lower Cholesky factor of the 2 x 2 correlation matrix with correlation ``rho``."""
    return np.array([[1.0, 0.0], [rho, np.sqrt(1.0 - rho**2)]])


def varying_slopes_lkj(rng: np.random.Generator) -> Simulated:
    """Correlated varying intercepts and slopes: 10 groups of 12 rows.

    ``L`` is left out of the truth file: its entries [0, 0] and [0, 1] are the
    constants 1 and 0 (posterior sd 0), so a "within 3 sd" check is
    ill-posed for them; ``L`` enters the truth through ``b``.
    """
    n_group, per_group = 10, 12
    group = rng.permutation(np.repeat(np.arange(n_group), per_group))
    x = rng.normal(0.0, 1.0, group.size)
    mu_b, tau = rng.uniform(-1.0, 1.0, 2), rng.uniform(0.5, 1.0, 2)
    L = _chol_corr_2(rng.uniform(-0.6, 0.6))
    z = _standard_normal(rng, (n_group, 2))
    b = mu_b + z @ (tau[:, None] * L).T  # b_g = mu_b + diag(tau) L z_g
    sigma = rng.uniform(0.4, 0.8)
    y = b[group, 0] + b[group, 1] * x + rng.normal(0.0, sigma, group.size)
    data = {"group": _labels("group", group), "x": _round(x), "y": _round(y)}
    truth = {"mu_b": mu_b, "tau": tau, "z": z, "b": b, "sigma": sigma}
    return data, truth


def poisson_glm_offset(rng: np.random.Generator) -> Simulated:
    """Poisson counts with exposure offset: 120 rows, 2 covariates."""
    n_obs, n_coef = 120, 2
    X = _round(rng.normal(0.0, 1.0, size=(n_obs, n_coef)))
    exposure = _round(rng.uniform(0.5, 5.0, n_obs))
    alpha, beta = rng.uniform(0.0, 1.0), rng.normal(0.0, 0.4, n_coef)
    y = rng.poisson(exposure * np.exp(alpha + X @ beta))
    return {"X": X, "exposure": exposure, "y": y}, {"alpha": alpha, "beta": beta}


def regression_missing(rng: np.random.Generator) -> Simulated:
    """Regression with 15 of 100 covariate values missing completely at random."""
    n_obs, n_missing = 100, 15
    mu_x, sigma_x = rng.uniform(-1.0, 1.0), rng.uniform(0.8, 1.5)
    x = _round(rng.normal(mu_x, sigma_x, n_obs))
    alpha, beta, sigma = rng.normal(0.0, 1.0), rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.0)
    y = alpha + beta * x + rng.normal(0.0, sigma, n_obs)
    x_with_nulls: list = x.tolist()
    for i in rng.choice(n_obs, n_missing, replace=False):
        x_with_nulls[i] = None
    data = {"x": x_with_nulls, "y": _round(y)}
    truth = {"mu_x": mu_x, "sigma_x": sigma_x, "alpha": alpha, "beta": beta, "sigma": sigma}
    return data, truth


def ar1(rng: np.random.Generator) -> Simulated:
    """AR(1) series of 100 points, started from its stationary distribution."""
    n_time = 100
    alpha, phi, sigma = rng.uniform(0.0, 1.0), rng.uniform(0.3, 0.7), rng.uniform(0.5, 1.0)
    y = np.empty(n_time)
    y[0] = rng.normal(alpha / (1.0 - phi), sigma / np.sqrt(1.0 - phi**2))
    for t in range(1, n_time):
        y[t] = alpha + phi * y[t - 1] + rng.normal(0.0, sigma)
    return {"y": _round(y)}, {"alpha": alpha, "phi": phi, "sigma": sigma}


def bnn(rng: np.random.Generator) -> Simulated:
    """Network regression: 100 rows, 2 features, 4 tanh hidden units.

    Only ``sigma`` is recorded: the weights are identified only up to
    permutations and sign flips of the hidden units.
    """
    n_obs, n_feature, n_hidden = 100, 2, 4
    X = _round(rng.uniform(-2.0, 2.0, size=(n_obs, n_feature)))
    W1 = rng.normal(0.0, 1.0, size=(n_feature, n_hidden))
    b1 = rng.normal(0.0, 0.5, n_hidden)
    w2 = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), n_hidden)
    b2, sigma = rng.normal(0.0, 0.5), rng.uniform(0.15, 0.3)
    y = np.tanh(X @ W1 + b1) @ w2 + b2 + rng.normal(0.0, sigma, n_obs)
    return {"X": X, "y": _round(y)}, {"sigma": sigma}


def linear_regression_predict(rng: np.random.Generator) -> Simulated:
    """Simple regression, 50 rows with x in [-2, 2], predictions at 7 points in [-3, 3]."""
    n_obs = 50
    x = _round(rng.uniform(-2.0, 2.0, n_obs))
    alpha, beta, sigma = rng.normal(0.0, 1.0), rng.normal(0.0, 1.0), rng.uniform(0.5, 1.5)
    y = alpha + beta * x + rng.normal(0.0, sigma, n_obs)
    data = {"x": x, "y": _round(y), "x_new": np.linspace(-3.0, 3.0, 7)}
    return data, {"alpha": alpha, "beta": beta, "sigma": sigma}


def three_gaussians(rng: np.random.Generator) -> Simulated:
    """1000 points from three normals of sd 1 with means about 2 apart, weights ~ Dirichlet(10, 10, 10)."""
    n_obs = 1000
    w = rng.dirichlet(np.full(3, 10.0))
    mu = np.sort(np.array([-2.0, 0.0, 2.0]) + rng.uniform(-0.3, 0.3, 3))
    sigma = 1.0
    z = rng.choice(3, size=n_obs, p=w)
    y = rng.normal(mu[z], sigma)
    return {"y": _round(y)}, {"w": w, "mu": mu}


def zip_latent(rng: np.random.Generator) -> Simulated:
    """200 zero-inflated Poisson counts: Poisson(mu) with probability psi, else a structural zero."""
    n_obs = 200
    psi, mu = rng.uniform(0.5, 0.8), rng.uniform(2.0, 5.0)
    z = rng.binomial(1, psi, n_obs)
    y = z * rng.poisson(mu, n_obs)
    return {"y": y}, {"psi": psi, "mu": mu}


def ppca(rng: np.random.Generator) -> Simulated:
    """Probabilistic PCA: 500 rows of 5 features from 2 latent dims, x = z W + mu + Normal(0, 0.5).

    W's rows are orthogonal (scales 3 and 1.5 times random orthonormal rows), so
    W W^T is diagonal and so is the exact posterior covariance of each z_n,
    sigma^2 (W W^T + sigma^2 I)^-1: a mean-field (diagonal) encoder can match it
    exactly.  (Any W is a rotation of such a one: the likelihood is the same.)
    No truth file: W is identified only up to a rotation of the latent space,
    so a recovery check of it would be wrong.  The values are returned (tests of
    amortized VI read them through :func:`simulate`)."""
    n_obs, n_feature, n_latent = 500, 5, 2
    rows, _ = np.linalg.qr(rng.normal(size=(n_feature, n_latent)))
    W = np.array([3.0, 1.5])[:, None] * rows.T
    mu = rng.uniform(-2.0, 2.0, n_feature)
    sigma = 0.5
    z = rng.normal(0.0, 1.0, (n_obs, n_latent))
    x = z @ W + mu + rng.normal(0.0, sigma, (n_obs, n_feature))
    return {"x": _round(x)}, {"W": W, "mu": mu, "sigma": sigma}


NO_TRUTH_FILE = frozenset({"ppca"})  # simulated, but no parameter is identified for a recovery check

SIMULATORS: dict[str, Callable[[np.random.Generator], Simulated]] = {
    "linear_regression": linear_regression,
    "logistic_regression": logistic_regression,
    "radon_varying_intercept": radon_varying_intercept,
    "varying_slopes_lkj": varying_slopes_lkj,
    "poisson_glm_offset": poisson_glm_offset,
    "regression_missing": regression_missing,
    "ar1": ar1,
    "bnn": bnn,
    "linear_regression_predict": linear_regression_predict,
    "three_gaussians": three_gaussians,
    "zip_latent": zip_latent,
    "ppca": ppca,
}


def simulate(name: str) -> Simulated:
    """Simulate the data and true values of model ``name`` from its own random stream."""
    return SIMULATORS[name](_rng(name))


# ------------------------------------------------------------- recovery sets
# Models whose default data are real (eight schools, Old Faithful, capture-
# recapture) or not simulated from the model itself (radon_complete_pooling
# reuses radon_varying_intercept's data; ppca's W is not identified) get a
# second, simulated data set ``NAME.sim.json`` with its truths in
# ``NAME.sim.truth.json``, used only by the recovery tests.  The truths are
# fixed, sensible values (a prior draw of a HalfCauchy(5) tau can be
# absurd), stated in each simulator; only the local effects and the data are
# random.


def eight_schools_centered_sim(rng: np.random.Generator) -> Simulated:
    """Informative schools: 12 school effects with tau = 4 and standard errors 1-2.

    The centred form has a funnel where tau is small next to the standard
    errors (the real eight schools: sigma 9-18); with standard errors well
    below tau the posterior of tau stays away from 0 and NUTS samples the
    centred form without divergences -- the regime it is meant for.

    Its stream is ``eight_schools_centered.sim.1`` (see ``STREAMS``): the
    first one drew a measurement error of 3.0 standard errors for one school,
    which put that school's theta on the edge of the 3-sd recovery check (a
    property of the data draw, not of the sampler).
    """
    n_school, mu, tau = 12, 3.0, 4.0
    theta = mu + tau * _standard_normal(rng, (n_school,))
    sigma = _round(rng.uniform(1.0, 2.0, n_school))
    y = theta + rng.normal(0.0, sigma)
    return {"y": _round(y), "sigma": sigma}, {"mu": mu, "tau": tau, "theta": theta}


def eight_schools_noncentered_sim(rng: np.random.Generator) -> Simulated:
    """Weakly informative schools: 16 effects with tau = 3 and standard errors 4-8.

    Standard errors above tau are where the non-centred form is meant to be
    used and the centred one starts to diverge (measured with 4 x 1000 draws,
    seed 20261122: the centred model has 1 divergence on this set, 37 on the
    real eight schools, 0 on its own set). The real data are further in that
    direction, but then the posterior is mostly the prior.
    """
    n_school, mu, tau = 16, 5.0, 3.0
    theta_raw = _standard_normal(rng, (n_school,))
    theta = mu + tau * theta_raw
    sigma = _round(rng.uniform(4.0, 8.0, n_school))
    y = theta + rng.normal(0.0, sigma)
    truth = {"mu": mu, "tau": tau, "theta_raw": theta_raw, "theta": theta}
    return {"y": _round(y), "sigma": sigma}, truth


def old_faithful_sim(rng: np.random.Generator) -> Simulated:
    """272 waits from the maximum-likelihood fit of the real data (rounded).

    Weights (0.36, 0.64), means (54.6, 80.1), sds (5.9, 5.9): the EM fit of
    Benaglia et al. (2009), mixtools, J. Stat. Softw. 32(6), section 3.1.
    Waits are kept to 4 decimals (the real ones are whole minutes).
    """
    n_obs = 272
    w, mu, sigma = np.array([0.36, 0.64]), np.array([54.6, 80.1]), np.array([5.9, 5.9])
    z = rng.choice(2, size=n_obs, p=w)
    waiting = rng.normal(mu[z], sigma[z])
    return {"waiting": _round(waiting)}, {"w": w, "mu": mu, "sigma": sigma}


def capture_recapture_sim(rng: np.random.Generator) -> Simulated:
    """250 augmented rows, each real with probability 0.4, caught on each of 4 occasions with p = 0.35.

    Drawn exactly as the model says (z, then capture histories); the caught
    individuals come first, as in real augmented data.  ``N`` is the realised
    number of real rows.
    """
    n_rows, n_occasion, omega, p = 250, 4, 0.4, 0.35
    z = rng.binomial(1, omega, n_rows)
    y = rng.binomial(1, z[:, None] * p, (n_rows, n_occasion))
    order = np.argsort(~y.any(axis=1), kind="stable")
    return {"y": y[order]}, {"omega": omega, "p": p, "N": int(z.sum())}


def ppca_sim(rng: np.random.Generator) -> Simulated:
    """The PPCA simulator with 200 rows instead of 500 (a smaller problem for NUTS).

    The truth file holds W, but only rotation-invariant functions of it
    (W^T W) are identified; the recovery test compares those.
    """
    data, truth = ppca(rng)
    return {"x": data["x"][:200]}, truth


def radon_complete_pooling_sim(rng: np.random.Generator) -> Simulated:
    """150 houses, about 30% on the first floor, one intercept: a = 1.5, b = -0.6, sigma_y = 0.8.

    The default data (radon_varying_intercept's) have county effects, which
    this model leaves out, so they have no true values for it.
    """
    n_obs, a, b, sigma_y = 150, 1.5, -0.6, 0.8
    floor = rng.binomial(1, 0.3, n_obs).astype(float)
    log_radon = a + b * floor + rng.normal(0.0, sigma_y, n_obs)
    return {"floor": floor, "log_radon": _round(log_radon)}, {"a": a, "b": b, "sigma_y": sigma_y}


RECOVERY_SETS: dict[str, Callable[[np.random.Generator], Simulated]] = {
    "eight_schools_centered": eight_schools_centered_sim,
    "eight_schools_noncentered": eight_schools_noncentered_sim,
    "old_faithful": old_faithful_sim,
    "capture_recapture": capture_recapture_sim,
    "ppca": ppca_sim,
    "radon_complete_pooling": radon_complete_pooling_sim,
}


# stream labels other than the default ``NAME.sim``, with the reason in the simulator's docstring
STREAMS = {"eight_schools_centered": "eight_schools_centered.sim.1"}


def simulate_recovery_set(name: str) -> Simulated:
    """The ``NAME.sim.json`` data and ``NAME.sim.truth.json`` truths, from their own stream."""
    return RECOVERY_SETS[name](_rng(STREAMS.get(name, f"{name}.sim")))


def _plain(value):
    """Convert numpy scalars and arrays to JSON-ready Python values (lists nest by dim order)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_json(path: Path, entries: dict) -> None:
    """Write ``entries`` as a JSON object, one entry per line and one matrix row per line."""
    lines = []
    for key, value in entries.items():
        value = _plain(value)
        if isinstance(value, list) and value and isinstance(value[0], list):
            rows = ",\n  ".join(json.dumps(row) for row in value)
            lines.append(f" {json.dumps(key)}: [\n  {rows}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main() -> None:
    """Regenerate ``NAME.json`` and ``NAME.truth.json`` for every simulated model, and the recovery sets."""
    for name in SIMULATORS:
        data, truth = simulate(name)
        write_json(MODELS_DIR / f"{name}.json", data)
        if name in NO_TRUTH_FILE:
            print(f"wrote {name}.json")
            continue
        write_json(MODELS_DIR / f"{name}.truth.json", truth)
        print(f"wrote {name}.json and {name}.truth.json")
    for name in RECOVERY_SETS:
        data, truth = simulate_recovery_set(name)
        write_json(MODELS_DIR / f"{name}.sim.json", data)
        write_json(MODELS_DIR / f"{name}.sim.truth.json", truth)
        print(f"wrote {name}.sim.json and {name}.sim.truth.json")


if __name__ == "__main__":
    main()
