"""Fuzzing past the checker: generated models that check must bind, build and evaluate, or fail located.

Building a PyMC model costs far more than checking, so the default run
tries a few seeded models; ``pytest -m fuzz`` (``PPL_FUZZ_LOWER_EXAMPLES``,
default 300) tries more.  See lowergen.py and ROBUSTNESS.md.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from scipy import stats

from fuzzgen import CaseTimeout
from fuzzrun import Progress, case_limits
from lowergen import LOWER_SECONDS, build_case, checked_models

OUTCOMES: Counter = Counter()
# the fuzz run logs a failing model and goes on (fuzzrun.py); the last fuzz test fails if any did
PROGRESS = Progress(os.environ.get("PPL_FUZZ_PROGRESS"), os.environ.get("PPL_FUZZ_FAILURES", "fuzz-failures.jsonl"))
_COMMON = dict(database=None, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    """Write the outcome counts (``PPL_FUZZ_REPORT=path``) for ROBUSTNESS.md."""
    yield
    path = os.environ.get("PPL_FUZZ_REPORT")
    if path and OUTCOMES:
        import json

        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"lowering": dict(OUTCOMES), "failures": PROGRESS.n_failures}) + "\n")
    PROGRESS.write()


def test_censored_flat_vector_found_by_the_lowering_fuzz_run():
    """PyMC failed to draw the start of ``Censored(Flat())`` with a dim (NotImplementedError); now E-start."""
    import ppl

    text = "dim obs0\np3[obs0] ~ Censored(dist=Flat(), upper=0)\npotential p3\n"
    assert build_case(ppl.compile(text, "fuzz.ppl"), 0) == "E-start"


def test_zerosumnormal_sigma_along_its_event_dim_found_by_the_lowering_fuzz_run():
    """PyMC raised ValueError at build ("sigma must have length one across the zero-sum axes"); now a check error."""
    import ppl
    from ppl.errors import PplError

    with pytest.raises(PplError) as info:
        ppl.compile("dim obs0\ndata x1: bool[obs0]\np2 ~ ZeroSumNormal(sigma=x1)\n", "fuzz.ppl")
    assert info.value.span.line == 3 and "`sigma` cannot vary along the event dim `obs0`" in str(info.value)


@pytest.mark.parametrize("inner, wrapper", [("ZeroInflatedPoisson(0.5, 2)", "Truncated"),
                                            ("VonMises(0, 1)", "Truncated"), ("VonMises(0, 1)", "Censored"),
                                            ("SkewNormal(0, 1, 1)", "Censored"), ("HalfStudentT(3, 1)", "Truncated")])
def test_what_pymc_cannot_wrap_is_a_check_error(inner, wrapper):
    """Found by the lowering fuzz run (`Truncated(ZeroInflatedPoisson(x1, 0), 0)`): PyMC's NotImplementedError."""
    import ppl
    from ppl.errors import PplError

    with pytest.raises(PplError) as info:
        ppl.compile(f"mu ~ Normal(0, 1)\np ~ {wrapper}({inner}, lower=0, upper=5)\n", "fuzz.ppl")
    assert info.value.code == "E-wrapper-argument" and info.value.span.line == 2


@pytest.mark.parametrize("text", ["y ~ Censored(ZeroInflatedPoisson(0.5, 2), lower=0, upper=5)",
                                  "y ~ Truncated(Poisson(2), upper=5)", "y ~ Censored(Normal(0, 1), lower=0)"])
def test_what_pymc_can_wrap_builds(text):
    import ppl

    model = ppl.compile(f"mu ~ Normal(0, 1)\n{text}\npotential mu\n", "fuzz.ppl")
    assert build_case(model, 0) in ("ok", "E-start")


