"""The posterior summary table and the convergence warnings printed after sampling.

The warnings are the convergence checks of :mod:`ppl.diagnostics` (thresholds
and citations there).
"""

from __future__ import annotations

import json

__all__ = ["summary_table", "format_summary", "warnings_for"]


def summary_table(result, var_names=None):
    """mean, sd, HDI, ESS bulk/tail and R-hat per scalar (a pandas DataFrame)."""
    from arviz_stats import summary

    return summary(result, var_names=var_names, ci_kind="hdi", ci_prob=0.94)


def format_summary(result) -> str:
    import pandas as pd

    table = summary_table(result)
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        return table.to_string()


def warnings_for(result) -> list[str]:
    """Build-time warnings, then every convergence check that does not pass.

    The checks and thresholds are those of :mod:`ppl.diagnostics` (so
    ``ppl sample`` and ``ppl diagnose`` agree): R-hat, bulk and tail ESS, MCSE,
    divergences, tree-depth saturation, E-BFMI, each with its citation in
    ``docs/diagnostics.md``.
    """
    from ..diagnostics.convergence import convergence

    out = list(json.loads(result.attrs.get("ppl_warnings", "[]")))
    if "sample_stats" not in result.children:
        return out
    for check in convergence(result).checks:
        if check.verdict.value != "pass":
            advice = f"; {check.advice}" if check.advice else ""
            out.append(f"{check.verdict.value}: {check.title}: {check.summary}{advice}")
    return out
