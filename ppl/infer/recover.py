"""The posterior of summed-out discrete latents, recovered after inference.

Given posterior draws of the continuous parameters theta, a summed-out latent
``z`` has, element by element, the conditional distribution

    P(z_i = v_k | theta, y) = softmax_k L[i, k],

where ``L`` is the table of log joint densities that the model summed over
(:class:`ppl.backend.marginal.LoweredMarginal`).  :func:`recover_discrete`
evaluates ``L`` at every draw and returns ``<z>_probs`` (for a ``Bernoulli``,
P(z = 1)) and one draw of ``z`` per posterior draw, so that
``(theta, z)`` are draws from the joint posterior.  It works on any draws
(MCMC or VI): it takes the built model and a posterior dataset.
:func:`marginal_log_likelihood` gives the pointwise marginal log-likelihood
``logsumexp_k L[i, k]``, one value per element of ``z``, for LOO.

An observed discrete variable ``y`` whose missing entries were summed out is
recovered the same way, at its missing entries only: ``<y>_probs`` is NaN at
the observed entries, and the draws of ``y`` hold the data there.  Its
log-likelihood is the marginal one per element of ``y`` (the joint density of
everything observed in that element); when nothing depends on ``y`` it is
``y``'s own log density at the observed entries only, along a dim
``<y>_observed``.

References
----------
Stan Development Team, *Stan User's Guide*, "Latent discrete parameters:
recovering posterior mixture proportions".
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["recover_discrete", "marginal_log_likelihood", "add_discrete_posterior", "probs_name"]


def probs_name(name: str) -> str:
    """The posterior variable holding a latent's membership probabilities."""
    return f"{name}_probs"


def _log_joint_fn(lowered):
    """A function of the free variables' (constrained) values returning every latent's ``L``."""
    import pytensor
    from pytensor.graph.replace import graph_replace

    pm_model = lowered.pm_model
    inputs = {rv: rv.type(name=rv.name) for rv in pm_model.free_RVs}
    data = {rv: pm_model.rvs_to_values[rv] for rv in pm_model.observed_RVs}
    outs = graph_replace([lm.log_joint for lm in lowered.marginals], {**inputs, **data}, strict=False)
    fn = pytensor.function(list(inputs.values()), outs, on_unused_input="ignore")
    return fn, [rv.name for rv in inputs]


def _log_joint_draws(lowered, posterior: xr.Dataset) -> list[np.ndarray]:
    """``L`` at every draw: one array (chain, draw, *z dims, values) per latent."""
    fn, names = _log_joint_fn(lowered)
    arrays = [np.asarray(posterior[n].values) for n in names]
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    out = None
    for c in range(chains):
        for d in range(draws):
            values = fn(*[a[c, d] for a in arrays])
            if out is None:
                out = [np.empty((chains, draws) + np.shape(v)) for v in values]
            for target, v in zip(out, values):
                target[c, d] = v
    return out


def _log_normalize(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log of the sum over the last axis, normalized probabilities), stable."""
    top = np.max(table, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.log(np.sum(np.exp(table - top), axis=-1, keepdims=True)) + top
    return total[..., 0], np.exp(table - total)


def _coords(lowered, lm) -> dict:
    model_coords = lowered.pm_model.coords
    coords = {d: np.asarray(model_coords[d]) for d in lm.plan.dims if model_coords.get(d) is not None}
    if lm.plan.kind == "categorical":
        levels = model_coords.get(lm.plan.value_dim)
        coords[lm.plan.value_dim] = np.asarray(levels if levels is not None else range(len(lm.values)))
    elif lm.plan.kind == "range":
        coords[lm.plan.value_dim] = lm.values
    return coords


def _draw(probs: np.ndarray, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One value per element from its categorical probabilities (inverse CDF)."""
    u = rng.uniform(size=probs.shape[:-1] + (1,))
    index = np.sum(np.cumsum(probs, axis=-1) < u, axis=-1)
    return values[np.minimum(index, len(values) - 1)]


def _latent_vars(lowered, lm, table, posterior, rng) -> dict[str, xr.DataArray]:
    _, probs = _log_normalize(table)
    dims = ("chain", "draw") + tuple(lm.plan.dims)
    coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values, **_coords(lowered, lm)}
    drawn = _draw(probs, lm.values, rng)
    if lm.missing is not None:  # observed entries are data, not recovered
        drawn = np.where(lm.missing, drawn, lm.observed)
        probs = np.where(lm.missing[..., None], probs, np.nan)
    draws = xr.DataArray(drawn, dims=dims, coords={k: v for k, v in coords.items() if k in dims})
    if lm.plan.kind == "bool":
        p = xr.DataArray(probs[..., 1], dims=dims, coords={k: v for k, v in coords.items() if k in dims})
    else:
        p = xr.DataArray(probs, dims=dims + (lm.plan.value_dim,), coords=coords)
    return {probs_name(lm.plan.name): p, lm.plan.name: draws}


