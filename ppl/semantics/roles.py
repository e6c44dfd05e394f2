"""Roles decided from the whole model: generated quantities and discrete latents.

A random variable that no observed variable and no ``potential`` depends on
is a *generated quantity*: drawn after inference, once per draw (Stan's
generated quantities).  Whatever depends on one is computed after inference
too.  A discrete parameter that the likelihood depends on needs
marginalization.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import PplError
from . import ir
from . import messages as msg
from .types import Support


__all__ = ["assign_roles", "references", "node_refs"]


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


def _ancestors(model: ir.Model, roots: list[str]) -> set[str]:
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
    needed = _ancestors(model, roots)
    generated = {n.name for n in model.nodes
                 if isinstance(n, ir.RandomVar) and n.role == "param" and n.name not in needed}
    for node in model.nodes:  # in order: what depends on a generated quantity is generated too
        if node.name not in generated and node_refs(node) & generated and not _is_root(node):
            generated.add(node.name)
    return frozenset(generated)


def _is_root(node: ir.Node) -> bool:
    return isinstance(node, ir.PotentialNode) or (isinstance(node, ir.RandomVar) and node.role == "observed")


_BOUNDED_BELOW = (Support.BOOL, Support.COUNT, Support.POSITIVE_INT)


def _finite(dist: ir.DistExpr) -> bool:
    """Finite support: a finite distribution, or one truncated to a finite range.

    ``Truncated(..., upper=N)`` alone makes a count distribution finite (it is
    bounded below already); an integer distribution unbounded below needs both.
    """
    if isinstance(dist, ir.Wrapped):
        if dist.kind == "Truncated" and _finite_bound(dist.upper):
            return dist.inner.support in _BOUNDED_BELOW or _finite_bound(dist.lower) or _finite(dist.inner)
        return _finite(dist.inner)
    return dist.name in ("Bernoulli", "Categorical", "DiscreteUniform", "Binomial", "BetaBinomial")


def _finite_bound(bound: ir.Expr | None) -> bool:
    """A bound that is given and not a literal infinity (``inf``, ``-inf``)."""
    if isinstance(bound, ir.Apply) and bound.fn == "neg":
        return _finite_bound(bound.args[0])
    return bound is not None and not (isinstance(bound, ir.Const) and math.isinf(bound.value))


def _check_discrete_latents(model: ir.Model, generated, marginalize: bool) -> None:
    for node in model.nodes:
        if not (isinstance(node, ir.RandomVar) and node.role == "param" and node.name not in generated):
            continue
        if not node.dist.discrete or not marginalize:
            continue
        raise PplError(msg.needs_marginalization(node.span, node.name, node.dist.name, _finite(node.dist)))


def assign_roles(model: ir.Model, marginalize: bool = True) -> ir.Model:
    """Mark generated quantities; reject discrete latents that need marginalization."""
    generated = _generated(model)
    _check_discrete_latents(model, generated, marginalize)
    nodes = tuple(replace(n, role="generated") if isinstance(n, ir.RandomVar) and n.name in generated else n
                  for n in model.nodes)
    return replace(model, nodes=nodes, generated=generated)



