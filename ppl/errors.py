"""Source spans, user-facing errors and their rendering.

Every mistake in a model file, its data or its options becomes a
:class:`Diagnostic`: a value with a span, a message and a hint.  They are
raised inside a stage as :class:`PplError` and rendered exactly once, at the
edge (CLI or API), as::

    file:line:col: error: message
        3 | y ~ Normal(mu, sigm)
          |                ^^^^
      hint: did you mean `sigma`?

Bugs in ppl itself are :class:`InternalError` (exit code 1, "this is a bug").
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

__all__ = [
    "SourceFile",
    "Span",
    "Diagnostic",
    "PplError",
    "InternalError",
    "Interrupted",
    "render",
    "render_all",
    "did_you_mean",
    "NO_SPAN",
]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A model (or data) file's name and text."""

    name: str
    text: str

    def line(self, number: int) -> str:
        """Return line ``number`` (1-based) without its newline, or ``""``."""
        lines = self.text.splitlines()
        return lines[number - 1] if 1 <= number <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based line and column, end inclusive-exclusive."""

    source: SourceFile | None
    line: int
    col: int
    end_line: int
    end_col: int

    @property
    def filename(self) -> str:
        return self.source.name if self.source is not None else "<unknown>"

    def to(self, other: "Span") -> "Span":
        """The span from the start of ``self`` to the end of ``other``."""
        return Span(self.source, self.line, self.col, other.end_line, other.end_col)

    def __repr__(self) -> str:
        return f"{self.line}:{self.col}-{self.end_line}:{self.end_col}"


NO_SPAN = Span(None, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One user-facing message with a location.

    ``code`` names the catalogue entry (``E-undefined-name``...), ``severity``
    is ``"error"`` or ``"warning"``.
    """

    code: str
    message: str
    span: Span = field(default=NO_SPAN)
    hint: str | None = None
    severity: str = "error"
    notes: tuple[tuple[Span, str], ...] = ()

    def __post_init__(self) -> None:
        if self.span is None:  # a message about options or the run, not about a place in a file
            object.__setattr__(self, "span", NO_SPAN)

    def render(self) -> str:
        return render(self)


class PplError(Exception):
    """Base class of every user mistake ppl reports (exit code 2).

    Carries one or more :class:`Diagnostic`; ``str(err)`` is the rendered text,
    the same as the CLI prints.
    """

    exit_code = 2

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(render_all(self.diagnostics))

    @property
    def diagnostic(self) -> Diagnostic:
        """The first diagnostic."""
        return self.diagnostics[0]

    @property
    def code(self) -> str:
        return self.diagnostics[0].code

    @property
    def span(self) -> Span:
        return self.diagnostics[0].span


class InternalError(Exception):
    """A bug in ppl, not a user mistake (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(
            f"internal error: {message}\n"
            "this is a bug in ppl, not in your model; please report it with the "
            "model file and the command that triggered it."
        )


class Interrupted(KeyboardInterrupt):
    """Sampling stopped by Ctrl-C (SIGINT); exit code 130.

    ``partial`` holds the draws done so far (a DataTree whose attrs say
    ``ppl_partial = "true"``, with the run's provenance), or ``None`` when no
    draw was done after tuning.  A ``KeyboardInterrupt``, so code that does
    not know it stops as on any Ctrl-C.
    """

    exit_code = 130

    def __init__(self, partial=None, message: str = "interrupted; earlier output files are untouched"):
        super().__init__(message)
        self.partial = partial
        self.message = message


def _location(span: Span) -> str:
    if span.source is None:
        return "ppl"
    if span.line <= 0:
        return span.filename
    return f"{span.filename}:{span.line}:{span.col}"


def _caret_line(span: Span, text: str) -> str:
    start = max(span.col - 1, 0)
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        width = max(len(text.rstrip()) - start, 1)
    prefix = "".join(ch if ch == "\t" else " " for ch in text[:start])
    return prefix + "^" * max(width, 1)


def _excerpt(span: Span) -> list[str]:
    if span.source is None or span.line <= 0:
        return []
    text = span.source.line(span.line)
    if len(text) > 200:  # keep very long lines readable
        return [f"  {span.line:>4} | {text[:200]}..."]
    gutter = " " * len(f"  {span.line:>4} ")
    return [f"  {span.line:>4} | {text}", f"{gutter}| {_caret_line(span, text)}"]


def render(diag: Diagnostic) -> str:
    """Render one diagnostic as ``file:line:col: error: message`` + line + caret + hint."""
    lines = [f"{_location(diag.span)}: {diag.severity}: {diag.message}"]
    lines += _excerpt(diag.span)
    for span, note in diag.notes:
        lines.append(f"{_location(span)}: note: {note}")
        lines += _excerpt(span)
    if diag.hint:
        lines.append(f"  hint: {diag.hint}")
    return "\n".join(lines)


def render_all(diags: Iterable[Diagnostic]) -> str:
    return "\n".join(render(d) for d in diags)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean `x`?`` hint for a misspelled name, or ``None``."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return f"did you mean `{lowered[name.lower()]}`?"
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.7)
    if not close:
        return None
    if len(close) == 1:
        return f"did you mean `{close[0]}`?"
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
