"""The catalogue of syntax-error messages.

Each function builds one :class:`~ppl.errors.Diagnostic`; the code names
the entry and has a golden bad-program test in ``tests/golden/bad``.
"""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import Diagnostic, SourceFile, Span

__all__ = [
    "syntax_error", "unclosed_bracket", "unmatched_bracket", "file_too_large",
    "too_deep", "number_out_of_range", "KEYWORDS", "token_name",
]

KEYWORDS = ("model", "dim", "data", "let", "potential", "ordered", "and", "or", "not")

_TOKEN_NAMES = {
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`",
    "TILDE": "`~`", "EQUAL": "`=`", "COLON": "`:`", "PLUS": "`+`", "MINUS": "`-`",
    "STAR": "`*`", "SLASH": "`/`", "AT": "`@`", "POW": "`^`", "COMP_OP": "a comparison",
    "NAME": "a name", "NUMBER": "a number", "_NL": "the end of the line",
    "$END": "the end of the file",
}
for _kw in KEYWORDS:
    _TOKEN_NAMES[_kw.upper()] = f"`{_kw}`"

_STATEMENT_STARTS = {"MODEL", "DIM", "DATA", "LET", "POTENTIAL"}


def token_name(kind: str) -> str:
    """A readable name for a lark terminal."""
    return _TOKEN_NAMES.get(kind, f"`{kind.lower()}`")


def _span_at(source: SourceFile, line: int, col: int, width: int = 1) -> Span:
    return Span(source, line, col, line, col + max(width, 1))


def _expected(kinds) -> str:
    names = sorted({token_name(k) for k in kinds if not k.startswith("__")})
    if len(names) > 6:
        return "an expression or the end of the statement"
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1] if names else "something else"


def _char_hint(char: str) -> str | None:
    return {
        ";": "statements end at the end of a line; remove the `;`",
        "{": "ppl has no blocks: write one statement per line",
        "}": "ppl has no blocks: write one statement per line",
        "'": "ppl has no strings; names and numbers only",
        '"': "ppl has no strings; names and numbers only",
        "!": "write `not x`, or `!=` for inequality",
        "|": "write `or`",
        "&": "write `and`",
        "<": "a comparison needs a value on both sides; `<-` is not assignment: use `~` or `=`",
        ".": "ppl has no attribute access or methods: names are plain identifiers",
        "\\": "there is no `\\` line continuation: a statement goes on while a `(` or `[` is open",
        "\u2212": "this is a Unicode minus sign; write `-`",
    }.get(char) or _non_ascii_hint(char)


def _non_ascii_hint(char: str) -> str | None:
    if char.isascii():
        return None
    return "names are ASCII letters, digits and `_`" if char.isalpha() else "model files use ASCII operators"


def _unexpected_char(source: SourceFile, exc: UnexpectedCharacters) -> Diagnostic:
    char = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else "?"
    hint = _char_hint(char)
    if not char.isprintable() or char == "\t":
        return Diagnostic("E-bad-character", f"unexpected character {char!r} (U+{ord(char):04X})",
                          _span_at(source, exc.line, exc.column), "remove it; model files are plain UTF-8 text")
    return Diagnostic("E-bad-character", f"unexpected character `{char}`",
                      _span_at(source, exc.line, exc.column), hint)


_FOREIGN = {
    "for": "ppl has no loops: write the statement once with named dims (`y[obs] ~ ...`)",
    "while": "ppl has no loops: write the statement once with named dims",
    "if": "ppl has no `if` statements: use `where(cond, a, b)`",
    "def": "ppl has no user functions in version 1: use `let` for a reusable expression",
    "import": "model files cannot import anything",
    "return": "ppl has no functions to return from",
    "from": "model files cannot import anything",
    "lambda": "ppl has no user functions in version 1: use `let` for a reusable expression",
    "else": "ppl has no `if` expressions: use `where(cond, a, b)`",
}
_FOREIGN["in"] = _FOREIGN["for"]


def _line_words(source: SourceFile, tok) -> list[str]:
    return source.line(tok.line).split("#")[0].replace("=", " = ").replace("~", " ~ ").split()


def _token_hint(source: SourceFile, tok, expected: set[str]) -> tuple[str, str | None]:
    value = str(tok)
    words = _line_words(source, tok)
    first = words[0] if words else ""
    if first in _FOREIGN:
        return "E-unsupported-syntax", _FOREIGN[first]
    foreign = next((w for w in [value] + words if w.rstrip(":") in _FOREIGN), None)
    if foreign is not None:
        return "E-unsupported-syntax", _FOREIGN[foreign.rstrip(":")]
    if tok.type == "COMP_OP" and "COMP_OP" not in expected:
        after = source.text[tok.end_pos:tok.end_pos + 1] if tok.end_pos is not None else ""
        if value == "<" and after == "-":
            return "E-syntax", "`<-` is not assignment: use `~` for a random variable or `=` for a derived quantity"
        if "TILDE" in expected:
            return "E-syntax", "a statement is `NAME ~ DIST(...)` or `NAME = EXPR`"
        return "E-chained-comparison", "comparisons do not chain: write `a < b and b < c`"
    if first in KEYWORDS and tok.type in ("EQUAL", "TILDE") and len(words) > 1 and words[1] == value:
        return "E-keyword-as-name", f"`{first}` is a keyword and cannot be used as a name; rename it"
    if tok.type.upper() in {k.upper() for k in KEYWORDS} and "NAME" in expected:
        return "E-keyword-as-name", f"`{value}` is a keyword and cannot be used as a name; rename it"
    if tok.type in ("NUMBER", "NAME", "LPAR") and "COMMA" in expected:
        return "E-syntax", "is a `,` missing between two arguments?"
    if tok.type == "_NL" and expected == {"NAME"}:
        return "E-incomplete", "a name is missing here"
    if tok.type == "_NL" and expected & {"NAME", "NUMBER", "LPAR", "MINUS"}:
        return "E-incomplete", "the statement ends before its expression is complete"
    return "E-syntax", None


def _unexpected_token(source: SourceFile, exc: UnexpectedToken) -> Diagnostic:
    tok = exc.token
    expected = set(exc.expected)
    if tok.type == "$END":
        return Diagnostic("E-incomplete", "unexpected end of file", _span_at(source, exc.line, exc.column))
    code, hint = _token_hint(source, tok, expected)
    if expected and expected <= (_STATEMENT_STARTS | {"NAME", "_NL"}) and tok.type != "_NL":
        hint = hint or "a statement starts with `model`, `dim`, `data`, `let`, `potential` or a name"
    width = len(str(tok)) if tok.type != "_NL" else 1
    what = "the end of the line" if tok.type == "_NL" else f"`{tok}`"
    message = f"unexpected {what}; expected {_expected(expected)}"
    if code == "E-incomplete":
        message = f"this statement is incomplete; expected {_expected(expected)}"
    return Diagnostic(code, message, _span_at(source, tok.line, tok.column, width), hint)


def syntax_error(source: SourceFile, exc: Exception, open_bracket: Span | None = None) -> Diagnostic:
    """The diagnostic for a lark parse error (``open_bracket``: one left open on an earlier line)."""
    if open_bracket is not None:
        return unclosed_bracket(open_bracket)
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_char(source, exc)
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(source, exc)
    if isinstance(exc, UnexpectedEOF):
        return Diagnostic("E-incomplete", "unexpected end of file", _span_at(source, 1, 1))
    line = getattr(exc, "line", 1) if isinstance(exc, UnexpectedInput) else 1
    return Diagnostic("E-syntax", "syntax error", _span_at(source, max(line, 1), 1))


def unclosed_bracket(span: Span) -> Diagnostic:
    closing = ")" if span.source and span.source.line(span.line)[span.col - 1:span.col] == "(" else "]"
    return Diagnostic("E-unclosed-bracket", f"this bracket is never closed; expected a `{closing}`", span,
                      "a statement goes on to the next lines while a bracket is open")


def unmatched_bracket(span: Span, nesting: bool = False) -> Diagnostic:
    if nesting:
        return Diagnostic("E-too-deep", "brackets are nested too deeply", span,
                          "split the expression with `let` statements")
    return Diagnostic("E-unmatched-bracket", "this closing bracket has no matching opening bracket", span)


def file_too_large(source: SourceFile, limit: int, n_bytes: int | None = None) -> Diagnostic:
    size = f"{n_bytes:,} bytes" if n_bytes is not None else f"{len(source.text):,} characters"
    return Diagnostic("E-file-too-large", f"the model file has {size}; the limit is {limit:,} characters",
                      Span(source, 1, 1, 1, 2), "is this really a model file?")


def too_deep(source: SourceFile, span: Span, limit: int) -> Diagnostic:
    return Diagnostic("E-too-deep", f"the expression is nested too deeply (more than {limit} levels)", span,
                      "split it with `let` statements; a long sum of terms is `sum(x, dim)` over a dim")


def number_out_of_range(span: Span, text: str, is_int: bool) -> Diagnostic:
    if is_int:
        return Diagnostic("E-number-range", f"the integer `{_short(text)}` is too large (the limit is 2^63 - 1)",
                          span, "write a real number such as `1e30` if a real value is meant")
    return Diagnostic("E-number-range", f"the number `{_short(text)}` is too large for a 64-bit float",
                      span, "write `inf` for infinity")


def _short(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:12]}...{text[-12:]} ({len(text)} characters)"
