"""A PyMC model as pure JAX functions with the data as explicit inputs.

PyMC's own JAX helpers bake shared data into the graph as constants; here
every shared variable of the graph (``pm.Data``, observed data) becomes an
input (dim lengths stay constants: they are shapes), so one compiled program serves any data of the same shapes
(a cache hit across processes, SBC/VSBC re-fits, ``jax.vmap`` over datasets).

:func:`jax_model` returns a :class:`JaxModel` holding

* ``logp(values, data)``: the joint log density on the unconstrained space
  (Jacobians included), as PyMC defines it;
* ``expand(values, data)``: constrained values of the free variables, the
  deterministics and the pointwise log-likelihood of each observed variable;
* the names, shapes and dims of everything, and the data inputs' names.

Log-sum-exp (mixtures and summed-out latents) is converted by
:mod:`ppl.infer.jax_lse`, not by PyTensor's inlined graph: XLA's CPU fusion of
the inlined graph gave NaN gradients where a term is ``-inf`` (a zero count
from a structural zero, ``models/zip_latent.ppl``), which sent NumPyro's NUTS
to a wrong posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["JaxModel", "jax_model", "enable_x64", "jaxify"]


def enable_x64() -> None:
    """Float64 everywhere: PyMC's graphs are float64 and results are compared at 1e-8."""
    import jax

    jax.config.update("jax_enable_x64", True)


@dataclass(frozen=True)
class JaxModel:
    """Pure functions of a PyMC model, and what is needed to label their outputs."""

    logp: object                      # (list of unconstrained arrays, list of data arrays) -> scalar
    expand: object                    # same inputs -> list of arrays (see ``expand_names``)
    value_names: tuple[str, ...]      # unconstrained (transformed) value variables
    value_shapes: tuple[tuple[int, ...], ...]
    expand_names: tuple[str, ...]     # constrained free RVs and deterministics, then log-likelihoods
    n_loglik: int                     # the last ``n_loglik`` outputs of ``expand`` are log-likelihoods
    data_names: tuple[str, ...]       # shared inputs, in order
    data_values: tuple[np.ndarray, ...]
    init_depends_on_data: bool


def _shared_inputs(outputs, constants=()):
    """The shared variables behind ``outputs``, except RNGs and ``constants`` (dim lengths).

    Dim lengths stay constants: they are shapes (``AllocEmpty`` of imputed
    entries, ``models/regression_missing.ppl``), which XLA needs concrete;
    programs are keyed by the data shapes anyway.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    seen, found = {id(c) for c in constants}, []
    for var in ancestors(outputs):
        if isinstance(var, SharedVariable) and id(var) not in seen and not _is_rng(var):
            seen.add(id(var))
            found.append(var)
    return sorted(found, key=lambda v: v.name or "")


def _is_rng(var) -> bool:
    return "RandomGenerator" in type(var.type).__name__


def _as_inputs(shared):
    import pytensor.tensor as pt

    return [pt.tensor(name=s.name, dtype=s.type.dtype, shape=s.type.shape) for s in shared]


def jaxify(inputs, outputs):
    """PyMC's ``get_jaxified_graph``, with log-sum-exp kept as one fenced op (see :mod:`.jax_lse`)
    and the Bernoulli-logit likelihood with one softplus per row (:mod:`.jax_logit`)."""
    from pymc.sampling.jax import _replace_shared_variables
    from pytensor.compile import mode
    from pytensor.graph.fg import FunctionGraph
    from pytensor.link.jax.dispatch import jax_funcify

    from .jax_logit import simplify_binary_logit, stable_softplus
    from .jax_lse import fence_logsumexp

    fgraph = FunctionGraph(inputs=inputs, outputs=_replace_shared_variables(outputs), clone=True)
    fence_logsumexp(fgraph)
    mode.JAX.optimizer.rewrite(fgraph)
    simplify_binary_logit(fgraph)  # one softplus per row for Bernoulli(logit_p) (see .jax_logit)
    stable_softplus(fgraph)  # no NaN gradient for |x| > 710 (see .jax_logit)
    return jax_funcify(fgraph)


def _output_names(pm_model):
    from pymc.util import get_default_varnames

    wanted = get_default_varnames(pm_model.unobserved_value_vars, include_transformed=False)
    names = [v.name for v in wanted]
    return wanted, names


def jax_model(pm_model) -> JaxModel:
    """Jaxify ``pm_model``'s log density and its expansion to named outputs."""
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.traversal import ancestors

    logp = pm_model.logp()
    wanted, names = _output_names(pm_model)
    loglik = pm_model.logp(vars=pm_model.observed_RVs, sum=False) if pm_model.observed_RVs else []
    outputs = [logp, *wanted, *loglik]
    shared = _shared_inputs(outputs, constants=pm_model.dim_lengths.values())
    data_inputs = _as_inputs(shared)
    replaced = clone_replace(outputs, replace=dict(zip(shared, data_inputs)))
    values = pm_model.value_vars
    logp_fn = jaxify([*values, *data_inputs], replaced[:1])
    expand_fn = jaxify([*values, *data_inputs], replaced[1:])
    init_exprs = [pm_model.rvs_to_initial_values.get(rv) for rv in pm_model.free_RVs]
    init_vars = [e for e in init_exprs if e is not None and hasattr(e, "owner")]
    depends = bool(init_vars) and any(s in set(ancestors(init_vars)) for s in shared)
    ip = pm_model.initial_point()
    return JaxModel(
        logp=lambda vals, data: logp_fn(*vals, *data)[0],
        expand=lambda vals, data: expand_fn(*vals, *data),
        value_names=tuple(v.name for v in values),
        value_shapes=tuple(tuple(np.shape(ip[v.name])) for v in values),
        expand_names=tuple(names) + tuple(f"{rv.name}" for rv in pm_model.observed_RVs),
        n_loglik=len(loglik),
        data_names=tuple(s.name for s in shared),
        data_values=tuple(np.asarray(s.get_value()) for s in shared),
        init_depends_on_data=depends,
    )
