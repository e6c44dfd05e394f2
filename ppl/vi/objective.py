"""The model's log density as JAX functions of (unconstrained point, data).

PyTensor builds the joint log density on the unconstrained space (Jacobian
included), the elementwise log-likelihood and the constrained values of the
parameters and derived quantities; each graph is turned into a JAX function
with PyTensor's JAX backend.  The data (``pm.Data`` and observed values) are
**explicit inputs**, not constants baked into the graph, so one compiled
program is re-fitted on new data of the same shapes, and ``jax.vmap`` maps it
over many data sets, without compiling again.

The log density is split in two terms, ``global`` and ``local``: ``local`` is
the log-likelihood of the observed variables along the minibatch dim (scaled
by ``N / batch_size`` in a minibatch step), ``global`` is everything else
(priors, Jacobians, other observed variables, potentials).  Without a
minibatch ``local`` is zero.

The gradient used in the optimisation is JAX's autodiff of the jaxified log
density, or (``pytensor_grad``) **PyTensor's** symbolic gradient of the terms,
jaxified like them and attached with ``jax.custom_vjp``: the gradient PyMC's
samplers use and the model tests check against hand-written models.  JAX's
autodiff is faster (a logistic regression step: about 120 against 175 us)
but gave NaN where a summed-out latent has an impossible branch
(``Poisson(y | z * mu)`` with ``z = 0`` and ``y > 0``: that branch's log
density is -inf, and JAX's gradient through ``where`` multiplies its
infinite derivative by zero), while PyTensor's rewritten graph is finite.
The lowering now evaluates such degenerate branches apart
(:mod:`ppl.backend.guard`), so JAX's gradient is finite there too; the
check stays as a safety net.  ``gradient="auto"`` takes JAX's unless it is
not finite near the start of q.
PyTensor's is not the default: XLA (jax 0.12) aborts the process compiling
it for an ordered vector (``Invalid binary instruction opcode map`` in the
algebraic simplifier, on the reversed cumulative sums of the ordered
transform's gradient), which JAX's own gradient avoids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .init import starting_point

__all__ = ["Layout", "Batch", "Objective", "build_objective", "enable_x64", "enable_compilation_cache"]


def enable_x64() -> None:
    """Use float64 in JAX (deliberately, for the whole process).

    PyMC's graphs are float64 (``floatX``); running them in float32 loses the
    agreement with PyMC's log density (tested to 1e-8) and makes the ELBO of
    large data sets (sums of 10^6 terms) inexact.  The JAX MCMC engines set the
    same flag (:func:`ppl.infer.jax_graph.enable_x64`).
    """
    from ..infer.jax_graph import enable_x64 as _enable

    _enable()


def enable_compilation_cache() -> None:
    """Keep XLA's compiled programs on disk, so a model fitted again in a new
    process (``ppl fit`` twice) skips the seconds of compilation: JAX's
    persistent cache in ``<ppl cache>/xla``, shared with the blackjax engine
    (:mod:`ppl.infer.cache`; ``$PPL_CACHE_DIR`` moves it)."""
    from ..infer.cache import enable_xla_cache

    enable_xla_cache()


@dataclass(frozen=True)
class Layout:
    """How the flat unconstrained vector maps to PyMC's value variables."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(int(np.prod(s, dtype=int)) for s in self.shapes)

    @property
    def size(self) -> int:
        return sum(self.sizes)

    def unflatten(self, flat) -> list:
        """The value arrays of a flat vector (works on NumPy and JAX arrays)."""
        out, start = [], 0
        for shape, n in zip(self.shapes, self.sizes):
            out.append(flat[start:start + n].reshape(shape))
            start += n
        return out

    def flatten(self, point: dict) -> np.ndarray:
        parts = [np.asarray(point[n], dtype=float).reshape(-1) for n in self.names]
        return np.concatenate(parts) if parts else np.zeros(0)

    def labels(self) -> list[str]:
        """One label per coordinate: ``tau_log__``, ``theta_raw[3]``, ``L[0,1]``."""
        out = []
        for name, shape in zip(self.names, self.shapes):
            if not shape:
                out.append(name)
                continue
            out += [f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape)]
        return out


@dataclass(frozen=True)
class Batch:
    """The minibatch: ``dim`` has ``total`` rows, ``size`` drawn per step.

    ``axes[i]`` is the axis of ``dim`` in data input ``i`` (``None``: not batched).
    """

    dim: str
    total: int
    size: int
    axes: tuple[int | None, ...]

    @property
    def scale(self) -> float:
        return self.total / self.size


