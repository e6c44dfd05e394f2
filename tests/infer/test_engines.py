"""Every engine and method gives the same posterior (to Monte Carlo error).

The reference is nutpie on the same model; each engine's posterior means must
agree within 5 combined Monte Carlo standard errors (and R-hat < 1.05 at these
small sizes).  Eight schools non-centred runs in the default suite; the other
models run per engine under ``-m slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from tests.conftest import MODELS

pytestmark = pytest.mark.filterwarnings("ignore")

CASES = [("pymc", "nuts"), ("numpyro", "nuts"), ("blackjax", "nuts"), ("pymc", "hmc"), ("pymc", "metropolis")]
FAST = "eight_schools_noncentered"
SLOW_MODELS = ["linear_regression", "logistic_regression", "poisson_glm_offset", "ar1", "radon_varying_intercept"]


def _run(model, engine, method, draws, seed):
    tune = 1000 if method == "metropolis" else 400
    return model.sample(engine=engine, method=method, draws=draws, tune=tune, chains=2, seed=seed,
                        progressbar=False)


def _compare(ref, got, names):
    from arviz_stats import summary

    a = summary(ref["posterior"].to_dataset()[names])
    b = summary(got["posterior"].to_dataset()[names])
    z = (a["mean"] - b["mean"]).abs() / np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (z < 5).all(), f"posterior means differ:\n{a[['mean', 'mcse_mean']]}\n{b[['mean', 'mcse_mean']]}"
    assert (b["r_hat"] < 1.05).all(), b["r_hat"]


def _params(model):
    return [n.name for n in model.ir.nodes if getattr(n, "role", None) == "param"]


@pytest.fixture(scope="module")
def reference():
    model = ppl.load(MODELS / f"{FAST}.ppl")
    return model, _run(model, "nutpie", "nuts", 1000, seed=7)


@pytest.mark.parametrize("engine,method", CASES, ids=[f"{e}-{m}" for e, m in CASES])
def test_engine_matches_nutpie_on_eight_schools(reference, engine, method, tmp_path, monkeypatch):
    monkeypatch.setenv("PPL_CACHE_DIR", str(tmp_path))
    model, ref = reference
    draws = 3000 if method == "metropolis" else 500
    got = _run(model, engine, method, draws, seed=3)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(got.children)
    _compare(ref, got, ["mu", "tau"])


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pymc", "numpyro", "blackjax"])
@pytest.mark.parametrize("name", SLOW_MODELS)
def test_engine_matches_nutpie_on_models(engine, name, tmp_path, monkeypatch):
    monkeypatch.setenv("PPL_CACHE_DIR", str(tmp_path))
    model = ppl.load(MODELS / f"{name}.ppl")
    ref = _run(model, "nutpie", "nuts", 1000, seed=7)
    got = _run(model, engine, "nuts", 1000, seed=3)
    names = [n for n in _params(model) if got["posterior"][n].size <= 4 * 2 * 1000 * 10]
    _compare(ref, got, names)


def test_method_with_a_nuts_engine_is_a_clear_error():
    model = ppl.load(MODELS / f"{FAST}.ppl")
    with pytest.raises(ppl.PplError) as err:
        model.sample(engine="numpyro", method="hmc", draws=10, tune=10)
    assert "step methods" in str(err.value) and "--engine pymc" in str(err.value)


def test_unknown_engine_names_the_choices():
    model = ppl.load(MODELS / f"{FAST}.ppl")
    with pytest.raises(ppl.PplError) as err:
        model.sample(engine="stan", draws=10, tune=10)
    assert "nutpie" in str(err.value) and "blackjax" in str(err.value)


def test_gpu_request_without_a_gpu_is_a_clear_error():
    import jax

    try:
        has_gpu = bool(jax.devices("gpu"))
    except RuntimeError:
        has_gpu = False
    if has_gpu:
        pytest.skip("this machine has a GPU")
    model = ppl.load(MODELS / f"{FAST}.ppl")
    with pytest.raises(ppl.PplError) as err:
        model.sample(engine="blackjax", device="gpu", draws=10, tune=10)
    assert "no GPU" in str(err.value) and "--device cpu" in str(err.value)
