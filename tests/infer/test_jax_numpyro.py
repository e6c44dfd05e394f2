"""The numpyro engine (NumPyro's NUTS on ppl's JAX graph): output, provenance, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from tests.conftest import MODELS

pytestmark = pytest.mark.filterwarnings("ignore")
OPTS = dict(engine="numpyro", draws=60, tune=60, chains=2, progressbar=False)


def test_same_seed_same_draws_and_provenance():
    model = ppl.load(MODELS / "zip_latent.ppl")
    a, b = model.sample(seed=9, **OPTS), model.sample(seed=9, **OPTS)
    np.testing.assert_array_equal(a["posterior"]["mu"].values, b["posterior"]["mu"].values)
    assert a["posterior"]["mu"].shape == (2, 60)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(a.children)
    assert a.attrs["ppl_seed"] == "9" and a.attrs["ppl_device"] == "cpu" and a.attrs["ppl_engine"] == "numpyro"
    assert a["log_likelihood"]["y"].shape == (2, 60, 200)  # pointwise: the latent summed out per count
    stats = a["sample_stats"]
    assert not np.any(np.isnan(stats["lp"].values)) and stats["step_size"].shape == (2, 60)
    mu = a["posterior"]["mu"].values
    assert not np.array_equal(mu[0], mu[1])  # chains get their own streams


def test_a_single_chain_runs():
    # NumPyro wants one chain's start without the chain axis; ppl gave it (1, ...) and the run failed
    model = ppl.load(MODELS / "zip_latent.ppl")
    result = model.sample(seed=3, **dict(OPTS, chains=1))
    assert result["posterior"]["mu"].shape == (1, 60)
    assert result["sample_stats"]["step_size"].shape == (1, 60)
