"""Every engine and method gives the same posterior (to Monte Carlo error).

The reference is nutpie on the same model; each engine's posterior means must
agree within 5 combined Monte Carlo standard errors (and R-hat < 1.05 at these
small sizes).  Eight schools non-centred runs in the default suite; under
``-m slow`` every cell of the support matrix (``tests/infer/engine_support.py``)
that PyMC runs (NUTS, HMC, Metropolis) runs on every model it supports, one test
per cell: ``-k "ar1-pymc-hmc"`` selects one.  The JAX engines' cells are shown
against PyMC's NUTS in ``test_jax_posterior.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from tests.conftest import MODELS
from tests.infer.engine_support import BUDGET, COMPARED, HERE, excluded, supported
from tests.infer.test_jax_posterior import z_scores

pytestmark = pytest.mark.filterwarnings("ignore")

CASES = [("pymc", "nuts"), ("numpyro", "nuts"), ("blackjax", "nuts"), ("pymc", "hmc"), ("pymc", "metropolis")]
FAST = "eight_schools_noncentered"


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


_REFERENCES: dict = {}


def _reference(name):
    """nutpie's posterior of ``models/NAME.ppl`` (2 chains, 1000 draws), once per test process."""
    if name not in _REFERENCES:
        model = ppl.load(MODELS / f"{name}.ppl")
        _REFERENCES[name] = (model, model.sample(engine="nutpie", draws=1000, tune=500, chains=2, seed=7,
                                                 progressbar=False))
    return _REFERENCES[name]


def _compared(model, name):
    if name in COMPARED:
        return COMPARED[name]
    return [n.name for n in model.ir.nodes if getattr(n, "role", None) == "param" and n.name not in model.ir.generated]


class NotMixed(AssertionError):
    """R-hat >= 1.05: the only failure an excluded cell is expected to show (a wrong mean is a bug)."""


def _cells():
    """Supported cells, then excluded ones as strict expected failures (a stale reason fails)."""
    cells = [pytest.param(m, c, id=f"{m}-{c}") for m, c in supported(HERE)]
    return cells + [pytest.param(m, c, id=f"{m}-{c}-excluded",
                                 marks=pytest.mark.xfail(strict=True, raises=NotMixed, reason=why))
                    for m, c, why in excluded(HERE)]


@pytest.mark.slow
@pytest.mark.parametrize("name,cell", _cells())
def test_cell_matches_nutpie(name, cell, tmp_path, monkeypatch):
    """One cell of the support matrix (``tests/infer/engine_support.py``): same posterior as nutpie.

    Every scalar component of the compared parameters: R-hat < 1.05, and |mean - mean_nutpie| < 5
    combined MCSE (components constant on both sides must agree exactly).  An excluded cell is expected
    to fail on R-hat only (:class:`NotMixed`); passing, or a wrong mean, fails the suite.
    """
    monkeypatch.setenv("PPL_CACHE_DIR", str(tmp_path))
    engine, method = cell.split("-")
    model, ref = _reference(name)
    tune, draws = BUDGET[method]
    got = model.sample(engine=engine, method=method, draws=draws, tune=tune, chains=2, seed=3, progressbar=False)
    names = _compared(model, name)
    rhat = _rhat(got, names)
    if rhat.max() >= 1.05:
        raise NotMixed(f"{name}/{cell}: R-hat {rhat.max():.3f} ({rhat.idxmax()})")
    z, labels = z_scores(ref, got, names)
    worst = int(np.argmax(z))
    assert np.all(np.isfinite(z)), dict(zip(labels, z))
    assert z[worst] < 5, f"{name}/{cell}: {labels[worst]} differs by {z[worst]:.2f} combined MCSE"


def _rhat(result, names):
    from arviz_stats import summary

    return summary(result["posterior"].to_dataset()[names])["r_hat"].dropna()


def test_support_matrix_names_every_model_and_cell():
    """A model in ``models/`` is in every cell unless excluded with a reason; no stale exclusions."""
    from tests.infer.engine_support import CELLS, EXCLUDED, MODEL_NAMES

    assert MODEL_NAMES and FAST in MODEL_NAMES
    for (model, cell), reason in EXCLUDED.items():
        assert model in MODEL_NAMES, f"excluded model {model} is not in models/"
        assert cell == "*" or cell in CELLS, cell
        assert len(reason) > 20
    assert all(model in MODEL_NAMES for model in COMPARED)


def test_blackjax_refuses_discrete_parameters_naming_the_alternatives():
    """Not marginalized, discrete parameters need PyMC's compound steps: blackjax says so."""
    model = ppl.load(MODELS / "zip_latent.ppl", marginalize=False)
    with pytest.raises(ppl.PplError) as err:
        model.sample(engine="blackjax", draws=10, tune=10, chains=1, seed=1, progressbar=False)
    assert "`z` is discrete" in str(err.value) and "--engine pymc" in str(err.value)
    assert "marginalize" in str(err.value)


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
