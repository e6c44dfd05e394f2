"""Sections of inference runs, calibration studies and comparisons.

``mcmc_section`` and ``vi_section`` take a result DataTree (as written by
``ppl sample`` or ``Model.fit``) and run every check that applies:
convergence for MCMC, PSIS k-hat for VI (Yao et al. 2018), PSIS-LOO for
both (with the approximate-posterior correction for VI, Magnusson et al.
2019) and WAIC; they draw the plots of :mod:`.plots` and
:mod:`.plots_checks`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..diagnostics.checks import Check, worst
from .build import quantile_rows
from .compare_notes import comparison_notes
from .model import CalibrationSection, ComparisonSection, Figure, RunSection, Table
from .plots import distinct_scalars, energy_plot, pair_plot, scalar_draws, trace_rank_plot, worst_mixing
from .plots_checks import compare_plot, elbo_plot, loo_k_plot, sbc_plot, vsbc_plot

__all__ = ["RunInfo", "mcmc_section", "vi_section", "loo_of", "loo_table", "sbc_section", "vsbc_section",
           "comparison_section", "N_TRACE", "N_PAIR"]

N_TRACE = 4  # parameters in the trace / rank plot
N_PAIR = 3   # parameters in the pair plot


@dataclass(frozen=True)
class RunInfo:
    """What the report says about how a run was made."""

    name: str
    model: str
    method: str
    engine: str
    settings: tuple[tuple[str, str], ...] = ()
    seconds: float | None = None


def _key(info: RunInfo, what: str) -> str:
    safe = "".join(ch if ch.isalnum() else "_" for ch in info.name).strip("_") or "run"
    return f"{safe}_{what}"


# ------------------------------------------------------------------- LOO
def loo_of(result, vi: bool):
    """PSIS-LOO of a result (corrected for q on VI draws), or ``None`` without a log-likelihood."""
    from ..diagnostics import loo, loo_approximate_posterior, vi_log_densities

    if "log_likelihood" not in result.children or not result["log_likelihood"].data_vars:
        return None
    if vi:
        log_p, log_q = vi_log_densities(result)
        return loo_approximate_posterior(result, log_p, log_q)
    return loo(result)


def loo_table(loo, waic=None) -> Table:
    rows = [("PSIS-LOO" if loo.method == "psis-loo" else "PSIS-LOO (approximate posterior)", loo.elpd, loo.se,
             loo.p, loo.n_observations)]
    if waic is not None:
        rows.append(("WAIC", waic.elpd, waic.se, waic.p, waic.n_observations))
    return Table(("estimate", "elpd", "se", "p", "observations"), tuple(rows))


def _criticism(result, info: RunInfo, vi: bool):
    """LOO (and WAIC for MCMC) checks, their table and the Pareto-k figure."""
    from ..diagnostics import waic

    try:
        loo = loo_of(result, vi)
    except (ValueError, KeyError) as exc:
        return (), None, (), (f"PSIS-LOO could not be computed: {exc}",), None
    if loo is None:
        return (), None, (), ("no log-likelihood: LOO and WAIC skipped",), None
    w = None if vi else waic(result)
    checks = (loo.check,) + ((w.check,) if w is not None else ())
    figures = (loo_k_plot(loo, _key(info, "loo_k")),)
    return checks, loo_table(loo, w), figures, (), loo


# ------------------------------------------------------------------- MCMC
def _mcmc_table(report, draws) -> Table:
    q = quantile_rows(draws)
    rows = tuple((p.name, *q[p.name][:2], *q[p.name][2:], p.mcse_mean, p.ess_bulk, p.ess_tail, p.rhat)
                 for p in report.parameters if p.name in q)
    return Table(("parameter", "mean", "sd", "5%", "50%", "95%", "mcse", "ess_bulk", "ess_tail", "r_hat"), rows)


def _mcmc_figures(result, report, draws, info: RunInfo) -> tuple[Figure, ...]:
    from ..diagnostics.sampler_stats import sampler_stats

    worst_names = worst_mixing(report.parameters, N_TRACE)
    figures = [trace_rank_plot({n: draws[n] for n in worst_names}, _key(info, "trace_rank"))] if worst_names else []
    stats = sampler_stats(result)
    if stats is not None and stats.energy is not None:
        figures.append(energy_plot(stats.energy, _key(info, "energy")))
    pair_names = distinct_scalars(draws, worst_mixing(report.parameters, 4 * N_PAIR), N_PAIR)
    if len(pair_names) >= 2:
        div = stats.diverging if stats is not None else None
        figures.append(pair_plot({n: draws[n] for n in pair_names}, div, _key(info, "pair")))
    return tuple(figures)


def mcmc_section(result, info: RunInfo, extra_figures: Sequence[Figure] = ()) -> tuple[RunSection, object]:
    """The section of an MCMC run, and its LOO result (``None`` without a log-likelihood)."""
    from ..diagnostics import convergence

    report = convergence(result)
    draws = scalar_draws(result["posterior"].to_dataset())
    model_checks, loo_tab, loo_figs, loo_notes, loo = _criticism(result, info, vi=False)
    figures = _mcmc_figures(result, report, draws, info) + tuple(loo_figs) + tuple(extra_figures)
    section = RunSection(info.name, info.model, info.method, info.engine, info.settings, report.verdict,
                         report.checks, _mcmc_table(report, draws), model_checks, loo_tab,
                         tuple(report.notes) + tuple(loo_notes), figures, info.seconds)
    return section, loo


# --------------------------------------------------------------------- VI
def _vi_table(psis, draws) -> Table:
    q = quantile_rows(draws)
    corrected = {e.name: (e.psis_mean, e.psis_sd) for e in psis.estimates}
    rows = tuple((name, *q[name], *corrected.get(name, (None, None))) for name in draws)
    return Table(("parameter", "mean", "sd", "5%", "50%", "95%", "PSIS mean", "PSIS sd"), rows)


def _elbo(result):
    if "vi" in result.children and "elbo" in result["vi"].data_vars:
        return np.asarray(result["vi"]["elbo"].values, dtype=float)
    return None


def _vi_notes(result) -> tuple[str, ...]:
    if "vi" not in result.children:
        return ()
    attrs = result["vi"].attrs
    stop = attrs.get("stop_reason")
    if stop is None:
        return ()
    note = f"optimisation stopped: {stop} after {attrs.get('steps', '?')} steps"
    return (note,) if stop == "converged" else (note + " (not converged: the fit may be far from its optimum)",)


def vi_section(result, info: RunInfo, extra_figures: Sequence[Figure] = ()) -> tuple[RunSection, object, float]:
    """The section of a VI fit, its LOO result and its k-hat."""
    from ..diagnostics import psis_vi, vi_log_densities

    log_p, log_q = vi_log_densities(result)
    posterior = result["posterior"].to_dataset()
    psis = psis_vi(log_p, log_q, posterior)
    draws = scalar_draws(posterior)
    model_checks, loo_tab, loo_figs, loo_notes, loo = _criticism(result, info, vi=True)
    elbo = _elbo(result)
    figures = ((elbo_plot(elbo, _key(info, "elbo")),) if elbo is not None else ()) + tuple(loo_figs)
    section = RunSection(info.name, info.model, info.method, info.engine, info.settings, psis.verdict,
                         psis.checks, _vi_table(psis, draws), model_checks, loo_tab,
                         tuple(psis.notes) + _vi_notes(result) + tuple(loo_notes),
                         figures + tuple(extra_figures), info.seconds)
    return section, loo, psis.khat


# ------------------------------------------------------------ calibration
def sbc_section(result, name: str, run: str, seconds: float | None = None) -> CalibrationSection:
    rows = tuple((p.name, p.test.p_chi2, p.test.p_ecdf, p.mean_u, p.pattern) for p in result.parameters)
    table = Table(("parameter", "p (chi2)", "p (ECDF)", "mean u", "pattern"), rows)
    figures = (sbc_plot(result, _safe(name) + "_sbc"),) if result.histograms else ()
    return CalibrationSection(name, "sbc", run, result.n_requested, result.n_completed, result.verdict,
                              result.checks, table, result.notes, figures, seconds)


def vsbc_section(result, name: str, run: str, method: str, seconds: float | None = None) -> CalibrationSection:
    rows = tuple((p.name, p.ks_statistic, p.p_value, p.mean_p, p.direction) for p in result.parameters)
    table = Table(("parameter", "KS", "p (symmetry)", "mean p", "bias"), rows)
    figures = (vsbc_plot(result, _safe(name) + "_vsbc"),) if result.histograms else ()
    return CalibrationSection(name, method, run, result.n_requested, result.n_completed, result.verdict,
                              result.checks, table, result.notes, figures, seconds)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "section"


# ------------------------------------------------------------- comparison
def comparison_section(name: str, loos: Mapping[str, object], method: str = "stacking",
                       untrusted: Mapping[str, str] | None = None) -> ComparisonSection:
    """The comparison of ``loos``; ``untrusted`` maps compared runs that did not pass to their trust."""
    from ..diagnostics import compare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare(dict(loos), method=method)
    rows = tuple((r.name, r.rank, r.elpd, r.se, r.elpd_diff, r.dse, r.p, r.weight) for r in result.rows)
    table = Table(("model", "rank", "elpd_loo", "se", "elpd_diff", "dse", "p_loo", "weight"), rows)
    checks: tuple[Check, ...] = tuple(_named(c, r.name) for c, r in zip(result.checks, result.rows))
    notes = comparison_notes(result, result.loo[0].n_observations, untrusted)
    return ComparisonSection(name, method, worst(c.verdict for c in checks), checks, table, notes,
                             (compare_plot(result, _safe(name) + "_compare"),))


def _named(check: Check, model: str) -> Check:
    from dataclasses import replace

    return replace(check, title=f"{check.title} ({model})")
