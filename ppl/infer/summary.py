"""The posterior summary table and the convergence warnings printed after sampling.

The warnings are the convergence checks of :mod:`ppl.diagnostics` (thresholds
and citations there).
"""

from __future__ import annotations

import json

__all__ = ["summary_table", "format_summary", "format_membership", "summed_out_latents", "warnings_for",
           "MEMBERSHIP_ROWS"]

MEMBERSHIP_ROWS = 10  # rows of membership probabilities printed per summed-out latent


def summary_table(result, var_names=None):
    """mean, sd, HDI, ESS bulk/tail and R-hat per scalar (a pandas DataFrame)."""
    from arviz_stats import summary

    return summary(result, var_names=var_names, ci_kind="hdi", ci_prob=0.94)


def summed_out_latents(result) -> list[str]:
    """Latents whose membership probabilities ``<z>_probs`` were recovered after inference."""
    posterior = result["posterior"]
    return [name[: -len("_probs")] for name in posterior.data_vars
            if name.endswith("_probs") and name[: -len("_probs")] in posterior.data_vars]


def _parameter_names(result) -> list[str]:
    latents = summed_out_latents(result)
    skip = set(latents) | {f"{z}_probs" for z in latents}
    return [name for name in result["posterior"].data_vars if name not in skip]


def format_summary(result) -> str:
    """The summary table, then the membership probabilities of each summed-out latent."""
    import pandas as pd

    table = summary_table(result, var_names=_parameter_names(result))
    with pd.option_context("display.max_rows", 200, "display.width", 120):
        parts = [table.to_string()]
        parts += [format_membership(result, z) for z in summed_out_latents(result)]
    return "\n\n".join(parts)


def format_membership(result, name: str, rows: int = MEMBERSHIP_ROWS) -> str:
    """Posterior membership probabilities of latent ``name`` (means over draws) and expected counts."""
    probs = result["posterior"][f"{name}_probs"].mean(("chain", "draw"))
    value_dims = [d for d in probs.dims if d not in result["posterior"][name].dims]
    partial = bool(probs.isnull().any())  # missing entries of observed data: the observed ones are NaN
    title = (f"posterior membership probabilities of `{name}`: "
             + (f"P({name} = value | data) by {value_dims[0]}" if value_dims else f"P({name} = 1 | data)")
             + (" at its missing entries" if partial else ""))
    frame = _membership_frame(probs, value_dims)
    frame = frame.dropna(how="all") if partial else frame
    shown = frame.head(rows).round(3).to_string()
    more = f"\n({len(frame)} rows; the first {rows} shown; all are in result['posterior']['{name}_probs'])" \
        if len(frame) > rows else ""
    counts = probs.sum([d for d in probs.dims if d not in value_dims])
    count_text = ", ".join(f"{c}: {float(v):.1f}" for c, v in zip(_labels(counts, value_dims), counts.values.ravel()))
    count_text += " (among the missing entries)" if partial else ""
    return f"{title}\n{shown}{more}\nexpected count: {count_text}"


def _membership_frame(probs, value_dims):
    import pandas as pd

    if not probs.dims:
        return pd.DataFrame({"P": [float(probs)]})
    if value_dims and len(probs.dims) == 1:
        return probs.to_pandas().to_frame().T
    if value_dims:
        return probs.stack(element=[d for d in probs.dims if d not in value_dims]).transpose(
            "element", value_dims[0]).to_pandas()
    return probs.to_dataframe(name="P(1)")[["P(1)"]]


def _labels(counts, value_dims) -> list:
    return list(counts[value_dims[0]].values) if value_dims else [1]


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
    for check in convergence(result, var_names=_parameter_names(result)).checks:
        if check.verdict.value != "pass":
            advice = f"; {check.advice}" if check.advice else ""
            out.append(f"{check.verdict.value}: {check.title}: {check.summary}{advice}")
    return out
