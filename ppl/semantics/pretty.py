"""A readable, stable dump of the checked IR (``ppl show`` and golden tests)."""

from __future__ import annotations

from . import ir
from .types import Support

__all__ = ["show_model", "show_expr", "show_marginal", "show_missing"]

_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "and": "and", "or": "or"}


def _dims(dims) -> str:
    return "[" + ", ".join(ir.dim_label(d) for d in dims) + "]"


def show_expr(e: ir.Expr) -> str:
    """An expression with its resolved structure (gathers, contractions, dims)."""
    return _SHOW[type(e)](e)


def _apply(e: ir.Apply) -> str:
    args = [show_expr(a) for a in e.args]
    if e.fn in _OPS and len(args) == 2:
        return f"({args[0]} {_OPS[e.fn]} {args[1]})"
    if e.fn in ("<", "<=", ">", ">=", "==", "!="):
        return f"({args[0]} {e.fn} {args[1]})"
    if e.fn == "neg":
        return f"-{args[0]}"
    return f"{e.fn}({', '.join(args)})"


_SHOW = {
    ir.Const: lambda e: repr(e.value),  # `inf` too (int(inf) raised OverflowError: found by the fuzz run)
    ir.Ref: lambda e: e.name,
    ir.SizeOf: lambda e: f"size({ir.dim_label(e.dim)})",
    ir.VectorLit: lambda e: "[" + ", ".join(show_expr(i) for i in e.items) + "]",
    ir.Apply: _apply,
    ir.Relabel: lambda e: f"{show_expr(e.arg)} as {_dims(e.dims)}",
    ir.Reduce: lambda e: f"{e.fn}({show_expr(e.arg)}" + (f", {ir.dim_label(e.over)})" if e.over else ")"),
    ir.Scan: lambda e: f"{e.fn}({show_expr(e.arg)}, {ir.dim_label(e.along)})",
    ir.Contract: lambda e: f"contract({show_expr(e.left)}, {show_expr(e.right)}, {ir.dim_label(e.over)})",
    ir.TakeAt: lambda e: f"take({show_expr(e.base)}, {ir.dim_label(e.dim)}={show_expr(e.index)})",
    ir.Gather: lambda e: f"gather({show_expr(e.base)}, {ir.dim_label(e.dim)}<-{show_expr(e.index)})",
    ir.SliceOp: lambda e: f"slice({show_expr(e.base)}, {ir.dim_label(e.dim)}[{'' if e.lo is None else e.lo}:"
                          f"{'' if e.hi is None else e.hi}])",
    ir.Fill: lambda e: f"fill({show_expr(e.value)}, {_dims(e.dims)})",
}


def show_dist(d: ir.DistExpr) -> str:
    if isinstance(d, ir.Wrapped):
        bounds = [f"{k}={show_expr(v)}" for k, v in (("lower", d.lower), ("upper", d.upper)) if v is not None]
        return f"{d.kind}({show_dist(d.inner)}, {', '.join(bounds)})"
    if isinstance(d, ir.MixtureOf):
        comps = ", ".join(show_dist(c) for c in d.components)
        return f"Mixture(w={show_expr(d.weights)}, [{comps}]) over {ir.dim_label(d.component_dim)}"
    params = ", ".join(f"{k}={show_expr(v)}" for k, v in d.params)
    extra = f" consumes {ir.dim_label(d.consumed)}" if d.consumed is not None else ""
    event = f" event {_dims(d.event)}" if d.event else ""
    return f"{d.name}({params}){extra}{event}"


def _dim_line(d: ir.DimDecl) -> str:
    source = {
        "data": lambda: "size from the data", "fixed": lambda: f"size {d.size}",
        "twin": lambda: f"twin of {d.source}", "datum": lambda: f"size from datum {d.source}",
        "factor": lambda: f"levels of factor {d.source}",
        "slice": lambda: f"size {ir.size_label(d.from_size)}" if d.from_size else "size from its first use",
    }[d.size_kind]()
    return f"  {d.name:<16} {source}"


def _data_line(d: ir.DataDecl) -> str:
    of = f"({d.factor_of})" if d.factor_of else ""
    return f"  {d.name:<16} {d.vtype}{of}{_dims(d.dims) if d.dims else ''}"


def _role(n: ir.Node, generated) -> str:
    if isinstance(n, ir.RandomVar):
        return "ordered " + n.role if n.ordered else n.role
    if isinstance(n, ir.Derived):
        return n.role + (" (generated)" if n.name in generated and n.role != "generated" else "")
    return "potential"


# supports whose values are more than their element type
_STRUCTURED = {Support.SIMPLEX: "simplex", Support.CORR_CHOL: "corr-chol", Support.ZERO_SUM: "zero-sum"}


def _rv_type(n: ir.RandomVar) -> str:
    return _STRUCTURED.get(n.dist.support, str(n.vtype))


def _node_line(n: ir.Node, generated) -> str:
    head = f"  {n.name:<16} {_role(n, generated):<20}"
    if isinstance(n, ir.RandomVar):
        index = f"  (indexes {ir.dim_label(n.index_dim)})" if n.index_dim is not None else ""
        return f"{head} {_rv_type(n):<9} {_dims(n.dims):<18} ~ {show_dist(n.dist)}{index}"
    if isinstance(n, ir.Derived):
        return f"{head} {str(n.expr.vtype):<9} {_dims(n.dims):<18} = {show_expr(n.expr)}"
    return f"{head} {'':<9} {'':<18} + sum({show_expr(n.expr)})"


