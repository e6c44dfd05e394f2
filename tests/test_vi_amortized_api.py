"""Guide-based VI: option errors, the score estimator's unbiasedness, saving and reloading a fit."""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from ppl.errors import PplError
from tests.conftest import MODELS

pytestmark = pytest.mark.filterwarnings("ignore")

PPCA = MODELS / "ppca.ppl"


@pytest.mark.parametrize("approximation, message", [
    ({"zz": "amortized"}, "`zz` in the approximation is not a parameter"),
    ({"W": "amortized"}, "`W` cannot be amortized"),
    ({"sigma": "amortized"}, "`sigma` cannot be amortized: it has no dims"),
    ({"z": "encoder"}, "unknown approximation `encoder` for `z`"),
])
def test_bad_approximations_are_option_errors(approximation, message):
    with pytest.raises(PplError) as err:
        ppl.load(PPCA).fit(approximation=approximation, steps=10, progressbar=False)
    assert err.value.code == "E-option"
    assert message in str(err.value)


def test_a_local_latent_that_is_not_amortized_cannot_be_minibatched():
    with pytest.raises(PplError, match="`z` is a parameter along the minibatch dim `obs` but is not amortized"):
        ppl.load(PPCA).fit(approximation={"W": "point"}, batch_size=50, steps=10, progressbar=False)


def test_misspelled_variable_gets_a_hint():
    with pytest.raises(PplError, match="did you mean `sigma`"):
        ppl.load(PPCA).fit(approximation="sigmaa=point", steps=10, progressbar=False)


@pytest.mark.parametrize("option, value", [("estimator", "reinforce"), ("activation", "swish"), ("encoder", (0,))])
def test_bad_encoder_and_estimator_options(option, value):
    with pytest.raises(PplError) as err:
        ppl.load(PPCA).fit(approximation={"z": "amortized"}, steps=10, progressbar=False, **{option: value})
    assert err.value.code == "E-option"


def test_score_estimator_is_unbiased():
    """Mean of many score-function estimates = mean of many reparameterization estimates (same params)."""
    import jax

    from ppl.vi.amortized.engine import compile_engine
    from ppl.vi.amortized.spec import resolve_spec
    from ppl.vi.amortized.variance import gradient_samples
    from ppl.vi.config import VIConfig

    model = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    engine = compile_engine(model, model.bind(), VIConfig(approximation=()),
                            resolve_spec(model.ir, (), "advi", False, None))
    engine.compile_loop()
    params = jax.device_get(engine._init(jax.random.PRNGKey(0))["params"])
    params["mf"]["mu"] = params["mf"]["mu"] + 0.3  # away from the start
    n = 20_000
    key = jax.random.PRNGKey(1)
    rep = gradient_samples(engine, params, "reparam", n, key)
    score = gradient_samples(engine, params, "score", n, jax.random.PRNGKey(2))
    se = np.sqrt((rep.var(0) + score.var(0)) / n)
    z = np.abs(rep.mean(0) - score.mean(0)) / se
    assert z.max() < 4.5, z  # 20 coordinates: Bonferroni-ish
    assert np.median(score.var(0) / rep.var(0)) > 10  # and it is far noisier


def test_the_loop_is_compiled_once():
    """Several compiled calls per fit and several fits: one trace (a weakly typed state entry once
    made every fit's second call compile again)."""
    import jax

    from ppl.vi.amortized.engine import compile_engine
    from ppl.vi.amortized.spec import resolve_spec
    from ppl.vi.config import VIConfig

    model = ppl.load(MODELS / "eight_schools_noncentered.ppl")
    config = VIConfig(approximation=(("mu", "point"),), window=50, windows_per_call=2, stop_early=False)
    engine = compile_engine(model, model.bind(), config, resolve_spec(model.ir, config.approximation, "advi",
                                                                          False, None))
    for seed in (1, 2):
        fit = engine.fit(jax.random.PRNGKey(seed), steps=400)
        assert fit.steps == 400 and np.isfinite(fit.elbo).all()
    assert engine.traces == 1


def test_minibatch_fit_saves_and_reloads(tmp_path):
    """A minibatch fit with a ReLU encoder; the result file reloads to the same encoder, decodes, generates."""
    import xarray as xr

    model = ppl.load(PPCA)
    result = model.fit(approximation={"z": "amortized", "W": "point", "mu": "point", "sigma": "point"},
                       encoder=(8,), activation="relu", batch_size=100, steps=400, stop_early=False,
                       learning_rate=0.01, seed=3, draws=20, progressbar=False)
    assert result["posterior"]["z"].shape == (1, 20, 500, 2)
    assert np.isfinite(result["sample_stats"]["log_p"].values).all()
    path = tmp_path / "fit.nc"
    result.to_netcdf(path, engine="h5netcdf")
    again = ppl.vi.load_amortized(path)
    first = ppl.vi.load_amortized(result)
    np.testing.assert_allclose(again.encode()[0], first.encode()[0])
    new = again.generate(7, seed=1)
    assert new["z"].shape == (7, 2) and new["x"].shape == (7, 5) and new["x_mean"].shape == (7, 5)
    decoded = again.decode(np.zeros((3, 2)))["x_mean"]
    mu = result["posterior"]["mu"].values[0, 0]
    np.testing.assert_allclose(decoded, np.broadcast_to(mu, (3, 5)))  # z = 0 decodes to mu
    assert isinstance(result, xr.DataTree)


@pytest.mark.slow
def test_a_fit_with_the_score_estimator_runs():
    model = ppl.load(PPCA)
    score = model.fit(approximation={"z": "amortized", "W": "point", "mu": "point", "sigma": "point"},
                      estimator="score", encoder=(), steps=200, stop_early=False, learning_rate=0.001,
                      seed=3, draws=10, progressbar=False)
    assert score["vi"].attrs["estimator"] == "score"
    assert np.isfinite(score["vi"]["elbo"].values).all()
