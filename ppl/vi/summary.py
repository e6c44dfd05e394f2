"""What ``ppl fit`` prints: the fit's status line and a table of q's draws.

Draws from q are independent, so R-hat and ESS say nothing about a
variational fit; the table shows mean, sd and the 94% HDI only.  Whether q is
a good approximation is a diagnostics question (PSIS k-hat from ``log_p`` and
``log_q``, in ``ppl.diagnostics``).
"""

from __future__ import annotations

import json

__all__ = ["format_fit", "status_line", "fit_warnings"]


def status_line(result) -> str:
    """``advi: converged after 2300 steps; ELBO -31.61 (se 0.03, 1000 draws)``."""
    if "vi" not in result.children:
        return "nothing observed: the draws are from the prior"
    a = result["vi"].attrs
    how = {"converged": "converged after", "max_steps": "stopped at the step limit,"}.get(a["stop_reason"],
                                                                                          a["stop_reason"])
    return (f"{a['method']}: {how} {a['steps']} steps; ELBO {a['final_elbo']:.6g} "
            f"(se {a['final_elbo_se']:.2g}, {a['draws']} draws)")


def format_fit(result) -> str:
    import pandas as pd
    from arviz_stats import summary

    table = summary(result, kind="stats", ci_kind="hdi", ci_prob=0.94)
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        return f"{status_line(result)}\n{table.to_string()}"


def fit_warnings(result) -> list[str]:
    """The warnings recorded with the result (not converged, build-time warnings)."""
    return list(json.loads(result.attrs.get("ppl_warnings", "[]")))
