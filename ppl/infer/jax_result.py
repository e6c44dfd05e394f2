"""Arrays from a compiled JAX sampling program -> an ArviZ-style DataTree.

Groups and names follow PyMC's ``pm.sample``: ``posterior`` (constrained
parameters and deterministics), ``sample_stats`` (``diverging``, ``energy``,
``tree_depth``, ``n_steps``, ``acceptance_rate``, ``lp``, ``step_size``),
``log_likelihood`` (pointwise, per observed variable), ``observed_data`` and
``constant_data``.  Built from the program's metadata and the bound data, so
a cache hit needs neither PyMC nor a model graph.
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_datatree"]


def _coords(bound, sizes: dict[str, int]) -> dict[str, list]:
    out = {}
    for dim, size in sizes.items():
        values = bound.coords.get(dim)
        out[dim] = list(values) if values is not None and len(values) == size else list(range(size))
    return out


def _dims_for(name: str, shape: tuple, dims: dict) -> list[str]:
    named = list(dims.get(name) or [])
    if len(named) == len(shape):
        return named
    return [f"{name}_dim_{i}" for i in range(len(shape))]


def _dataset(arrays: dict[str, np.ndarray], dims: dict, bound, lead: tuple[str, ...]):
    import xarray as xr

    variables, sizes = {}, {}
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        d = _dims_for(name, arr.shape[len(lead):], dims)
        sizes.update(zip(d, arr.shape[len(lead):]))
        variables[name] = ((*lead, *d), arr)
    coords = _coords(bound, sizes)
    if lead:
        n_chain, n_draw = next(iter(arrays.values())).shape[:2]
        coords.update(chain=np.arange(n_chain), draw=np.arange(n_draw))
    return xr.Dataset(variables, coords=coords)


def _data_groups(model, bound, meta_dims):
    observed = {n.observed for n in model.ir.nodes if getattr(n, "role", None) == "observed"}
    dims = {d.name: d.dims for d in model.ir.data}
    obs = {k: v for k, v in bound.values.items() if k in observed}
    const = {k: v for k, v in bound.values.items() if k not in observed}
    return ({k: list(dims.get(k, ())) for k in bound.values} | meta_dims), obs, const


def to_datatree(model, bound, meta: dict, outs: list[np.ndarray], stats: dict, step_size: np.ndarray):
    """The DataTree of one run of a compiled sampling program."""
    import xarray as xr

    names = meta["expand_names"]
    n_ll = meta["n_loglik"]
    dims = meta["dims"]
    posterior = dict(zip(names[: len(names) - n_ll], outs[: len(names) - n_ll]))
    loglik = dict(zip(names[len(names) - n_ll:], outs[len(names) - n_ll:]))
    n_draw = stats["lp"].shape[1]
    stats = {**stats, "step_size": np.repeat(np.asarray(step_size)[:, None], n_draw, axis=1)}
    data_dims, obs, const = _data_groups(model, bound, dims)
    groups = {
        "posterior": _dataset(posterior, dims, bound, ("chain", "draw")),
        "sample_stats": _dataset(stats, {}, bound, ("chain", "draw")),
        "log_likelihood": _dataset(loglik, {**dims, **data_dims}, bound, ("chain", "draw")),
        "observed_data": _dataset(obs, data_dims, bound, ()),
        "constant_data": _dataset(const, data_dims, bound, ()),
    }
    groups = {k: v for k, v in groups.items() if v.data_vars or k == "posterior"}
    return xr.DataTree.from_dict(groups)