@pytest.mark.parametrize("text", ["dim d1 = 9223372036854775807\n", "dim d1 = 100000001\nmu ~ Normal(0, 1)\n"])
def test_an_unused_huge_dim_is_refused_before_its_coordinates_are_built(text):
    """Found by the lowering fuzz run: `list(range(2**63 - 1))` for the coordinates, a MemoryError."""
    import ppl
    from ppl.errors import PplError

    with pytest.raises(PplError) as info:
        ppl.compile(text, "fuzz.ppl").bind({})
    assert info.value.code == "E-too-large" and info.value.span.line == 1 and "dim `d1`" in str(info.value)


@pytest.mark.parametrize("index, ok", [("2", False), ("1", True), ("0", True)])
def test_a_literal_index_beyond_its_dim_is_refused_at_bind(index, ok):
    """Found by the lowering fuzz run: `x1[2]` on a dim of size 2 was PyTensor's IndexError."""
    import ppl
    from ppl.errors import PplError

    model = ppl.compile(f"dim obs0 = 2\ndata x1: int[obs0]\npotential pot2 = x1[{index}]\n", "fuzz.ppl")
    if ok:
        assert build_case(model, 0) in ("ok", "E-start")
        return
    with pytest.raises(PplError) as info:
        model.bind({"x1": [1, 2]})
    assert info.value.code == "E-index-range" and info.value.span.line == 3
    assert "index 2 is outside dim `obs0` of size 2" in str(info.value)


_ZI_PMF = {  # the zero-inflated pmfs by hand (scipy), independent of PyMC's Mixture
    "ZeroInflatedPoisson(psi, 2)": lambda y, psi: (1 - psi) * (y == 0) + psi * stats.poisson.pmf(y, 2),
    "ZeroInflatedBinomial(psi, 4, 0.3)": lambda y, psi: (1 - psi) * (y == 0) + psi * stats.binom.pmf(y, 4, 0.3),
    "ZeroInflatedNegativeBinomial(psi, 2, 3)":  # PyMC's (mu, alpha): scipy's n = alpha, p = alpha / (mu + alpha)
        lambda y, psi: (1 - psi) * (y == 0) + psi * stats.nbinom.pmf(y, 3, 3 / 5),
}


@pytest.mark.parametrize("left", ["y", "y[obs1, obs0]"])
@pytest.mark.parametrize("dist", list(_ZI_PMF))
def test_a_zero_inflated_psi_with_more_dims_than_the_other_parameters(left, dist):
    """Found by the lowering fuzz run: `ZeroInflatedPoisson(fill(1, obs1, obs0), 0)` was PyTensor's
    "Alloc static input type and target shape are incompatible" at build (PyMC's Mixture sized itself
    from mu alone).  The log-likelihood of observed counts must match the pmf written out."""
    import ppl

    psi = np.array([[0.2, 0.5, 0.9], [0.7, 0.1, 0.4]])
    y = np.array([[0, 1, 3], [0, 0, 2]])
    text = f"dim obs1\ndim obs0\ndata psi: real[obs1, obs0]\ndata y: count[obs1, obs0]\n{left} ~ {dist}\n"
    pm_model = ppl.compile(text, "fuzz.ppl").build({"psi": psi.tolist(), "y": y.tolist()})
    expected = np.log(_ZI_PMF[dist](y, psi)).sum()
    logp = pm_model.compile_logp(vars=[pm_model["y"]])(pm_model.initial_point())
    assert float(logp) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("text", ["p6 ~ ZeroInflatedPoisson(fill(1, obs1, obs0), 0)",
                                  "let q = fill(0.5, obs1, obs0)\np6 ~ ZeroInflatedBinomial(q, 3, 0.5)",
                                  "p6 ~ Censored(ZeroInflatedPoisson(fill(0.5, obs1, obs0), 1), lower=0, upper=5)"])
def test_a_generated_zero_inflated_matrix_builds(text):
    """The fuzz run's case itself (a generated quantity beside `mu`), and the wrapper path (`.dist`)."""
    import ppl

    model = ppl.compile(f"dim obs0 = 2\ndim obs1 = 2\nmu ~ Normal(0, 1)\n{text}\npotential mu\n", "fuzz.ppl")
    assert build_case(model, 0) == "ok"
    assert model.build({}, generated=True).named_vars["p6"].type.shape == (2, 2)


