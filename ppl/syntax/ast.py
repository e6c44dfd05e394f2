"""The surface syntax tree: what was written, with a span on every node.

Nodes are frozen dataclasses; spans take no part in equality or ``repr``
(as Python's ``ast.dump(include_attributes=False)``), so structural tests
ignore layout.  :func:`dump` prints a tree for golden tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Union

from ..errors import NO_SPAN, Span

__all__ = [
    "Node", "Ident", "Number", "Name", "Unary", "Binary", "Keyword", "Call",
    "Slice", "Index", "Vector", "Expr", "TypeSpec", "ModelStmt", "DimStmt",
    "DataStmt", "SampleStmt", "AssignStmt", "LetStmt", "PotentialStmt", "Stmt",
    "Program", "dump",
]


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Node:
    """Base class: every node has a span."""


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str
    span: Span = _span()


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float
    text: str
    span: Span = _span()

    @property
    def is_int(self) -> bool:
        return all(c.isdigit() for c in self.text)


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "neg" | "not"
    operand: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # add sub mul div matmul pow and or < <= > >= == !=
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Keyword(Node):
    name: Ident
    value: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call(Node):
    func: Ident
    args: tuple["Expr", ...]
    kwargs: tuple[Keyword, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Slice(Node):
    lo: "Expr | None"
    hi: "Expr | None"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Index(Node):
    base: "Expr"
    items: tuple["Expr | Slice", ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Vector(Node):
    items: tuple["Expr", ...]
    span: Span = _span()


Expr = Union[Number, Name, Unary, Binary, Call, Index, Vector]


# ----------------------------------------------------------------- statements
@dataclass(frozen=True, slots=True)
class TypeSpec(Node):
    base: Ident
    factor_of: Ident | None
    dims: tuple[Ident, ...] | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ModelStmt(Node):
    name: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DimStmt(Node):
    name: Ident
    size: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DataStmt(Node):
    name: Ident
    type: TypeSpec
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SampleStmt(Node):
    name: Ident
    dims: tuple[Ident, ...] | None
    ordered: bool
    dist: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class AssignStmt(Node):
    name: Ident
    dims: tuple[Ident, ...] | None
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class LetStmt(Node):
    name: Ident
    dims: tuple[Ident, ...] | None
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PotentialStmt(Node):
    name: Ident | None
    expr: Expr
    span: Span = _span()


Stmt = Union[ModelStmt, DimStmt, DataStmt, SampleStmt, AssignStmt, LetStmt, PotentialStmt]


@dataclass(frozen=True, slots=True)
class Program(Node):
    stmts: tuple[Stmt, ...]
    description: str = ""
    span: Span = _span()


def _is_leaf(node: object) -> bool:
    return isinstance(node, Node) and not any(
        isinstance(getattr(node, f.name), (Node, tuple)) and getattr(node, f.name)
        for f in fields(node) if f.name != "span")


def _inline(value: object) -> str | None:
    """One-line form of a leaf node, a tuple of leaves, or a plain value; ``None`` if nested."""
    if isinstance(value, tuple) and value and all(_is_leaf(v) for v in value):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    if isinstance(value, tuple) and value:
        return None
    if isinstance(value, Node) and not _is_leaf(value):
        return None
    return repr(value)  # leaf nodes: the dataclass repr, which leaves out the span


def dump(node: object, indent: int = 0) -> str:
    """A stable, span-free, indented dump of a tree (for golden tests).

    One node per line with its fields below it; a leaf node (an identifier, a
    number, a name) and a list of leaves are written inline on their field's
    line, so that a statement reads top-down without noise.
    """
    pad = "  " * indent
    if isinstance(node, tuple):
        return "\n".join(dump(item, indent) for item in node)
    if not isinstance(node, Node) or _is_leaf(node):
        return f"{pad}{node!r}"
    parts = [f"{pad}{type(node).__name__}"]
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        line = _inline(value)
        if line is not None:
            parts.append(f"{pad}  {f.name}: {line}")
        else:
            parts.append(f"{pad}  {f.name}:")
            parts.append(dump(value, indent + 2))
    return "\n".join(parts)
