"""``check(ast.Program) -> ir.Model``: statements, scopes, roles.

Statements are checked in order (a name is defined before it is used).  Then
:mod:`ppl.semantics.roles` decides which random variables are generated
quantities, and :mod:`ppl.semantics.marginal` which discrete latents are
summed out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import PplError, Span
from ..syntax import ast
from . import ir
from . import messages as msg
from .check_dist import check_dist
from .check_expr import check_expr
from .context import Context, Symbol
from .functions import ALIASES, CONSTANTS, FUNCTIONS
from .marginal import plan_marginals
from .roles import assign_roles
from .signatures import DISTRIBUTIONS
from .types import DATA_TYPES, VType, fits_support

__all__ = ["check", "CheckOptions"]

_KEYWORDS = {"model", "dim", "data", "let", "potential", "ordered", "and", "or", "not"}


@dataclass(frozen=True)
class CheckOptions:
    """``marginalize=False`` keeps discrete latents as discrete PyMC variables
    (sampled by PyMC's discrete steps) instead of summing them out."""

    marginalize: bool = True


@dataclass
class _State:
    ctx: Context = field(default_factory=Context)
    nodes: list = field(default_factory=list)
    data: list = field(default_factory=list)
    name: str = ""
    potentials: int = 0
    index: int = 0


def check(program: ast.Program, options: CheckOptions = CheckOptions()) -> ir.Model:
    """Check a parsed program and return its IR.

    Raises
    ------
    PplError
        On the first mistake, with its span, message and hint.
    """
    state = _State()
    state.ctx.defined_later = _all_definitions(program)
    for index, stmt in enumerate(program.stmts):
        state.index = index
        _STATEMENTS[type(stmt)](stmt, state)
    model = ir.Model(
        name=state.name, description=program.description,
        dims=tuple(state.ctx.dims.values()), data=tuple(state.data), nodes=tuple(state.nodes),
        size_checks=tuple(state.ctx.size_checks), early_uses=tuple(state.ctx.early_uses.items()),
    )
    model = assign_roles(model, options.marginalize)
    return plan_marginals(model) if options.marginalize else model


def _all_definitions(program: ast.Program) -> dict[str, Span]:
    out: dict[str, Span] = {}
    for stmt in program.stmts:
        name = getattr(stmt, "name", None)
        if isinstance(name, ast.Ident):
            out.setdefault(name.name, name.span)
    return out


# ------------------------------------------------------------------ defining
def _reserved_reason(name: str) -> str | None:
    if name in _KEYWORDS:
        return "it is a keyword"
    if name in FUNCTIONS or name in ALIASES:
        return "it is a function"
    if name in DISTRIBUTIONS:
        return "it is a distribution"
    if name in CONSTANTS:
        return "it is a constant"
    if name in ("chain", "draw"):
        return "`chain` and `draw` are the dims of the draws"
    if name.endswith("__") or name.endswith("_probs"):
        return "names ending in `__` or `_probs` are reserved"
    return None


def _check_new_name(ident: ast.Ident, state: _State, *, allow_dim: bool = False) -> None:
    ctx = state.ctx
    reason = _reserved_reason(ident.name)
    if reason:
        raise PplError(msg.reserved_name(ident.span, ident.name, reason))
    if ident.name in ctx.symbols:
        raise PplError(msg.redefinition(ident.span, ident.name, ctx.symbols[ident.name].span))
    if ident.name in ctx.dims and not allow_dim:
        raise PplError(msg.dim_name_clash(ident.span, ident.name))


def _dim_list(idents: tuple[ast.Ident, ...] | None, state: _State) -> tuple[str, ...] | None:
    if idents is None:
        return None
    seen: list[str] = []
    for ident in idents:
        state.ctx.require_dim(ident.name, ident.span)
        if ident.name in seen:
            raise PplError(msg.duplicate_dim(ident.span, ident.name))
        seen.append(ident.name)
    return tuple(seen)


# --------------------------------------------------------------- statements
def _model_stmt(stmt: ast.ModelStmt, state: _State) -> None:
    if state.index != 0:
        raise PplError(msg.model_not_first(stmt.span))
    state.name = stmt.name.name


def _dim_stmt(stmt: ast.DimStmt, state: _State) -> None:
    ctx = state.ctx
    name = stmt.name
    if _reserved_reason(name.name):
        raise PplError(msg.reserved_name(name.span, name.name, _reserved_reason(name.name)))
    if name.name in ctx.dims:
        raise PplError(msg.redefinition(name.span, name.name, ctx.dims[name.name].span))
    if name.name in ctx.symbols:
        raise PplError(msg.dim_name_clash(name.span, name.name))
    ctx.dims[name.name] = _dim_size(stmt, ctx)


def _dim_size(stmt: ast.DimStmt, ctx: Context) -> ir.DimDecl:
    name, size = stmt.name.name, stmt.size
    if size is None:
        return ir.DimDecl(name, "data", span=stmt.name.span)
    if isinstance(size, ast.Number) and size.is_int and int(size.text) > 0:
        return ir.DimDecl(name, "fixed", size=int(size.text), span=stmt.name.span)
    if isinstance(size, ast.Name) and size.name in ctx.dims:
        return ir.DimDecl(name, "twin", source=size.name, span=stmt.name.span)
    if isinstance(size, ast.Name) and size.name in ctx.symbols:
        sym = ctx.symbols[size.name]
        if sym.kind == "data" and not sym.dims and sym.vtype in (VType.COUNT, VType.INT):
            return ir.DimDecl(name, "datum", source=size.name, span=stmt.name.span)
    if isinstance(size, ast.Name) and size.name not in ctx.symbols:
        raise PplError(msg.undefined_name(size.span, size.name, list(ctx.dims) + list(ctx.symbols)))
    raise PplError(msg.bad_dim_size(size.span))


def _data_stmt(stmt: ast.DataStmt, state: _State) -> None:
    ctx, spec = state.ctx, stmt.type
    vtype = DATA_TYPES.get(spec.base.name)
    if vtype is None:
        raise PplError(msg.unknown_type(spec.base.span, spec.base.name, DATA_TYPES))
    is_factor = vtype is VType.FACTOR
    _check_new_name(stmt.name, state)
    if spec.factor_of is not None and not is_factor:
        raise PplError(msg.type_arg_not_factor(spec.factor_of.span))
    dims = _dim_list(spec.dims, state) or ()
    factor_dim = None
    if is_factor:
        if len(dims) != 1:
            raise PplError(msg.factor_needs_dims(spec.span))
        factor_dim = _factor_dim(stmt, state)
    ctx.symbols[stmt.name.name] = Symbol(stmt.name.name, "data", dims, vtype, stmt.name.span,
                                         factor_dim=factor_dim)
    state.data.append(ir.DataDecl(stmt.name.name, vtype, dims, spec.factor_of.name if spec.factor_of else None,
                                  span=stmt.name.span))


def _factor_dim(stmt: ast.DataStmt, state: _State) -> str:
    ctx, spec = state.ctx, stmt.type
    if spec.factor_of is not None:
        return ctx.require_dim(spec.factor_of.name, spec.factor_of.span)
    name = stmt.name.name
    if name in ctx.dims:
        raise PplError(msg.redefinition(stmt.name.span, name, ctx.dims[name].span))
    ctx.dims[name] = ir.DimDecl(name, "factor", source=name, span=stmt.name.span)
    return name


def _sample_stmt(stmt: ast.SampleStmt, state: _State) -> None:
    ctx = state.ctx
    name = stmt.name.name
    sym = ctx.symbols.get(name)
    written = _dim_list(stmt.dims, state)
    if sym is not None:
        return _observe(stmt, sym, written, state)
    _check_new_name(stmt.name, state)
    dist, dims = check_dist(stmt.dist, written, name, ctx)
    _no_unnamed(dims, stmt.name)
    if stmt.ordered:
        _check_ordered(stmt, dist, dims)
    index_dim = dist.consumed if dist.name == "Categorical" else None
    node = ir.RandomVar(name, dims, dist, "param", stmt.ordered, index_dim=index_dim, span=stmt.name.span)
    state.nodes.append(node)
    ctx.symbols[name] = Symbol(name, "param", dims, node.vtype, stmt.name.span, index_dim=index_dim)


def _check_ordered(stmt: ast.SampleStmt, dist, dims) -> None:
    if not dims:
        raise PplError(msg.ordered_needs_dims(stmt.name.span, stmt.name.name))
    if dist.discrete:
        raise PplError(msg.ordered_discrete(stmt.name.span, stmt.name.name))
    if dist.event or dist.name in ("Mixture", "NormalMixture"):
        raise PplError(msg.ordered_multivariate(stmt.name.span, stmt.name.name, dist.name))


def _no_unnamed(dims, ident: ast.Ident) -> None:
    if any(isinstance(d, ir.Anon) for d in dims):
        raise PplError(msg.unnamed_dim_kept(ident.span, ident.name))


def _observe(stmt: ast.SampleStmt, sym: Symbol, written, state: _State) -> None:
    name = stmt.name.name
    if sym.kind == "param":
        raise PplError(msg.redefinition(stmt.name.span, name, sym.span))
    if sym.kind not in ("data", "tdata"):
        role = {"param": "parameter", "derived": "derived quantity", "local": "local (`let`) of parameters",
                "observed": "observed datum"}.get(sym.kind, sym.kind)
        raise PplError(msg.observe_non_data(stmt.name.span, name, role))
    if sym.observed_at is not None:
        raise PplError(msg.observed_twice(stmt.name.span, name))
    if written is not None and tuple(written) != tuple(sym.dims):
        raise PplError(msg.observed_dims_mismatch(stmt.name.span, name, written, sym.dims))
    if stmt.ordered:
        raise PplError(msg.observe_non_data(stmt.name.span, name, "datum; `ordered` applies to parameters"))
    dist, _ = check_dist(stmt.dist, tuple(sym.dims), name, state.ctx)
    ok, suggest = fits_support(sym.vtype, dist.support)
    if not ok:
        raise PplError(msg.support_mismatch(stmt.name.span, name, sym.vtype, dist.name, dist.support, suggest))
    sym.observed_at = state.index
    state.nodes.append(ir.RandomVar(name, tuple(sym.dims), dist, "observed", observed=name, span=stmt.name.span))


def _assign(stmt, state: _State, role: str) -> None:
    ctx = state.ctx
    _check_new_name(stmt.name, state)
    expr = check_expr(stmt.expr, ctx)
    written = _dim_list(stmt.dims, state)
    dims = expr.dims
    if written is not None:
        expr = ctx.fit_to(expr, written, stmt.expr.span)
        extra = [d for d in expr.dims if d not in written]
        if extra:
            hint = "index or reduce the extra dims, or state them on the left"
            raise PplError(msg.dims_mismatch(stmt.expr.span, "the expression", expr.dims, stmt.name.name,
                                             written, hint))
        dims = written
    _no_unnamed(dims, stmt.name)
    if role == "local" and expr.is_data:
        role = "tdata"
    vtype = expr.vtype
    state.nodes.append(ir.Derived(stmt.name.name, tuple(dims), expr, role, span=stmt.name.span))
    ctx.symbols[stmt.name.name] = Symbol(stmt.name.name, role, tuple(dims), vtype, stmt.name.span)


def _assign_stmt(stmt: ast.AssignStmt, state: _State) -> None:
    _assign(stmt, state, "derived")


def _let_stmt(stmt: ast.LetStmt, state: _State) -> None:
    _assign(stmt, state, "local")


def _potential_stmt(stmt: ast.PotentialStmt, state: _State) -> None:
    expr = check_expr(stmt.expr, state.ctx)
    state.potentials += 1
    if stmt.name is not None:
        _check_new_name(stmt.name, state)
        name = stmt.name.name
        state.ctx.symbols[name] = Symbol(name, "derived", (), VType.REAL, stmt.name.span)
    else:
        name = f"potential_{state.potentials}"
    state.nodes.append(ir.PotentialNode(name, expr, span=stmt.span))


_STATEMENTS = {
    ast.ModelStmt: _model_stmt, ast.DimStmt: _dim_stmt, ast.DataStmt: _data_stmt,
    ast.SampleStmt: _sample_stmt, ast.AssignStmt: _assign_stmt, ast.LetStmt: _let_stmt,
    ast.PotentialStmt: _potential_stmt,
}
