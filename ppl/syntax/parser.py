"""``parse(SourceFile) -> ast.Program``: the lark grammar plus a transformer.

Syntax errors become :class:`~ppl.errors.PplError` with a span; the message
is chosen in :mod:`ppl.syntax.messages`.
"""

from __future__ import annotations

import functools
import re

from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from ..errors import PplError, SourceFile, Span
from . import ast
from .messages import number_out_of_range, syntax_error, too_deep, unclosed_bracket, unmatched_bracket

__all__ = ["parse", "MAX_SOURCE_CHARS", "MAX_NESTING", "MAX_DEPTH", "MAX_INT_LITERAL"]

MAX_SOURCE_CHARS = 200_000  # a model file larger than this is refused (parsing is ~linear but slow)
MAX_NESTING = 200  # brackets deeper than this are refused (bounded recursion)
MAX_DEPTH = 200  # parse trees deeper than this are refused: the checker and lowering recurse
MAX_INT_LITERAL = 2**63 - 1  # integer literals must fit in int64

_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB"}
_CLOSE = {"RPAR", "RSQB"}


class _BracketPostLex:
    """Drop newlines inside ``(`` / ``[``; report unbalanced brackets with a span."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.source: SourceFile | None = None
        self.open: list[Token] = []

    def process(self, stream):
        self.open = stack = []
        for tok in stream:
            if tok.type in _OPEN:
                stack.append(tok)
                if len(stack) > MAX_NESTING:
                    raise PplError(unmatched_bracket(_tok_span(self.source, tok), nesting=True))
            elif tok.type in _CLOSE:
                if not stack or _OPEN[stack[-1].type] != tok.type:
                    raise PplError(unmatched_bracket(_tok_span(self.source, tok)))
                stack.pop()
            elif tok.type == "_NL" and stack:
                continue
            yield tok
        if stack:
            raise PplError(unclosed_bracket(_tok_span(self.source, stack[-1])))


def _tok_span(source: SourceFile | None, tok: Token) -> Span:
    end_line = tok.end_line or tok.line
    end_col = tok.end_column or (tok.column + len(tok))
    return Span(source, tok.line, tok.column, end_line, end_col)


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        lexer="contextual",
        postlex=_BracketPostLex(),
        propagate_positions=True,
        maybe_placeholders=False,
    )


class _ToAst(Transformer_NonRecursive):
    """One method per grammar rule; each returns a frozen AST node (no recursion, any depth)."""

    def __init__(self, source: SourceFile):
        super().__init__()
        self.source = source

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0, 0, 0)
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def _ident(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), _tok_span(self.source, tok))

    # statements -----------------------------------------------------------
    @v_args(meta=True)
    def start(self, meta, stmts):
        return ast.Program(tuple(stmts), "", self._span(meta))

    @v_args(meta=True)
    def model_stmt(self, meta, c):
        return ast.ModelStmt(self._ident(c[0]), self._span(meta))

    @v_args(meta=True)
    def dim_stmt(self, meta, c):
        size = c[1] if len(c) > 1 else None
        return ast.DimStmt(self._ident(c[0]), size, self._span(meta))

    @v_args(meta=True)
    def data_stmt(self, meta, c):
        return ast.DataStmt(self._ident(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def type_spec(self, meta, c):
        factor_of = next((x for x in c[1:] if isinstance(x, ast.Ident)), None)
        dims = next((x for x in c[1:] if isinstance(x, tuple)), None)
        return ast.TypeSpec(self._ident(c[0]), factor_of, dims, self._span(meta))

    def type_arg(self, c):
        return self._ident(c[0])

    def dim_list(self, c):
        return tuple(self._ident(t) for t in c)

    @v_args(meta=True)
    def sample_stmt(self, meta, c):
        dims = c[1] if len(c) == 3 else None
        return ast.SampleStmt(self._ident(c[0]), dims, False, c[-1], self._span(meta))

    @v_args(meta=True)
    def ordered_stmt(self, meta, c):
        return ast.SampleStmt(self._ident(c[0]), c[1], True, c[2], self._span(meta))

    @v_args(meta=True)
    def assign_stmt(self, meta, c):
        dims = c[1] if len(c) == 3 else None
        return ast.AssignStmt(self._ident(c[0]), dims, c[-1], self._span(meta))

    @v_args(meta=True)
    def let_stmt(self, meta, c):
        dims = c[1] if len(c) == 3 else None
        return ast.LetStmt(self._ident(c[0]), dims, c[-1], self._span(meta))

    @v_args(meta=True)
    def potential_stmt(self, meta, c):
        name = self._ident(c[0]) if len(c) == 2 else None
        return ast.PotentialStmt(name, c[-1], self._span(meta))

    # expressions ----------------------------------------------------------
    @v_args(meta=True)
    def number(self, meta, c):
        text, span = str(c[0]), _tok_span(self.source, c[0])
        node = ast.Number(float(text), text, span)  # a decimal string too large for float gives inf
        digits = text.lstrip("0")
        if node.is_int and (len(digits) > 19 or int(digits or 0) > MAX_INT_LITERAL) or node.value == float("inf"):
            raise PplError(number_out_of_range(span, text, node.is_int))
        return node

    @v_args(meta=True)
    def name(self, meta, c):
        return ast.Name(str(c[0]), _tok_span(self.source, c[0]))

    def _binary(op):  # noqa: N805 - a rule factory, not a method
        @v_args(meta=True)
        def rule(self, meta, c):
            return ast.Binary(op, c[0], c[-1], self._span(meta))

        return rule

    add, sub, mul, div = _binary("add"), _binary("sub"), _binary("mul"), _binary("div")
    matmul, pow, and_, or_ = _binary("matmul"), _binary("pow"), _binary("and"), _binary("or")

    @v_args(meta=True)
    def compare(self, meta, c):
        return ast.Binary(str(c[1]), c[0], c[2], self._span(meta))

    @v_args(meta=True)
    def neg(self, meta, c):
        return ast.Unary("neg", c[0], self._span(meta))

    @v_args(meta=True)
    def not_(self, meta, c):
        return ast.Unary("not", c[0], self._span(meta))

    @v_args(meta=True)
    def index(self, meta, c):
        return ast.Index(c[0], c[1], self._span(meta))

    def index_items(self, c):
        return tuple(c)

    @v_args(meta=True)
    def slice_both(self, meta, c):
        return ast.Slice(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def slice_lo(self, meta, c):
        return ast.Slice(c[0], None, self._span(meta))

    @v_args(meta=True)
    def slice_hi(self, meta, c):
        return ast.Slice(None, c[0], self._span(meta))

    @v_args(meta=True)
    def slice_all(self, meta, c):
        return ast.Slice(None, None, self._span(meta))

    @v_args(meta=True)
    def call(self, meta, c):
        args = c[1] if len(c) > 1 else ((), ())
        return ast.Call(self._ident(c[0]), args[0], args[1], self._span(meta))

    def arguments(self, c):
        pos = tuple(a for a in c if not isinstance(a, ast.Keyword))
        kws = tuple(a for a in c if isinstance(a, ast.Keyword))
        return pos, kws

    @v_args(meta=True)
    def kwarg(self, meta, c):
        return ast.Keyword(self._ident(c[0]), c[1], self._span(meta))

    @v_args(meta=True)
    def vector(self, meta, c):
        return ast.Vector(tuple(c), self._span(meta))


def _check_depth(tree: Tree, source: SourceFile) -> None:
    """Refuse a parse tree deeper than :data:`MAX_DEPTH` at the statement that holds it (no recursion)."""
    stack = [(stmt, 2, stmt) for stmt in tree.children if isinstance(stmt, Tree)]
    while stack:
        node, depth, stmt = stack.pop()
        if depth > MAX_DEPTH:
            meta = stmt.meta
            raise PplError(too_deep(source, Span(source, meta.line, meta.column, meta.end_line, meta.end_column),
                                    MAX_DEPTH))
        stack.extend((child, depth + 1, stmt) for child in node.children if isinstance(child, Tree))


def _open_before(postlex: _BracketPostLex, exc) -> Span | None:
    """An unclosed bracket on an earlier line than the error: the likely cause."""
    line = getattr(exc, "line", 0)
    for tok in reversed(postlex.open):
        if tok.line < line:
            return _tok_span(postlex.source, tok)
    return None


_DESCRIPTION = re.compile(r"\A(?:[ \t]*\n)*((?:[ \t]*#[^\n]*\n?)+)")


def _description(text: str) -> str:
    match = _DESCRIPTION.match(text)
    if not match:
        return ""
    lines = [ln.strip()[1:] for ln in match.group(1).splitlines()]
    return "\n".join(ln[1:] if ln.startswith(" ") else ln for ln in lines).strip()


def parse(source: SourceFile) -> ast.Program:
    """Parse a model file into an :class:`ast.Program`.

    Raises
    ------
    PplError
        On any syntax error, with the span of the offending token.
    """
    if len(source.text) > MAX_SOURCE_CHARS:
        from .messages import file_too_large

        raise PplError(file_too_large(source, MAX_SOURCE_CHARS))
    lark = _lark()
    lark.options.postlex.source = source
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    try:
        tree = lark.parse(text)
        _check_depth(tree, source)
        program = _ToAst(source).transform(tree)
    except VisitError as exc:  # an error raised inside the transformer
        if isinstance(exc.orig_exc, PplError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise PplError(syntax_error(source, exc, _open_before(lark.options.postlex, exc))) from None
    except LarkError as exc:  # pragma: no cover - lark internals
        raise PplError(syntax_error(source, exc)) from None
    except RecursionError:  # pragma: no cover - _check_depth bounds the depth first
        raise PplError(too_deep(source, Span(source, 1, 1, 1, 2), MAX_DEPTH)) from None
    return ast.Program(program.stmts, _description(source.text), program.span)
