"""The model's log density split into a global term and one term per observation row.

For amortized inference the log density of a model with local latents
``z[obs, ...]`` is ``global + sum_n row_n``, where ``row_n`` is the log density
of row ``n``'s local latents and observations (Jacobians included) and
``global`` everything else (priors of globals, other observed variables,
potentials).  The per-row split gives the minibatch estimate
``global + N / B * sum_{n in batch} row_n`` (Hoffman et al. 2013) and the
per-row importance weights of the IWAE bound (Burda et al. 2016).

As in :mod:`ppl.vi.objective`, the data are explicit inputs of the JAX
functions (PyTensor's JAX backend), so one compiled program evaluates any rows
of the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..objective import Layout, _axis, _data_shared, _jaxify, _value_graphs, _wrap_outputs, enable_compilation_cache, \
    enable_x64

__all__ = ["RowObjective", "build_row_objective"]


@dataclass(frozen=True, eq=False)
class RowObjective:
    """JAX functions of one PyMC model built on ``rows`` rows of ``dim``.

    ``terms(flat, *data) -> (global, rows[rows])``; ``outputs(flat, *data) ->
    (logliks, values)``; ``data_axes[i]``: the axis of ``dim`` in data input
    ``i``; ``encoder_inputs``: the data inputs that are observed values along
    ``dim`` (the encoder's input); ``rv_of``: the model variable of each value
    variable; ``start``: q's starting point (prior median), ``prior_draw``: one
    prior draw (where point estimates start), both unconstrained.
    """

    layout: Layout
    dim: str | None
    rows: int
    data_names: tuple[str, ...]
    data_values: tuple[np.ndarray, ...]
    data_axes: tuple[int | None, ...]
    encoder_inputs: tuple[int, ...]
    terms: Callable
    outputs: Callable
    loglik_names: tuple[str, ...]
    loglik_axes: tuple[int | None, ...]
    value_names: tuple[str, ...]
    value_axes: tuple[int | None, ...]
    rv_of: dict[str, str]
    start: np.ndarray
    prior_draw: np.ndarray


def _row_sum(terms, dims, dim):
    """Elementwise log densities summed to one value per row of ``dim`` (axis moved first)."""
    import pytensor.tensor as pt

    total = None
    for term, d in zip(terms, dims):
        axis = _axis(d, dim)
        rows = pt.moveaxis(term, axis, 0).reshape((term.shape[axis], -1)).sum(axis=1)
        total = rows if total is None else total + rows
    return total


def _split_graphs(pm_model, dim, local_free: tuple[str, ...]):
    """(global, rows) graphs of ``pm_model``."""
    import pytensor.tensor as pt

    dims = pm_model.named_vars_to_dims
    local = [rv for rv in pm_model.free_RVs if rv.name in local_free]
    local += [rv for rv in pm_model.observed_RVs if dim is not None and _axis(dims.get(rv.name), dim) is not None]
    ids = {id(v) for v in local}
    rest = [v for v in pm_model.free_RVs + pm_model.observed_RVs + pm_model.potentials if id(v) not in ids]
    glob = pm_model.logp(vars=rest, jacobian=True) if rest else pt.constant(0.0, dtype="float64")
    if not local:
        return glob, pt.zeros((1,), dtype="float64")
    elementwise = pm_model.logp(vars=local, jacobian=True, sum=False)
    return glob, _row_sum(elementwise, [dims.get(rv.name) for rv in local], dim)


def _one_prior_draw(pm_model, seed: int) -> dict | None:
    import pymc as pm
    from pymc.initial_point import make_initial_point_fn

    free = list(pm_model.free_RVs)
    try:
        draws = pm.draw(free, draws=1, random_seed=seed)
        overrides = {rv: np.asarray(d, dtype=float) for rv, d in zip(free, draws)}
        return make_initial_point_fn(model=pm_model, overrides=overrides, return_transformed=True)(seed)
    except Exception:  # noqa: BLE001 - a prior that cannot be drawn: start points at the median
        return None


def build_row_objective(pm_model, data_dims: dict[str, tuple[str, ...]], dim: str | None,
                        local_free: tuple[str, ...], seed: int = 0) -> RowObjective:
    """Compile ``pm_model`` (built on the rows one step sees) into a :class:`RowObjective`."""
    import pytensor.tensor as pt
    from pytensor.graph.replace import clone_replace

    from ..init import starting_point

    enable_x64()
    enable_compilation_cache()
    dims = pm_model.named_vars_to_dims
    glob, rows = _split_graphs(pm_model, dim, local_free)
    logliks = pm_model.logp(vars=pm_model.observed_RVs, sum=False) if pm_model.observed_RVs else []
    values = _value_graphs(pm_model)
    shared = _data_shared(pm_model, [glob, rows] + logliks + values)
    data_in = [pt.tensor(dtype=v.dtype, shape=np.shape(v.get_value()), name=v.name) for v in shared]
    replaced = clone_replace([glob, rows] + logliks + values, replace=dict(zip(shared, data_in)))
    value_vars = pm_model.value_vars
    terms_fn = _jaxify(value_vars + data_in, replaced[:2])
    outputs_fn = _jaxify(value_vars + data_in, replaced[2:])
    point = pm_model.initial_point()
    layout = Layout(tuple(v.name for v in value_vars), tuple(np.shape(point[v.name]) for v in value_vars))
    data_values = tuple(np.asarray(v.get_value()) for v in shared)
    axes = tuple(_axis(data_dims.get(v.name), dim) for v in shared)
    observed_values = {id(pm_model.rvs_to_values[rv]) for rv in pm_model.observed_RVs}
    observed_names = {rv.name for rv in pm_model.observed_RVs}
    encoder_inputs = tuple(i for i, v in enumerate(shared)
                           if axes[i] is not None and (id(v) in observed_values or v.name in observed_names))

    def terms(flat, *data):
        glob, rows = terms_fn(*layout.unflatten(flat), *data)
        return glob, rows

    def finite(flat):
        return bool(np.isfinite(float(terms(flat, *data_values)[0])))

    start = starting_point(pm_model, layout, frozenset(), finite)
    drawn = _one_prior_draw(pm_model, seed)
    prior_draw = layout.flatten(drawn) if drawn is not None else start
    rows_n = int(pm_model.dim_lengths[dim].eval()) if dim is not None else 1
    return RowObjective(
        layout=layout, dim=dim, rows=rows_n, data_names=tuple(v.name for v in shared), data_values=data_values,
        data_axes=axes, encoder_inputs=encoder_inputs, terms=terms,
        outputs=_wrap_outputs(outputs_fn, layout, len(logliks)),
        loglik_names=tuple(rv.name for rv in pm_model.observed_RVs),
        loglik_axes=tuple(_axis(dims.get(rv.name), dim) for rv in pm_model.observed_RVs),
        value_names=tuple(v.name for v in values), value_axes=tuple(_axis(dims.get(v.name), dim) for v in values),
        rv_of={pm_model.rvs_to_values[rv].name: rv.name for rv in pm_model.free_RVs},
        start=start, prior_draw=prior_draw)
