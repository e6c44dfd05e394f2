"""Hand-written PyMC reference models for every model in ``models/``.

Each function ``NAME(data)`` takes the loaded data JSON of ``models/NAME.ppl``
(a dict of raw lists, factor columns as label lists, missing values as
``None``) and returns the ``pm.Model`` that the model file means, written
from the math. Compiled models are tested against these: same free
variables (value-variable names such as ``tau_log__``), same ``logp`` and
gradient at the same point.

Conventions shared with the compiler (see the brief in LANGUAGE.md):

* every ``~`` parameter is a free RV of the same name with PyMC's default
  transform, with ``dims`` the dims written on the left of ``~`` (or the union
  of its arguments' dims);
* a dim's coordinates are ``0..n-1`` unless the data give them; a factor dim's
  coordinates are its sorted levels, and the factor is encoded as codes
  ``0..K-1`` in that order;
* ``=`` quantities are ``pm.Deterministic``; ``let`` locals are plain tensors;
* an observed variable is ``pm.DIST(name, ..., observed=values, dims=...)``;
  missing values (NaN) are left to PyMC's automatic imputation
  (``x_unobserved``, ``x_observed`` and a deterministic ``x``);
* generated quantities (random variables nothing observed depends on, such as
  ``y_new``) are left out;
* summed-out discrete latents (``z[obs] ~ Categorical(w)`` that an observed
  variable depends on) are left out too: the reference is the marginal model,
  written with PyMC's own mixture distributions where one applies, and ``=``
  quantities of such latents (computed after inference) are absent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

__all__ = [
    "REFERENCES",
    "factor_codes",
    "float_array",
    "eight_schools_centered",
    "eight_schools_noncentered",
    "ppca",
    "vae_digits",
    "linear_regression",
    "logistic_regression",
    "radon_varying_intercept",
    "varying_slopes_lkj",
    "poisson_glm_offset",
    "regression_missing",
    "ar1",
    "bnn",
    "linear_regression_predict",
    "old_faithful",
    "three_gaussians",
    "zip_latent",
    "capture_recapture",
]


# --------------------------------------------------------------------------- helpers


def factor_codes(labels: Sequence) -> tuple[np.ndarray, list]:
    """Encode factor labels as codes ``0..K-1`` over the sorted levels.

    Levels sort numerically when every label is a number, else lexically
    (as strings).

    Returns
    -------
    codes : numpy.ndarray of int
        The code of each label.
    levels : list
        The sorted distinct labels; the factor dim's coordinates.
    """
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels)
    key = (lambda v: v) if numeric else str
    levels = sorted(set(labels), key=key)
    position = {level: i for i, level in enumerate(levels)}
    return np.array([position[v] for v in labels], dtype=int), levels


def float_array(values) -> np.ndarray:
    """Convert (nested) lists to a float array, JSON ``null`` becoming NaN."""
    if isinstance(values, list):
        return np.array([float_array(v) for v in values])
    return np.array(np.nan if values is None else float(values))


def _index(n: int) -> list[int]:
    """Default coordinates of a dim of size ``n``: ``0..n-1``."""
    return list(range(n))


def _matrix(data: dict, name: str) -> tuple[np.ndarray, int, int]:
    """Return data matrix ``name`` with its number of rows and columns."""
    X = float_array(data[name])
    return X, X.shape[0], X.shape[1]


# --------------------------------------------------------------------------- models


def eight_schools_centered(data: dict) -> pm.Model:
    """Eight schools, centered: ``theta ~ Normal(mu, tau)``, ``y ~ Normal(theta, sigma)``."""
    y, sigma = float_array(data["y"]), float_array(data["sigma"])
    with pm.Model(coords={"school": _index(len(y))}) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        pm.Normal("y", mu=theta, sigma=sigma, observed=y, dims="school")
    return model


def eight_schools_noncentered(data: dict) -> pm.Model:
    """Eight schools, non-centered: ``theta = mu + tau * theta_raw``."""
    y, sigma = float_array(data["y"]), float_array(data["sigma"])
    with pm.Model(coords={"school": _index(len(y))}) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        theta_raw = pm.Normal("theta_raw", mu=0, sigma=1, dims="school")
        theta = pm.Deterministic("theta", mu + tau * theta_raw, dims="school")
        pm.Normal("y", mu=theta, sigma=sigma, observed=y, dims="school")
    return model


def linear_regression(data: dict) -> pm.Model:
    """Linear regression ``y ~ Normal(alpha + X beta, sigma)``."""
    X, n_obs, n_coef = _matrix(data, "X")
    coords = {"obs": _index(n_obs), "coef": _index(n_coef)}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        beta = pm.Normal("beta", mu=0, sigma=5, dims="coef")
        sigma = pm.HalfNormal("sigma", sigma=2)
        mu = alpha + pt.dot(X, beta)
        pm.Normal("y", mu=mu, sigma=sigma, observed=float_array(data["y"]), dims="obs")
    return model


def logistic_regression(data: dict) -> pm.Model:
    """Logistic regression ``y ~ Bernoulli(logit_p = alpha + X beta)``."""
    X, n_obs, n_coef = _matrix(data, "X")
    y = np.array([int(v) for v in data["y"]])  # bool: 0/1 or true/false
    coords = {"obs": _index(n_obs), "coef": _index(n_coef)}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=2.5)
        beta = pm.Normal("beta", mu=0, sigma=2.5, dims="coef")
        pm.Bernoulli("y", logit_p=alpha + pt.dot(X, beta), observed=y, dims="obs")
    return model


def radon_varying_intercept(data: dict) -> pm.Model:
    """Varying county intercepts, centered: ``a ~ Normal(mu_a, sigma_a)``."""
    county, levels = factor_codes(data["county"])
    floor = float_array(data["floor"])
    coords = {"obs": _index(len(county)), "county": levels}
    with pm.Model(coords=coords) as model:
        mu_a = pm.Normal("mu_a", mu=0, sigma=10)
        sigma_a = pm.HalfNormal("sigma_a", sigma=1)
        a = pm.Normal("a", mu=mu_a, sigma=sigma_a, dims="county")
        b = pm.Normal("b", mu=0, sigma=10)
        sigma_y = pm.HalfNormal("sigma_y", sigma=1)
        mu = a[county] + b * floor
        log_radon = float_array(data["log_radon"])
        pm.Normal("log_radon", mu=mu, sigma=sigma_y, observed=log_radon, dims="obs")
    return model


def radon_complete_pooling(data: dict) -> pm.Model:
    """One intercept for all counties: ``log_radon ~ Normal(a + b * floor, sigma_y)``."""
    floor = float_array(data["floor"])
    with pm.Model(coords={"obs": _index(len(floor))}) as model:
        a = pm.Normal("a", mu=0, sigma=10)
        b = pm.Normal("b", mu=0, sigma=10)
        sigma_y = pm.HalfNormal("sigma_y", sigma=1)
        pm.Normal("log_radon", mu=a + b * floor, sigma=sigma_y, observed=float_array(data["log_radon"]), dims="obs")
    return model


def varying_slopes_lkj(data: dict) -> pm.Model:
    """Correlated varying intercepts and slopes, ``b_g = mu_b + diag(tau) L z_g``.

    ``L`` is the lower Cholesky factor of an LKJ(eta = 2) correlation matrix;
    ``b[g, c] = mu_b[c] + sum_c2 tau[c] L[c, c2] z[g, c2]``.
    """
    group, levels = factor_codes(data["group"])
    x = float_array(data["x"])
    n_coef = 2
    coords = {
        "obs": _index(len(group)),
        "coef": _index(n_coef),
        "coef2": _index(n_coef),
        "group": levels,
    }
    with pm.Model(coords=coords) as model:
        mu_b = pm.Normal("mu_b", mu=0, sigma=5, dims="coef")
        tau = pm.HalfNormal("tau", sigma=1, dims="coef")
        L = pm.LKJCorr("L", n=n_coef, eta=2, dims=("coef", "coef2"))
        z = pm.Normal("z", mu=0, sigma=1, dims=("group", "coef2"))
        scaled_chol = tau[:, None] * L  # diag(tau) @ L, dims (coef, coef2)
        b = pm.Deterministic("b", mu_b + pt.dot(z, scaled_chol.T), dims=("group", "coef"))
        sigma = pm.HalfNormal("sigma", sigma=1)
        mu = b[group, 0] + b[group, 1] * x
        pm.Normal("y", mu=mu, sigma=sigma, observed=float_array(data["y"]), dims="obs")
    return model


def poisson_glm_offset(data: dict) -> pm.Model:
    """Poisson regression with log link and offset ``log(exposure)``."""
    X, n_obs, n_coef = _matrix(data, "X")
    log_exposure = np.log(float_array(data["exposure"]))
    y = np.array(data["y"], dtype=int)
    coords = {"obs": _index(n_obs), "coef": _index(n_coef)}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=2)
        beta = pm.Normal("beta", mu=0, sigma=1, dims="coef")
        rate = pt.exp(log_exposure + alpha + pt.dot(X, beta))
        pm.Poisson("y", mu=rate, observed=y, dims="obs")
    return model


def regression_missing(data: dict) -> pm.Model:
    """Regression on a covariate with missing values, imputed from ``Normal(mu_x, sigma_x)``."""
    x_data = float_array(data["x"])  # NaN where missing: PyMC imputes them
    with pm.Model(coords={"obs": _index(len(x_data))}) as model:
        mu_x = pm.Normal("mu_x", mu=0, sigma=5)
        sigma_x = pm.HalfNormal("sigma_x", sigma=2)
        x = pm.Normal("x", mu=mu_x, sigma=sigma_x, observed=x_data, dims="obs")
        alpha = pm.Normal("alpha", mu=0, sigma=5)
        beta = pm.Normal("beta", mu=0, sigma=2)
        sigma = pm.HalfNormal("sigma", sigma=2)
        y = float_array(data["y"])
        pm.Normal("y", mu=alpha + beta * x, sigma=sigma, observed=y, dims="obs")
    return model


def ar1(data: dict) -> pm.Model:
    """AR(1), conditional on the first value: ``y[t] ~ Normal(alpha + phi y[t-1], sigma)``."""
    y = float_array(data["y"])
    coords = {"time": _index(len(y)), "step": _index(len(y) - 1)}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        phi = pm.Uniform("phi", lower=-1, upper=1)
        sigma = pm.HalfNormal("sigma", sigma=1)
        y_now, y_prev = y[1:], y[:-1]
        pm.Normal("y_now", mu=alpha + phi * y_prev, sigma=sigma, observed=y_now, dims="step")
    return model


def bnn(data: dict) -> pm.Model:
    """One-hidden-layer tanh network: ``y ~ Normal(tanh(X W1 + b1) w2 + b2, sigma)``."""
    X, n_obs, n_feature = _matrix(data, "X")
    n_hidden = 4
    coords = {"obs": _index(n_obs), "feature": _index(n_feature), "hidden": _index(n_hidden)}
    with pm.Model(coords=coords) as model:
        W1 = pm.Normal("W1", mu=0, sigma=1, dims=("feature", "hidden"))
        b1 = pm.Normal("b1", mu=0, sigma=1, dims="hidden")
        w2 = pm.Normal("w2", mu=0, sigma=1 / np.sqrt(n_hidden), dims="hidden")
        b2 = pm.Normal("b2", mu=0, sigma=1)
        sigma = pm.HalfNormal("sigma", sigma=1)
        h = pt.tanh(pt.dot(X, W1) + b1)
        y = float_array(data["y"])
        pm.Normal("y", mu=pt.dot(h, w2) + b2, sigma=sigma, observed=y, dims="obs")
    return model


def linear_regression_predict(data: dict) -> pm.Model:
    """Simple regression; ``y_new`` is a generated quantity and so not in the model; ``mu_new`` is."""
    x, y, x_new = float_array(data["x"]), float_array(data["y"]), float_array(data["x_new"])
    coords = {"obs": _index(len(x)), "new": _index(len(data["x_new"]))}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        beta = pm.Normal("beta", mu=0, sigma=5)
        sigma = pm.HalfNormal("sigma", sigma=2)
        pm.Normal("y", mu=alpha + beta * x, sigma=sigma, observed=y, dims="obs")
        pm.Deterministic("mu_new", alpha + beta * x_new, dims="new")
    return model


def _ordered(n: int) -> dict:
    """PyMC's ordered transform with a strictly increasing start (as the compiler picks)."""
    return {"transform": pm.distributions.transforms.ordered, "initval": np.linspace(-1.0, 1.0, n)}


