"""Re-fitting one built PyMC model on new observed data, without rebuilding it.

The observed value of each observed random variable of a PyMC model is a
pytensor shared variable when the data came in through ``pm.Data`` (ppl's
lowering does this for every observed variable).  Setting the shared value
changes the data every compiled function of the model sees, so SBC and
VSBC re-fit the same compiled model on each simulated data set.

This is the small internal version of ``ppl.backend.set_data``; once that
lands, :func:`set_observed` should call it.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["observed_shared", "set_observed", "ObservedNotShared"]


class ObservedNotShared(ValueError):
    """An observed variable whose data are a constant, so they cannot be replaced."""


def observed_shared(pm_model) -> dict:
    """``{observed RV name: the shared variable holding its data}``."""
    from pytensor.compile.sharedvalue import SharedVariable

    out = {}
    for rv in pm_model.observed_RVs:
        value = pm_model.rvs_to_values[rv]
        if not isinstance(value, SharedVariable):
            raise ObservedNotShared(f"the data of the observed variable `{rv.name}` are a constant; "
                                    "wrap them in pm.Data so that the model can be re-fitted on new data")
        out[rv.name] = value
    return out


def set_observed(pm_model, values: Mapping[str, np.ndarray]) -> None:
    """Replace the observed data of ``pm_model`` in place (same shapes and dtypes)."""
    shared = observed_shared(pm_model)
    for name, value in values.items():
        if name not in shared:
            raise KeyError(f"`{name}` is not an observed variable; observed: {', '.join(shared)}")
        var = shared[name]
        old = var.get_value(borrow=True)
        new = np.asarray(value, dtype=old.dtype)
        if new.shape != old.shape:
            raise ValueError(f"new data for `{name}` have shape {new.shape}, the model was built for {old.shape}")
        var.set_value(new)
