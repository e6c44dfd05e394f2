"""The checked intermediate representation: what a model means.

Every expression knows its named dims (in order), its value type and whether
it depends on data only.  Lowering reads only this tree.  Unnamed dims
(:class:`Anon`, from vector literals and partial slices) carry a symbolic
size, resolved when data are bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..errors import NO_SPAN, Span
from .types import Support, VType

__all__ = [
    "Anon", "Dim", "ConstSize", "SliceSize", "Size", "Expr", "Const", "Ref", "SizeOf",
    "VectorLit", "Apply", "Relabel", "Reduce", "Scan", "Contract", "TakeAt", "Gather",
    "SliceOp", "Fill", "Dist", "Wrapped", "MixtureOf", "DistExpr", "DimDecl", "DataDecl",
    "RandomVar", "Derived", "PotentialNode", "Node", "Marginal", "Model", "dim_label",
]


def _span():
    return field(default=NO_SPAN, compare=False, repr=False)


# ----------------------------------------------------------------------- dims
@dataclass(frozen=True, slots=True)
class ConstSize:
    n: int


@dataclass(frozen=True, slots=True)
class SliceSize:
    """``len(range(size(of))[lo:hi])``."""

    of: "Dim"
    lo: int | None
    hi: int | None


Size = Union[ConstSize, SliceSize]


@dataclass(frozen=True, slots=True)
class Anon:
    """An unnamed dim; ``uid`` tells two apart."""

    uid: int
    size: Size

    def __str__(self) -> str:
        return f"<unnamed dim of size {size_label(self.size)}>"


Dim = Union[str, Anon]


def size_label(size: Size) -> str:
    if isinstance(size, ConstSize):
        return str(size.n)
    lo = "" if size.lo is None else size.lo
    hi = "" if size.hi is None else size.hi
    return f"len({dim_label(size.of)}[{lo}:{hi}])"


def dim_label(dim: Dim) -> str:
    return dim if isinstance(dim, str) else "_"


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class Expr:
    dims: tuple[Dim, ...]
    vtype: VType

    @property
    def is_data(self) -> bool:
        return all(c.is_data for c in self.children())

    def children(self) -> tuple["Expr", ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Const(Expr):
    value: float
    span: Span = _span()

    @property
    def is_data(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """A reference to a declared name; ``kind`` is the referenced node's role."""

    name: str
    kind: str  # data | tdata | param | observed | derived | local | generated
    span: Span = _span()

    @property
    def is_data(self) -> bool:
        return self.kind in ("data", "tdata")


