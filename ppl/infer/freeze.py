"""``freeze_data(pm_model) -> pm.Model``: every data tensor of a built model as a compile-time constant.

ppl's lowering keeps data in shared variables (named ``pm.Data`` covariates,
and the unnamed shared variables behind observed data and factor codes) so a
built model can be re-bound to new data without recompiling
(:mod:`ppl.backend.rebind`).  For one sampling run that flexibility costs:
nutpie compiles the logp/gradient function with Numba, and every shared
variable becomes an argument unpacked from nutpie's user data inside the
compiled C callback, which Numba has to type and compile.  Measured on
``linear_regression_predict``: 3.2 s of CPU for ``nutpie.compile_pymc_model``
with the shared data, 1.8 s with PyMC's ``freeze_model=True`` (which freezes
the named ``pm.Data`` only), 1.1-1.6 s with everything frozen, the same as
the hand-written model with NumPy constants (whose compiled graph is then op
for op the same).  Constants also let PyTensor fold data-only subgraphs
(``log(exposure)``) out of the per-gradient work; on PyMC's C backend the
per-gradient shape checks and broadcasts of the data go too (three_gaussians:
1.02 -> 1.005 times ``pm.NormalMixture``'s CPU time per gradient).

The transformation is PyMC's ``freeze_dims_and_data``
(``pymc/model/transform/optimization.py``, PyMC 6.4) widened from the named
data to every tensor shared variable of the graph: the model goes through
``fgraph_from_model``, the shared variables are replaced by constants of the
same type, value variables are recreated (so static shapes propagate), and the
model comes back with ``model_from_fgraph`` with its initial values and
its variables in their original order.  Random
generators (shared, but not tensors) stay shared.  The nutpie draws are the same
as on the model as built, at the same seed (checked in the tests).
"""

from __future__ import annotations

__all__ = ["freeze_data"]


def freeze_data(pm_model):
    """A copy of ``pm_model`` whose data are constants; the original is not changed."""
    from pymc.model.fgraph import fgraph_from_model, model_from_fgraph
    from pytensor.compile import SharedVariable
    from pytensor.graph import FunctionGraph
    from pytensor.graph.replace import clone_replace
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor import TensorType

    fg = _fgraph_without_initvals(pm_model, fgraph_from_model)
    frozen = {v: v.type.constant_type(type=v.type, data=v.get_value(), name=v.name)
              for v in ancestors(fg.outputs)
              if isinstance(v, SharedVariable) and isinstance(v.type, TensorType)}
    coords, dim_lengths = fg._coords, fg._dim_lengths
    fg = FunctionGraph(outputs=clone_replace(fg.outputs, replace=frozen, rebuild_strict=False), clone=False)
    fg._coords = coords
    fg._dim_lengths = {dim: frozen.get(length, length) for dim, length in dim_lengths.items()}
    fg.replace_all(tuple(_new_value_vars(fg).items()), import_missing=True)
    new_model = model_from_fgraph(fg, mutate_fgraph=True)
    _keep_order(new_model, pm_model)
    for rv, initval in pm_model.rvs_to_initial_values.items():
        if initval is not None:
            new_model.set_initval(new_model[rv.name], initval)
    return new_model


_ORDERED = ("free_RVs", "observed_RVs", "deterministics", "potentials", "data_vars")


def _keep_order(new_model, pm_model) -> None:
    """The round trip lists variables in topological order; restore the model's own order.

    The order of the free variables is the order of the sampler's flat
    parameter vector (and so of its initial jitter and draws); the order of the
    named variables is the order of the output's variables.
    """
    for attr in _ORDERED:
        rank = {v.name: i for i, v in enumerate(getattr(pm_model, attr))}
        getattr(new_model, attr).sort(key=lambda v: rank.get(v.name, len(rank)))
    rank = {name: i for i, name in enumerate(pm_model.named_vars)}
    items = sorted(new_model.named_vars.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    new_model.named_vars.clear()
    new_model.named_vars.update(items)


def _fgraph_without_initvals(pm_model, fgraph_from_model):
    """``fgraph_from_model`` refuses initial values (``ordered`` parameters have some): set aside meanwhile."""
    saved = dict(pm_model.rvs_to_initial_values)
    try:
        for rv in saved:
            pm_model.rvs_to_initial_values[rv] = None
        fg, _ = fgraph_from_model(pm_model)
    finally:
        pm_model.rvs_to_initial_values.update(saved)
    return fg


def _new_value_vars(fg) -> dict:
    """Fresh value variables typed from the (now static-shaped) random variables."""
    from pymc.model.fgraph import ModelFreeRV

    out = {}
    for node in fg.apply_nodes:
        if not isinstance(node.op, ModelFreeRV):
            continue
        rv, old_value, *_ = node.inputs
        transform = node.op.transform
        new = rv.type() if transform is None else transform.forward(rv, *rv.owner.inputs).type()
        new.name = old_value.name
        out[old_value] = new
    return out
