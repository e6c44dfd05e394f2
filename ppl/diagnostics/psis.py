"""PSIS k-hat of a variational fit, and the PSIS-corrected posterior moments.

For draws ``theta_s ~ q`` the importance ratios are
``r_s = p(theta_s, y) / q(theta_s)``; their log is ``log_p - log_q`` (``log_p``
may be unnormalized).  Pareto smoothing (Vehtari et al. 2024) fits a
generalized Pareto distribution to the largest ratios; its shape ``k`` says
how far ``q`` is from the posterior (Yao et al. 2018): below 0.5 the
approximation is close; up to ``min(1 - 1/log10(S), 0.7)`` the
PSIS-corrected estimates are reliable although the raw VI ones may not be;
above it neither is.  ``k`` from one set of draws is noisy, so the default
draw count of a VI diagnostic should be 10^4 or more; fewer are flagged.

Sign convention: ``arviz_stats``' ``psislw(ary)`` smooths the ratios
``exp(-ary)`` (it was written for LOO, whose ratios are ``1 / p(y_i | theta)``),
so it is called with ``log_q - log_p``.

References
----------
Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Yes, but did it work?:
Evaluating variational inference. ICML, PMLR 80, 5581-5590.
Vehtari, A., Simpson, D., Gelman, A., Yao, Y., Gabry, J. (2024). Pareto smoothed
importance sampling. JMLR 25(72), 1-58.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from . import thresholds as T
from .checks import Check, Verdict
from .labels import element_labels, readonly

__all__ = ["PsisEstimate", "PsisResult", "psis_log_weights", "psis_vi", "weighted_moments"]


@dataclass(frozen=True)
class PsisEstimate:
    """Raw VI and PSIS-corrected posterior mean and sd of one scalar."""

    name: str
    raw_mean: float
    raw_sd: float
    psis_mean: float
    psis_sd: float


@dataclass(frozen=True, eq=False)
class PsisResult:
    """The joint k-hat of a VI fit, its check, and corrected moments.

    ``log_weights`` are the normalized Pareto-smoothed log weights of the
    draws (flattened in C order), for reweighting any other quantity.
    """

    khat: float
    good_k: float
    n_draws: int
    ess: float
    estimates: tuple[PsisEstimate, ...]
    check: Check
    log_weights: np.ndarray = field(metadata={"json": False})
    notes: tuple[str, ...] = ()
    kind: str = "psis_vi"

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.check,)

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict


def _flat(values) -> np.ndarray:
    return np.asarray(getattr(values, "values", values), dtype=float).reshape(-1)


def psis_log_weights(log_ratios) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, normalized log weights of ``log_ratios`` (any shape, flattened) and k-hat."""
    from arviz_stats.base import array_stats

    lr = _flat(log_ratios)
    if not np.all(np.isfinite(lr)):
        raise ValueError("log_p - log_q must be finite for every draw")
    if np.ptp(lr) == 0:  # q equals p up to a constant: uniform weights, a degenerate (bounded) tail
        return np.full(lr.size, -np.log(lr.size)), float("-inf")
    log_w, khat = array_stats.psislw(-lr, r_eff=1.0)  # psislw smooths exp(-ary): see the module docstring
    return np.asarray(log_w, dtype=float).reshape(-1), float(khat)


def weighted_moments(values: np.ndarray, log_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Self-normalized importance-weighted mean and sd of ``values`` (draws first)."""
    w = np.exp(log_weights - np.max(log_weights))
    w = w / w.sum()
    x = values.reshape(len(w), -1)
    mean = w @ x
    var = w @ np.square(x - mean)
    return mean, np.sqrt(var)


def _draw_arrays(draws, n: int):
    """(name, labels, (S, k) array) per variable of a mapping or xarray Dataset of draws."""
    out = []
    for name in draws:
        da = draws[name]
        arr = np.asarray(getattr(da, "values", da), dtype=float)
        if hasattr(da, "dims"):
            sample = [d for d in ("chain", "draw", "sample") if d in da.dims]
            rest = [d for d in da.dims if d not in sample]
            arr = np.asarray(da.transpose(*sample, *rest).values, dtype=float)
            labels = element_labels(str(name), da, skip=tuple(sample))
        else:
            arr = arr.reshape(n, -1) if arr.size != n else arr.reshape(n, 1)
            labels = [str(name)] if arr.shape[1] == 1 else [f"{name}[{i}]" for i in range(arr.shape[1])]
        out.append((str(name), labels, arr.reshape(n, -1)))
    return out


def _estimates(draws, log_w: np.ndarray) -> tuple[PsisEstimate, ...]:
    if draws is None:
        return ()
    rows = []
    flat_w = np.full(len(log_w), -np.log(len(log_w)))
    for _, labels, arr in _draw_arrays(draws, len(log_w)):
        raw_m, raw_s = weighted_moments(arr, flat_w)
        cor_m, cor_s = weighted_moments(arr, log_w)
        rows += [PsisEstimate(labels[k], float(raw_m[k]), float(raw_s[k]), float(cor_m[k]), float(cor_s[k]))
                 for k in range(arr.shape[1])]
    return tuple(rows)


def _check(khat: float, n: int) -> Check:
    threshold = T.psis_vi_threshold(n)
    verdict = threshold.verdict(khat)
    summary = f"joint Pareto k-hat {khat:.2f} from {n} draws (good below {threshold.fail:.2f})"
    advice = {
        Verdict.PASS: "",
        Verdict.WARN: "the approximation is rough: use the PSIS-corrected means and sds, or a richer family "
                      "(full-rank instead of mean-field)",
        Verdict.FAIL: "do not trust this variational fit: reparameterize, use full-rank ADVI, or sample with NUTS",
    }[verdict]
    return Check("psis_khat", "PSIS k-hat of the variational approximation", verdict, khat, threshold, summary,
                 advice)


def psis_vi(log_p, log_q, draws: Mapping | None = None) -> PsisResult:
    """Diagnose a variational fit from the log densities of its draws.

    Parameters
    ----------
    log_p : array-like or DataArray
        Log target density (the unnormalized log posterior, on the same space
        and with the same Jacobian terms as ``q``) at each draw from ``q``.
    log_q : array-like or DataArray
        Log density of the approximation at the same draws.
    draws : mapping or xarray.Dataset, optional
        The draws themselves (``S`` first, or with ``chain``/``draw`` or
        ``sample`` dims); their raw and PSIS-corrected mean and sd are
        reported.

    Returns
    -------
    PsisResult
    """
    lp, lq = _flat(log_p), _flat(log_q)
    if lp.shape != lq.shape:
        raise ValueError(f"log_p has {lp.size} values but log_q has {lq.size}")
    log_w, khat = psis_log_weights(lp - lq)
    n = lp.size
    ess = float(1.0 / np.sum(np.exp(2 * log_w)))
    notes = ()
    if n < T.PSIS_MIN_DRAWS:
        notes = (f"k-hat from {n} draws is noisy; use at least {T.PSIS_MIN_DRAWS} draws for a stable estimate",)
    return PsisResult(khat, T.good_k(n), n, ess, _estimates(draws, log_w), _check(khat, n), readonly(log_w), notes)
