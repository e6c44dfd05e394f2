"""Plots of checks as image bytes: ELBO, PSIS k-hat, VSBC, SBC, LOO Pareto k, comparison, predictive checks.

Each function takes a diagnostics result (or plain arrays) and returns a
:class:`~ppl.report.model.Figure`; see :mod:`.plots` for the conventions.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .model import Figure
from .plots import BAD, COLORS, figure, new_figure

__all__ = ["elbo_plot", "khat_plot", "vsbc_plot", "sbc_plot", "loo_k_plot", "compare_plot", "predictive_plot"]

_GRID = 4  # panels per row in per-parameter grids


def _grid(n: int, width: float = 2.3, height: float = 1.9):
    cols = min(max(n, 1), _GRID)
    rows = (max(n, 1) + cols - 1) // cols
    fig = new_figure(width * cols, height * rows)
    axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
    for ax in axes[n:]:
        ax.axis("off")
    return fig, axes


def elbo_plot(elbo: np.ndarray, key: str = "elbo", window: int = 100) -> Figure:
    """The ELBO estimate of every optimisation step, with its running mean over ``window`` steps."""
    elbo = np.asarray(elbo, dtype=float)
    fig = new_figure(6, 2.8)
    ax = fig.subplots()
    steps = np.arange(elbo.size)
    ax.plot(steps, elbo, lw=0.4, color=COLORS[0], alpha=0.5, label="per step")
    if elbo.size >= window:
        mean = np.convolve(elbo, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], mean, lw=1.2, color=COLORS[1], label=f"mean of {window} steps")
    finite = elbo[np.isfinite(elbo)]
    if finite.size:
        low = np.quantile(finite, 0.02)
        ax.set_ylim(low - 0.05 * abs(low), finite.max() + 0.05 * abs(finite.max()) + 1e-9)
    ax.set_xlabel("step", fontsize=8)
    ax.set_ylabel("ELBO", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    caption = ("The evidence lower bound during the optimisation; a flat running mean is necessary for "
               "convergence but says nothing about how close q is to the posterior (see k-hat).")
    return figure(key, "ELBO history", caption, fig)


def khat_plot(fits: Sequence[tuple[str, float, float]], key: str = "khat") -> Figure:
    """One bar per VI fit: its joint k-hat, with the 0.5 and ``good_k(S)`` thresholds."""
    fig = new_figure(6, 0.6 * max(len(fits), 1) + 1.4)
    ax = fig.subplots()
    names = [f[0] for f in fits]
    khat = np.array([f[1] for f in fits], dtype=float)
    shown = np.nan_to_num(khat, nan=0.0, neginf=0.0, posinf=2.0)
    colors = [BAD if k > g else (COLORS[1] if k > 0.5 else COLORS[2]) for k, g in zip(shown, (f[2] for f in fits))]
    ax.barh(np.arange(len(fits)), shown, color=colors)
    ax.set_yticks(np.arange(len(fits)), names, fontsize=8)
    ax.axvline(0.5, color="k", ls=":", lw=1, label="0.5")
    for g in sorted({round(f[2], 3) for f in fits}):
        ax.axvline(g, color=BAD, ls="--", lw=1, label=f"good_k(S) = {g:.2f}")
    ax.set_xlim(min(0.0, float(shown.min(initial=0.0))) - 0.05, max(1.2, float(shown.max(initial=0.0)) + 0.1))
    ax.set_xlabel("Pareto k-hat of log p - log q", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    caption = ("PSIS k-hat of each variational fit (Yao et al. 2018): below 0.5 the approximation is close; up "
               "to min(1 - 1/log10 S, 0.7) the PSIS-corrected estimates are reliable; above it, neither is.")
    return figure(key, "PSIS k-hat per VI fit", caption, fig)


def _hist_panel(ax, hist, color: str, band: bool) -> None:
    edges, counts = np.asarray(hist.edges), np.asarray(hist.counts)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=color, alpha=0.7, edgecolor="white")
    if band:
        ax.axhspan(hist.lower, hist.upper, color="0.6", alpha=0.3, lw=0)
    ax.axhline(hist.expected, color="k", ls="--", lw=0.8)
    ax.set_title(hist.name, fontsize=8)
    ax.set_xlim(0, 1)
    ax.tick_params(labelsize=6)


def vsbc_plot(result, key: str = "vsbc") -> Figure:
    """Histograms of ``p_ij = P_q(theta_i < theta_true)`` per scalar; flagged ones in red."""
    flagged = {p.name for p in result.parameters if p.direction != "none"}
    fig, axes = _grid(len(result.histograms))
    for ax, hist in zip(axes, result.histograms):
        _hist_panel(ax, hist, BAD if hist.name in flagged else COLORS[0], band=False)
    caption = ("VSBC (Yao et al. 2018): for each simulated data set, the probability under q that the parameter "
               "is below its true value. An unbiased approximation gives histograms symmetric about 0.5; mass "
               "near 1 means q underestimates the parameter, near 0 that it overestimates. Red: asymmetric.")
    return figure(key, "VSBC p histograms", caption, fig)


def sbc_plot(result, key: str = "sbc") -> Figure:
    """Rank histograms per scalar with the 99% binomial band of each bin (grey)."""
    flagged = {p.name for p in result.parameters if p.pattern != "uniform"}
    fig, axes = _grid(len(result.histograms))
    for ax, hist in zip(axes, result.histograms):
        _hist_panel(ax, hist, BAD if hist.name in flagged else COLORS[0], band=True)
    caption = ("SBC (Talts et al. 2018): normalised ranks of the true value among thinned posterior draws. A "
               "correct sampler gives uniform ranks: bars inside the grey 99% band of each bin. A U shape means "
               "overconfident posteriors, a hump underconfident ones, a slope bias. Red: flagged.")
    return figure(key, "SBC rank histograms", caption, fig)


def loo_k_plot(loo, key: str = "loo_k") -> Figure:
    """Pointwise Pareto k of PSIS-LOO per observation, with the warning and failure levels."""
    k = np.asarray(loo.pareto_k, dtype=float)
    fig = new_figure(6, 2.6)
    ax = fig.subplots()
    limit = loo.check.threshold.warn
    colors = [BAD if v > limit else COLORS[0] for v in k]
    ax.scatter(np.arange(k.size), k, s=12, c=colors)
    ax.axhline(limit, color=BAD, ls="--", lw=1, label=f"{limit:.2f}")
    ax.axhline(1.0, color="k", ls=":", lw=1, label="1")
    if k.size <= 30:
        ax.set_xticks(np.arange(k.size), list(loo.observations), rotation=90, fontsize=6)
    ax.set_ylabel("Pareto k", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    caption = ("Pareto k of each observation's PSIS-LOO importance weights (Vehtari et al. 2024): above the dashed "
               "line that observation's LOO estimate is unreliable (it is influential).")
    return figure(key, "PSIS-LOO pointwise Pareto k", caption, fig)


def compare_plot(comparison, key: str = "compare") -> Figure:
    """elpd_loo of each model with its se, and the difference to the best with its se."""
    rows = comparison.rows
    fig = new_figure(6, 0.7 * len(rows) + 1.4)
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    ax.errorbar([r.elpd for r in rows], y, xerr=[r.se for r in rows], fmt="o", color=COLORS[0], label="elpd_loo")
    best = rows[0].elpd
    if len(rows) > 1:
        ax.errorbar([r.elpd for r in rows[1:]], y[1:] - 0.2, xerr=[r.dse for r in rows[1:]], fmt="^",
                    color=COLORS[1], label="se of the difference to the best")
    ax.axvline(best, color="0.5", ls="--", lw=0.8)
    ax.set_yticks(y, [f"{r.name} (w={r.weight:.2f})" for r in rows], fontsize=8)
    ax.set_xlabel("elpd_loo (higher is better)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    caption = (f"Expected log predictive density by PSIS-LOO with its standard error; triangles: the paired se of "
               f"the difference to the best model. w: {comparison.method} weights (Yao et al. 2018).")
    return figure(key, "Model comparison", caption, fig)


def _ecdf(ax, values: np.ndarray, **kwargs) -> None:
    x = np.sort(values)
    ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", **kwargs)


def predictive_plot(observed: Mapping[str, np.ndarray], replicated: Mapping[str, np.ndarray], which: str,
                    key: str, n_lines: int = 40) -> Figure:
    """ECDF of each observed variable against the ECDFs of simulated data sets.

    ``replicated[name]`` is ``(sets, *shape)``; ``which`` is ``"prior"`` or ``"posterior"``.
    """
    names = [n for n in observed if n in replicated]
    fig, axes = _grid(len(names), width=4.6, height=3.2)
    for ax, name in zip(axes, names):
        sims = np.asarray(replicated[name], dtype=float)
        sims = sims.reshape(sims.shape[0], -1)
        step = max(1, sims.shape[0] // n_lines)
        for row in sims[::step][:n_lines]:
            _ecdf(ax, row, color=COLORS[0], alpha=0.15, lw=0.7)
        _ecdf(ax, np.asarray(observed[name], dtype=float).reshape(-1), color="k", lw=1.5)
        ax.set_title(name, fontsize=10)
        ax.tick_params(labelsize=8)
        if which == "prior":
            lo, hi = np.nanquantile(sims, [0.01, 0.99])
            ax.set_xlim(lo, hi)
    title = "Prior predictive check" if which == "prior" else "Posterior predictive check"
    caption = (f"Black: the empirical CDF of the observed data; blue: data sets simulated from the {which} "
               f"predictive distribution. " + ("The prior should allow the data without being far wider than "
                                               "plausible." if which == "prior" else
                                               "The observed curve should look like one of the simulated ones."))
    return figure(key, title, caption, fig)
