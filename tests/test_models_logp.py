"""Every model in models/ against an independently hand-written PyMC model:
the same log density and gradient at random points (rtol 1e-8)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ppl
from conftest import MODELS, model_paths
from reference_models import REFERENCES

NAMES = [p.stem for p in model_paths()]


def _random_point(start, rng):
    return {name: rng.normal(0, 0.7, size=np.shape(value)) for name, value in start.items()}


@pytest.mark.parametrize("name", NAMES)
def test_logp_and_gradient_match_hand_written(name):
    compiled = ppl.load(MODELS / f"{name}.ppl").build()
    reference = REFERENCES[name](json.loads((MODELS / f"{name}.json").read_text()))
    # value variables are matched through their random variables: the names of transformed
    # ones may differ (LKJCorr's transform is renamed, see ppl.backend.distributions.CholeskyCorr)
    names_c, names_r = _value_names(compiled), _value_names(reference)
    assert sorted(names_c) == sorted(names_r)
    logp_c, logp_r = compiled.compile_logp(), reference.compile_logp()
    dlogp_c, dlogp_r = compiled.compile_dlogp(), reference.compile_dlogp()
    start = compiled.initial_point()
    assert np.isfinite(logp_c(start)) and np.all(np.isfinite(dlogp_c(start)))
    rng = np.random.default_rng(20261122)
    for _ in range(5):
        point = _random_point(start, rng)  # keyed by compiled's value names
        point_r = {names_r[rv]: point[value] for rv, value in names_c.items()}
        np.testing.assert_allclose(logp_c(point), logp_r(point_r), rtol=1e-8)
        grad_c = _gradient(compiled, dlogp_c, point)
        grad_r = _gradient(reference, dlogp_r, point_r)
        for rv in names_c:
            np.testing.assert_allclose(grad_c[rv], grad_r[rv], rtol=1e-8, atol=1e-10)


def _value_names(pm_model) -> dict[str, str]:
    """Random variable name -> value variable name, for the free variables."""
    return {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}


def _gradient(pm_model, dlogp, point) -> dict[str, np.ndarray]:
    """The gradient at ``point`` split by free random variable."""
    sizes = [int(np.prod(np.shape(point[v.name]))) for v in pm_model.value_vars]
    parts = np.split(dlogp(point), np.cumsum(sizes)[:-1])
    by_value = dict(zip([v.name for v in pm_model.value_vars], parts))
    return {rv: by_value[value] for rv, value in _value_names(pm_model).items()}


def _longest_trace(pm_model) -> int:
    from pytensor.graph.traversal import ancestors

    outputs = pm_model.free_RVs + pm_model.observed_RVs + pm_model.deterministics
    return max(len(getattr(v.tag, "trace", [])) for v in ancestors(outputs))


def test_repeated_compilation_leaves_the_model_graph_alone():
    """Compiling a model again and again must not grow its graph.

    Regression: an int64 literal (``HalfNormal(1)``) merged with the int64 ``1`` of
    ``switch(c, 1, 1)`` in LKJCorr's shape graph, and PyTensor's ``local_useless_switch``
    appends a constant's stack trace to itself: 3x per compilation, >20 GB after ~20
    compilations (see ``ppl.backend.expr.lower_real``).
    """
    pm_model = ppl.load(MODELS / "varying_slopes_lkj.ppl").build()
    pm_model.initial_point()
    before = _longest_trace(pm_model)
    for _ in range(4):
        pm_model.initial_point()
    assert _longest_trace(pm_model) == before
