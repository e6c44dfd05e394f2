"""The headline verdict: can each run be trusted, and what to do when not.

A run's verdict is the worst of its checks (the checks that say whether
its draws describe the posterior: convergence for MCMC, PSIS k-hat for VI,
SBC / VSBC for a calibration study).  LOO's Pareto k says how reliable a
LOO estimate is, not whether the draws are; it is reported in the
comparison, not in the headline.

What to do is chosen by rules (:data:`RULES`): a failed or warning check of
a given kind, on a given inference method, suggests fixed actions, in the
order of the table.  The checks' own advice stays beside each check.
A calibration study (SBC, VSBC) that passed on fewer than
:data:`MIN_CALIBRATION_REPS` replications is "use with care": its tests
have too little power for a pass to mean much.
"""

from __future__ import annotations

from typing import Iterable

from ..diagnostics.checks import Check, Verdict, worst
from .model import TRUST, CalibrationSection, Headline, RunSection, RunVerdict, UnavailableSection

__all__ = ["REPARAMETERIZE", "MORE_DRAWS", "TARGET_ACCEPT", "TREEDEPTH", "FULL_RANK", "NUTS_NOT_VI",
           "PSIS_CORRECTED", "NOT_RUN", "MIN_CALIBRATION_REPS", "RULES", "method_family", "run_verdict", "headline"]

REPARAMETERIZE = ("reparameterize the model (e.g. non-centred hierarchical effects; for a mixture, ordered or "
                  "better-separated components through the prior)")
MORE_DRAWS = "run longer chains (more tuning and more draws) until R-hat and ESS pass"
TARGET_ACCEPT = "raise target_accept (e.g. 0.95) for smaller steps"
TREEDEPTH = "raise the maximum tree depth, or reparameterize"
FULL_RANK = "use full-rank ADVI instead of mean-field"
NUTS_NOT_VI = "sample with NUTS instead of VI"
PSIS_CORRECTED = "use the PSIS-corrected means and sds instead of the raw VI ones"
NOT_RUN = "not run"
MIN_CALIBRATION_REPS = 50  # below it, a passing SBC / VSBC counts as "use with care"

#: (check name, method family, actions when the check warns, actions when it fails)
RULES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("divergences", "mcmc", (TARGET_ACCEPT, REPARAMETERIZE), (REPARAMETERIZE, TARGET_ACCEPT)),
    ("ebfmi", "mcmc", (REPARAMETERIZE,), (REPARAMETERIZE,)),
    ("rhat", "mcmc", (MORE_DRAWS,), (REPARAMETERIZE, MORE_DRAWS)),
    ("ess_bulk", "mcmc", (MORE_DRAWS,), (MORE_DRAWS, REPARAMETERIZE)),
    ("ess_tail", "mcmc", (MORE_DRAWS,), (MORE_DRAWS, REPARAMETERIZE)),
    ("mcse", "mcmc", (MORE_DRAWS,), (MORE_DRAWS,)),
    ("treedepth", "mcmc", (TREEDEPTH,), (TREEDEPTH,)),
    ("sbc", "mcmc", (REPARAMETERIZE, TARGET_ACCEPT), (REPARAMETERIZE, TARGET_ACCEPT)),
    ("psis_khat", "advi", (PSIS_CORRECTED, FULL_RANK), (FULL_RANK, NUTS_NOT_VI, REPARAMETERIZE)),
    ("psis_khat", "fullrank", (PSIS_CORRECTED, NUTS_NOT_VI), (NUTS_NOT_VI, REPARAMETERIZE)),
    ("vsbc", "advi", (FULL_RANK, NUTS_NOT_VI), (FULL_RANK, NUTS_NOT_VI)),
    ("vsbc", "fullrank", (NUTS_NOT_VI, REPARAMETERIZE), (NUTS_NOT_VI, REPARAMETERIZE)),
)

_FAMILIES = {"nuts": "mcmc", "hmc": "mcmc", "metropolis": "mcmc", "mcmc": "mcmc", "sbc": "mcmc",
             "advi": "advi", "meanfield": "advi", "fullrank": "fullrank"}


def method_family(method: str) -> str:
    """``mcmc``, ``advi`` (mean-field) or ``fullrank`` for an inference method name."""
    return _FAMILIES.get(method.lower(), "mcmc")


def _actions(check: Check, family: str) -> tuple[str, ...]:
    for name, fam, warn, fail in RULES:
        if name == check.name and fam == family:
            return fail if check.verdict is Verdict.FAIL else warn
    return ()


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def run_verdict(name: str, method: str, checks: tuple[Check, ...]) -> RunVerdict:
    """The verdict of one run from its checks, the reasons (worst first) and the actions."""
    verdict = worst(c.verdict for c in checks)
    bad = sorted((c for c in checks if c.verdict is not Verdict.PASS), key=lambda c: -c.verdict.rank)
    reasons = tuple(f"{c.title}: {c.summary}" for c in bad)
    family = method_family(method)
    advice = _unique(a for c in bad for a in _actions(c, family))
    if not checks:
        return RunVerdict(name, Verdict.WARN, TRUST[Verdict.WARN], ("no checks were run (none applied, or the study turned them off)",), ())
    return RunVerdict(name, verdict, TRUST[verdict], reasons, advice)


def _for_section(section) -> RunVerdict | None:
    if isinstance(section, RunSection):
        return run_verdict(section.name, section.method, section.checks)
    if isinstance(section, CalibrationSection):
        return _low_power(run_verdict(section.name, section.method, section.checks), section.completed)
    if isinstance(section, UnavailableSection):
        return RunVerdict(section.name, Verdict.WARN, NOT_RUN, (section.reason,), ())
    return None


def _low_power(verdict: RunVerdict, completed: int) -> RunVerdict:
    """A calibration test that passed on few replications is no evidence of calibration: use with care."""
    if verdict.verdict is not Verdict.PASS or completed >= MIN_CALIBRATION_REPS:
        return verdict
    reason = (f"only {completed} replications: passing says little (the tests have little power below "
              f"{MIN_CALIBRATION_REPS})")
    return RunVerdict(verdict.name, Verdict.WARN, TRUST[Verdict.WARN], (reason,),
                      (f"run {MIN_CALIBRATION_REPS * 2} or more replications",))


def _summary(runs: tuple[RunVerdict, ...]) -> str:
    if not runs:
        return "nothing was run: no verdict"
    groups = {t: [r.name for r in runs if r.trust == t] for t in (*TRUST.values(), NOT_RUN)}
    parts = [f"{t}: {', '.join(names)}" for t, names in groups.items() if names]
    return "; ".join(parts)


def headline(sections) -> Headline:
    """The headline of a report from its sections (runs and calibration studies)."""
    runs = tuple(v for v in (_for_section(s) for s in sections) if v is not None)
    verdict = worst(r.verdict for r in runs) if runs else Verdict.WARN
    return Headline(verdict, _summary(runs), runs, _unique(a for r in runs for a in r.advice))
