"""Re-binding a built model to new data of the same shapes, without rebuilding it.

Every datum of a lowered model lives in a PyTensor shared variable (``pm.Data``
for covariates, a plain shared variable for observed data and for a factor
that defines its own dim).  :func:`set_data` writes new values into all of
them at once, so the PyMC model and every function compiled from it (logp,
gradient, a sampler's compiled model) see the new data without recompiling.
Simulation-based calibration, VSBC and repeated fits depend on this.

What it refuses, with an error naming the dim or variable (``E-rebind``):

* another size for any dim (shapes are part of the compiled graph);
* other coordinates for a dim (factor levels are kept by :meth:`ppl.Model.bind`);
* missing values, in the new data or in the data the model was built on: the
  pattern of missing entries is part of the compiled model, and PyMC compiles
  the observed entries of a partly missing variable in as constants;
* an observed variable left out in one and given in the other (a left-out
  variable is a free variable of the built model, not data).

Out-of-range gather indices are checked as when building; on any error the
model keeps its previous data.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from ..data.bind import BoundData
from ..errors import Diagnostic, PplError
from ..semantics import ir
from ..semantics.types import VType

__all__ = ["DataBinding", "register", "binding_of", "set_data", "check_gathers"]


@dataclass
class DataBinding:
    """What a lowered model was bound to.

    ``containers`` maps each datum's name to its shared variable, ``gathers``
    holds ``(index tensor, size of the indexed dim, index expression)`` for the
    bounds checks of data indices, and ``bound`` is the data the containers
    hold now (replaced by :func:`set_data`).
    """

    model: ir.Model
    containers: dict
    gathers: tuple
    bound: BoundData


_BINDINGS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def register(pm_model, binding: DataBinding) -> None:
    """Remember ``binding`` for ``pm_model`` (held weakly: it dies with the model)."""
    _BINDINGS[pm_model] = binding


def binding_of(target) -> DataBinding:
    """The binding of a :class:`~ppl.backend.lower.Lowered` or of a PyMC model built by ppl."""
    binding = getattr(target, "binding", None) or _BINDINGS.get(getattr(target, "pm_model", target))
    if binding is None:
        raise TypeError("set_data needs a model built by ppl (`Model.build` or `ppl.backend.lower.lower`)")
    return binding


def set_data(target, bound: BoundData) -> list[Diagnostic]:
    """Write ``bound`` into the data containers of a built model, in place.

    Parameters
    ----------
    target : Lowered or pymc.Model
        A model built by :func:`ppl.backend.lower.lower` (or ``ppl.Model.build``).
    bound : BoundData
        New data, validated against the same model (``ppl.Model.bind``), with
        every dim the size it had when the model was built.

    Returns
    -------
    list of Diagnostic
        Warnings about the new data (an index that never takes the value 0).

    Raises
    ------
    PplError
        ``E-rebind`` for data the built model cannot take (see the module
        docstring), ``E-index-range`` for an out-of-range index.  The model
        keeps its previous data.
    """
    binding = binding_of(target)
    _check_compatible(binding, bound)
    old = binding.bound
    _write(binding.containers, bound)
    try:
        warnings = check_gathers(binding.gathers)
    except PplError:
        _write(binding.containers, old)
        raise
    binding.bound = bound
    return warnings


# ------------------------------------------------------------------ checks
def _rebind_error(message: str, span, hint: str) -> PplError:
    return PplError(Diagnostic("E-rebind", message, span, hint))


_REBUILD = "build a new model on these data (`Model.build(data)`)"


def _check_compatible(binding: DataBinding, new: BoundData) -> None:
    model, old = binding.model, binding.bound
    for dim in model.dims:
        if new.sizes[dim.name] != old.sizes[dim.name]:
            raise _rebind_error(f"dim `{dim.name}` has size {new.sizes[dim.name]} in the new data but "
                                f"{old.sizes[dim.name]} in the built model", dim.span,
                                f"set_data keeps every shape; {_REBUILD}")
        if list(new.coords[dim.name]) != list(old.coords[dim.name]):
            raise _rebind_error(f"dim `{dim.name}` has other coordinates in the new data", dim.span,
                                f"set_data keeps coordinates and factor levels; {_REBUILD}")
    for name in sorted(set(old.missing) | set(new.missing)):
        raise _rebind_error(f"`{name}` has missing values, so its observed entries are compiled into the model",
                            model.data_decl(name).span, f"the pattern of missing values is part of the model; "
                            f"{_REBUILD}")
    for name in sorted(set(old.left_out) ^ set(new.left_out)):
        state = "left out" if name in old.left_out else "given"
        raise _rebind_error(f"observed data `{name}` was {state} when the model was built",
                            model.data_decl(name).span, f"a left-out variable is drawn, not data; {_REBUILD}")


def _write(containers: dict, bound: BoundData) -> None:
    for name, shared in containers.items():
        shared.set_value(np.asarray(bound.values[name], dtype=shared.type.dtype))


def check_gathers(gathers) -> list[Diagnostic]:
    """Out-of-range data indices are errors; an index never 0 looks 1-based."""
    warnings = []
    for tensor, size, expr in gathers:
        values = np.asarray(tensor.eval())
        span = expr.span if hasattr(expr, "span") else None
        looks_one_based = values.size and values.min() >= 1 and values.max() <= size
        if values.size and (values.min() < 0 or values.max() >= size):
            bad = int(values.max()) if values.max() >= size else int(values.min())
            hint = "looks 1-based: write `idx - 1`" if looks_one_based else "indices run from 0 to size - 1"
            raise PplError(Diagnostic("E-index-range", f"index value {bad} is out of range for a dim of size "
                                      f"{size}", span, hint))
        if looks_one_based and expr.vtype is not VType.FACTOR:
            warnings.append(Diagnostic("W-index-one-based", "this index never takes the value 0", span,
                                       "looks 1-based: write `idx - 1`", severity="warning"))
    return warnings
