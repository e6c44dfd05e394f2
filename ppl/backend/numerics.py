"""Numerical failures of a compiled model, explained at the line that causes them.

- :func:`start_error`: when a sampler cannot start (PyMC's ``SamplingError``,
  nutpie's "all initialization points failed"), evaluate each term of the log
  density, and its gradient, at the model's initial point, and name the
  first non-finite one: the variable, its line, the first bad element and
  its data value.
- :func:`improper_variable`: the first free variable whose distribution is
  improper (``Flat``, ``HalfFlat``, also inside ``Truncated``, ``Censored``
  or a mixture): nothing can be drawn from it, so a model with nothing
  observed has no prior to draw, and PyMC cannot pick a starting point for a
  vector of ``Censored(Flat())``;
- :func:`nonfinite_draws`: a warning for every saved variable with NaN or
  infinite draws (a derived quantity such as ``log(x)`` of a negative value),
  so that no NaN result goes unnoticed.
"""

from __future__ import annotations

import numpy as np

from ..errors import NO_SPAN, Diagnostic, PplError, Span
from ..semantics import ir

__all__ = ["start_error", "start_diagnostic", "nonfinite_draws", "improper_variable", "IMPROPER"]

IMPROPER = ("Flat", "HalfFlat")  # distributions with no normalizing constant: nothing can be drawn from them

_IMPUTED_SUFFIXES = ("_observed", "_unobserved")


_MARGINAL_SUFFIX = "_marginal__"  # the potential that sums a marginalized variable out (backend/marginal.py)


def _node_span(model: ir.Model, name: str) -> Span:
    for suffix in _IMPUTED_SUFFIXES + (_MARGINAL_SUFFIX,):  # PyMC splits a partly missing observed variable
        if name.endswith(suffix) and not any(n.name == name for n in model.nodes):
            name = name.removesuffix(suffix)
    return next((n.span for n in model.nodes if n.name == name), NO_SPAN)


def _term_label(name: str) -> str:
    """How a log-density term is named to the user: a marginalized variable by its own name."""
    if name.endswith(_MARGINAL_SUFFIX):
        return f"`{name.removesuffix(_MARGINAL_SUFFIX)}` (summed over its values)"
    return f"`{name}`"


def _index(arr: np.ndarray, mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if arr.ndim else ()


def _label(name: str, idx: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, idx))}]" if idx else name


def _term_logps(pm_model, point, **compile_kwargs) -> list[tuple[str, np.ndarray | str]]:
    """Each variable's and potential's elementwise log density at ``point``.

    A term whose parameters PyMC finds invalid (``ParameterValueError``: say a
    censoring bound above the other) gives the message instead of values;
    each term is then compiled on its own to tell which one it is.
    """
    from pymc.logprob.utils import ParameterValueError

    factors = pm_model.basic_RVs + pm_model.potentials
    outs = pm_model.logp(factors, sum=False)
    try:
        fn = pm_model.compile_fn(inputs=pm_model.value_vars, outs=outs, on_unused_input="ignore", **compile_kwargs)
        return [(f.name, np.asarray(v)) for f, v in zip(factors, fn(point))]
    except ParameterValueError:
        pass
    out = []
    for factor, logp in zip(factors, outs):
        try:
            fn = pm_model.compile_fn(inputs=pm_model.value_vars, outs=logp, on_unused_input="ignore",
                                     **compile_kwargs)
            out.append((factor.name, np.asarray(fn(point))))
        except ParameterValueError as exc:
            out.append((factor.name, str(exc).split("\n")[0]))
    return out


def _data_value(pm_model, name: str, idx: tuple[int, ...]) -> str:
    rv = pm_model.named_vars.get(name)
    data = pm_model.rvs_to_values.get(rv) if rv is not None and rv in pm_model.observed_RVs else None
    if data is None:
        return ""
    try:
        value = np.asarray(data.eval() if hasattr(data, "eval") else data)
        return f" (the datum is {float(value[idx] if idx else value):g})"
    except (TypeError, ValueError, IndexError):
        return ""


