"""Tests that calibration values are uniform on (0, 1), and the data of their plots.

SBC ranks are turned into continuous values ``u = (r + V) / (L + 1)`` with
``V ~ U(0, 1)`` (exactly uniform when the ranks are), so one set of tests
serves SBC with any number of thinned draws per replication:

* a chi-square test on ``B`` equal bins (Talts et al. 2018 use the binned
  rank histogram), with a 99% binomial band per bin for the plot;
* a simultaneous ECDF test (Säilynoja, Bürkner & Vehtari 2022): the
  smallest pointwise binomial tail probability of the ECDF, against its
  distribution under uniformity, estimated by simulation; its
  simultaneous band is the plot's envelope.

References
----------
Talts, S., Betancourt, M., Simpson, D., Vehtari, A., Gelman, A. (2018).
Validating Bayesian inference algorithms with simulation-based calibration.
arXiv:1804.06788.
Säilynoja, T., Bürkner, P.-C., Vehtari, A. (2022). Graphical test for discrete
uniformity and its applications in goodness-of-fit evaluation and multiple
sample comparison. Statistics and Computing 32, 32.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .labels import readonly

__all__ = ["UniformityTest", "Histogram", "EcdfBand", "chi2_uniform", "ecdf_uniform", "ecdf_band", "histogram",
           "default_bins", "uniformity_test", "N_SIMULATIONS"]

N_SIMULATIONS = 2000  # null draws for the ECDF test; its p-value resolution is 1 / N_SIMULATIONS


@dataclass(frozen=True)
class UniformityTest:
    """Both tests of one parameter's calibration values."""

    name: str
    n: int
    chi2: float
    df: int
    p_chi2: float
    p_ecdf: float

    @property
    def p_min(self) -> float:
        return min(self.p_chi2, self.p_ecdf)


@dataclass(frozen=True, eq=False)
class Histogram:
    """Bin counts of one parameter with the expected count and a 99% binomial band."""

    name: str
    edges: np.ndarray
    counts: np.ndarray
    expected: float
    lower: float
    upper: float


@dataclass(frozen=True, eq=False)
class EcdfBand:
    """Simultaneous ``1 - alpha`` band of the ECDF of ``n`` uniform values at points ``z``."""

    n: int
    alpha: float
    z: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def default_bins(n: int) -> int:
    """About ten expected values per bin, between 2 and 20 bins."""
    return int(np.clip(n // 10, 2, 20))


def chi2_uniform(u: np.ndarray, bins: int) -> tuple[float, int, float]:
    """Pearson chi-square statistic, degrees of freedom and p-value of ``u`` on ``bins`` equal bins."""
    from scipy import stats

    counts, _ = np.histogram(np.asarray(u, dtype=float), bins=bins, range=(0.0, 1.0))
    expected = counts.sum() / bins
    stat = float(np.sum((counts - expected) ** 2 / expected))
    return stat, bins - 1, float(stats.chi2.sf(stat, bins - 1))


def _eval_points(n: int) -> np.ndarray:
    k = min(n, 200)
    return np.arange(1, k) / k


def _extremeness(counts: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Smallest two-sided pointwise binomial tail probability of ECDF counts at ``z`` (per row)."""
    from scipy import stats

    counts = np.atleast_2d(counts)
    lower = stats.binom.cdf(counts, n, z)
    upper = stats.binom.sf(counts - 1, n, z)
    return np.minimum(lower.min(axis=1), upper.min(axis=1))


def _counts(u: np.ndarray, z: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.sort(u), z, side="right")


@functools.lru_cache(maxsize=32)
def _null_extremeness(n: int, n_sim: int) -> np.ndarray:
    rng = np.random.default_rng(20180412 + n)  # fixed: the null distribution depends on n only
    z = _eval_points(n)
    counts = np.array([_counts(rng.uniform(size=n), z) for _ in range(n_sim)])
    return _extremeness(counts, n, z)


def ecdf_uniform(u: np.ndarray, n_sim: int = N_SIMULATIONS) -> float:
    """Monte Carlo p-value of the simultaneous ECDF test of uniformity."""
    u = np.asarray(u, dtype=float)
    z = _eval_points(u.size)
    obs = float(_extremeness(_counts(u, z), u.size, z)[0])
    null = _null_extremeness(u.size, n_sim)
    return float((1 + np.sum(null <= obs)) / (1 + n_sim))


def ecdf_band(n: int, alpha: float = 0.01, n_sim: int = N_SIMULATIONS) -> EcdfBand:
    """The simultaneous band of the ECDF of ``n`` uniforms (for ECDF or ECDF-difference plots)."""
    from scipy import stats

    z = _eval_points(n)
    gamma = float(np.quantile(_null_extremeness(n, n_sim), alpha))
    lower = stats.binom.ppf(gamma, n, z) / n
    upper = stats.binom.isf(gamma, n, z) / n
    return EcdfBand(n, alpha, readonly(z), readonly(lower), readonly(upper))


def histogram(name: str, u: np.ndarray, bins: int, prob: float = 0.99) -> Histogram:
    """Counts of ``u`` in ``bins`` equal bins and the central ``prob`` binomial band of each count."""
    from scipy import stats

    counts, edges = np.histogram(np.asarray(u, dtype=float), bins=bins, range=(0.0, 1.0))
    n = int(counts.sum())
    tail = (1 - prob) / 2
    lower, upper = stats.binom.ppf([tail, 1 - tail], n, 1.0 / bins)
    return Histogram(name, readonly(edges), readonly(counts), n / bins, float(lower), float(upper))


def uniformity_test(name: str, u: np.ndarray, bins: int) -> UniformityTest:
    u = np.asarray(u, dtype=float)
    stat, df, p = chi2_uniform(u, bins)
    return UniformityTest(name, int(u.size), stat, df, p, ecdf_uniform(u))