def recover_discrete(lowered, posterior: xr.Dataset, *, seed=None) -> xr.Dataset:
    """Membership probabilities and draws of every summed-out latent, per posterior draw.

    Parameters
    ----------
    lowered : ppl.backend.lower.Lowered
        The built inference model (``ppl.driver.build(model.ir, bound)``).
    posterior : xarray.Dataset
        Draws of the model's free variables (constrained values) with dims
        ``chain`` and ``draw`` (a DataTree's ``posterior`` group works too).
    seed : int or numpy.random.Generator, optional
        Seeds the draws of the latents.

    Returns
    -------
    xarray.Dataset
        ``<z>_probs`` (dims ``chain, draw``, z's dims, and z's value dim; for a
        ``Bernoulli``, P(z = 1) without a value dim) and ``z`` (the values drawn),
        for every summed-out ``z``.  Empty when the model sums nothing out.
    """
    if not lowered.marginals:
        return xr.Dataset()
    posterior = _as_dataset(posterior)
    return _recovered(lowered, posterior, _log_joint_draws(lowered, posterior), seed)


def _recovered(lowered, posterior, tables, seed) -> xr.Dataset:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = {}
    for lm, table in zip(lowered.marginals, tables):
        out.update(_latent_vars(lowered, lm, table, posterior, rng))
    return xr.Dataset(out)


def marginal_log_likelihood(lowered, posterior: xr.Dataset) -> xr.Dataset:
    """The pointwise marginal log-likelihood of every carrier, one value per element of its latent."""
    if not lowered.marginals:
        return xr.Dataset()
    posterior = _as_dataset(posterior)
    return _pointwise(lowered, posterior, _log_joint_draws(lowered, posterior))


def _pointwise(lowered, posterior, tables) -> xr.Dataset:
    out = {}
    for lm, table in zip(lowered.marginals, tables):
        if lm.plan.carrier is None:
            continue
        total, _ = _log_normalize(table)
        dims = ("chain", "draw") + tuple(lm.plan.dims)
        coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values,
                  **{d: v for d, v in _coords(lowered, lm).items() if d in dims}}
        pointwise = xr.DataArray(total, dims=dims, coords=coords)
        if lm.missing is not None and not lm.plan.dependents:
            pointwise = _observed_entries(pointwise, lm)
        out[lm.plan.carrier] = pointwise
    return xr.Dataset(out)


def _observed_entries(pointwise: xr.DataArray, lm) -> xr.DataArray:
    """The observed entries only, along ``<y>_observed`` (labelled by ``y``'s coords when it has one dim,
    else by flat position): nothing is observed at a missing entry that nothing depends on."""
    dims = tuple(lm.plan.dims)
    flat = pointwise.values.reshape(pointwise.shape[:2] + (-1,))
    keep = np.flatnonzero(~lm.missing.reshape(-1))
    name = f"{lm.plan.name}_observed"
    labels = pointwise[dims[0]].values[keep] if len(dims) == 1 and dims[0] in pointwise.coords else keep
    return xr.DataArray(flat[..., keep], dims=("chain", "draw", name),
                        coords={"chain": pointwise["chain"].values, "draw": pointwise["draw"].values, name: labels})


def _as_dataset(posterior) -> xr.Dataset:
    return posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior


def add_discrete_posterior(lowered, result, *, seed=None):
    """Add the recovered latents to ``result['posterior']`` and fix its ``log_likelihood``.

    The carrier's entry becomes the marginal one (one value per element of the
    latent); the other observed dependents' entries (0 by construction, their
    terms are inside the carrier's) are dropped.  Returns ``result``.
    """
    if not lowered.marginals:
        return result
    posterior = result["posterior"].to_dataset()
    tables = _log_joint_draws(lowered, posterior)
    result["posterior"] = posterior.merge(_recovered(lowered, posterior, tables, seed))
    if "log_likelihood" in result.children:
        marginal = _pointwise(lowered, posterior, tables)
        result["log_likelihood"] = _fixed_log_likelihood(lowered, result["log_likelihood"].to_dataset(), marginal)
    return result


def _fixed_log_likelihood(lowered, log_lik: xr.Dataset, marginal: xr.Dataset) -> xr.Dataset:
    silent = [d for lm in lowered.marginals for d in lm.plan.dependents
              if d != lm.plan.carrier and d in log_lik]
    fixed = log_lik.drop_vars(silent)
    for name in marginal.data_vars:
        fixed = fixed.drop_vars(name, errors="ignore")
    return fixed.merge(marginal)
