"""Where q starts: the prior median, mapped to the unconstrained space.

PyMC's initial point is a support point of each prior, but an explicit
initial value overrides it: the lowering starts ``ordered`` vectors at
``linspace(-1, 1)`` whatever their prior.  For a two-component mixture with
``mu: ordered ~ Normal(70, 20)`` that start led every ADVI fit into the
degenerate optimum "one component at 1.5 with weight 0.01, one covering
everything".  A start at the prior median (NumPyro's ``init_to_median``),
from a few hundred prior draws, is inside the bulk of the prior for every
variable: ordered draws are sorted before the median, simplex medians are
renormalised, and PyMC maps the point to the unconstrained space (its
transforms, bounds that depend on other variables included).  If the prior
cannot be drawn from, or the log density is not finite there, q starts at
PyMC's initial point.
"""

from __future__ import annotations

import numpy as np

__all__ = ["starting_point", "PRIOR_DRAWS"]

PRIOR_DRAWS = 200  # prior draws behind the median start
_SEED = 20261122


def _median(draws: np.ndarray, ordered: bool) -> np.ndarray:
    if ordered:
        draws = np.sort(draws, axis=-1)
    med = np.median(draws, axis=0)
    if draws.ndim > 1 and np.all(draws >= 0) and np.allclose(draws.sum(axis=-1), 1.0):  # a simplex
        med = med / med.sum(axis=-1, keepdims=True)
    return med


def _prior_median(pm_model, ordered: frozenset[str]) -> dict | None:
    """The prior median on the unconstrained space, or ``None`` if the prior cannot be drawn."""
    import pymc as pm
    from pymc.initial_point import make_initial_point_fn

    free = list(pm_model.free_RVs)
    try:
        draws = pm.draw(free, draws=PRIOR_DRAWS, random_seed=_SEED)
        overrides = {rv: _median(np.asarray(d, dtype=float), rv.name in ordered) for rv, d in zip(free, draws)}
        return make_initial_point_fn(model=pm_model, overrides=overrides, return_transformed=True)(_SEED)
    except Exception:  # noqa: BLE001 - any failure to draw or transform: fall back to PyMC's start
        return None


def starting_point(pm_model, layout, ordered: frozenset[str], finite) -> np.ndarray:
    """The flat unconstrained start of q's mean; ``finite(flat)`` says whether the log density is finite."""
    median = _prior_median(pm_model, ordered)
    if median is not None:
        flat = layout.flatten(median)
        if np.all(np.isfinite(flat)) and finite(flat):
            return flat
    return layout.flatten(pm_model.initial_point())