@dataclass(frozen=True, eq=False)
class Objective:
    """JAX functions of one PyMC model, compiled once.

    ``terms(flat, *data) -> (global, local)`` log densities;
    ``terms_grad(flat, *data) -> (global, local, d global, d local)`` with
    PyTensor's gradients (flat vectors);
    ``outputs(flat, *data) -> (logliks, values)`` the elementwise
    log-likelihood of each observed variable and the constrained value of each
    parameter and derived quantity.  ``*_axes`` give the minibatch dim's axis in
    each output (``None``: none).
    """

    layout: Layout
    data_names: tuple[str, ...]
    data_values: tuple[np.ndarray, ...]
    terms: Callable
    terms_grad: Callable
    outputs: Callable
    loglik_names: tuple[str, ...]
    loglik_axes: tuple[int | None, ...]
    value_names: tuple[str, ...]
    value_axes: tuple[int | None, ...]
    init: np.ndarray
    batch: Batch | None = None
    pytensor_grad: bool = False

    def logp(self, flat, data, scale=1.0):
        """The log density used in the optimisation (``local`` scaled by ``scale``),
        differentiable in ``flat`` (JAX's or PyTensor's gradient, see the module docstring)."""
        if self.pytensor_grad:
            return _custom_logp(self.terms_grad)(flat, tuple(data), scale)
        glob, local = self.terms(flat, *data)
        return glob + scale * local


def _custom_logp(terms_grad) -> Callable:
    import jax

    @jax.custom_vjp
    def logp(flat, data, scale):
        glob, local, _, _ = terms_grad(flat, *data)
        return glob + scale * local

    def forward(flat, data, scale):
        glob, local, d_glob, d_local = terms_grad(flat, *data)
        return glob + scale * local, d_glob + scale * d_local

    def backward(grad, cotangent):
        return cotangent * grad, None, None

    logp.defvjp(forward, backward)
    return logp


# ------------------------------------------------------------------ building
def _data_shared(pm_model, outputs) -> list:
    """The data behind ``outputs``: shared variables other than dim lengths."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import graph_inputs

    dim_lengths = {id(v) for v in pm_model.dim_lengths.values()}
    found = [v for v in graph_inputs(outputs) if isinstance(v, SharedVariable) and id(v) not in dim_lengths]
    unique = {id(v): v for v in found}
    return sorted(unique.values(), key=lambda v: v.name or "")


def _jaxify(inputs, outputs) -> Callable:
    from ..infer.jax_graph import jaxify  # log-sum-exp fenced from XLA fusion (NaN gradients otherwise)

    return jaxify(list(inputs), list(outputs))


def _constant_zero():
    import pytensor.tensor as pt

    return pt.constant(0.0, dtype="float64")


def _terms_graphs(pm_model, local_rvs) -> list:
    local_ids = {id(v) for v in local_rvs}
    rest = [v for v in pm_model.free_RVs + pm_model.observed_RVs + pm_model.potentials if id(v) not in local_ids]
    glob = pm_model.logp(vars=rest, jacobian=True) if rest else _constant_zero()
    local = pm_model.logp(vars=list(local_rvs), jacobian=True) if local_rvs else _constant_zero()
    return [glob, local]


def _grad_graphs(terms, value_vars) -> list:
    """PyTensor's gradient of each term, one flat vector per term."""
    import pytensor.tensor as pt

    out = []
    for term in terms:
        grads = pt.grad(term, value_vars, disconnected_inputs="ignore")
        out.append(pt.concatenate([g.ravel() for g in grads]) if grads else pt.zeros(0))
    return out


def _value_graphs(pm_model) -> list:
    from pymc.util import get_default_varnames

    return list(get_default_varnames(pm_model.unobserved_value_vars, include_transformed=False))


def _axis(dims, dim: str | None) -> int | None:
    if dim is None or not dims or dim not in dims:
        return None
    return list(dims).index(dim)


