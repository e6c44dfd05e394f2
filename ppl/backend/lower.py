"""``lower(model, data) -> pm.Model``: one lowering function per IR node.

Data become ``pm.Data`` (so a compiled model can be re-fitted on new data of
the same shapes), coords come from the file and the data, derived quantities
become ``pm.Deterministic``.  With ``generated=False`` the generated
quantities (and what depends on them) are left out: that is the model the
inference engines see; :func:`lower` with ``generated=True`` adds them, for
drawing them per posterior draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from ..data.bind import BoundData
from ..errors import Diagnostic, PplError
from ..semantics import ir
from .distributions import make_rv, ordered_initval, ordered_transform
from .expr import Env, broadcast_full, lower_expr

__all__ = ["lower", "Lowered"]


@dataclass
class Lowered:
    """The PyMC model and the warnings found while building it."""

    pm_model: pm.Model
    warnings: list[Diagnostic] = field(default_factory=list)


def lower(model: ir.Model, data: BoundData, *, generated: bool = False) -> Lowered:
    """Build the PyMC model of ``model`` on bound ``data``."""
    env = Env(dict(data.sizes))
    with pm.Model(coords=data.coords) as pm_model:
        _data(model, data, env)
        for node in model.nodes:
            if node.name in model.generated and not generated:
                continue
            _NODES[type(node)](node, env, data)
    warnings = list(data.warnings) + _check_gathers(env)
    return Lowered(pm_model, warnings)


def _data(model: ir.Model, data: BoundData, env: Env) -> None:
    """``pm.Data`` for covariates.  Observed data are shared variables that the
    observed random variable of the same name owns, and a factor that defines
    its own dim is a shared variable too (PyMC names are unique and no
    variable may be named like a dim)."""
    observed = {n.observed for n in model.observed}
    for decl in model.data:
        if decl.name in data.missing or decl.name not in data.values:
            continue  # imputed by its `~` line, or left out for prediction
        value = data.values[decl.name]
        if decl.name in observed or decl.name in data.coords:  # PyMC: names unique, none named like a dim
            env.values[decl.name] = pytensor.shared(value, name=decl.name)
        else:
            env.values[decl.name] = pm.Data(decl.name, value, dims=decl.dims or None)


def _random_var(node: ir.RandomVar, env: Env, data: BoundData) -> None:
    kwargs = {}
    if node.role == "observed":
        kwargs["observed"] = _observed_value(node, env, data)
    if node.ordered:
        shape = tuple(env.size(d) for d in node.dims)
        kwargs["transform"] = ordered_transform(node.dist)
        kwargs["initval"] = ordered_initval(node.dist, shape)
    env.values[node.name] = make_rv(node.name, node.dist, node.dims, env, **kwargs)


def _observed_value(node: ir.RandomVar, env: Env, data: BoundData):
    if node.name in data.missing:
        return data.values[node.name]  # NaN entries: PyMC imputes them
    if node.name in env.values:
        return env.values[node.name]
    return None  # left out: drawn as a prediction


def _derived(node: ir.Derived, env: Env, data: BoundData) -> None:
    value = lower_expr(node.expr, env)
    value = broadcast_full(value, node.expr.dims, node.dims, env)
    if node.role == "derived":
        value = pm.Deterministic(node.name, value, dims=node.dims or None)
    env.values[node.name] = value


def _potential(node: ir.PotentialNode, env: Env, data: BoundData) -> None:
    pm.Potential(node.name, pt.sum(lower_expr(node.expr, env)))


_NODES = {ir.RandomVar: _random_var, ir.Derived: _derived, ir.PotentialNode: _potential}


def _check_gathers(env: Env) -> list[Diagnostic]:
    """Out-of-range data indices are errors; an index never 0 looks 1-based."""
    warnings = []
    for tensor, size, expr in env.gathers:
        values = np.asarray(tensor.eval())
        span = expr.span if hasattr(expr, "span") else None
        looks_one_based = values.size and values.min() >= 1 and values.max() <= size
        if values.size and (values.min() < 0 or values.max() >= size):
            bad = int(values.max()) if values.max() >= size else int(values.min())
            hint = "looks 1-based: write `idx - 1`" if looks_one_based else "indices run from 0 to size - 1"
            raise PplError(Diagnostic("E-index-range", f"index value {bad} is out of range for a dim of size "
                                      f"{size}", span, hint))
        if looks_one_based and not _is_factor(expr):
            warnings.append(Diagnostic("W-index-one-based", "this index never takes the value 0", span,
                                       "looks 1-based: write `idx - 1`", severity="warning"))
    return warnings


def _is_factor(expr: ir.Expr) -> bool:
    from ..semantics.types import VType

    return expr.vtype is VType.FACTOR
