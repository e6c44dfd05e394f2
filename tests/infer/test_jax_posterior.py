"""The JAX path samples the same posterior as PyMC's C backend, for every model in ``models/``.

Reference: PyMC's own NUTS (``--engine pymc``: the model compiled by
PyTensor's C backend).  Each JAX engine (``numpyro``, ``blackjax``: ppl's JAX
graph of the log density) must give the same posterior means to Monte Carlo
error: for every scalar component of the compared parameters,

    z = |mean_jax - mean_ref| / sqrt(mcse_jax^2 + mcse_ref^2)

(MCSE of the mean from each side's own draws, ArviZ's batch-free estimate
after Vehtari et al. 2021), two-sided, with a Bonferroni correction over the
components at family-wise level ``ALPHA``: the test fails when any
``z > Phi^-1(1 - ALPHA / (2 K))``.  Both sides are seeded.  A few models run
by default (``zip_latent`` is the one where NumPyro through ``pm.sample``
found a wrong posterior); under ``-m slow`` every model the support matrix
(``tests/infer/engine_support.py``) lists for the JAX engines runs.

Reference: A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner
(2021), "Rank-normalization, folding, and localization: an improved R-hat",
Bayesian Analysis 16(2).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import ppl
from tests.conftest import MODELS
from tests.infer.engine_support import COMPARED, supported

pytestmark = pytest.mark.filterwarnings("ignore")

ALPHA = 1e-3
ENGINES = ("numpyro", "blackjax")
DEFAULT = ("zip_latent", "logistic_regression")
# The cells of the support matrix (tests/infer/engine_support.py) this file shows: every model a JAX
# engine supports, with the parameters identified up to symmetry compared as listed there (COMPARED).
JAX_CELLS = [(name, cell.split("-")[0]) for name, cell in supported(("numpyro-nuts", "blackjax-nuts"))
             if name not in DEFAULT]
SETTINGS = dict(draws=600, tune=500, chains=2, progressbar=False)


def _params(model, name):
    if name in COMPARED:
        return COMPARED[name]
    return [n.name for n in model.ir.nodes if getattr(n, "role", None) == "param" and n.name not in model.ir.generated]


def _means(result, names):
    from arviz_stats import summary

    table = summary(result["posterior"].to_dataset()[names])
    return table["mean"].to_numpy(float), table["mcse_mean"].to_numpy(float), list(table.index)


def z_scores(ref, got, names):
    """``(z, labels)``: standardized differences of the posterior means, one per scalar component.

    Components that are constant on both sides (no Monte Carlo error) must agree exactly instead.
    """
    m_ref, s_ref, labels = _means(ref, names)
    m_got, s_got, labels_got = _means(got, names)
    assert labels == labels_got
    constant = (np.nan_to_num(s_ref) == 0) & (np.nan_to_num(s_got) == 0)  # e.g. a correlation matrix's diagonal
    np.testing.assert_allclose(m_got[constant], m_ref[constant], rtol=1e-10, err_msg="constant components differ")
    keep = ~constant
    z = np.abs(m_got[keep] - m_ref[keep]) / np.sqrt(s_ref[keep] ** 2 + s_got[keep] ** 2)
    return z, [lab for lab, k in zip(labels, keep) if k]


def bonferroni_limit(k: int, alpha: float = ALPHA) -> float:
    """The two-sided critical value for ``k`` tests at family-wise level ``alpha``."""
    return float(stats.norm.isf(alpha / (2 * k)))


_REFERENCES: dict = {}


def _reference(name):
    if name not in _REFERENCES:
        model = ppl.load(MODELS / f"{name}.ppl")
        _REFERENCES[name] = (model, model.sample(engine="pymc", seed=101, **SETTINGS))
    return _REFERENCES[name]


def _check(name, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PPL_CACHE_DIR", str(tmp_path))
    model, ref = _reference(name)
    if not any(n in ref["posterior"] for n in _params(model, name)):
        pytest.skip("no continuous parameters")
    got = model.sample(engine=engine, seed=202, **SETTINGS)
    names = _params(model, name)
    z, labels = z_scores(ref, got, names)
    limit = bonferroni_limit(len(z))
    assert np.all(np.isfinite(z)), dict(zip(labels, z))
    worst = int(np.argmax(z))
    assert z[worst] < limit, f"{name}/{engine}: {labels[worst]} differs by z = {z[worst]:.2f} > {limit:.2f}"


def test_bonferroni_limit_is_the_normal_quantile():
    assert bonferroni_limit(1, 0.05) == pytest.approx(1.959964, abs=1e-6)
    assert bonferroni_limit(10, 0.05) == pytest.approx(stats.norm.isf(0.0025))


def test_z_scores_detect_a_shifted_posterior():
    """The comparison can fail: a posterior shifted by 10 MCSEs is caught."""
    import xarray as xr

    rng = np.random.default_rng(5)
    draws = rng.normal(size=(2, 500))
    ref = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": (("chain", "draw"), draws)})})
    shifted = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": (("chain", "draw"), draws[::-1] + 0.5)})})
    same = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(2, 500)))})})
    assert z_scores(ref, shifted, ["a"])[0][0] > bonferroni_limit(1)
    assert z_scores(ref, same, ["a"])[0][0] < bonferroni_limit(1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", DEFAULT)
def test_jax_posterior_matches_c_backend(name, engine, tmp_path, monkeypatch):
    _check(name, engine, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("name,engine", JAX_CELLS, ids=[f"{n}-{e}" for n, e in JAX_CELLS])
def test_jax_posterior_matches_c_backend_all_models(name, engine, tmp_path, monkeypatch):
    _check(name, engine, tmp_path, monkeypatch)
