"""The checker's state: declared dims and names, and dim-matching rules.

Named dims align by name.  An unnamed dim (:class:`~ppl.semantics.ir.Anon`)
matches the one dim of possibly equal size among the other operands; the
equality of sizes that only data can tell is recorded in ``size_checks`` and
verified when data are bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import PplError, Span
from . import ir
from . import messages as msg
from .types import VType

__all__ = ["Symbol", "Context"]


@dataclass(slots=True)
class Symbol:
    """A declared name: ``kind`` is data, tdata, param, observed, derived, local."""

    name: str
    kind: str
    dims: tuple[ir.Dim, ...]
    vtype: VType
    span: Span
    factor_dim: str | None = None  # the dim a factor datum indexes
    index_dim: ir.Dim | None = None  # the dim a Categorical variable indexes
    observed_at: int | None = None  # statement number of a datum's `~`


@dataclass
class Context:
    dims: dict[str, ir.DimDecl] = field(default_factory=dict)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    defined_later: dict[str, Span] = field(default_factory=dict)
    size_checks: list[tuple[ir.Dim, ir.Dim, Span]] = field(default_factory=list)
    early_uses: dict[str, Span] = field(default_factory=dict)
    _uid: int = 0

    # --------------------------------------------------------------- helpers
    def fresh_anon(self, size: ir.Size) -> ir.Anon:
        self._uid += 1
        return ir.Anon(self._uid, size)

    def static_size(self, dim: ir.Dim) -> int | None:
        """The size of ``dim`` if the model file alone fixes it."""
        if isinstance(dim, ir.Anon):
            return self._static_of(dim.size)
        decl = self.dims.get(dim)
        if decl is None:
            return None
        if decl.size_kind == "fixed":
            return decl.size
        if decl.size_kind == "twin":
            return self.static_size(decl.source)
        if decl.size_kind == "slice" and decl.from_size is not None:
            return self._static_of(decl.from_size)
        return None

    def _static_of(self, size: ir.Size) -> int | None:
        if isinstance(size, ir.ConstSize):
            return size.n
        base = self.static_size(size.of)
        return None if base is None else len(range(base)[size.lo:size.hi])

    def compatible(self, a: ir.Dim, b: ir.Dim) -> bool:
        sa, sb = self.static_size(a), self.static_size(b)
        return sa is None or sb is None or sa == sb

    def require_dim(self, ident_name: str, span: Span) -> str:
        if ident_name not in self.dims:
            raise PplError(msg.undefined_dim(span, ident_name, self.dims))
        return ident_name

    # ---------------------------------------------------------- unnamed dims
    def match_anon(self, anon: ir.Anon, pool: list[ir.Dim], span: Span) -> ir.Dim | None:
        """The one dim in ``pool`` that ``anon`` matches; ``None`` if the pool is empty."""
        if not pool:
            return None
        anons = [d for d in pool if isinstance(d, ir.Anon) and self.compatible(anon, d)]
        named = [d for d in pool if isinstance(d, str) and self.compatible(anon, d)]
        candidates = anons or named
        if len(candidates) > 1:
            raise PplError(msg.unnamed_dim_ambiguous(span, candidates))
        if not candidates:
            raise PplError(msg.unnamed_dim_unmatched(span, pool))
        target = candidates[0]
        if isinstance(target, str):
            self.size_from_use(target, anon)
        if self.static_size(anon) is None or self.static_size(target) is None:
            self.size_checks.append((anon, target, span))
        return target

    def relabel(self, expr: ir.Expr, mapping: dict[ir.Dim, ir.Dim]) -> ir.Expr:
        new = tuple(mapping.get(d, d) for d in expr.dims)
        if new == expr.dims:
            return expr
        return ir.Relabel(new, expr.vtype, expr, span=getattr(expr, "span", None) or Span(None, 0, 0, 0, 0))

    def align(self, args: list[ir.Expr], span: Span) -> tuple[tuple[ir.Dim, ...], list[ir.Expr]]:
        """Align operands by dim name; match unnamed dims; return union dims and relabelled args."""
        out = []
        for i, arg in enumerate(args):
            if not any(isinstance(d, ir.Anon) for d in arg.dims):
                out.append(arg)
                continue
            pool = list(dict.fromkeys(d for j, other in enumerate(args) if j != i for d in other.dims
                                      if d not in arg.dims))
            mapping = {}
            for d in arg.dims:
                if isinstance(d, ir.Anon):
                    target = self.match_anon(d, pool, span)
                    if target is not None and (isinstance(target, str) or target.uid < d.uid):
                        mapping[d] = target
            out.append(self.relabel(arg, mapping))
        dims = tuple(dict.fromkeys(d for arg in out for d in arg.dims))
        return dims, out

    def fit_to(self, expr: ir.Expr, want: tuple[ir.Dim, ...], span: Span) -> ir.Expr:
        """Relabel ``expr``'s unnamed dims to dims of ``want`` it lacks."""
        mapping = {}
        free = [d for d in want if d not in expr.dims]
        for d in expr.dims:
            if isinstance(d, ir.Anon):
                target = self.match_anon(d, [f for f in free if f not in mapping.values()], span)
                if target is not None:
                    mapping[d] = target
        return self.relabel(expr, mapping)

    def size_from_use(self, dim: str, anon: ir.Anon) -> None:
        """A sizeless dim takes its size from its first use against an unnamed dim.

        Not from a slice of itself (``let y[d] = x[1:]`` with ``x[d]``): the data
        size ``d`` and the equality is checked when data are bound.
        """
        decl = self.dims[dim]
        if decl.size_kind == "data" and decl.from_size is None and not self._size_uses(anon.size, dim):
            self.dims[dim] = replace(decl, size_kind="slice", from_size=anon.size)

    def _size_uses(self, size: ir.Size, dim: str) -> bool:
        """Whether ``size`` is computed from ``dim`` (through slices, twins and sizes taken from a use)."""
        stack: list = [size]
        while stack:
            item = stack.pop()
            if isinstance(item, ir.Anon):
                stack.append(item.size)
            elif isinstance(item, ir.SliceSize):
                stack.append(item.of)
            elif isinstance(item, str):
                if item == dim:
                    return True
                decl = self.dims.get(item)
                if decl is not None and decl.size_kind == "twin":
                    stack.append(decl.source)
                elif decl is not None and decl.from_size is not None:
                    stack.append(decl.from_size)
        return False
