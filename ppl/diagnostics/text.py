"""Plain-text rendering of diagnostics results for the terminal.

Pure functions of the frozen results; one renderer per result ``kind``
(registered in :data:`RENDERERS`).  Reports (HTML, Markdown) have their own
renderers; this is what ``ppl diagnose / loo / compare / sbc`` print.
"""

from __future__ import annotations

import json

from .checks import Check, Verdict, to_jsonable, worst

__all__ = ["render_text", "render_check", "render_json", "RENDERERS"]

_MARK = {Verdict.PASS: "PASS", Verdict.WARN: "WARN", Verdict.FAIL: "FAIL"}
_MAX_FLAGGED = 8


def render_check(check: Check) -> list[str]:
    """``[WARN] title: summary`` with the rule, the sources, what is flagged and what to do."""
    lines = [f"[{_MARK[check.verdict]}] {check.title}: {check.summary}"]
    sources = "; ".join(c.key for c in check.threshold.citations)
    lines.append(f"       rule: {check.threshold.rule}" + (f" ({sources})" if sources else ""))
    if check.flagged and check.verdict is not Verdict.PASS:
        shown = ", ".join(check.flagged[:_MAX_FLAGGED])
        more = f" and {len(check.flagged) - _MAX_FLAGGED} more" if len(check.flagged) > _MAX_FLAGGED else ""
        lines.append(f"       flagged: {shown}{more}")
    if check.advice:
        lines.append(f"       what to do: {check.advice}")
    return lines


def _checks(result) -> list[str]:
    return [line for c in result.checks for line in render_check(c)]


def _notes(result) -> list[str]:
    return [f"note: {n}" for n in getattr(result, "notes", ())]


def _fmt(x, spec=".3g") -> str:
    return "nan" if x is None else format(x, spec)


def _convergence(r) -> list[str]:
    head = f"MCMC convergence: {r.chains} chains x {r.draws} draws -> {r.verdict.value.upper()}"
    table = [f"{'parameter':<24}{'mean':>10}{'sd':>10}{'mcse':>9}{'ess_bulk':>10}{'ess_tail':>10}{'r_hat':>8}"]
    table += [f"{p.name[:23]:<24}{_fmt(p.mean):>10}{_fmt(p.sd):>10}{_fmt(p.mcse_mean, '.2g'):>9}"
              f"{p.ess_bulk:>10.0f}{p.ess_tail:>10.0f}{p.rhat:>8.3f}" for p in r.parameters]
    return [head, *_checks(r), "", *table, *_notes(r)]


def _psis(r) -> list[str]:
    head = f"PSIS diagnostic of the variational fit: k-hat = {r.khat:.2f} ({r.n_draws} draws) -> {r.verdict.value.upper()}"
    table = [f"{'parameter':<24}{'raw mean':>11}{'raw sd':>10}{'PSIS mean':>11}{'PSIS sd':>10}"]
    table += [f"{e.name[:23]:<24}{_fmt(e.raw_mean):>11}{_fmt(e.raw_sd):>10}{_fmt(e.psis_mean):>11}{_fmt(e.psis_sd):>10}"
              for e in r.estimates]
    return [head, *_checks(r), *(["", *table] if r.estimates else []), *_notes(r)]


def _loo(r) -> list[str]:
    what = "PSIS-LOO (approximate-posterior correction)" if r.method != "psis-loo" else "PSIS-LOO"
    return [f"{what} of `{r.var_name}`: {r.n_observations} observations, {r.n_samples} draws",
            f"  elpd_loo {r.elpd:.2f} (se {r.se:.2f}), p_loo {r.p:.2f}", *_checks(r)]


def _waic(r) -> list[str]:
    return [f"WAIC of `{r.var_name}`: {r.n_observations} observations, {r.n_samples} draws",
            f"  elpd_waic {r.elpd:.2f} (se {r.se:.2f}), p_waic {r.p:.2f}, waic {r.waic:.2f}", *_checks(r)]


def _compare(r) -> list[str]:
    lines = [f"Model comparison by PSIS-LOO ({r.method} weights); best: {r.best}",
             f"{'model':<20}{'rank':>5}{'elpd_loo':>10}{'se':>7}{'elpd_diff':>11}{'dse':>7}{'p_loo':>7}{'weight':>8}"]
    lines += [f"{w.name[:19]:<20}{w.rank:>5}{w.elpd:>10.2f}{w.se:>7.2f}{w.elpd_diff:>11.2f}{w.dse:>7.2f}"
              f"{w.p:>7.2f}{w.weight:>8.3f}" + (f"  {w.diag_diff}" if w.diag_diff else "")
              + (f"  {w.diag_elpd}" if w.diag_elpd else "") for w in r.rows]
    return lines + [line for name, loo in zip((w.name for w in r.rows), r.loo)
                    for line in (f"{name}:", *render_check(loo.check))]


def _calibration_head(r, what: str) -> str:
    return (f"{what}: {r.n_completed} of {r.n_requested} replications -> {r.verdict.value.upper()}")


def _sbc(r) -> list[str]:
    table = [f"{'parameter':<24}{'p (chi2)':>10}{'p (ECDF)':>10}{'mean u':>8}  pattern"]
    table += [f"{p.name[:23]:<24}{p.test.p_chi2:>10.3g}{p.test.p_ecdf:>10.3g}{p.mean_u:>8.2f}  {p.pattern}"
              for p in r.parameters]
    return [_calibration_head(r, f"SBC of the `{r.engine}` engine"), *_checks(r), "", *table, *_notes(r)]


def _vsbc(r) -> list[str]:
    table = [f"{'parameter':<24}{'KS':>7}{'p':>9}{'mean p':>8}  bias"]
    table += [f"{p.name[:23]:<24}{p.ks_statistic:>7.3f}{p.p_value:>9.3g}{p.mean_p:>8.2f}  {p.direction}"
              for p in r.parameters]
    return [_calibration_head(r, f"VSBC of `{r.method}`"), *_checks(r), "", *table, *_notes(r)]


RENDERERS = {"convergence": _convergence, "psis_vi": _psis, "loo": _loo, "waic": _waic, "compare": _compare,
             "sbc": _sbc, "vsbc": _vsbc}


def render_text(result) -> str:
    """The terminal text of any diagnostics result."""
    return "\n".join(RENDERERS[result.kind](result))


def render_json(results: dict) -> str:
    """JSON of named results, with each one's overall verdict and the worst over all."""
    body = {name: {"kind": r.kind, "verdict": r.verdict.value, **to_jsonable(r)} for name, r in results.items()}
    overall = worst(r.verdict for r in results.values()).value
    return json.dumps({"verdict": overall, "results": body}, indent=2, allow_nan=False)
