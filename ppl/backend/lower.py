"""``lower(model, data) -> pm.Model``: one lowering function per IR node.

Data become ``pm.Data`` (so a compiled model can be re-fitted on new data of
the same shapes), coords come from the file and the data, derived quantities
become ``pm.Deterministic``.  With ``generated=False`` the generated
quantities (and what depends on them) are left out, and discrete latents
are summed out (:mod:`ppl.backend.marginal`): that is the model the
inference engines see.  :func:`lower` with ``generated=True`` builds the
generative model instead, every latent a PyMC variable, for drawing generated
quantities per posterior draw (given the recovered draws of the latents).

The data containers are registered with :mod:`ppl.backend.rebind`, so that
:func:`ppl.backend.rebind.set_data` can re-bind the built model to new data of
the same shapes without rebuilding or recompiling it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymc as pm
import pytensor
import pytensor.tensor as pt

from ..data.bind import BoundData
from ..errors import Diagnostic, PplError
from ..semantics import ir
from ..semantics import messages as msg
from .distributions import make_rv, ordered_initval, ordered_transform
from .expr import Env, broadcast_full, lower_expr
from .marginal import LoweredMarginal, add_dependent, begin_marginal, finish_marginal, lower_path
from .rebind import DataBinding, check_gathers, register
from ..semantics.marginal import plan_missing

__all__ = ["lower", "Lowered"]


@dataclass
class Lowered:
    """The PyMC model, the warnings found while building it, its data binding, and
    the summed-out latents (for recovering their posterior after inference)."""

    pm_model: pm.Model
    warnings: list[Diagnostic] = field(default_factory=list)
    binding: DataBinding | None = None
    marginals: list[LoweredMarginal] = field(default_factory=list)


def lower(model: ir.Model, data: BoundData, *, generated: bool = False) -> Lowered:
    """Build the PyMC model of ``model`` on bound ``data``."""
    env = Env(dict(data.sizes))
    model = plan_missing(model, data.missing)
    plans = {} if generated else _plans_by_node(model)
    _check_missing(model, data, plans)
    marginals: dict[str, LoweredMarginal] = {}
    with pm.Model(coords=data.coords) as pm_model:
        containers = _data(model, data, env)
        for node in model.nodes:
            if node.name in plans:
                _marginal_node(node, plans[node.name], marginals, env, data)
            elif generated and model.marginal(node.name) is not None:
                _summed_out(node, env)
            elif generated or node.name not in model.generated:
                _NODES[type(node)](node, env, data)
        for lm in marginals.values():
            finish_marginal(lm, model, env)
    warnings = list(data.warnings) + check_gathers(env.gathers)
    binding = DataBinding(model, containers, tuple(env.gathers), data)
    register(pm_model, binding)
    return Lowered(pm_model, warnings, binding, list(marginals.values()))


def _plans_by_node(model: ir.Model) -> dict[str, ir.Marginal]:
    """Each node that the summing-out handles: the latent, its path and its dependents."""
    out = {}
    for plan in model.marginals:
        for name in (plan.name, *plan.path, *plan.dependents):
            out[name] = plan
    return out


def _marginal_node(node: ir.Node, plan: ir.Marginal, marginals: dict, env: Env, data: BoundData) -> None:
    if node.name == plan.name:
        observed = data.values[node.name] if plan.observed else None
        marginals[plan.name] = begin_marginal(plan, node, env, observed)
    elif node.name in plan.path:
        lower_path(node, marginals[plan.name])
    else:
        add_dependent(node, marginals[plan.name], env)


def _check_missing(model: ir.Model, data: BoundData, plans: dict) -> None:
    """Missing values cannot (yet) be summed out in a dependent of a summed-out variable.

    (Those of a discrete variable itself are summed out: :func:`plan_missing`.)
    """
    for node in model.observed:
        plan = plans.get(node.name)
        if node.name in data.missing and plan is not None and plan.name != node.name:
            raise PplError(msg.marginal_missing(node.span, node.name, plan.name))


def _data(model: ir.Model, data: BoundData, env: Env) -> dict:
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
    return {d.name: env.values[d.name] for d in model.data if d.name in env.values}


def _random_var(node: ir.RandomVar, env: Env, data: BoundData) -> None:
    kwargs = {}
    if node.role == "observed":
        kwargs["observed"] = _observed_value(node, env, data)
    if node.ordered:
        shape = tuple(env.size(d) for d in node.dims)
        kwargs["transform"] = ordered_transform(node.dist)
        kwargs["initval"] = ordered_initval(node.dist, shape)
    env.values[node.name] = make_rv(node.name, node.dist, node.dims, env, **kwargs)


def _summed_out(node: ir.RandomVar, env: Env) -> None:
    """In the generative model, a summed-out variable (also one with missing entries) is a plain
    random variable: generated quantities see its recovered draws (the observed entries constant)."""
    env.values[node.name] = make_rv(node.name, node.dist, node.dims, env)


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
