"""Writing a report's files: ``report.html``, ``report.md`` and ``report.json``, atomically.

All three are rendered before anything is written; they are written into
a temporary folder inside the output folder and then moved into place one
by one with :func:`os.replace` (atomic on one file system).  A run that
fails or is interrupted before that leaves an earlier report as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .model import Report
from .render_html import render_html
from .render_json import render_json
from .render_md import render_markdown

__all__ = ["FILES", "render_all", "write_report"]

FILES = {"report.html": render_html, "report.md": render_markdown, "report.json": render_json}


def render_all(report: Report) -> dict[str, str]:
    """``{file name: text}`` of every rendering."""
    return {name: render(report) for name, render in FILES.items()}


def write_report(report: Report, out_dir: str | os.PathLike) -> list[Path]:
    """Write the report's files into ``out_dir`` (created if needed); return their paths."""
    texts = render_all(report)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report.", dir=out))
    try:
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8")
        for name in texts:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in texts]
