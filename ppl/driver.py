"""The pipeline, in one place: read -> parse -> check (-> bind -> lower).

The CLI and the Python API call these functions; no stage calls another.
This module must not import PyMC (``ppl check`` answers without it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import Diagnostic, PplError, SourceFile, Span
from .semantics import ir
from .semantics.checker import CheckOptions, check
from .syntax.messages import file_too_large
from .syntax.parser import MAX_SOURCE_CHARS, parse

__all__ = ["read_source", "decode_source", "compile_source", "source_hash", "bind_data", "build", "on_data"]


def read_source(path: str | os.PathLike) -> SourceFile:
    """Read a model file as UTF-8 text (errors are user errors, not tracebacks)."""
    p = Path(path)
    span = Span(SourceFile(str(p), ""), 0, 0, 0, 0)
    if not p.is_file():
        raise PplError(Diagnostic("E-model-file", "no such model file" if not p.exists() else "not a file", span,
                                  "give the path of a `.ppl` model file"))
    if p.stat().st_size > 4 * MAX_SOURCE_CHARS:  # at most 4 bytes per character: refused unread
        raise PplError(file_too_large(SourceFile(str(p), ""), MAX_SOURCE_CHARS, p.stat().st_size))
    return decode_source(p.read_bytes(), str(p))


def decode_source(raw: bytes, name: str) -> SourceFile:
    """Decode a model file's bytes as UTF-8 (a leading byte-order mark is dropped)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        src = SourceFile(name, raw.decode("utf-8", errors="replace"))
        raise PplError(Diagnostic("E-encoding", "the model file is not valid UTF-8", Span(src, line, col, line, col + 1),
                                  "save the file as UTF-8 text")) from None
    return SourceFile(name, text.lstrip("\ufeff"))


def compile_source(source: SourceFile, options: CheckOptions = CheckOptions()) -> ir.Model:
    """Parse and check a model file."""
    return check(parse(source), options)


def source_hash(source: SourceFile) -> str:
    return hashlib.sha256(source.text.encode()).hexdigest()


def bind_data(model: ir.Model, sources, levels=None, allow_left_out: bool = False):
    """Merge the data sources and validate them against the model."""
    from .data import bind, merge_sources

    return bind(model, merge_sources(sources), levels=levels, allow_left_out=allow_left_out)


def on_data(model: ir.Model, bound) -> ir.Model:
    """The checked model on these data: with the missing entries of discrete observed variables summed out
    (:func:`ppl.semantics.marginal.plan_missing`; what :func:`build` lowers)."""
    from .semantics.marginal import plan_missing

    return plan_missing(model, bound.missing)


def build(model: ir.Model, bound, *, generated: bool = False):
    """Lower a checked model on bound data to a PyMC model (imports PyMC)."""
    from .backend.lower import lower

    return lower(model, bound, generated=generated)