@dataclass(frozen=True, slots=True)
class SizeOf(Expr):
    dim: Dim
    span: Span = _span()

    @property
    def is_data(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class VectorLit(Expr):
    """``[a, b, c]``; items already aligned to ``dims[:-1]``; the new dim is last."""

    items: tuple[Expr, ...]
    span: Span = _span()

    def children(self):
        return self.items


@dataclass(frozen=True, slots=True)
class Apply(Expr):
    """An elementwise operator or function; args are aligned by name to ``dims``."""

    fn: str
    args: tuple[Expr, ...]
    span: Span = _span()

    def children(self):
        return self.args


@dataclass(frozen=True, slots=True)
class Relabel(Expr):
    """The same values with some unnamed dims renamed (``dims`` has arg's length)."""

    arg: Expr
    span: Span = _span()

    def children(self):
        return (self.arg,)


@dataclass(frozen=True, slots=True)
class Reduce(Expr):
    """``fn`` over ``over`` (``None``: over everything)."""

    fn: str
    arg: Expr
    over: Dim | None
    span: Span = _span()

    def children(self):
        return (self.arg,)


@dataclass(frozen=True, slots=True)
class Scan(Expr):
    """A shape-keeping op along one dim (softmax, log_softmax, cumsum)."""

    fn: str
    arg: Expr
    along: Dim
    span: Span = _span()

    def children(self):
        return (self.arg,)


@dataclass(frozen=True, slots=True)
class Contract(Expr):
    """``left @ right``: the sum over ``over`` of their elementwise product."""

    left: Expr
    right: Expr
    over: Dim
    span: Span = _span()

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class TakeAt(Expr):
    """``base[k]`` for a scalar integer expression: ``dim`` is dropped."""

    base: Expr
    dim: Dim
    index: Expr
    span: Span = _span()

    def children(self):
        return (self.base, self.index)


@dataclass(frozen=True, slots=True)
class Gather(Expr):
    """``base[idx]`` along ``dim``: that dim is replaced by ``idx``'s dims.

    Dims of ``idx`` that ``base`` also has are matched pointwise.
    """

    base: Expr
    dim: Dim
    index: Expr
    span: Span = _span()

    def children(self):
        return (self.base, self.index)


@dataclass(frozen=True, slots=True)
class SliceOp(Expr):
    """``base[lo:hi]`` along ``dim`` (literal bounds); the result dim is ``new``."""

    base: Expr
    dim: Dim
    lo: int | None
    hi: int | None
    new: Dim
    span: Span = _span()

    def children(self):
        return (self.base,)


@dataclass(frozen=True, slots=True)
class Fill(Expr):
    """``fill(value, d1, ...)``: ``value`` broadcast up to ``dims``."""

    value: Expr
    span: Span = _span()

    def children(self):
        return (self.value,)


# -------------------------------------------------------------- distributions
@dataclass(frozen=True, slots=True)
class Dist:
    """A distribution call with arguments normalised to PyMC's parameter names.

    ``params`` are aligned to ``batch + event`` dims (plus ``consumed`` where a
    parameter carries it, last).  ``static`` holds integer options (``n`` of
    LKJCorr, ``n_zerosum_axes``).
    """

    name: str
    params: tuple[tuple[str, Expr], ...]
    consumed: Dim | None
    event: tuple[Dim, ...]
    support: Support
    static: tuple[tuple[str, int], ...] = ()
    span: Span = _span()

    @property
    def discrete(self) -> bool:
        return self.support.discrete

    def children(self) -> tuple[Expr, ...]:
        return tuple(e for _, e in self.params)


@dataclass(frozen=True, slots=True)
class Wrapped:
    """``Truncated(dist, lower=, upper=)`` or ``Censored(...)``."""

    kind: str  # Truncated | Censored
    inner: Dist
    lower: Expr | None
    upper: Expr | None
    span: Span = _span()

    @property
    def name(self) -> str:
        return self.kind

    @property
    def support(self) -> Support:
        return self.inner.support

    @property
    def discrete(self) -> bool:
        return self.inner.discrete

    @property
    def event(self) -> tuple[Dim, ...]:
        return ()

    def children(self) -> tuple[Expr, ...]:
        bounds = tuple(b for b in (self.lower, self.upper) if b is not None)
        return self.inner.children() + bounds


@dataclass(frozen=True, slots=True)
class MixtureOf:
    """``Mixture(w, [DIST, ...])``: ``w`` carries the component dim last."""

    weights: Expr
    components: tuple[Dist, ...]
    component_dim: Dim
    span: Span = _span()

    name = "Mixture"

    @property
    def support(self) -> Support:
        return self.components[0].support

    @property
    def discrete(self) -> bool:
        return self.components[0].discrete

    @property
    def event(self) -> tuple[Dim, ...]:
        return ()

    def children(self) -> tuple[Expr, ...]:
        return (self.weights,) + tuple(e for c in self.components for e in c.children())


DistExpr = Union[Dist, Wrapped, MixtureOf]


# ----------------------------------------------------------------- statements
@dataclass(frozen=True, slots=True)
class DimDecl:
    """A dim; ``size_kind`` says where its size comes from.

    ``data`` (an entry named like the dim, or the first array that has it),
    ``fixed`` (``size`` is an int), ``datum`` (``source`` names a scalar count
    datum), ``twin`` (``source`` names another dim), ``factor`` (``source``
    names the factor datum whose levels define it), ``slice`` (``from_size``).
    """

    name: str
    size_kind: str
    size: int | None = None
    source: str | None = None
    from_size: Size | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DataDecl:
    name: str
    vtype: VType
    dims: tuple[str, ...]
    factor_of: str | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RandomVar:
    """A ``~`` statement; ``role`` is ``param``, ``observed``, ``generated`` or
    ``marginalized`` (a discrete latent summed out, see :class:`Marginal`).

    For an observed variable ``observed`` names the data (or derived data).
    ``index_dim`` is set for a Categorical: the dim its values index.
    """

    name: str
    dims: tuple[str, ...]
    dist: DistExpr
    role: str
    ordered: bool = False
    observed: str | None = None
    index_dim: Dim | None = None
    span: Span = _span()

    @property
    def vtype(self) -> VType:
        from .types import support_vtype

        return support_vtype(self.dist.support)


@dataclass(frozen=True, slots=True)
class Derived:
    """An ``=`` (role ``derived``, saved) or ``let`` (``local``; ``tdata`` if of data only)."""

    name: str
    dims: tuple[Dim, ...]
    expr: Expr
    role: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PotentialNode:
    name: str
    expr: Expr
    span: Span = _span()


Node = Union[RandomVar, Derived, PotentialNode]


@dataclass(frozen=True, slots=True)
class Marginal:
    """A finite discrete latent summed out of the model, decided at check time.

    ``kind`` is ``bool`` (values 0, 1), ``categorical`` (positions along
    ``value_dim``, the consumed dim of ``p``) or ``range`` (the integers from
    the smallest ``lower`` to the largest ``upper``, both data).  ``path``
    lists the ``let`` and ``=`` nodes between the latent and its
    ``dependents`` (observed variables and potentials, in statement order);
    every one of them is elementwise along ``dims``.  ``carrier`` is the
    observed variable whose pointwise log-likelihood is the marginal (the
    first observed dependent), if any.  ``value_dim`` names the values' dim
    of ``<name>_probs`` (``None`` for a Bernoulli: it holds P(z = 1)).

    ``observed`` marks an observed discrete variable whose *missing* entries
    are summed out (decided when data are bound, :func:`ppl.semantics.marginal.
    plan_missing`): its observed entries are pinned to their values, and it is
    its own carrier.
    """

    name: str
    dims: tuple[str, ...]
    kind: str
    value_dim: str | None
    size: int | None
    lower: Expr | None
    upper: Expr | None
    path: tuple[str, ...]
    dependents: tuple[str, ...]
    carrier: str | None
    observed: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Model:
    """A checked model.

    ``nodes`` are in statement order.  ``generated`` lists nodes computed after
    inference, per draw (generated quantities and what depends on them).
    ``size_checks`` are equalities of unnamed sizes verified when data are
    bound.  ``early_uses`` maps an observed data name to the span of a use
    before its ``~`` line (an error if it turns out to have missing values).
    ``marginals`` are the discrete latents summed out (empty when
    ``marginalize`` is off: then they stay discrete PyMC variables).
    """

    name: str
    description: str
    dims: tuple[DimDecl, ...]
    data: tuple[DataDecl, ...]
    nodes: tuple[Node, ...]
    generated: frozenset[str] = frozenset()
    size_checks: tuple[tuple[Dim, Dim, Span], ...] = ()
    early_uses: tuple[tuple[str, Span], ...] = ()
    marginals: tuple[Marginal, ...] = ()
    marginalize: bool = True

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def data_decl(self, name: str) -> DataDecl:
        return next(d for d in self.data if d.name == name)

    def dim_decl(self, name: str) -> DimDecl:
        return next(d for d in self.dims if d.name == name)

    @property
    def params(self) -> tuple[RandomVar, ...]:
        return tuple(n for n in self.nodes if isinstance(n, RandomVar) and n.role == "param")

    def marginal(self, name: str) -> Marginal | None:
        return next((m for m in self.marginals if m.name == name), None)

    @property
    def observed(self) -> tuple[RandomVar, ...]:
        return tuple(n for n in self.nodes if isinstance(n, RandomVar) and n.role == "observed")