def _size_check_line(check) -> str:
    left, right, _span = check
    return f"  {_size_of(left)} == {_size_of(right)}"


def _size_of(dim: ir.Dim) -> str:
    return ir.size_label(dim.size) if isinstance(dim, ir.Anon) else f"size({dim})"


def _section(title: str, lines: list[str]) -> list[str]:
    return [title] + lines if lines else []


def show_model(model: ir.Model) -> str:
    """The checked model, in sections.

    Its description, dims (where each size comes from), data (type and dims),
    every statement with its role (``param``, ``observed``, ``generated``,
    ``marginalized``, ``derived``, ``tdata``, ``local``, ``potential``), value
    type, dims and the resolved expression or distribution (gathers,
    contractions, consumed and event dims), the generated quantities (drawn per
    posterior draw after inference), which discrete latents are summed out and
    why (or kept discrete), and the size equalities checked when data are bound.
    """
    lines = [f"model {model.name or '(unnamed)'}"]
    lines += [f"  # {line}".rstrip() for line in model.description.splitlines()]
    lines += _section("dims", [_dim_line(d) for d in model.dims])
    lines += _section("data", [_data_line(d) for d in model.data])
    header = f"  {'name':<16} {'role':<20} {'type':<9} {'dims':<18}"
    lines += _section("statements", [header.rstrip()] + [_node_line(n, model.generated) for n in model.nodes])
    order = [n.name for n in model.nodes if n.name in model.generated]
    lines += _section("generated after inference, per draw", [f"  {', '.join(dict.fromkeys(order))}"] if order else [])
    lines += _discrete_lines(model)
    lines += _section("checked when data are bound", [_size_check_line(c) for c in model.size_checks])
    return "\n".join(lines)


def _values_text(m: ir.Marginal) -> str:
    if m.kind == "bool":
        return "values 0, 1"
    if m.kind == "categorical":
        count = f"{m.size} values" if m.size is not None else "one value per position"
        return f"{count} along `{m.value_dim}`"
    count = f"{m.size} values, " if m.size is not None else ""
    return f"{count}from {show_expr(m.lower)} to {show_expr(m.upper)} (the smallest and largest over its elements)"


def show_marginal(m: ir.Marginal) -> list[str]:
    """Why and how one latent is summed out (the check-time decision)."""
    deps = ", ".join(m.dependents)
    through = f" through {', '.join(m.path)}" if m.path else ""
    out = [f"  {m.name} {_dims(m.dims)}: {_values_text(m)}",
           f"    summed out of {deps}{through}: every path is elementwise along {_dims(m.dims)}"]
    if m.carrier is not None:
        out.append(f"    the log-likelihood of {m.carrier} is the marginal one, one value per element of {m.name}")
    probs = f"P({m.name} = 1)" if m.kind == "bool" else f"P({m.name} = value) along `{m.value_dim}`"
    out.append(f"    after inference: {m.name}_probs ({probs}) and draws of {m.name}, per posterior draw")
    return out


def show_missing(model: ir.Model, counts: dict[str, tuple[int, int]], checked: ir.Model | None = None) -> str:
    """The decision for data with missing entries: which discrete observed variables have them summed out.

    ``model`` is the checked model on the data (:func:`ppl.driver.on_data`), ``counts`` maps a variable
    to (missing entries, entries); what ``checked`` (the model without data) computed during inference
    but now runs after it, from the draws of the missing entries, is listed.
    """
    lines = []
    later = [n.name for n in model.nodes if checked is not None and n.name in model.generated - checked.generated]
    for m in (m for m in model.marginals if m.observed):
        missing, total = counts.get(m.name, (0, 0))
        lines.append(f"  {m.name} {_dims(m.dims)}: {missing} of {total} entries missing; {_values_text(m)}")
        if m.dependents:
            through = f" through {', '.join(m.path)}" if m.path else ""
            lines += [f"    summed out of {', '.join(m.dependents)}{through}: every path is elementwise along "
                      f"{_dims(m.dims)}; the observed entries are pinned to their values",
                      f"    the log-likelihood of {m.name} is the marginal one, one value per element of {m.name}"]
        else:
            lines += ["    nothing observed depends on them: they drop out of the model (their probabilities sum to 1)",
                      f"    the log-likelihood of {m.name} is that of its observed entries, along `{m.name}_observed`"]
        probs = f"P({m.name} = 1)" if m.kind == "bool" else f"P({m.name} = value) along `{m.value_dim}`"
        lines.append(f"    after inference: {m.name}_probs ({probs} at the missing entries, NaN at the observed "
                     f"ones) and draws of {m.name} (the observed entries constant), per posterior draw")
    if lines and later:
        lines.append(f"  computed after inference, per draw, from those draws: {', '.join(later)}")
    return "\n".join(_section("summed out where missing (missing entries of discrete data)", lines))


def _discrete_lines(model: ir.Model) -> list[str]:
    kept = [n.name for n in model.nodes
            if isinstance(n, ir.RandomVar) and n.role == "param" and n.dist.discrete]
    summed = [line for m in model.marginals for line in show_marginal(m)]
    lines = _section("summed out (discrete latents marginalized)", summed)
    return lines + _section("kept discrete (marginalization off; PyMC's discrete steps sample them)",
                            [f"  {', '.join(kept)}"] if kept else [])
