"""Plots of MCMC runs as image bytes: trace and rank plots, energy, pairs.

Every function takes plain arrays (or a DataTree) and returns a
:class:`~ppl.report.model.Figure` holding PNG bytes.  Figures are drawn
with matplotlib's object API on the Agg canvas (no pyplot, no global
state, no display needed) and saved without a timestamp, so the same
input gives the same bytes.  :mod:`.plots_checks` has the plots of VI
fits, calibration, LOO, comparison and predictive checks.

Rank plots (Vehtari et al. 2021, section 4.1): the draws of all chains are
ranked together and each chain's ranks are histogrammed; chains that
sample the same distribution give flat, overlapping histograms.
"""

from __future__ import annotations

import io
from typing import Mapping

import numpy as np

from .model import Figure

__all__ = ["new_figure", "to_png", "figure", "scalar_draws", "worst_mixing", "distinct_scalars", "trace_rank_plot", "energy_plot",
           "pair_plot", "COLORS", "DPI"]

DPI = 96
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
BAD = "#d62728"


def new_figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (independent of pyplot and of the global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig) -> bytes:
    """PNG bytes of ``fig`` without metadata that changes between runs."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def figure(key: str, title: str, caption: str, fig) -> Figure:
    return Figure(key, title, caption, "image/png", to_png(fig))


def scalar_draws(posterior, names=None) -> dict[str, np.ndarray]:
    """``{label: (chain, draw) array}`` for every scalar element of the numeric variables of a Dataset."""
    from ..diagnostics.labels import element_labels, flatten_sample

    out = {}
    for name in names or list(posterior.data_vars):
        da = posterior[name]
        if not np.issubdtype(da.dtype, np.number) or "chain" not in da.dims:
            continue
        values = flatten_sample(da).astype(float)
        for k, label in enumerate(element_labels(str(name), da)):
            out[label] = values[..., k]
    return out


def worst_mixing(rows, n: int) -> list[str]:
    """Labels of the ``n`` parameters that mix worst: highest R-hat, then lowest bulk ESS."""
    def key(r):
        rhat = r.rhat if np.isfinite(r.rhat) else np.inf
        return (-rhat, r.ess_bulk if np.isfinite(r.ess_bulk) else -np.inf)

    return [r.name for r in sorted(rows, key=key)[:n]]


MIN_DISTINCT = 10  # fewer distinct draws: discrete or constant, not shown in the pair plot


def distinct_scalars(draws: Mapping[str, np.ndarray], names, n: int, max_corr: float = 0.99) -> list[str]:
    """The first ``n`` of ``names`` (in order) that are not copies of an earlier pick.

    A scalar whose draws correlate above ``max_corr`` (in absolute value) with
    one already picked, or that takes fewer than ``MIN_DISTINCT`` values
    (constant, or discrete like a mixture's labels), is skipped: a pair plot
    of two near-copies (e.g. the membership probabilities of two equal
    observations of a mixture) is a straight line, and of a 0/1 label two
    stripes.
    """
    picked: list[str] = []
    flat: list[np.ndarray] = []
    for name in (m for m in names if m in draws):
        x = np.asarray(draws[name], dtype=float).reshape(-1)
        if not np.isfinite(x).all() or np.unique(x).size < MIN_DISTINCT:
            continue
        if any(abs(np.corrcoef(x, y)[0, 1]) > max_corr for y in flat):
            continue
        picked.append(name)
        flat.append(x)
        if len(picked) == n:
            break
    return picked


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values.reshape(-1), method="average").reshape(values.shape)


def trace_rank_plot(draws: Mapping[str, np.ndarray], key: str = "trace_rank") -> Figure:
    """For each scalar: its trace per chain (left) and per-chain rank histograms (right)."""
    labels = list(draws)
    fig = new_figure(9, 1.9 * max(len(labels), 1))
    axes = fig.subplots(max(len(labels), 1), 2, squeeze=False)
    for row, label in zip(axes, labels):
        values = np.asarray(draws[label], dtype=float)
        _trace(row[0], values, label)
        _rank(row[1], values, label)
    caption = ("Left: the draws of each chain in order. Right: rank plot (Vehtari et al. 2021) - the draws of all "
               "chains are ranked together and each chain's ranks histogrammed; chains sampling the same "
               "distribution give flat, overlapping bars. Shown: the parameters that mix worst.")
    return figure(key, "Trace and rank plots", caption, fig)


def _trace(ax, values: np.ndarray, label: str) -> None:
    for c, chain in enumerate(values):
        ax.plot(chain, lw=0.5, color=COLORS[c % len(COLORS)], alpha=0.8)
    ax.set_ylabel(label, fontsize=8)
    ax.tick_params(labelsize=7)


def _rank(ax, values: np.ndarray, label: str) -> None:
    ranks = _ranks(values)
    bins = np.linspace(0, ranks.size, 21)
    expected = values.shape[1] / 20
    for c, chain in enumerate(ranks):
        ax.hist(chain, bins=bins, histtype="step", color=COLORS[c % len(COLORS)], lw=1)
    ax.axhline(expected, color="k", ls="--", lw=0.8)
    ax.set_yticks([])
    ax.tick_params(labelsize=7)
    ax.set_title(f"ranks of {label}", fontsize=8)


def energy_plot(energy: np.ndarray, key: str = "energy") -> Figure:
    """Marginal energy and energy transition distributions (Betancourt 2016), both centred."""
    energy = np.asarray(energy, dtype=float)
    marginal = (energy - energy.mean()).reshape(-1)
    transition = np.diff(energy, axis=1).reshape(-1)
    fig = new_figure(6, 3)
    ax = fig.subplots()
    bins = np.histogram_bin_edges(np.concatenate([marginal, transition]), bins=40)
    ax.hist(marginal, bins=bins, alpha=0.5, density=True, label="marginal energy", color=COLORS[0])
    ax.hist(transition, bins=bins, alpha=0.5, density=True, label="energy transition", color=COLORS[1])
    ax.legend(fontsize=8)
    ax.set_yticks([])
    ax.tick_params(labelsize=7)
    caption = ("Energy plot (Betancourt 2016): when the energy-transition distribution is much narrower than the "
               "marginal energy distribution, momentum resampling explores the posterior's energy levels poorly "
               "(low E-BFMI).")
    return figure(key, "Energy", caption, fig)


def pair_plot(draws: Mapping[str, np.ndarray], diverging: np.ndarray | None, key: str = "pair") -> Figure:
    """Scatter plots of every pair of the given scalars; divergent transitions in red."""
    labels = list(draws)
    k = len(labels)
    fig = new_figure(2.4 * max(k, 2), 2.4 * max(k, 2))
    axes = fig.subplots(k, k, squeeze=False)
    div = np.zeros(np.asarray(draws[labels[0]]).size, bool) if diverging is None else \
        np.asarray(diverging, bool).reshape(-1)
    for i, yl in enumerate(labels):
        for j, xl in enumerate(labels):
            _pair_cell(axes[i][j], draws, xl, yl, div, i, j, k)
    caption = ("Pairs of the parameters that mix worst (discrete ones and near-copies of one already shown are "
               "skipped); red points are divergent transitions, which cluster where the sampler cannot follow the "
               "posterior's curvature (e.g. the neck of a funnel).")
    return figure(key, "Pair plot", caption, fig)


def _pair_cell(ax, draws, xl, yl, div, i, j, k) -> None:
    x = np.asarray(draws[xl], dtype=float).reshape(-1)
    y = np.asarray(draws[yl], dtype=float).reshape(-1)
    ax.tick_params(labelsize=6)
    if i == j:
        ax.hist(x, bins=30, color=COLORS[0], alpha=0.7)
        ax.set_yticks([])
    elif i > j:
        ax.scatter(x[~div], y[~div], s=2, alpha=0.3, color=COLORS[0], rasterized=True)
        if div.any():
            ax.scatter(x[div], y[div], s=6, color=BAD)
    else:
        ax.axis("off")
    if i == k - 1:
        ax.set_xlabel(xl, fontsize=8)
    if j == 0 and i != j:
        ax.set_ylabel(yl, fontsize=8)
