"""Prior simulation of ``ordered`` variables: draws from the prior restricted to increasing vectors.

References are closed forms: the minimum of two iid N(0, 1) has mean -1/sqrt(pi);
for independent N(0, 1) and N(1, 1) conditioned on being increasing, the
conditional mean of the first follows from the bivariate normal (see
``_conditional_first_mean``).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import ppl
from ppl.diagnostics.ordered import is_exchangeable, ordered_rvs
from ppl.diagnostics.simulate import simulate_prior

EXCHANGEABLE = """
dim k = 2
dim obs
data y: real[obs]
mu: ordered[k] ~ Normal(0, 1)
gap = mu[1] - mu[0]
y ~ Normal(gap, 0.001)
"""

NOT_EXCHANGEABLE = """
dim k = 2
dim obs
data m: real[k]
data y: real[obs]
mu: ordered[k] ~ Normal(m, 1)
y ~ Normal(mu[1] - mu[0], 0.001)
"""


def _pm(text, data):
    model = ppl.compile(text)
    return model.build(data)


def _conditional_first_mean():
    """E[a | a < b] for a ~ N(0, 1), b ~ N(1, 1): d = b - a ~ N(1, 2), Cov(a, d) = -1."""
    sd = np.sqrt(2.0)
    alpha = -1.0 / sd
    mills = stats.norm.pdf(alpha) / stats.norm.sf(alpha)
    return 0.0 + (-1.0 / 2.0) * sd * mills


def test_exchangeable_prior_is_sorted_and_data_follow_the_sorted_values():
    pm_model = _pm(EXCHANGEABLE, {"y": [0.0, 0.0, 0.0]})
    (rv,) = ordered_rvs(pm_model)
    assert is_exchangeable(rv)
    sim = simulate_prior(pm_model, 4000, seed=3)
    mu = sim.params["mu"]
    assert mu.shape == (4000, 2) and np.all(mu[:, 0] < mu[:, 1])
    np.testing.assert_allclose(sim.params["gap"], mu[:, 1] - mu[:, 0])
    assert np.all(sim.data["y"] > -0.01)       # simulated from the increasing values, not the unsorted ones
    se = 1 / np.sqrt(4000)
    assert abs(mu[:, 0].mean() + 1 / np.sqrt(np.pi)) < 4 * se


def test_non_exchangeable_prior_uses_rejection():
    pm_model = _pm(NOT_EXCHANGEABLE, {"m": [0.0, 1.0], "y": [0.0, 0.0]})
    (rv,) = ordered_rvs(pm_model)
    assert not is_exchangeable(rv)
    sim = simulate_prior(pm_model, 4000, seed=5)
    mu = sim.params["mu"]
    assert np.all(mu[:, 0] < mu[:, 1])
    assert np.all(sim.data["y"] > -0.01)
    assert abs(mu[:, 0].mean() - _conditional_first_mean()) < 4 / np.sqrt(4000)


def test_models_without_ordered_variables_are_drawn_as_before():
    import pymc as pm

    pm_model = ppl.load(ppl.__path__[0] + "/../models/eight_schools_noncentered.ppl").build()
    assert ordered_rvs(pm_model) == []
    sim = simulate_prior(pm_model, 10, seed=1)
    direct = pm.sample_prior_predictive(draws=10, model=pm_model, random_seed=1,
                                        var_names=list(sim.params) + list(sim.data), return_inferencedata=False)
    for name, values in sim.params.items():
        np.testing.assert_array_equal(values, direct[name])


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="open: with the restricted prior the SBC p-value rose from 1e-38 to 0.006, but 26 of 100 replications diverge (overlapping components drawn from the prior) and the test still rejects at this size; see docs/diagnostics.md, Ordered parameters")
def test_sbc_of_old_faithful_passes():
    """The marginalized, ordered mixture is calibrated once the prior respects the order."""
    from ppl.diagnostics import sbc
    from ppl.diagnostics.calibration import PplSource
    from ppl.diagnostics.fitters import FitOptions

    model = ppl.load(ppl.__path__[0] + "/../models/old_faithful.ppl")
    result = sbc(PplSource.of(model, model.bind()), reps=100, engine="nutpie",
                 options=FitOptions(draws=500, tune=500, chains=2), seed=1990, workers=2, progress=False)
    assert result.check.verdict.name != "FAIL", result.check