def build_objective(pm_model, data_dims: dict[str, tuple[str, ...]], batch_dim: str | None = None,
                    batch_total: int | None = None, ordered: frozenset[str] = frozenset(),
                    gradient: str = "auto") -> Objective:
    """Compile ``pm_model``'s log density and outputs to JAX functions.

    ``data_dims`` are the declared dims of each data name; ``ordered`` names
    the ordered variables (for the start of q, :mod:`ppl.vi.init`);
    ``gradient`` is ``jax``, ``pytensor`` or ``auto`` (see the module docstring).  With
    ``batch_dim``, ``pm_model`` is the model built on one minibatch of
    ``batch_total`` rows' data, and the observed variables along that dim form
    the ``local`` term.
    """
    import pytensor.tensor as pt
    from pytensor.graph.replace import clone_replace

    enable_x64()
    enable_compilation_cache()
    dims = pm_model.named_vars_to_dims
    local_rvs = [rv for rv in pm_model.observed_RVs if _axis(dims.get(rv.name), batch_dim) is not None]
    value_vars = pm_model.value_vars
    terms = _terms_graphs(pm_model, local_rvs)
    terms += _grad_graphs(terms, value_vars)
    logliks = pm_model.logp(vars=pm_model.observed_RVs, sum=False) if pm_model.observed_RVs else []
    values = _value_graphs(pm_model)
    shared = _data_shared(pm_model, terms + logliks + values)
    data_in = [pt.tensor(dtype=v.dtype, shape=np.shape(v.get_value()), name=v.name) for v in shared]
    replaced = clone_replace(terms + logliks + values, replace=dict(zip(shared, data_in)))
    n_terms, n_ll = len(terms), len(logliks)
    terms_fn = _jaxify(value_vars + data_in, replaced[:2])
    grad_fn = _jaxify(value_vars + data_in, replaced[:n_terms])
    outputs_fn = _jaxify(value_vars + data_in, replaced[n_terms:])
    point = pm_model.initial_point()
    layout = Layout(tuple(v.name for v in value_vars), tuple(np.shape(point[v.name]) for v in value_vars))
    data_values = tuple(np.asarray(v.get_value()) for v in shared)
    terms = _wrap_terms(terms_fn, layout)
    batch = None
    if batch_dim is not None:
        axes = tuple(_axis(data_dims.get(v.name), batch_dim) for v in shared)
        batch = Batch(batch_dim, int(batch_total), int(pm_model.dim_lengths[batch_dim].eval()), axes)
    init = starting_point(pm_model, layout, ordered, _finite_check(terms, data_values))
    if gradient == "auto":
        gradient = "jax" if _jax_grad_finite(terms, data_values, init) else "pytensor"
    return Objective(
        layout=layout,
        data_names=tuple(v.name for v in shared),
        data_values=data_values,
        terms=terms,
        terms_grad=_wrap_terms(grad_fn, layout),
        outputs=_wrap_outputs(outputs_fn, layout, n_ll),
        loglik_names=tuple(rv.name for rv in pm_model.observed_RVs),
        loglik_axes=tuple(_axis(dims.get(rv.name), batch_dim) for rv in pm_model.observed_RVs),
        value_names=tuple(v.name for v in values),
        value_axes=tuple(_axis(dims.get(v.name), batch_dim) for v in values),
        init=init,
        batch=batch,
        pytensor_grad=gradient == "pytensor",
    )


def _finite_check(terms, data) -> Callable:
    import jax

    fn = jax.jit(lambda flat, data: sum(terms(flat, *data)))
    return lambda flat: bool(np.isfinite(fn(flat, data)))


GRAD_CHECK_POINTS = 3  # points near the start of q where JAX's gradient must be finite


def _jax_grad_finite(terms, data, init) -> bool:
    """Whether JAX's autodiff gradient is finite at the start of q and at points near it."""
    import jax

    grad = jax.jit(jax.grad(lambda flat, data: sum(terms(flat, *data))))
    rng = np.random.default_rng(0)
    points = [init] + [init + rng.normal(0, 0.3, init.shape) for _ in range(GRAD_CHECK_POINTS - 1)]
    return all(bool(np.all(np.isfinite(grad(p, data)))) for p in points)


def _wrap_terms(fn, layout: Layout) -> Callable:
    def terms(flat, *data):
        return tuple(fn(*layout.unflatten(flat), *data))

    return terms


def _wrap_outputs(fn, layout: Layout, n_ll: int) -> Callable:
    def outputs(flat, *data):
        out = fn(*layout.unflatten(flat), *data)
        return tuple(out[:n_ll]), tuple(out[n_ll:])

    return outputs
