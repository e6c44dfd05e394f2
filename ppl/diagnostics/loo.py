"""PSIS-LOO for MCMC and for approximate (variational) posteriors.

``loo(result)`` is PSIS-LOO (Vehtari, Gelman & Gabry 2017; Vehtari et al.
2024) through ``arviz_stats.loo``.  ``loo_approximate_posterior(result,
log_p, log_q)`` corrects the importance ratios for draws that come from an
approximation ``q`` instead of the posterior (Magnusson et al. 2019): plain
PSIS-LOO on VI draws estimates the LOO of ``q``, not of the model.

Every observed scalar is one observation.  With several observed variables
their pointwise log-likelihoods are joined (labels ``y[3]``, ``z[a]``), which
is right when the likelihood factorizes over them; pass ``var_name`` to use
one variable only.  The pointwise Pareto k of each observation is reported,
and the observations above the threshold are named in the check.

References
----------
Vehtari, A., Gelman, A., Gabry, J. (2017). Practical Bayesian model evaluation
using leave-one-out cross-validation and WAIC. Statistics and Computing 27(5).
Vehtari, A., Simpson, D., Gelman, A., Yao, Y., Gabry, J. (2024). Pareto
smoothed importance sampling. JMLR 25(72).
Magnusson, M., Andersen, M. R., Jonasson, J., Vehtari, A. (2019). Bayesian
leave-one-out cross-validation for large data. ICML, PMLR 97.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import thresholds as T
from .checks import Check, Verdict
from .labels import element_labels, flatten_sample, readonly

__all__ = ["LooResult", "loo", "loo_approximate_posterior", "pointwise_log_likelihood", "OBS_DIM"]

OBS_DIM = "observation"


@dataclass(frozen=True, eq=False)
class LooResult:
    """PSIS-LOO estimate, its pointwise terms and the Pareto k check."""

    method: str
    var_name: str
    elpd: float
    se: float
    p: float
    n_samples: int
    n_observations: int
    good_k: float
    observations: tuple[str, ...]
    elpd_i: np.ndarray
    pareto_k: np.ndarray
    check: Check
    kind: str = "loo"

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.check,)

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict

    def elpd_data(self):
        """The ``arviz_stats`` ELPDDataLOO of this result (what ``arviz_stats.compare`` takes)."""
        import xarray as xr
        from arviz_stats.utils import ELPDDataLOO

        coords = {OBS_DIM: list(self.observations)}
        return ELPDDataLOO(elpd=self.elpd, se=self.se, p=self.p, n_samples=self.n_samples,
                           n_data_points=self.n_observations, scale="log", warning=self.verdict is not Verdict.PASS,
                           good_k=self.good_k, elpd_i=xr.DataArray(np.asarray(self.elpd_i), dims=[OBS_DIM], coords=coords),
                           pareto_k=xr.DataArray(np.asarray(self.pareto_k), dims=[OBS_DIM], coords=coords),
                           approx_posterior=self.method != "psis-loo")


# --------------------------------------------------------- log-likelihoods
def _variables(result, var_name):
    if "log_likelihood" not in result.children:
        raise ValueError("the result has no log_likelihood group (sample with log_likelihood=True)")
    ds = result["log_likelihood"].to_dataset()
    names = [str(n) for n in ds.data_vars]
    if var_name is not None:
        if var_name not in names:
            raise KeyError(f"no log-likelihood of `{var_name}`; the result has: {', '.join(names)}")
        names = [var_name]
    if not names:
        raise ValueError("the log_likelihood group is empty")
    return ds, names


def pointwise_log_likelihood(result, var_name: str | None = None):
    """The log-likelihood as a ``(chain, draw, observation)`` DataArray with labelled observations."""
    import xarray as xr

    ds, names = _variables(result, var_name)
    blocks = [flatten_sample(ds[n]) for n in names]
    labels = [label for n in names for label in element_labels(n, ds[n])]
    values = np.concatenate(blocks, axis=-1)
    name = names[0] if len(names) == 1 else "+".join(names)
    return xr.DataArray(values, dims=("chain", "draw", OBS_DIM), name=name,
                        coords={"chain": ds["chain"].values, "draw": ds["draw"].values, OBS_DIM: labels})


def _loo_tree(result, log_lik):
    import xarray as xr

    groups = {"log_likelihood": xr.Dataset({log_lik.name: log_lik})}
    if "posterior" in result.children:
        groups["posterior"] = result["posterior"].to_dataset()
    return xr.DataTree.from_dict(groups)


# ---------------------------------------------------------------- the check
def _k_check(pareto_k: np.ndarray, labels, n_samples: int) -> Check:
    threshold = T.loo_k_threshold(n_samples)
    k = np.asarray(pareto_k, dtype=float)
    worst_k = float(np.nanmax(k)) if k.size else float("nan")
    order = np.argsort(-k)
    flagged = tuple(f"{labels[i]} (k = {k[i]:.2f})" for i in order if k[i] > threshold.warn)
    verdict = threshold.verdict(worst_k)
    if verdict is Verdict.PASS:
        summary = f"all {k.size} Pareto k below {threshold.warn:.2f} (largest {worst_k:.2f})"
        advice = ""
    else:
        summary = f"{len(flagged)} of {k.size} observations have Pareto k above {threshold.warn:.2f} (largest {worst_k:.2f})"
        advice = ("the LOO estimate of these observations is unreliable: they are influential; use K-fold CV or "
                  "moment matching for them, or a more robust model")
    return Check("loo_pareto_k", "PSIS-LOO pointwise Pareto k", verdict, worst_k, threshold, summary, advice,
                 flagged)


def _result(method: str, elpd, log_lik) -> LooResult:
    labels = tuple(str(v) for v in log_lik[OBS_DIM].values)
    k = np.asarray(elpd.pareto_k.values, dtype=float).reshape(-1)
    return LooResult(method, str(log_lik.name), float(elpd.elpd), float(elpd.se), float(elpd.p),
                     int(elpd.n_samples), int(elpd.n_data_points), float(elpd.good_k), labels,
                     readonly(np.asarray(elpd.elpd_i.values, dtype=float).reshape(-1)), readonly(k),
                     _k_check(k, labels, int(elpd.n_samples)))


# ---------------------------------------------------------------- the entries
def loo(result, var_name: str | None = None, reff: float | None = None) -> LooResult:
    """PSIS-LOO of an MCMC ``result`` (a DataTree with ``posterior`` and ``log_likelihood``).

    ``reff`` is the relative efficiency of the draws (default: ArviZ's
    estimate from the posterior's mean ESS).
    """
    import arviz_stats as azs

    log_lik = pointwise_log_likelihood(result, var_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported by the check, not as a warning
        elpd = azs.loo(_loo_tree(result, log_lik), pointwise=True, var_name=log_lik.name, reff=reff)
    return _result("psis-loo", elpd, log_lik)


def _sample_array(values, like):
    import xarray as xr

    if isinstance(values, xr.DataArray):
        return values.transpose("chain", "draw")
    arr = np.asarray(values, dtype=float).reshape(like.sizes["chain"], like.sizes["draw"])
    return xr.DataArray(arr, dims=("chain", "draw"), coords={"chain": like["chain"], "draw": like["draw"]})


def loo_approximate_posterior(result, log_p, log_q, var_name: str | None = None) -> LooResult:
    """PSIS-LOO for draws from an approximation ``q`` of the posterior (e.g. VI).

    Parameters
    ----------
    result : xarray.DataTree
        With a ``log_likelihood`` group evaluated at the draws from ``q``.
    log_p, log_q : array-like or DataArray
        Unnormalized log posterior and log ``q`` density at the same draws
        (``S`` values in ``(chain, draw)`` order, or ``(chain, draw)`` DataArrays).
    """
    import arviz_stats as azs

    log_lik = pointwise_log_likelihood(result, var_name)
    lp, lq = _sample_array(log_p, log_lik), _sample_array(log_q, log_lik)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpd = azs.loo_approximate_posterior(_loo_tree(result, log_lik), lp, lq, pointwise=True,
                                             var_name=log_lik.name)
    return _result("psis-loo-approximate-posterior", elpd, log_lik)
