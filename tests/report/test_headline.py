"""The headline's verdicts and actions: rules per check and inference method."""

from __future__ import annotations

import pytest

from ppl.diagnostics import thresholds as T
from ppl.diagnostics.checks import Check, Verdict
from ppl.report import headline as H
from ppl.report.model import CalibrationSection, Table, UnavailableSection


def check(name: str, verdict: Verdict, threshold=T.RHAT) -> Check:
    return Check(name, name.upper(), verdict, 1.0, threshold, f"{name} summary")


@pytest.mark.parametrize("method, verdict, expected, absent", [
    ("advi", Verdict.FAIL, (H.FULL_RANK, H.NUTS_NOT_VI, H.REPARAMETERIZE), ()),
    ("advi", Verdict.WARN, (H.PSIS_CORRECTED, H.FULL_RANK), (H.NUTS_NOT_VI,)),
    ("fullrank", Verdict.FAIL, (H.NUTS_NOT_VI, H.REPARAMETERIZE), (H.FULL_RANK,)),
])
def test_khat_actions_depend_on_the_family(method, verdict, expected, absent):
    v = H.run_verdict("fit", method, (check("psis_khat", verdict, T.psis_vi_threshold(10_000)),))
    assert v.advice == expected and not set(absent) & set(v.advice)
    assert v.trust == {Verdict.FAIL: "do not trust", Verdict.WARN: "use with care"}[verdict]


def test_mcmc_actions_in_order_worst_first():
    checks = (check("rhat", Verdict.WARN), check("divergences", Verdict.FAIL, T.DIVERGENCES),
              check("ess_bulk", Verdict.PASS))
    v = H.run_verdict("nuts", "nuts", checks)
    assert v.verdict is Verdict.FAIL and v.trust == "do not trust"
    assert v.reasons == ("DIVERGENCES: divergences summary", "RHAT: rhat summary")
    assert v.advice == (H.REPARAMETERIZE, H.TARGET_ACCEPT, H.MORE_DRAWS)


def test_all_pass_is_trust_and_no_checks_is_not():
    assert H.run_verdict("r", "nuts", (check("rhat", Verdict.PASS),)).trust == "trust"
    none = H.run_verdict("r", "nuts", ())
    assert none.verdict is Verdict.WARN and none.reasons == ("no checks were run (none applied, or the study turned them off)",)


def _calibration(completed: int, verdict: Verdict) -> CalibrationSection:
    threshold = T.calibration_threshold("VSBC", 2, (T.YAO_2018_VI,))
    return CalibrationSection("VSBC", "advi", "fit", completed, completed, verdict,
                              (check("vsbc", verdict, threshold),), Table(("a",), ()))


def test_a_calibration_that_passes_on_few_replications_is_use_with_care():
    few, many = H.headline([_calibration(8, Verdict.PASS)]), H.headline([_calibration(100, Verdict.PASS)])
    assert few.runs[0].trust == "use with care" and "only 8 replications" in few.runs[0].reasons[0]
    assert many.runs[0].trust == "trust"
    assert H.headline([_calibration(8, Verdict.FAIL)]).runs[0].trust == "do not trust"


def test_summary_groups_runs_and_lists_what_did_not_run():
    h = H.headline([_calibration(100, Verdict.PASS), UnavailableSection("ADVI", "VI engine not available")])
    assert h.summary == "trust: VSBC; not run: ADVI"
    assert h.verdict is Verdict.WARN
    assert H.headline([]).summary == "nothing was run: no verdict"
