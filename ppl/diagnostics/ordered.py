"""Prior draws that respect ``ordered`` constraints.

PyMC's forward sampling ignores transforms, so ``pm.sample_prior_predictive``
draws a variable declared ``ordered`` (PyMC's ``Ordered`` transform) without
ordering it: half the draws of two ordered means are decreasing.  The model's
density, however, is the prior restricted to increasing vectors (normalized),
and the posterior only ever holds increasing vectors.  Simulation-based
calibration from such draws compares the posterior with the wrong prior and
fails even for an exact sampler.

This module draws from the restricted prior:

* when the prior is exchangeable along the ordered (last) axis (every
  parameter broadcast along it), the restricted distribution is that of the
  order statistics of iid draws, so sorting each draw is exact;
* otherwise whole draws (the ordered variable with its ancestors) are kept
  only when they are already increasing (rejection sampling; exact, slow for
  long vectors).

Everything downstream of an ordered variable (deterministics, other random
variables, simulated data) is then drawn again given the ordered values, with
``pm.sample_posterior_predictive`` on a trace that holds only the ordered
variables and what they do not depend on.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ordered_rvs", "is_exchangeable", "restrict_ordered", "descendants"]

MAX_REJECTION_ROUNDS = 50


def _has_ordered(transform) -> bool:
    from pymc.distributions.transforms import Ordered
    from pymc.logprob.transforms import ChainedTransform

    if isinstance(transform, ChainedTransform):
        return any(_has_ordered(t) for t in transform.transform_list)
    return isinstance(transform, Ordered)


def ordered_rvs(pm_model) -> list:
    """The free random variables of ``pm_model`` that carry an ``Ordered`` transform."""
    return [rv for rv in pm_model.free_RVs if _has_ordered(pm_model.rvs_to_transforms.get(rv))]


def is_exchangeable(rv) -> bool:
    """True if every distribution parameter of ``rv`` is broadcast along its last axis."""
    op = rv.owner.op
    params = op.dist_params(rv.owner) if hasattr(op, "dist_params") else rv.owner.inputs[2:]
    ndim_supp = getattr(op, "ndim_supp", 0)
    for param in params:
        if param.type.ndim == 0:
            continue
        axis_len = param.type.broadcastable[-1 - ndim_supp] if param.type.ndim > ndim_supp else True
        if not axis_len:
            return False
    return True


def descendants(pm_model, roots) -> set[str]:
    """Names of the model variables (other than ``roots``) that depend on any of ``roots``."""
    from pytensor.graph.traversal import ancestors

    roots = set(roots)
    candidates = pm_model.free_RVs + pm_model.deterministics + pm_model.observed_RVs
    return {v.name for v in candidates if v not in roots and roots & set(ancestors([v], blockers=None))}


def _increasing(values: np.ndarray) -> np.ndarray:
    """Per draw (first axis): is every vector along the last axis strictly increasing?"""
    flat = values.reshape(values.shape[0], -1, values.shape[-1])
    return np.all(np.diff(flat, axis=-1) > 0, axis=(1, 2))


def restrict_ordered(pm_model, draw_prior, names: list[str], draws: int, seed) -> dict[str, np.ndarray]:
    """Prior draws of ``names`` with every ordered variable drawn from its restricted prior.

    ``draw_prior(n, seed, names) -> {name: array (n, ...)}`` is the plain forward sampler.
    """
    ordered = ordered_rvs(pm_model)
    if not ordered:
        return draw_prior(draws, seed, names)
    rng = np.random.default_rng(seed)
    below = descendants(pm_model, ordered)
    upstream = [v.name for v in pm_model.free_RVs + pm_model.deterministics if v.name not in below]
    kept = _upstream_draws(pm_model, draw_prior, ordered, upstream, draws, rng)
    return _redraw_downstream(pm_model, kept, names, rng)


def _upstream_draws(pm_model, draw_prior, ordered, upstream, draws, rng) -> dict[str, np.ndarray]:
    chunks, total = [], 0
    for _ in range(MAX_REJECTION_ROUNDS):
        values = draw_prior(max(draws - total, 1) * 2, int(rng.integers(2**31)), upstream)
        keep = np.ones(next(iter(values.values())).shape[0], dtype=bool)
        for rv in ordered:
            if is_exchangeable(rv):
                values[rv.name] = np.sort(values[rv.name], axis=-1)
            else:
                keep &= _increasing(values[rv.name])
        chunks.append({k: v[keep] for k, v in values.items()})
        total += int(keep.sum())
        if total >= draws:
            return {k: np.concatenate([c[k] for c in chunks])[:draws] for k in upstream}
    names = ", ".join(rv.name for rv in ordered)
    raise ValueError(f"could not draw increasing values of {names} from the prior by rejection "
                     f"({total} of {draws} after {MAX_REJECTION_ROUNDS} rounds): the prior is not "
                     "exchangeable along the ordered dim and rarely increasing")


def _redraw_downstream(pm_model, kept: dict, names: list[str], rng) -> dict[str, np.ndarray]:
    import logging

    import pymc as pm
    import xarray as xr

    dims = pm_model.named_vars_to_dims
    trace = xr.Dataset({k: (("chain", "draw") + tuple(dims.get(k) or [f"{k}_dim_{i}" for i in range(v.ndim - 1)]),
                            v[None]) for k, v in kept.items()})
    redo = [n for n in names if n not in kept]
    if not redo:
        return {n: kept[n] for n in names}
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        out = pm.sample_posterior_predictive(trace, model=pm_model, var_names=redo, freeze_vars=list(kept),
                                             progressbar=False,
                                             random_seed=int(rng.integers(2**31)), return_inferencedata=False)
    finally:
        logger.setLevel(level)
    return {n: (kept[n] if n in kept else np.asarray(out[n]).reshape(-1, *np.shape(out[n])[2:])) for n in names}