def _logp_diagnostic(model: ir.Model, pm_model, point, **compile_kwargs) -> Diagnostic | None:
    for name, logp in _term_logps(pm_model, point, **compile_kwargs):
        if isinstance(logp, str):
            return Diagnostic("E-start", f"the parameters of {_term_label(name)} are invalid at the starting point: {logp}",
                              _node_span(model, name), "check its parameters and bounds against the data")
        bad = ~np.isfinite(logp)
        if not bad.any():
            continue
        idx = _index(logp, bad)
        value = float(logp[idx] if idx else logp)
        observed = pm_model.named_vars.get(name) in pm_model.observed_RVs
        where = f", first at {_label(name, idx)}{_data_value(pm_model, name, idx)}" if idx else \
            _data_value(pm_model, name, idx)
        hint = ("check these data against the distribution: its support, and extreme values (rescale data "
                "larger than about 1e150)" if observed else
                "check the parameters of this distribution (a zero or negative scale, bounds that exclude the start)")
        return Diagnostic("E-start", f"the log density of {_term_label(name)} is {value:g} at the starting point{where}",
                          _node_span(model, name), hint)
    return None


def _gradient_diagnostic(model: ir.Model, pm_model, point, **compile_kwargs) -> Diagnostic | None:
    fn = pm_model.compile_dlogp(**compile_kwargs)
    grad = np.asarray(fn(point))
    if np.isfinite(grad).all():
        return None
    offset = 0
    for var in pm_model.value_vars:
        size = int(np.prod(point[var.name].shape, dtype=int))
        if not np.isfinite(grad[offset:offset + size]).all():
            name = pm_model.values_to_rvs[var].name
            return Diagnostic("E-start", f"the gradient of the log density with respect to `{name}` is not finite "
                              "at the starting point", _node_span(model, name),
                              "a term such as sqrt(x) or log(x) at x = 0, or overflow in exp(): rescale, or "
                              "reparameterize")
        offset += size
    return None


def _improper_in(dist) -> str | None:
    """The improper distribution inside ``dist`` (through wrappers and mixtures), or ``None``."""
    if isinstance(dist, ir.Wrapped):
        return _improper_in(dist.inner)
    if isinstance(dist, ir.MixtureOf):
        return next((found for c in dist.components if (found := _improper_in(c))), None)
    return dist.name if dist.name in IMPROPER else None


def improper_variable(model: ir.Model) -> tuple[ir.RandomVar, str] | None:
    """The first unobserved ``~`` variable with an improper distribution, and that distribution's name."""
    for node in model.nodes:
        if isinstance(node, ir.RandomVar) and node.role != "observed" and (found := _improper_in(node.dist)):
            return node, found
    return None


def _no_start_point(model: ir.Model, exc: Exception) -> Diagnostic | None:
    """PyMC drew the starting point of a vector of ``Censored(Flat())``, which cannot be drawn from."""
    found = improper_variable(model)
    if found is None or "Cannot sample from" not in str(exc):
        return None
    node, name = found
    return Diagnostic("E-start", f"PyMC cannot choose a starting point for `{node.name}`: its distribution "
                      f"({node.dist.name} of {name}) is improper and cannot be drawn from", node.span,
                      f"give `{node.name}` a proper distribution (for example Normal with a wide scale)")


def start_diagnostic(model: ir.Model, pm_model, **compile_kwargs) -> Diagnostic | None:
    """The first term whose log density or gradient is not finite at the initial point, or ``None``.

    ``compile_kwargs`` go to PyTensor (``mode="FAST_COMPILE"`` in the fuzz tests).
    """
    try:
        point = pm_model.initial_point()
    except NotImplementedError as exc:
        diag = _no_start_point(model, exc)
        if diag is None:
            raise
        return diag
    return _logp_diagnostic(model, pm_model, point, **compile_kwargs) or \
        _gradient_diagnostic(model, pm_model, point, **compile_kwargs)


def start_error(model: ir.Model, pm_model) -> PplError | None:
    """A located :class:`PplError` explaining why sampling could not start, or ``None`` if it is not that."""
    diag = start_diagnostic(model, pm_model)
    return None if diag is None else PplError(diag)


def nonfinite_draws(model: ir.Model, result) -> list[Diagnostic]:
    """A warning per saved variable whose draws hold NaN or infinite values."""
    if "posterior" not in getattr(result, "children", {}):
        return []
    out = []
    for name, var in result["posterior"].data_vars.items():
        values = np.asarray(var.values)
        if values.dtype.kind not in "fc":
            continue
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        draws = bad.reshape(bad.shape[0], bad.shape[1], -1).any(axis=-1)
        idx = _index(values, bad)
        first = f"chain {idx[0]}, draw {idx[1]}" + (f", {_label(name, idx[2:])}" if len(idx) > 2 else "")
        out.append(Diagnostic("W-nonfinite-draws", f"`{name}` is NaN or infinite in {int(draws.sum())} of "
                              f"{draws.size} draws (first: {first} = {values[idx]})", _node_span(model, name),
                              "a derived quantity outside its function's domain (log or sqrt of a negative "
                              "value), or overflow: check the expression", severity="warning"))
    return out