@pytest.mark.parametrize("use", ["-v1[0:2]", "-v1", "exp(v1[1:])", "v1 > 0.5"])
def test_fill_with_a_repeated_dim_is_refused(use):
    """Found by the lowering fuzz run (seed 20261211): `fill(3, obs0, obs0)` had dims [obs0, obs0],
    which elementwise alignment by name cannot tell apart (PyTensor's TypeError "Input dropped
    dimension 1 must have length 1").  Like `real[obs0, obs0]` in a declaration: E-duplicate-dim."""
    import ppl
    from ppl.errors import PplError

    with pytest.raises(PplError) as info:
        ppl.compile(f"dim obs0 = 3\nlet v1 = fill(3, obs0, obs0)\npotential pot2 = {use}\n", "fuzz.ppl")
    assert info.value.code == "E-duplicate-dim" and (info.value.span.line, info.value.span.col) == (2, 24)
    assert "dim obs02 = obs0" in str(info.value)  # the hint: a square matrix needs a twin


def test_fill_over_a_dim_and_its_twin_builds():
    import ppl

    model = ppl.compile("dim obs0 = 3\ndim obs1 = obs0\nlet v1 = fill(3.0, obs0, obs1)\n"
                        "potential pot2 = -v1[0:2]\n", "fuzz.ppl")
    assert build_case(model, 0) == "ok"
    assert _logps("dim obs0 = 3\ndim obs1 = obs0\nlet v1 = fill(3.0, obs0, obs1)\n"
                  "potential pot2 = -v1[0:2]\n")["pot2"] == pytest.approx(-3.0 * 2 * 3)


@pytest.mark.parametrize("expr, expected", [("2 ^ -2", 0.25), ("[(2) ** -2]", 0.25), ("2 ^ 70", 2.0**70),
                                            ("x ^ -1", 0.5), ("(-2) ^ 3", -8.0)])
def test_an_integer_power_is_real(expr, expected):
    """Found by the lowering fuzz run (seed 20261212): `potential pot2 = [(2) ** -2]` was NumPy's
    "Integers to negative integer powers are not allowed" when evaluated; 2^70 wrapped around in int64."""
    import ppl

    pm_model = ppl.compile(f"data x: int\npotential pot2 = sum({expr})\n" if "[" in expr else
                           f"data x: int\npotential pot2 = {expr}\n", "fuzz.ppl").build({"x": 2})
    value = pm_model.compile_fn(pm_model.potentials[0], inputs=[], on_unused_input="ignore")({})
    assert float(value) == pytest.approx(expected, rel=1e-12) and pm_model.potentials[0].dtype == "float64"


def test_a_marginalized_variable_that_cannot_start_is_located():
    """Found by the lowering fuzz run (seed 20261212): E-start named PyMC's potential `p3_marginal__`
    and had no location.  Now the line of `p3`, by its own name."""
    import ppl
    from ppl.backend.numerics import start_diagnostic

    model = ppl.compile("dim obs0 = 3\ndata x1: int[obs0]\nmu ~ Normal(0, 1)\n"
                        "p3 ~ BetaBinomial(x1, x1, 2.5)\npotential p3\n", "fuzz.ppl")  # p3 in the density
    diag = start_diagnostic(model.ir, model.build({"x1": [0, 1, 2]}))  # alpha = 0 at x1[0]: -inf
    assert diag.code == "E-start" and diag.span.line == 4
    assert diag.render().startswith("fuzz.ppl:4:1: error: the log density of `p3` (summed over its values)")


def _run(case) -> None:
    assume(case is not None)
    text, model, seed = case
    OUTCOMES[build_case(model, seed)] += 1


@settings(max_examples=60, derandomize=True, **_COMMON)
@given(checked_models())
def test_checked_models_build(case):
    _run(case)


