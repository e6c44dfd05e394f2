"""MCMC diagnostics in NumPy: rank-normalized R-hat, bulk/tail ESS, MCSE, HDI.

The same computations as ``arviz_stats`` (its ``rhat(method="rank")``,
``ess(method="bulk"|"tail")``, ``mcse(method="mean"|"sd")`` and
``hdi(method="nearest")``), step for step, without importing it: importing
``arviz_stats`` loads ``scipy.stats`` and its LOO machinery (over a second of
every ``ppl sample``).  ``tests/diagnostics/test_mcmc_stats.py`` checks the
numbers against ``arviz_stats`` itself.  The normal quantiles of the rank
normalization come from :class:`statistics.NormalDist` (Wichura's AS241,
relative error about 1e-16) instead of SciPy's ``norm.ppf``.

Every function takes an array ``(..., chain, draw)`` and returns ``(...)``
(``hdi``: ``(..., 2)``).

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for assessing
convergence of MCMC. Bayesian Analysis 16(2), 667-718.
Geyer, C. J. (1992). Practical Markov chain Monte Carlo. Statistical Science 7(4), 473-483.
"""

from __future__ import annotations

import functools
from statistics import NormalDist

import numpy as np

__all__ = ["rhat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd", "hdi", "next_fast_len"]


