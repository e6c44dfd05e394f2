"""MCMC convergence: R-hat, bulk and tail ESS, MCSE, divergences, tree depth, E-BFMI.

``convergence(result) -> ConvergenceReport`` works on any DataTree with a
``posterior`` group (``chain``, ``draw`` dims); the sampler checks also need
a ``sample_stats`` group, whose names differ between engines (see
:mod:`.sampler_stats`).  The statistics come from ``arviz_stats``:
rank-normalized split R-hat (the maximum of the bulk and folded versions)
and bulk / tail ESS (Vehtari et al. 2021), MCSE of the mean and sd, E-BFMI
(Betancourt 2016).

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for assessing
convergence of MCMC. Bayesian Analysis 16(2), 667-718.
Betancourt, M. (2016). Diagnosing suboptimal cotangent disintegrations in
Hamiltonian Monte Carlo. arXiv:1604.00695.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import thresholds as T
from .checks import Check, Verdict, worst
from .labels import element_labels, flatten_sample
from .sampler_stats import SamplerStats, sampler_stats, saturated

__all__ = ["ParameterSummary", "ConvergenceReport", "convergence", "parameter_table"]


@dataclass(frozen=True)
class ParameterSummary:
    """Posterior mean and sd of one scalar with its Monte Carlo diagnostics."""

    name: str
    mean: float
    sd: float
    mcse_mean: float
    mcse_sd: float
    ess_bulk: float
    ess_tail: float
    rhat: float


@dataclass(frozen=True)
class ConvergenceReport:
    """The convergence checks of one MCMC run and the per-parameter table behind them."""

    chains: int
    draws: int
    parameters: tuple[ParameterSummary, ...]
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()
    kind: str = "convergence"

    @property
    def verdict(self) -> Verdict:
        return worst(c.verdict for c in self.checks)


# ------------------------------------------------------------------ the table
def _as_chains(values: np.ndarray) -> np.ndarray:
    """One chain is split in two so that R-hat (which needs two) is still defined."""
    if values.shape[0] >= 2:
        return values
    half = values.shape[1] // 2
    return values[:, : 2 * half].reshape(2, half, *values.shape[2:])


def _stat(fn, values: np.ndarray, **kwargs) -> np.ndarray:
    """``fn`` of an arviz_stats array function over ``(chain, draw, k)`` -> ``(k,)``."""
    moved = np.moveaxis(values, -1, 0)  # (k, chain, draw)
    return np.asarray(fn(moved, chain_axis=-2, draw_axis=-1, **kwargs), dtype=float).reshape(-1)


def _variable_rows(name: str, da) -> tuple[list[ParameterSummary], list[str]]:
    values = _as_chains(flatten_sample(da).astype(float))
    labels = element_labels(name, da)
    flat = values.reshape(-1, values.shape[-1])
    const = np.ptp(flat, axis=0) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant elements give 0/0; they are reported as constant
        stats = _stats(values)
    rows = [ParameterSummary(labels[k], float(flat[:, k].mean()), float(flat[:, k].std(ddof=1)),
                             *(float(stats[s][k]) for s in ("mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "rhat")))
            for k in range(len(labels)) if not const[k]]
    return rows, [labels[k] for k in range(len(labels)) if const[k]]


def _stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """R-hat, bulk and tail ESS (5% and 95% quantiles, Vehtari et al. 2021), MCSE of mean and sd."""
    import arviz_stats as azs

    return {
        "rhat": _stat(azs.rhat, values, method="rank"),
        "ess_bulk": _stat(azs.ess, values, method="bulk"),
        "ess_tail": _stat(azs.ess, values, method="tail", prob=0.05),
        "mcse_mean": _stat(azs.mcse, values, method="mean"),
        "mcse_sd": _stat(azs.mcse, values, method="sd"),
    }


def parameter_table(posterior, var_names=None) -> tuple[tuple[ParameterSummary, ...], tuple[str, ...]]:
    """Rows for every non-constant scalar of ``posterior`` (a Dataset) and the names of the constant ones."""
    names = var_names or [n for n in posterior.data_vars if np.issubdtype(posterior[n].dtype, np.number)]
    rows, constant = [], []
    for name in names:
        r, c = _variable_rows(str(name), posterior[name])
        rows += r
        constant += c
    return tuple(rows), tuple(constant)


# ----------------------------------------------------------- parameter checks
def _beyond(rows, attr: str, threshold) -> list[ParameterSummary]:
    bad = [r for r in rows if threshold.verdict(getattr(r, attr)) is not Verdict.PASS]
    return sorted(bad, key=lambda r: getattr(r, attr), reverse=threshold.bad == "above")


def _worst_value(rows, attr: str, bad: str) -> float | None:
    values = np.array([getattr(r, attr) for r in rows], dtype=float)
    if values.size == 0:
        return None
    if np.isnan(values).any():
        return float("nan")
    return float(values.max() if bad == "above" else values.min())


def _param_check(name, title, rows, attr, threshold, what, advice) -> Check:
    value = _worst_value(rows, attr, threshold.bad)
    verdict = threshold.verdict(value) if value is not None else Verdict.PASS
    flagged = tuple(r.name for r in _beyond(rows, attr, threshold))
    if verdict is Verdict.PASS:
        summary = f"{what} is fine for all {len(rows)} parameters (worst {value:.4g})" if rows else "no parameters"
    else:
        summary = f"{what} is {threshold.bad} the limit for {len(flagged)} of {len(rows)} parameters (worst {value:.4g})"
    return Check(name, title, verdict, value, threshold, summary, advice if verdict is not Verdict.PASS else "",
                 flagged)


def rhat_check(rows) -> Check:
    return _param_check("rhat", "Rank-normalized split R-hat", rows, "rhat", T.RHAT, "R-hat",
                        "chains disagree: run longer chains, or reparameterize (e.g. non-centred)")


def ess_check(rows, chains: int, kind: str) -> Check:
    return _param_check(f"ess_{kind}", f"{kind.capitalize()} effective sample size", rows, f"ess_{kind}",
                        T.ess_threshold(chains, kind), f"{kind} ESS",
                        "too few effective draws: draw more samples, or reparameterize")


def mcse_check(rows) -> Check:
    ratio = [_Ratio(r.name, r.mcse_mean / r.sd if r.sd > 0 else 0.0) for r in rows]
    return _param_check("mcse", "Monte Carlo standard error of the mean", ratio, "value", T.MCSE,
                        "MCSE / posterior sd", "the Monte Carlo error is large: draw more samples")


@dataclass(frozen=True)
class _Ratio:
    name: str
    value: float


# ------------------------------------------------------------ sampler checks
def divergence_check(stats: SamplerStats) -> Check:
    div = np.asarray(stats.diverging)
    n, total = int(div.sum()), div.size
    frac = n / total if total else 0.0
    verdict = T.DIVERGENCES.verdict(frac)
    per_chain = tuple(f"chain {c}: {int(k)}" for c, k in enumerate(div.sum(axis=1)) if k)
    summary = f"{n} of {total} transitions ({frac:.2%}) ended in a divergence"
    advice = ("the sampler could not follow the posterior's curvature, so the draws may be biased: "
              "reparameterize (non-centred), or raise target_accept") if n else ""
    return Check("divergences", "Divergent transitions", verdict, frac, T.DIVERGENCES, summary, advice, per_chain)


def treedepth_check(stats: SamplerStats) -> Check | None:
    hit = saturated(stats)
    if hit is None:
        return None
    n, total = int(np.sum(hit)), hit.size
    frac = n / total if total else 0.0
    verdict = T.TREEDEPTH.verdict(frac)
    summary = f"{n} of {total} transitions ({frac:.2%}) hit the maximum tree depth ({stats.max_depth})"
    advice = "trajectories were cut short (slow exploration): raise max_treedepth or reparameterize" if n else ""
    return Check("treedepth", "Tree-depth saturation", verdict, frac, T.TREEDEPTH, summary, advice)


def ebfmi_check(stats: SamplerStats) -> Check:
    energy = np.asarray(stats.energy, dtype=float)
    num = np.square(np.diff(energy, axis=1)).mean(axis=1)
    den = np.var(energy, axis=1, ddof=1)
    bfmi = num / den
    value = float(np.min(bfmi))
    verdict = T.EBFMI.verdict(value)
    flagged = tuple(f"chain {c}: {b:.3f}" for c, b in enumerate(bfmi) if T.EBFMI.verdict(float(b)) is not Verdict.PASS)
    summary = "E-BFMI per chain: " + ", ".join(f"{b:.3f}" for b in bfmi)
    advice = ("momentum resampling explores the energy levels poorly (heavy tails?): reparameterize"
              if verdict is not Verdict.PASS else "")
    return Check("ebfmi", "Energy Bayesian fraction of missing information (E-BFMI)", verdict, value, T.EBFMI,
                 summary, advice, flagged)


def _sampler_checks(stats: SamplerStats | None) -> tuple[list[Check], list[str]]:
    if stats is None:
        return [], ["no sample_stats group: divergence, tree-depth and E-BFMI checks skipped"]
    checks, notes = [], []
    for key, fn, label in (("diverging", divergence_check, "divergence"), ("energy", ebfmi_check, "E-BFMI")):
        if getattr(stats, key) is None:
            notes.append(f"the sampler recorded no `{key}`: the {label} check is skipped")
        else:
            checks.append(fn(stats))
    depth = treedepth_check(stats)
    if depth is None:
        notes.append("the sampler recorded no tree depth: the saturation check is skipped")
    else:
        checks.insert(1 if checks and checks[0].name == "divergences" else 0, depth)
    return checks, notes


# ----------------------------------------------------------------- the entry
N_NAMED = 12  # constant scalars named in the note; the rest are counted


def _constant_note(constant) -> str:
    shown = ", ".join(constant[:N_NAMED])
    more = f" and {len(constant) - N_NAMED} more ({len(constant)} in all)" if len(constant) > N_NAMED else ""
    return f"constant (not checked): {shown}{more}"


def convergence(result, var_names=None, max_depth: int | None = None) -> ConvergenceReport:
    """All convergence checks of an MCMC ``result`` (an xarray DataTree).

    Parameters
    ----------
    result : xarray.DataTree
        Needs a ``posterior`` group with ``chain`` and ``draw`` dims;
        ``sample_stats`` enables the sampler checks.
    var_names : list of str, optional
        Posterior variables to check (default: all numeric ones).
    max_depth : int, optional
        The sampler's tree-depth limit, when the engine records depths but no
        saturation flag (default 10, or the ``max_treedepth`` attribute).
    """
    posterior = result["posterior"].to_dataset()
    chains, draws = int(posterior.sizes.get("chain", 1)), int(posterior.sizes.get("draw", 0))
    rows, constant = parameter_table(posterior, var_names)
    checks = [rhat_check(rows), ess_check(rows, chains, "bulk"), ess_check(rows, chains, "tail"), mcse_check(rows)]
    sampler_checks, notes = _sampler_checks(sampler_stats(result, max_depth))
    if constant:
        notes.append(_constant_note(constant))
    if chains == 1:
        notes.append("one chain: R-hat compares its two halves; run several chains to detect multimodality")
    return ConvergenceReport(chains, draws, rows, tuple(sampler_checks + checks), tuple(notes))
