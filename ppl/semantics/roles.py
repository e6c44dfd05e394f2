"""Roles decided from the whole model: generated quantities.

A random variable that no observed variable and no ``potential`` depends on
is a *generated quantity*: drawn after inference, once per draw (Stan's
generated quantities).  Whatever depends on one is computed after inference
too.  Which discrete latents are summed out is decided next, by
:mod:`ppl.semantics.marginal`.
"""

from __future__ import annotations

from dataclasses import replace

from . import ir

__all__ = ["assign_roles", "references", "node_refs", "ancestors", "is_root"]


def references(expr: ir.Expr) -> set[str]:
    """Names an expression refers to."""
    out: set[str] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ir.Ref):
            out.add(e.name)
        stack.extend(e.children())
    return out


def node_refs(node: ir.Node) -> set[str]:
    if isinstance(node, ir.RandomVar):
        refs: set[str] = set()
        for child in node.dist.children():
            refs |= references(child)
        return refs - {node.name}
    return references(node.expr)


def ancestors(model: ir.Model, roots: list[str]) -> set[str]:
    deps = {n.name: node_refs(n) for n in model.nodes}
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        for parent in deps.get(name, ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _generated(model: ir.Model) -> frozenset[str]:
    roots = [n.name for n in model.nodes
             if isinstance(n, ir.PotentialNode) or (isinstance(n, ir.RandomVar) and n.role == "observed")]
    needed = ancestors(model, roots)
    generated = {n.name for n in model.nodes
                 if isinstance(n, ir.RandomVar) and n.role == "param" and n.name not in needed}
    for node in model.nodes:  # in order: what depends on a generated quantity is generated too
        if node.name not in generated and node_refs(node) & generated and not is_root(node):
            generated.add(node.name)
    return frozenset(generated)


def is_root(node: ir.Node) -> bool:
    return isinstance(node, ir.PotentialNode) or (isinstance(node, ir.RandomVar) and node.role == "observed")


def assign_roles(model: ir.Model, marginalize: bool = True) -> ir.Model:
    """Mark generated quantities (and record whether discrete latents are summed out)."""
    generated = _generated(model)
    nodes = tuple(replace(n, role="generated") if isinstance(n, ir.RandomVar) and n.name in generated else n
                  for n in model.nodes)
    return replace(model, nodes=nodes, generated=generated, marginalize=marginalize)
