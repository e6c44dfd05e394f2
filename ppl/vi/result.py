"""The DataTree of a variational fit.

Groups (the same names as an MCMC result where the meaning is the same):

- ``posterior``: draws from q on the constrained scale, ``chain`` (size 1) and
  ``draw`` dims, with the model's dims and coords; generated quantities are
  added per draw as after MCMC.
- ``log_likelihood``: the log-likelihood of each observation at each draw.
- ``sample_stats``: ``log_p`` (the model's joint log density on the
  unconstrained scale, Jacobian included) and ``log_q`` (q's log density at the
  same unconstrained point), per draw: the log importance ratios of PSIS
  (Yao et al. 2018) are ``log_p - log_q``.
- ``observed_data``, ``constant_data``: as after MCMC.
- ``vi``: the optimisation: ``elbo`` per step; per window (coordinate: the
  step at the window's end) the mean ELBO, its se, the relative ELBO change,
  how far q moved in posterior sds, the learning rate and whether both
  criteria passed; q's parameters on the unconstrained space (``mu``, ``sd``
  and for full-rank ``cov``) labelled by unconstrained coordinate.  Its attrs
  hold the method, the stop reason, the steps run and the final ELBO
  (the mean of ``log_p - log_q`` over the draws) with its Monte Carlo se.
"""

from __future__ import annotations

import numpy as np

__all__ = ["build_result", "vi_attrs", "final_elbo"]


def _with_chain(arrays: dict) -> dict:
    return {k: np.asarray(v)[None, ...] for k, v in arrays.items()}


def _groups(pm_model, draws) -> dict:
    from pymc.backends.arviz import find_constants, find_observations

    groups = {"posterior": _with_chain(draws.values),
              "sample_stats": _with_chain({"log_p": draws.log_p, "log_q": draws.log_q})}
    if draws.loglik:
        groups["log_likelihood"] = _with_chain(draws.loglik)
    for name, found in (("observed_data", find_observations(pm_model)), ("constant_data", find_constants(pm_model))):
        if found:
            groups[name] = found
    return groups


def final_elbo(draws) -> tuple[float, float]:
    """The ELBO of q estimated from the kept draws, and its Monte Carlo se."""
    ratio = draws.log_p - draws.log_q
    return float(np.mean(ratio)), float(np.std(ratio, ddof=1) / np.sqrt(ratio.size)) if ratio.size > 1 else np.nan


def vi_attrs(fit, draws) -> dict:
    elbo, se = final_elbo(draws)
    return {"method": fit.method, "stop_reason": fit.stop_reason, "converged": int(fit.converged),
            "steps": fit.steps, "final_elbo": elbo, "final_elbo_se": se, "draws": int(draws.log_p.size),
            "skipped": ",".join(draws.skipped)}


def _vi_group(program, fit, draws):
    import xarray as xr

    labels = program.objective.layout.labels()
    family = program.family
    cov = np.asarray(family.cov({k: np.asarray(v) for k, v in fit.params.items()}))
    data = {"elbo": (("step",), fit.elbo), "mu": (("vi_coord",), np.asarray(fit.params["mu"])),
            "sd": (("vi_coord",), np.sqrt(np.diag(cov)))}
    if fit.method == "fullrank":
        data["cov"] = (("vi_coord", "vi_coord_"), cov)
    ends = (np.arange(len(fit.windows.get("elbo", []))) + 1) * program.config.window
    for key, values in fit.windows.items():
        data[f"window_{key}"] = (("window",), np.asarray(values, dtype=float))
    coords = {"step": np.arange(fit.elbo.size), "vi_coord": labels, "vi_coord_": labels, "window": ends}
    ds = xr.Dataset(data, coords={k: v for k, v in coords.items() if k != "vi_coord_" or fit.method == "fullrank"})
    ds.attrs.update(vi_attrs(fit, draws))
    return ds


def build_result(pm_model, program, fit, draws):
    """The DataTree of a fit (``pm_model`` gives dims, coords and data groups)."""
    from arviz_base import from_dict
    from pymc.backends.arviz import coords_and_dims_for_inferencedata
    from xarray import DataTree

    coords, dims = coords_and_dims_for_inferencedata(pm_model)
    tree = from_dict(_groups(pm_model, draws), coords=coords, dims=dims, sample_dims=["chain", "draw"])
    tree["vi"] = DataTree(_vi_group(program, fit, draws))
    return tree
