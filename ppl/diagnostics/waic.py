"""WAIC from the pointwise log-likelihood (ArviZ 1.x no longer provides it).

For draws ``s = 1..S`` and observations ``i = 1..n`` with log-likelihood
``l_si`` (Watanabe 2010; Vehtari, Gelman & Gabry 2017, eqs. 3, 11, 12, 23)::

    lppd_i      = log( (1/S) sum_s exp(l_si) )
    p_waic_i    = V_s l_si                    (sample variance, 1/(S-1))
    elpd_waic_i = lppd_i - p_waic_i
    elpd_waic   = sum_i elpd_waic_i,   se = sqrt(n V_i elpd_waic_i)

WAIC is asymptotically equal to LOO but less robust; a pointwise
``p_waic_i > 0.4`` says it is unreliable and PSIS-LOO should be used
(Vehtari, Gelman & Gabry 2017, section 2.3), which the check reports.

References
----------
Watanabe, S. (2010). Asymptotic equivalence of Bayes cross validation and widely
applicable information criterion in singular learning theory. JMLR 11, 3571-3594.
Vehtari, A., Gelman, A., Gabry, J. (2017). Practical Bayesian model evaluation
using leave-one-out cross-validation and WAIC. Statistics and Computing 27(5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import thresholds as T
from .checks import Check, Verdict
from .labels import readonly
from .loo import OBS_DIM, pointwise_log_likelihood

__all__ = ["WaicResult", "waic", "waic_arrays"]


@dataclass(frozen=True, eq=False)
class WaicResult:
    """WAIC estimate with its pointwise terms and the ``p_waic`` check."""

    var_name: str
    elpd: float
    se: float
    p: float
    lppd: float
    n_samples: int
    n_observations: int
    observations: tuple[str, ...]
    elpd_i: np.ndarray
    p_i: np.ndarray
    check: Check
    kind: str = "waic"

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.check,)

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict

    @property
    def waic(self) -> float:
        """On the deviance scale, ``-2 elpd_waic``."""
        return -2.0 * self.elpd


def _logmeanexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.mean(np.exp(x - m), axis=axis))


def waic_arrays(log_lik) -> dict[str, np.ndarray | float]:
    """WAIC terms of an ``(S, n)`` log-likelihood matrix (draws by observations).

    Returns ``lppd_i``, ``p_i``, ``elpd_i`` (arrays of length ``n``) and
    ``elpd``, ``p``, ``lppd``, ``se`` (floats).
    """
    ll = np.asarray(log_lik, dtype=float)
    if ll.ndim != 2 or ll.shape[0] < 2:
        raise ValueError("log_lik must be (draws, observations) with at least two draws")
    lppd_i = _logmeanexp(ll, axis=0)
    p_i = np.var(ll, axis=0, ddof=1)
    elpd_i = lppd_i - p_i
    n = elpd_i.size
    se = float(np.sqrt(n * np.var(elpd_i, ddof=1))) if n > 1 else float("nan")
    return {"lppd_i": lppd_i, "p_i": p_i, "elpd_i": elpd_i, "elpd": float(elpd_i.sum()), "p": float(p_i.sum()),
            "lppd": float(lppd_i.sum()), "se": se}


def _check(p_i: np.ndarray, labels) -> Check:
    worst_p = float(np.max(p_i))
    verdict = T.P_WAIC.verdict(worst_p)
    flagged = tuple(f"{labels[i]} (p_waic = {p_i[i]:.2f})" for i in np.argsort(-p_i) if p_i[i] > T.P_WAIC_MAX)
    if verdict is Verdict.PASS:
        summary = f"all pointwise p_waic at most {T.P_WAIC_MAX} (largest {worst_p:.2f})"
    else:
        summary = f"{len(flagged)} of {p_i.size} observations have p_waic above {T.P_WAIC_MAX} (largest {worst_p:.2f})"
    advice = "WAIC is unreliable here; use PSIS-LOO (`ppl loo`)" if verdict is not Verdict.PASS else ""
    return Check("waic_p", "WAIC pointwise effective number of parameters", verdict, worst_p, T.P_WAIC, summary,
                 advice, flagged)


def waic(result, var_name: str | None = None) -> WaicResult:
    """WAIC of a DataTree ``result`` with a ``log_likelihood`` group (observations as in :func:`~.loo.loo`)."""
    log_lik = pointwise_log_likelihood(result, var_name)
    values = np.asarray(log_lik.values)
    terms = waic_arrays(values.reshape(-1, values.shape[-1]))
    labels = tuple(str(v) for v in log_lik[OBS_DIM].values)
    return WaicResult(str(log_lik.name), terms["elpd"], terms["se"], terms["p"], terms["lppd"],
                      values.shape[0] * values.shape[1], values.shape[-1], labels, readonly(terms["elpd_i"]),
                      readonly(terms["p_i"]), _check(terms["p_i"], labels))
