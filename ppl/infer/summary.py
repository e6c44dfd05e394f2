"""The posterior summary table and the convergence warnings printed after sampling.

The warnings are the convergence checks of :mod:`ppl.diagnostics` (thresholds
and citations there).
"""

from __future__ import annotations

import json

__all__ = ["summary_table", "format_table", "format_summary", "format_membership", "summed_out_latents", "warnings_for",
           "MEMBERSHIP_ROWS"]

MEMBERSHIP_ROWS = 10  # rows of membership probabilities printed per summed-out latent


STATS = ("mean", "sd", "hdi94_lb", "hdi94_ub", "ess_bulk", "ess_tail", "r_hat", "mcse_mean", "mcse_sd")
CI_PROB = 0.94


def summary_table(result, var_names=None):
    """mean, sd, 94% HDI, ESS bulk/tail, R-hat and MCSE per scalar (a pandas DataFrame of raw numbers).

    The rows, labels and numbers of ``arviz_stats.summary(result, ci_kind="hdi",
    ci_prob=0.94)``, computed by :mod:`ppl.diagnostics.mcmc_stats` (NumPy)
    without importing ``arviz_stats`` (over a second of every ``ppl sample``).
    """
    from arviz_base import dataset_to_dataframe, extract, rcParams

    dataset = extract(result, var_names=var_names, group="posterior", sample_dims=["chain", "draw"],
                      combined=False, keep_dataset=True)
    # arviz_stats.summary computes the tail ESS at its default ``prob``, rcParams["stats.ci_prob"]
    # (0.89: the 11% and 89% quantiles), not at the HDI's 0.94
    return dataset_to_dataframe(_stats_dataset(dataset, rcParams["stats.ci_prob"]), sample_dims=["summary"]).T


def _stats_dataset(dataset, tail_prob: float):
    import numpy as np
    import xarray as xr

    from ..diagnostics import mcmc_stats as ms

    out = {}
    for name, da in dataset.data_vars.items():
        rest = [d for d in da.dims if d not in ("chain", "draw")]
        x = np.asarray(da.transpose(*rest, "chain", "draw").values)
        ci = ms.hdi(x, CI_PROB)
        n = x.shape[-2] * x.shape[-1]
        sd = np.std(x, axis=(-2, -1), ddof=1) if n >= 2 else np.full(x.shape[:-2], np.nan)
        values = [np.mean(x, axis=(-2, -1)), sd, ci[..., 0], ci[..., 1], ms.ess_bulk(x), ms.ess_tail(x, tail_prob),
                  ms.rhat(x), ms.mcse_mean(x), ms.mcse_sd(x)]
        coords = {d: da.coords[d] for d in rest if d in da.coords}
        out[name] = xr.DataArray(np.stack([np.asarray(v, dtype=float) for v in values]), dims=("summary", *rest),
                                 coords={"summary": list(STATS), **coords})
    return xr.Dataset(out)


def format_table(table, round_to: str = "2g") -> str:
    """The table as text, with arviz_stats' "auto" rounding (ESS floored, R-hat to 2 decimals, each
    statistic to the decimals its MCSE supports, the rest to 2 significant digits)."""
    display = table.astype(object)
    for col, cells in _fmt_map(table, round_to).items():
        for idx, text in cells.items():
            display.loc[idx, col] = text
    return display.to_string()


def _round_num(value, precision: str):
    import numpy as np

    if not np.isfinite(value):
        return value
    digits = int(precision[:-1])
    if value == 0:
        return 0
    return round(value, digits - int(np.floor(np.log10(abs(value)))) - 1)


def _decimals_from_se(se: float) -> int:
    import numpy as np

    two_se = 2 * se
    return -int(np.floor(np.log10(np.abs(two_se))) if two_se != 0 else 0)


def _fmt_map(table, round_to: str) -> dict:
    """arviz_stats.summary's ``_build_fmt_map`` (rules 1-5), for the columns of :data:`STATS`."""
    import numpy as np

    def bad(v):
        return v != v or not np.isfinite(v)

    fmt = {col: {} for col in table.columns}
    done, scientific = set(), set()
    for col in [c for c in table.columns if c.startswith("ess_")]:
        fmt[col] = {i: str(v) if bad(v) else str(int(np.floor(v))) for i, v in table[col].items()}
        done.add(col)
    if "r_hat" in table.columns:
        fmt["r_hat"] = {i: str(v) if bad(v) else f"{v:.2f}" for i, v in table["r_hat"].items()}
        done.add("r_hat")
    for se_col in [c for c in table.columns if c.startswith("mcse_") and c[5:] in table.columns]:
        stat_col = se_col[5:]
        for idx in table.index:
            se, stat = table.loc[idx, se_col], table.loc[idx, stat_col]
            fmt[se_col][idx] = str(se) if bad(se) else f"{_round_num(se, round_to):g}"
            if bad(stat):
                fmt[stat_col][idx] = str(stat)
            elif bad(se):
                fmt[stat_col][idx] = f"{_round_num(stat, round_to):g}"
            elif _decimals_from_se(se) < 0:
                scientific.add((idx, stat_col))
            else:
                fmt[stat_col][idx] = f"{round(stat, _decimals_from_se(se)):g}"
        done |= {se_col, stat_col}
    for col in table.columns:
        if table[col].dtype.kind != "f":
            continue
        for idx, v in table[col].items():
            if (idx, col) in scientific:
                fmt[col][idx] = str(v) if bad(v) else f"{v:.2e}"
            elif col not in done:
                fmt[col][idx] = str(v) if bad(v) else f"{_round_num(v, round_to):g}"
    return fmt


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
        parts = [format_table(table)]
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
