"""A readable, stable dump of the checked IR (``ppl show`` and golden tests)."""

from __future__ import annotations

from . import ir

__all__ = ["show_model", "show_expr"]

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
        "data": "size from the data", "fixed": f"size {d.size}", "twin": f"twin of {d.source}",
        "datum": f"size from datum {d.source}", "factor": f"levels of factor {d.source}",
        "slice": "size from its first use",
    }[d.size_kind]
    return f"  dim {d.name:<16} {source}"


def _node_line(n: ir.Node, generated) -> str:
    if isinstance(n, ir.RandomVar):
        role = "ordered " + n.role if n.ordered else n.role
        return f"  {n.name:<16} {role:<16} {_dims(n.dims):<20} ~ {show_dist(n.dist)}"
    if isinstance(n, ir.Derived):
        role = n.role + (" (generated)" if n.name in generated else "")
        return f"  {n.name:<16} {role:<16} {_dims(n.dims):<20} = {show_expr(n.expr)}"
    return f"  {n.name:<16} {'potential':<16} {'':<20} + sum({show_expr(n.expr)})"


def show_model(model: ir.Model) -> str:
    """The checked model: dims, data, and every statement with role and dims."""
    lines = [f"model {model.name or '(unnamed)'}"]
    lines += [_dim_line(d) for d in model.dims]
    for d in model.data:
        of = f"({d.factor_of})" if d.factor_of else ""
        lines.append(f"  data {d.name:<15} {d.vtype}{of}{_dims(d.dims) if d.dims else ''}")
    lines += [_node_line(n, model.generated) for n in model.nodes]
    return "\n".join(lines)
