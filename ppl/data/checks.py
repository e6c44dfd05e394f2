"""Warnings about valid data that make inference fragile: found when data are bound.

None of these is an error: the data fit their declarations.  They are
:class:`~ppl.errors.Diagnostic` warnings that travel with the bound data and
are printed after sampling (``ppl sample``) and stored in the result.

- ``W-data-ignored``: entries the model does not declare (a typo, or the
  wrong file), except Stan-style sizes (``"N": 100`` when a dim has size 100).
- ``W-data-extreme``: magnitudes whose squares overflow float64 (> 1e150),
  so that a Normal log density of them is ``-inf``.
- ``W-data-subnormal``: nonzero magnitudes below the smallest normal float
  (2.2e-308), which have lost precision.
- ``W-data-constant``: a covariate or an observed variable whose values are
  all equal (a slope that cannot be told from an intercept; a scale pushed to
  zero; a probability pushed to 0 or 1).
- ``W-separation``: a binary outcome that one covariate separates perfectly,
  or, failing that, a linear combination of all its covariates (a linear
  program, as in Konis 2007, "Linear programming algorithms for detecting
  separated data in binary logistic regression models", DPhil thesis,
  Oxford); the likelihood then grows without bound in those coefficients,
  whose posterior is set by the prior alone (Albert & Anderson 1984; Gelman et al.
  2008, "A weakly informative default prior distribution for logistic and
  other regression models", Annals of Applied Statistics 2(4), 1360-1383).
"""

from __future__ import annotations

import numpy as np

from ..errors import NO_SPAN, Diagnostic, Span
from ..semantics import ir
from ..semantics.roles import node_refs
from ..semantics.types import VType

__all__ = ["data_warnings", "EXTREME_MAGNITUDE", "SUBNORMAL_LIMIT", "MAX_SEPARATION_CELLS"]

EXTREME_MAGNITUDE = 1e150  # squares of larger values overflow float64 (max ~1.8e308)
SUBNORMAL_LIMIT = float(np.finfo(np.float64).tiny)  # 2.2e-308: smaller nonzero values are subnormal
_REAL = (VType.REAL, VType.POSITIVE, VType.UNIT)
MAX_SEPARATION_CELLS = 200_000  # observations x covariates beyond which the joint (LP) check is skipped


def _warn(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, hint, severity="warning")


def _at(name: str, arr: np.ndarray, mask: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(mask)[0]) if arr.ndim else ()
    where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
    return f"{where} = {float(arr[idx] if idx else arr):g}"


def _is_size_entry(value, sizes: dict[str, int]) -> bool:
    """A Stan-style size entry (``"N": 100``): a scalar integer equal to the size of some dim."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in sizes.values()


def _ignored(extra: dict, sizes: dict[str, int]) -> list[Diagnostic]:
    ignored = [name for name, value in extra.items() if not _is_size_entry(value, sizes)]
    if not ignored:
        return []
    names = ", ".join(f"`{n}`" for n in ignored[:10]) + (", ..." if len(ignored) > 10 else "")
    return [_warn("W-data-ignored", f"the data entries {names} are not declared in the model; they are ignored",
                  NO_SPAN, "check for a misspelled name, or declare them with `data NAME: TYPE[...]`")]


def _magnitudes(decl: ir.DataDecl, arr: np.ndarray) -> list[Diagnostic]:
    finite = np.where(np.isfinite(arr), np.abs(arr), 0.0)
    out = []
    huge = finite > EXTREME_MAGNITUDE
    if huge.any():
        out.append(_warn("W-data-extreme", f"data `{decl.name}` has extreme values ({_at(decl.name, arr, huge)}): "
                         "their squares overflow to infinity in a log density", decl.span,
                         "rescale the data (other units, or standardize) so that magnitudes stay below 1e150"))
    tiny = (finite > 0) & (finite < SUBNORMAL_LIMIT)
    if tiny.any():
        out.append(_warn("W-data-subnormal", f"data `{decl.name}` has values below 2.2e-308 "
                         f"({_at(decl.name, arr, tiny)}), which have lost precision", decl.span,
                         "rescale the data, or write such values as 0"))
    return out


def _constant(decl: ir.DataDecl, arr: np.ndarray, observed: bool) -> list[Diagnostic]:
    values = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr.ravel()
    if values.size < 2 or values.min() != values.max():
        return []
    value = f"{float(values[0]):g}"
    if not observed:
        why = "a coefficient multiplying it cannot be told apart from an intercept"
    elif decl.vtype is VType.BOOL:
        why = "the probability is pushed to the boundary; only the prior keeps it away"
    else:
        why = "a scale parameter fit to it is pushed towards zero, which samplers find hard"
    return [_warn("W-data-constant", f"every value of `{decl.name}` is {value}: {why}", decl.span,
                  "check that these are the intended data")]


# --------------------------------------------------------------- separation
def _inputs(model: ir.Model, node: ir.Node) -> set[str]:
    """Names a node depends on through derived quantities and locals (not through random variables)."""
    derived = {n.name: n for n in model.nodes if isinstance(n, ir.Derived)}
    seen: set[str] = set()
    stack = list(node_refs(node))
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            if name in derived:
                stack.extend(node_refs(derived[name]))
    return seen


def _separating_column(x: np.ndarray, y: np.ndarray) -> tuple[int, str] | None:
    """The first column of ``x`` (observations on axis 0) that separates ``y`` in 0/1, and how."""
    ones, zeros = x[y == 1], x[y == 0]
    for j in range(x.shape[1]):
        lo1, hi1, lo0, hi0 = ones[:, j].min(), ones[:, j].max(), zeros[:, j].min(), zeros[:, j].max()
        if hi0 < lo1:
            return j, f"every 1 has a value >= {lo1:g} and every 0 a value <= {hi0:g}"
        if hi1 < lo0:
            return j, f"every 1 has a value <= {hi1:g} and every 0 a value >= {lo0:g}"
    return None


def _jointly_separated(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether some ``w``, ``b`` give ``x_i . w + b >= 1`` where ``y_i = 1`` and ``<= -1`` where ``y_i = 0``.

    Complete separation as a linear feasibility problem (Konis 2007, ch. 3);
    scaling makes the margin 1 free.  ``False`` when the solver fails.
    """
    from scipy.optimize import linprog

    sign = np.where(y == 1, 1.0, -1.0)[:, None]
    a_ub = -sign * np.hstack([x, np.ones((len(y), 1))])
    res = linprog(np.zeros(x.shape[1] + 1), A_ub=a_ub, b_ub=-np.ones(len(y)), bounds=(None, None),
                  method="highs")
    return res.status == 0