def old_faithful(data: dict) -> pm.Model:
    """Two normal components with ordered means: ``waiting ~ NormalMixture(w, mu, sigma)``."""
    waiting = float_array(data["waiting"])
    with pm.Model(coords={"obs": _index(len(waiting)), "component": _index(2)}) as model:
        w = pm.Dirichlet("w", a=np.array([2.0, 2.0]), dims="component")
        mu = pm.Normal("mu", mu=70.0, sigma=20.0, dims="component", **_ordered(2))
        sigma = pm.HalfNormal("sigma", sigma=10.0, dims="component")
        pm.NormalMixture("waiting", w=w, mu=mu, sigma=sigma, observed=waiting, dims="obs")
    return model


def three_gaussians(data: dict) -> pm.Model:
    """Three normal components of sd 1 with ordered means."""
    y = float_array(data["y"])
    with pm.Model(coords={"obs": _index(len(y)), "component": _index(3)}) as model:
        w = pm.Dirichlet("w", a=np.full(3, 10.0), dims="component")
        mu = pm.Normal("mu", mu=0.0, sigma=5.0, dims="component", **_ordered(3))
        pm.NormalMixture("y", w=w, mu=mu, sigma=1.0, observed=y, dims="obs")
    return model


def zip_latent(data: dict) -> pm.Model:
    """``y ~ ZeroInflatedPoisson(psi, mu)``: psi is the probability of the Poisson component."""
    y = np.array(data["y"], dtype=int)
    with pm.Model(coords={"obs": _index(len(y))}) as model:
        psi = pm.Beta("psi", alpha=2.0, beta=2.0)
        mu = pm.Gamma("mu", alpha=2.0, beta=0.5)
        pm.ZeroInflatedPoisson("y", psi=psi, mu=mu, observed=y, dims="obs")
    return model