@pytest.mark.slow
@pytest.mark.fuzz
@settings(max_examples=int(os.environ.get("PPL_FUZZ_LOWER_EXAMPLES", "300")), **_COMMON)
@given(checked_models())
def test_fuzz_checked_models_build(case):
    assume(case is not None)
    text, model, seed = case
    raw = f"# data seed {seed}\n{text}".encode()
    PROGRESS.start_case("lowering", raw)
    try:
        with case_limits(LOWER_SECONDS, memory_bytes=4 * 1024**3):
            outcome = build_case(model, seed)
    except (Exception, CaseTimeout) as exc:
        PROGRESS.failed("lowering", raw, exc)
        return
    OUTCOMES[outcome] += 1
    PROGRESS.end_case("lowering", outcome)


@pytest.mark.slow
@pytest.mark.fuzz
def test_fuzz_lowering_found_no_failures():
    """Runs after the fuzz test: the models it logged as failing fail the run."""
    if not PROGRESS.outcomes:
        pytest.skip("runs after test_fuzz_checked_models_build in the same session")
    assert PROGRESS.n_failures == 0, f"{PROGRESS.n_failures} failing models, logged in {PROGRESS.failures_path}"


# ------------------------------------------------- what the lowering fuzz found
def _logps(text: str, data: dict | None = None) -> dict:
    import ppl

    pm_model = ppl.compile(text, "m.ppl").build(data or {})
    return {k: float(v) for k, v in pm_model.point_logps().items()}


@pytest.mark.parametrize("text", [
    "x ~ Normal(0, 1)\ny = -(x > 0)\npotential y",  # TypeError: bool input not supported
    "x ~ Normal(0, 1)\nz ~ HalfNormal(x > 0)\npotential z",  # TypeError: bool
    "x ~ Normal(0, 1)\nz ~ HalfNormal(not x)\npotential z",
])
def test_comparisons_are_numbers_in_pymc(text):
    assert all(np.isfinite(v) or v == -np.inf for v in _logps(text).values())


def test_exp_of_a_comparison_is_float64():
    import ppl

    pm_model = ppl.compile("x ~ Normal(0, 1)\npotential y = exp(x > 0)\n").build({})
    assert pm_model.potentials[0].dtype == "float64"


def test_an_index_gathered_by_itself_keeps_its_dim():
    """`i[i]` with `i[d]` has dims [d] (the checker dropped d, and lowering failed on the shape)."""
    import ppl

    model = ppl.compile("dim d\ndata i: int[d]\ny = i[i]\nz ~ Normal(y, 1)\n", "m.ppl")
    assert model.ir.nodes[0].dims == ("d",)
    assert model.build({"i": [1, 0, 1]}).named_vars["y"].type.shape[0] in (3, None)


def test_half_student_t_needs_nu():
    """PyMC 6.4's HalfStudentT requires nu (was a TypeError when lowering `HalfStudentT(lam=1)`)."""
    import ppl
    from ppl.errors import PplError

    with pytest.raises(PplError, match="HalfStudentT needs `nu`"):
        ppl.compile("x ~ HalfStudentT(lam=1)\n")


@pytest.mark.parametrize("dist, expected", [("Beta(2, 2)", -3.91), ("HalfNormal(1)", -7.15)])
def test_ordered_positive_and_unit_parameters_start_finite(dist, expected):
    """Their default transform was applied twice: the start was NaN."""
    logps = _logps(f"dim k = 3\nc: ordered[k] ~ {dist}\npotential sum(c)\n")
    assert logps["c"] == pytest.approx(expected, abs=0.01)


def test_a_scalar_dirichlet_concentration_fills_the_simplex():
    """`p[k] ~ Dirichlet(1)` built a one-element simplex whatever the size of k."""
    import ppl

    pm_model = ppl.compile("dim k = 3\np[k] ~ Dirichlet(1)\npotential sum(p)\n").build({})
    assert pm_model.free_RVs[0].type.shape == (3,)
    assert _logps("dim k = 3\np[k] ~ Dirichlet(1)\npotential sum(p)\n")["p"] == pytest.approx(-1.5, abs=0.01)
