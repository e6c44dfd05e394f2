"""The posterior summary table and the convergence warnings printed after sampling.

Thresholds: R-hat < 1.01 and bulk/tail ESS >= 100 per chain (Vehtari et al.
2021, "Rank-normalization, folding, and localization: an improved R-hat",
Bayesian Analysis 16(2), doi:10.1214/20-BA1221); any divergence is reported.
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["summary_table", "format_summary", "warnings_for", "RHAT_MAX", "ESS_PER_CHAIN_MIN"]

RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100


def summary_table(result, var_names=None):
    """mean, sd, HDI, ESS bulk/tail and R-hat per scalar (a pandas DataFrame)."""
    from arviz_stats import summary

    return summary(result, var_names=var_names, ci_kind="hdi", ci_prob=0.94)


def format_summary(result) -> str:
    import pandas as pd

    table = summary_table(result)
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        return table.to_string()


def _divergences(result) -> int:
    if "sample_stats" not in result.children:
        return 0
    stats = result["sample_stats"]
    return int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0


def warnings_for(result) -> list[str]:
    """Plain-language warnings: divergences, R-hat, ESS, build-time warnings."""
    out = list(json.loads(result.attrs.get("ppl_warnings", "[]")))
    if "sample_stats" not in result.children:
        return out
    n_div = _divergences(result)
    if n_div:
        out.append(f"warning: {n_div} divergent transitions: the posterior geometry is hard for NUTS; "
                   "reparameterize (non-centred) or raise target_accept")
    table = summary_table(result)
    chains = result["posterior"].sizes.get("chain", 1)
    bad_rhat = table.index[table["r_hat"] > RHAT_MAX].tolist()
    if bad_rhat:
        out.append(f"warning: R-hat > {RHAT_MAX} for {', '.join(map(str, bad_rhat[:8]))}: chains disagree; "
                   "run longer or reparameterize")
    low = table.index[(table["ess_bulk"] < ESS_PER_CHAIN_MIN * chains) |
                      (table["ess_tail"] < ESS_PER_CHAIN_MIN * chains)].tolist()
    if low:
        out.append(f"warning: ESS below {ESS_PER_CHAIN_MIN} per chain for {', '.join(map(str, low[:8]))}; "
                   "draw more samples")
    return out