def _m0_history_logp(history, omega, p):
    """log[omega prod_t p^y (1-p)^(1-y) + (1 - omega) 1(no capture)] per individual (last axis: occasions)."""
    caught = pt.sum(history, axis=-1)
    occasions = history.shape[-1]
    real = pt.log(omega) + caught * pt.log(p) + (occasions - caught) * pt.log1p(-p)
    absent = pt.switch(pt.eq(caught, 0), pt.log1p(-omega), -np.inf)
    return pt.logaddexp(real, absent)


def capture_recapture(data: dict) -> pm.Model:
    """M0 with data augmentation, the membership of each row summed out by hand."""
    y = np.array([[int(v) for v in row] for row in data["y"]])
    n_ind, n_occasion = y.shape
    coords = {"ind": _index(n_ind), "occasion": _index(n_occasion)}
    with pm.Model(coords=coords) as model:
        omega = pm.Beta("omega", alpha=1.0, beta=1.0)
        p = pm.Beta("p", alpha=1.0, beta=1.0)
        pm.CustomDist("y", omega, p, np.zeros(n_occasion),
                      logp=lambda value, omega, p, _: _m0_history_logp(value, omega, p),
                      signature="(),(),(t)->(t)", observed=y, dims=("ind", "occasion"))
    return model


