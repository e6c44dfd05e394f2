"""Every model in models/ against an independently hand-written PyMC model:
the same log density and gradient at random points (rtol 1e-8)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ppl
from conftest import MODELS, model_paths
from reference_models import REFERENCES

# Compiling varying_slopes_lkj's LKJCorr graph has twice used >20 GB of memory when run beside another
# compile (OOM-killed worker); it passes alone (about 2 min). Kept out of the default run until that is
# understood: run it with `scripts/test -m slow`.
_HEAVY = {"varying_slopes_lkj"}
NAMES = [pytest.param(p.stem, marks=pytest.mark.slow) if p.stem in _HEAVY else p.stem for p in model_paths()]


def _random_point(pm_model, rng):
    return {v.name: rng.normal(0, 0.7, size=np.shape(pm_model.initial_point()[v.name]))
            for v in pm_model.value_vars}


@pytest.mark.parametrize("name", NAMES)
def test_logp_and_gradient_match_hand_written(name):
    compiled = ppl.load(MODELS / f"{name}.ppl").build()
    reference = REFERENCES[name](json.loads((MODELS / f"{name}.json").read_text()))
    assert sorted(v.name for v in compiled.value_vars) == sorted(v.name for v in reference.value_vars)
    logp_c, logp_r = compiled.compile_logp(), reference.compile_logp()
    dlogp_c, dlogp_r = compiled.compile_dlogp(), reference.compile_dlogp()
    start = compiled.initial_point()
    assert np.isfinite(logp_c(start)) and np.all(np.isfinite(dlogp_c(start)))
    rng = np.random.default_rng(20261122)
    for _ in range(5):
        point = _random_point(compiled, rng)
        np.testing.assert_allclose(logp_c(point), logp_r(point), rtol=1e-8)
        grad_c = dict(zip([v.name for v in compiled.value_vars], np.split(dlogp_c(point), _splits(compiled))))
        grad_r = dict(zip([v.name for v in reference.value_vars], np.split(dlogp_r(point), _splits(reference))))
        for key in grad_c:
            np.testing.assert_allclose(grad_c[key], grad_r[key], rtol=1e-8, atol=1e-10)


def _splits(pm_model):
    sizes = [int(np.prod(np.shape(pm_model.initial_point()[v.name]))) for v in pm_model.value_vars]
    return np.cumsum(sizes)[:-1]