# ----------------------------------------------------------------- helpers
def next_fast_len(target: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= ``target`` (``scipy.fftpack.next_fast_len``)."""
    n = max(int(target), 1)
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _valid(ary: np.ndarray, min_chains: int) -> bool:
    """arviz_stats' ``not_valid``: no NaN, at least 4 draws and ``min_chains`` chains."""
    if np.isnan(ary).any():
        return False
    n_chain, n_draw = ary.shape
    return n_draw >= 4 and n_chain >= min_chains


@functools.lru_cache(maxsize=16)
def _normal_quantiles(n: int) -> np.ndarray:
    """Normal quantiles of the Blom-offset ranks ``(r - 3/8) / (n + 1/4)``, for ``r = k/2``, ``k = 0..2n``.

    Average ranks of ties are multiples of 1/2, so this table covers all of them.
    """
    inv = NormalDist().inv_cdf
    c = 3 / 8
    out = np.full(2 * n + 1, np.nan)
    for k in range(2, 2 * n + 1):
        out[k] = inv(float((k / 2 - c) / (n - 2 * c + 1)))
    return out


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the flattened ``x``, ties given their average rank (``scipy.stats.rankdata``)."""
    flat = x.ravel()
    order = np.argsort(flat, kind="mergesort")
    sorted_x = flat[order]
    new = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    dense = np.cumsum(new)[np.argsort(order, kind="mergesort")]
    bounds = np.r_[np.nonzero(new)[0], flat.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def _z_scale(x: np.ndarray) -> np.ndarray:
    ranks = _average_ranks(x)
    return _normal_quantiles(x.size)[(2 * ranks).astype(np.int64)].reshape(x.shape)


def _split_chains(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    return np.vstack((x[:, :half], x[:, -half:]))


def _rhat_2d(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    _, n = x.shape
    chain_mean = np.mean(x, axis=1)
    chain_var = np.var(x, axis=1, ddof=1)
    between = n * np.var(chain_mean, axis=None, ddof=1)
    within = np.mean(chain_var)
    return np.sqrt((between / within + n - 1) / n)


def _autocov(x: np.ndarray) -> np.ndarray:
    n = x.shape[1]
    m = next_fast_len(2 * n)
    x = x - x.mean(1, keepdims=True)
    f = np.fft.rfft(x, n=m, axis=1)
    f *= np.conjugate(f)
    cov = np.fft.irfft(f, n=m, axis=1)[:, :n]
    cov /= n
    return cov


def _ess_2d(x: np.ndarray) -> float:
    """Geyer's initial monotone sequence estimator, as arviz_stats' ``_ess``."""
    x = np.asarray(x, dtype=float)
    if (np.max(x) - np.min(x)) < np.finfo(float).resolution:
        return x.size
    n_chain, n_draw = x.shape
    acov = _autocov(x)
    chain_mean = x.mean(axis=1)
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(chain_mean, axis=None, ddof=1)
    rho = np.zeros(n_draw)
    rho_even = 1.0
    rho[0] = rho_even
    rho_odd = 1.0 - (mean_var - np.mean(acov[:, 1])) / var_plus
    rho[1] = rho_odd
    t = 1
    while t < (n_draw - 3) and (rho_even + rho_odd) > 0.0:
        rho_even = 1.0 - (mean_var - np.mean(acov[:, t + 1])) / var_plus
        rho_odd = 1.0 - (mean_var - np.mean(acov[:, t + 2])) / var_plus
        if (rho_even + rho_odd) >= 0:
            rho[t + 1] = rho_even
            rho[t + 2] = rho_odd
        t += 2
    max_t = t - 2
    if rho_even > 0:
        rho[max_t + 1] = rho_even
    t = 1
    while t <= max_t - 2:
        if (rho[t + 1] + rho[t + 2]) > (rho[t - 1] + rho[t]):
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0
            rho[t + 2] = rho[t + 1]
        t += 2
    ess = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho[: max_t + 1]) + np.sum(rho[max_t + 1: max_t + 2])
    tau = max(tau, 1 / np.log10(ess))
    return np.nan if np.isnan(rho).any() else ess / tau


def _elementwise(fn, x, *args) -> np.ndarray:
    x = np.asarray(x)
    lead = x.shape[:-2]
    flat = x.reshape(-1, *x.shape[-2:])
    out = np.array([fn(a, *args) for a in flat], dtype=float)
    return out.reshape(lead)


# ------------------------------------------------------------- per element
def _rhat_one(x) -> float:
    if not _valid(x, 2):
        return np.nan
    split = _split_chains(x)
    bulk = _rhat_2d(_z_scale(split))
    tail = _rhat_2d(_z_scale(abs(split - np.median(split))))
    return max(bulk, tail)


def _ess_bulk_one(x) -> float:
    if not _valid(x, 1):
        return np.nan
    return _ess_2d(_z_scale(_split_chains(x)))


def _ess_quantile(x, prob) -> float:
    quantile = np.quantile(x, prob, axis=None)
    return _ess_2d(_split_chains(x <= quantile))


def _ess_tail_one(x, prob) -> float:
    if not _valid(x, 1):
        return np.nan
    low, high = sorted((prob, 1 - prob))
    return min(_ess_quantile(x, low), _ess_quantile(x, high))


def _mcse_mean_one(x) -> float:
    if not _valid(x, 1):
        return np.nan
    return np.std(x, ddof=1) / np.sqrt(_ess_2d(_split_chains(x)))


def _mcse_sd_one(x) -> float:
    if not _valid(x, 1):
        return np.nan
    centred = x - x.mean()
    ess = _ess_2d(_split_chains(centred ** 2))
    evar = (centred ** 2).mean()
    varvar = ((centred ** 4).mean() - evar ** 2) / ess
    return np.sqrt(varvar / evar / 4)


def _hdi_one(x, prob) -> np.ndarray:
    ary = np.sort(x.flatten())
    n = len(ary)
    inc = min(int(np.floor(prob * n)), n - 1)
    width = np.subtract(ary[inc:], ary[: n - inc], dtype=np.float64)
    lo = np.argmin(width)
    return ary[[lo, lo + inc]]


# ------------------------------------------------------------------ public
def rhat(x) -> np.ndarray:
    """Rank-normalized split R-hat: the larger of the bulk and folded versions (Vehtari et al. 2021)."""
    return _elementwise(_rhat_one, x)


def ess_bulk(x) -> np.ndarray:
    """Bulk ESS: ESS of the rank-normalized split chains (Vehtari et al. 2021)."""
    return _elementwise(_ess_bulk_one, x)


def ess_tail(x, prob: float = 0.05) -> np.ndarray:
    """Tail ESS: the smaller ESS of the indicators of the ``prob`` and ``1 - prob`` quantiles."""
    return _elementwise(_ess_tail_one, x, prob)


def mcse_mean(x) -> np.ndarray:
    """Monte Carlo standard error of the mean: sd / sqrt(ESS of the split chains)."""
    return _elementwise(_mcse_mean_one, x)


def mcse_sd(x) -> np.ndarray:
    """Monte Carlo standard error of the sd (delta method on the variance)."""
    return _elementwise(_mcse_sd_one, x)


def hdi(x, prob: float) -> np.ndarray:
    """The narrowest interval holding ``prob`` of the pooled draws (nearest draws), ``(..., 2)``."""
    x = np.asarray(x)
    flat = x.reshape(-1, *x.shape[-2:])
    return np.array([_hdi_one(a, prob) for a in flat]).reshape(*x.shape[:-2], 2)