def ppca(data: dict) -> pm.Model:
    """Probabilistic PCA: ``z[obs, latent] ~ Normal(0, 1)``, ``x ~ Normal(z W + mu, sigma)``."""
    x, n_obs, n_feature = _matrix(data, "x")
    n_latent = 2
    coords = {"obs": _index(n_obs), "feature": _index(n_feature), "latent": _index(n_latent)}
    with pm.Model(coords=coords) as model:
        W = pm.Normal("W", mu=0, sigma=2, dims=("latent", "feature"))
        mu = pm.Normal("mu", mu=0, sigma=5, dims="feature")
        sigma = pm.HalfNormal("sigma", sigma=1)
        z = pm.Normal("z", mu=0, sigma=1, dims=("obs", "latent"))
        x_mean = pm.Deterministic("x_mean", pt.dot(z, W) + mu, dims=("obs", "feature"))
        pm.Normal("x", mu=x_mean, sigma=sigma, observed=x, dims=("obs", "feature"))
    return model


def vae_digits(data: dict) -> pm.Model:
    """A VAE's generative model: ``z ~ Normal(0, 1)``, ``x ~ Bernoulli(logit_p = tanh(z W1 + b1) W2 + b2)``.

    ``label`` is data the model does not use, so it is not in the model."""
    x = np.asarray(data["x"], dtype="int64")
    n_obs, n_pixel = x.shape
    n_latent, n_hidden = 2, 128
    coords = {"obs": _index(n_obs), "pixel": _index(n_pixel), "latent": _index(n_latent), "hidden": _index(n_hidden)}
    with pm.Model(coords=coords) as model:
        z = pm.Normal("z", mu=0, sigma=1, dims=("obs", "latent"))
        W1 = pm.Normal("W1", mu=0, sigma=1, dims=("latent", "hidden"))
        b1 = pm.Normal("b1", mu=0, sigma=1, dims="hidden")
        W2 = pm.Normal("W2", mu=0, sigma=1 / np.sqrt(n_hidden), dims=("hidden", "pixel"))
        b2 = pm.Normal("b2", mu=0, sigma=1, dims="pixel")
        logits = pt.dot(pt.tanh(pt.dot(z, W1) + b1), W2) + b2
        pm.Deterministic("p", pm.math.sigmoid(logits), dims=("obs", "pixel"))
        pm.Bernoulli("x", logit_p=logits, observed=x, dims=("obs", "pixel"))
    return model


REFERENCES: dict[str, Callable[[dict], pm.Model]] = {
    "eight_schools_centered": eight_schools_centered,
    "eight_schools_noncentered": eight_schools_noncentered,
    "linear_regression": linear_regression,
    "logistic_regression": logistic_regression,
    "radon_varying_intercept": radon_varying_intercept,
    "radon_complete_pooling": radon_complete_pooling,
    "varying_slopes_lkj": varying_slopes_lkj,
    "poisson_glm_offset": poisson_glm_offset,
    "regression_missing": regression_missing,
    "ar1": ar1,
    "bnn": bnn,
    "linear_regression_predict": linear_regression_predict,
    "old_faithful": old_faithful,
    "three_gaussians": three_gaussians,
    "zip_latent": zip_latent,
    "capture_recapture": capture_recapture,
    "ppca": ppca,
    "vae_digits": vae_digits,
}
