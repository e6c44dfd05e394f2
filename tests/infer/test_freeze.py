"""``freeze_data``: the model ppl hands to nutpie, its data all compile-time constants.

Against the model as built (shared data): the same log density and gradient at random points for every model in
``models/`` (rtol 1e-12), no tensor shared variable left in the logp graph,
the original model untouched, and the same nutpie draws at the same seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from pytensor.compile import SharedVariable
from pytensor.graph.traversal import ancestors
from pytensor.tensor import TensorType

import ppl
from ppl.infer.freeze import freeze_data
from tests.conftest import MODELS, model_paths

# in the default run: factor codes, reordered free variables, initial values (ordered), imputation
FAST = {"radon_varying_intercept", "ar1", "old_faithful", "regression_missing"}
NAMES = [pytest.param(p.stem, marks=() if p.stem in FAST else pytest.mark.slow) for p in model_paths()]


def _tensor_shared(pm_model):
    return [v for v in ancestors([pm_model.logp()])
            if isinstance(v, SharedVariable) and isinstance(v.type, TensorType)]


@pytest.mark.parametrize("name", NAMES)
def test_frozen_model_has_the_same_density_and_no_shared_data(name):
    built = ppl.load(MODELS / f"{name}.ppl").build()
    if not built.free_RVs:
        pytest.skip("nothing to sample")
    frozen = freeze_data(built)
    assert _tensor_shared(frozen) == []
    assert [rv.name for rv in frozen.free_RVs] == [rv.name for rv in built.free_RVs]
    assert [d.name for d in frozen.deterministics] == [d.name for d in built.deterministics]
    logp_b, logp_f = built.compile_logp(), frozen.compile_logp()
    dlogp_b, dlogp_f = built.compile_dlogp(), frozen.compile_dlogp()
    start = built.initial_point()
    for key, value in frozen.initial_point().items():  # initial values (ordered parameters) carried over
        np.testing.assert_array_equal(value, start[key])
    rng = np.random.default_rng(20261206)
    for _ in range(3):
        point = {k: rng.normal(0, 0.7, size=np.shape(v)) for k, v in start.items()}
        np.testing.assert_allclose(logp_f(point), logp_b(point), rtol=1e-12)
        np.testing.assert_allclose(dlogp_f(point), dlogp_b(point), rtol=1e-12, atol=1e-12)


def test_original_model_keeps_its_shared_data():
    built = ppl.load(MODELS / "radon_varying_intercept.ppl").build()
    before = len(_tensor_shared(built))
    freeze_data(built)
    assert before > 0 and len(_tensor_shared(built)) == before


@pytest.mark.filterwarnings("ignore")
def test_same_nutpie_draws_as_the_model_as_built():
    pytest.importorskip("nutpie")
    import pymc as pm

    built = ppl.load(MODELS / "radon_varying_intercept.ppl").build()
    kw = dict(nuts_sampler="nutpie", draws=30, tune=30, chains=1, random_seed=3, progressbar=False,
              compute_convergence_checks=False)
    a = pm.sample(model=built, **kw)["posterior"]
    b = pm.sample(model=freeze_data(built), **kw)["posterior"]
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
