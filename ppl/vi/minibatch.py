"""Minibatch ADVI: which dim is subsampled, what the model allows, one batch's data.

The minibatch dim is the dim of the observation rows: ``batch_dim`` if given,
else the one dim that every observed variable with dims starts with.  Every
parameter must be global (no parameter along that dim), and the
log-likelihood along it must be a sum over rows (no potential over it, no
imputed missing values along it).  The program is compiled on the data's
first ``batch_size`` rows; each step takes a block of rows of the shuffled
full data.  A summed-out discrete latent along the dim is fine: its marginal
is the pointwise log density of an observed variable (the carrier), which is
scaled with the other rows; one whose marginal is only a potential is not.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..data.bind import BoundData
from ..errors import PplError
from ..semantics import ir
from . import messages as msg

__all__ = ["resolve_batch_dim", "check_minibatch", "batch_bound"]


def resolve_batch_dim(model: ir.Model, batch_dim: str | None) -> str:
    """The dim to subsample (an error if there is none or more than one candidate)."""
    dims = [d.name for d in model.dims]
    if batch_dim is not None:
        if batch_dim not in dims:
            raise PplError(msg.unknown_batch_dim(batch_dim, dims))
        if not any(batch_dim in n.dims for n in model.observed):
            raise PplError(msg.batch_dim_not_observed(batch_dim))
        return batch_dim
    firsts = list(dict.fromkeys(n.dims[0] for n in model.observed if n.dims))
    if len(firsts) != 1:
        raise PplError(msg.ambiguous_batch_dim(firsts) if firsts else msg.batch_dim_not_observed("(none)"))
    return firsts[0]


def check_minibatch(model: ir.Model, bound: BoundData, dim: str) -> None:
    """Refuse models that a row-wise subsample would get wrong."""
    for node in model.params:
        marginal = model.marginal(node.name)
        if dim in node.dims and marginal is None:
            raise PplError(msg.local_parameter(node.span, node.name, dim))
        if marginal is not None and dim in marginal.dims and marginal.carrier is None:
            raise PplError(msg.batched_potential(node.span, f"{node.name}_marginal__", dim))
    for name in bound.missing:
        decl = model.data_decl(name)
        if dim in decl.dims:
            raise PplError(msg.batched_missing(decl.span, name, dim))
    for node in model.nodes:
        if isinstance(node, ir.PotentialNode) and dim in node.expr.dims:
            raise PplError(msg.batched_potential(node.span, node.name, dim))
    for decl in model.dims:
        of = decl.from_size.of if isinstance(decl.from_size, ir.SliceSize) else None
        if decl.name != dim and (decl.source == dim or of == dim):
            raise PplError(msg.derived_batch_dim(decl.span, decl.name, dim))


def batch_bound(model: ir.Model, bound: BoundData, dim: str, size: int) -> BoundData:
    """``bound`` cut to the first ``size`` rows of ``dim`` (the shapes a step sees)."""
    values = {}
    for name, value in bound.values.items():
        dims = model.data_decl(name).dims
        values[name] = np.take(value, np.arange(size), axis=dims.index(dim)) if dim in dims else value
    sizes = dict(bound.sizes, **{dim: size})
    coords = dict(bound.coords, **{dim: list(bound.coords[dim])[:size]})
    return replace(bound, values=values, sizes=sizes, coords=coords)
