"""Reasons a discrete latent cannot be summed out that only the data reveal (bind/build time).

The check-time reasons are golden bad programs (tests/golden/bad/marginal_*.ppl,
support_*.ppl, not_enumerable.ppl, infinite_discrete_latent.ppl).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ppl
from conftest import ROOT
from ppl.errors import PplError

ZIP = """
dim obs
data y: count[obs]
psi ~ Beta(2, 2)
mu ~ Gamma(2, 0.5)
z[obs] ~ Bernoulli(psi)
y ~ Poisson(z * mu)
"""

DISCRETE_MISSING = """
dim obs
data g: bool[obs]
data y: real[obs]
share ~ Beta(1, 1)
g ~ Bernoulli(share)
y ~ Normal(g, 1)
"""

BINOMIAL = """
dim obs
data n: count[obs]
data y: real[obs]
theta ~ Beta(2, 2)
k[obs] ~ Binomial(n, theta)
y ~ Normal(k, 1)
"""


def _error(src: str, data: dict, **kw) -> PplError:
    with pytest.raises(PplError) as info:
        ppl.compile(src, name="m.ppl", **kw).build(data)
    return info.value


def test_dependent_with_missing_values():
    err = _error(ZIP, {"y": [0, None, 3]})
    assert err.code == "E-marginal-missing"
    assert str(err).startswith("m.ppl:7:1: error: `y` has missing values and depends on the summed-out `z`")


def test_missing_values_of_a_discrete_variable_are_summed_out_or_imputed_when_off():
    pm_model = ppl.compile(DISCRETE_MISSING).build({"g": [1, None, 0], "y": [0.5, 0.1, -0.2]})
    assert "g_unobserved" not in pm_model.named_vars and not pm_model.free_RVs[1:]  # summed out: share only
    pm_model = ppl.compile(DISCRETE_MISSING, marginalize=False).build({"g": [1, None, 0], "y": [0.5, 0.1, -0.2]})
    assert "g_unobserved" in pm_model.named_vars  # PyMC imputes them with its discrete steps


def test_support_from_data_over_the_limit():
    err = _error(BINOMIAL, {"n": [3, 5000], "y": [1.0, 2.0]})
    assert err.code == "E-support-too-large"
    assert "m.ppl:6:1: error: cannot sum out `k`: it takes 5001 values, more than the limit of 1000" in str(err)


def test_empty_support_from_data():
    src = """
dim obs
data y: count[obs]
data lo: int
data hi: int
k ~ DiscreteUniform(lo, hi)
y ~ Poisson(k + 1)
"""
    err = _error(src, {"y": [1, 2], "lo": 5, "hi": 2})
    assert err.code == "E-support-empty" and "its smallest value 5 is above its largest 2" in str(err)


def test_cli_reports_a_build_time_error_without_traceback(tmp_path):
    model, data = tmp_path / "zip.ppl", tmp_path / "d.json"
    model.write_text(ZIP)
    data.write_text('{"y": [0, null, 3]}')
    proc = subprocess.run([sys.executable, "-m", "ppl.cli", "sample", str(model), "--data", str(data)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: `y` has missing values and depends on the summed-out `z`" in proc.stderr
    assert "y ~ Poisson(z * mu)" in proc.stderr


def test_decisions_recorded_in_the_ir():
    src = """
dim obs
dim component = 2
data y: real[obs]
w[component] ~ Dirichlet([1, 1])
mu[component] ~ Normal(0, 5)
z[obs] ~ Categorical(w)
let m = mu[z]
shifted[obs] = m + 1
y ~ Normal(shifted, 1)
count_first = sum(z == 0)
potential -0.5 * square(m)
"""
    model = ppl.compile(src).ir
    (plan,) = model.marginals
    assert (plan.name, plan.kind, plan.value_dim, plan.size) == ("z", "categorical", "component", 2)
    assert plan.path == ("m", "shifted") and plan.dependents == ("y", "potential_1") and plan.carrier == "y"
    assert model.node("z").role == "marginalized"
    assert {"shifted", "count_first"} <= model.generated  # computed after inference from the draws of z
    off = ppl.compile(src, marginalize=False).ir
    assert not off.marginals and off.node("z").role == "param"
    assert np.isin(["shifted", "count_first"], list(off.generated)).sum() == 0