def _separation(model: ir.Model, node: ir.RandomVar, values: dict, decls: dict) -> list[Diagnostic]:
    y = values.get(node.observed)
    if node.dist.name != "Bernoulli" or y is None or y.ndim != 1 or y.dtype.kind == "f":
        return []
    if y.min() == y.max():
        return []
    out, inputs = [], {}
    for name in sorted(_inputs(model, node)):
        decl = decls.get(name)
        if decl is None or decl.vtype not in _REAL or name not in values or not decl.dims:
            continue
        if decl.dims[0] != node.dims[0] or len(decl.dims) > 2:
            continue
        x = values[name].reshape(len(y), -1)
        if not np.isfinite(x).all():
            continue
        inputs[name] = x
        found = _separating_column(x, y)
        if found is not None:
            column = f"`{name}`" if x.shape[1] == 1 else f"column {found[0]} of `{name}`"
            out.append(_warn("W-separation", f"`{node.observed}` is perfectly separated by {column}: {found[1]}",
                             node.span, f"the likelihood alone sends the coefficient of {column} to infinity; its "
                             "posterior is then set by its prior, so give it a proper, informative one"))
    if out or not inputs:
        return out
    x = np.hstack(list(inputs.values()))
    if x.size <= MAX_SEPARATION_CELLS and _jointly_separated(x, y):
        names = ", ".join(f"`{n}`" for n in inputs)
        few = " (no fewer observations than covariates)" if len(y) <= x.shape[1] + 1 else ""
        out.append(_warn("W-separation", f"`{node.observed}` is perfectly separated by a linear combination of "
                         f"{names}{few}: a line through them puts every 1 on one side and every 0 on the other",
                         node.span, "the likelihood alone sends the coefficients to infinity along that direction; "
                         "their posterior is then set by the prior, so give them proper, informative ones"))
    return out


def data_warnings(model: ir.Model, values: dict[str, np.ndarray], extra: dict | None = None,
                  sizes: dict[str, int] | None = None) -> tuple[Diagnostic, ...]:
    """Every warning about the bound ``values`` of ``model`` (see the module docstring).

    ``extra`` holds the undeclared entries (name -> raw value); Stan-style
    size entries among them (a scalar integer equal to a dim's size) are
    not warned about.
    """
    observed = {n.observed for n in model.observed}
    decls = {d.name: d for d in model.data}
    out = _ignored(extra or {}, sizes or {})
    for decl in model.data:
        arr = values.get(decl.name)
        if arr is None or decl.vtype is VType.FACTOR:
            continue
        if decl.vtype in _REAL:
            out += _magnitudes(decl, arr)
        if decl.vtype in _REAL or (decl.vtype is VType.BOOL and decl.name in observed):
            out += _constant(decl, arr, decl.name in observed)
    for node in model.observed:
        out += _separation(model, node, values, decls)
    return tuple(out)
