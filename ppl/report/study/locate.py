"""Where a key of a TOML file is written: ``(line, column)`` of each key path.

``tomllib`` returns plain data without positions; error messages about a
study point at the offending key, so this module scans the text for table
headers (``[a.b]``, ``[[runs]]``) and ``key = value`` lines.  It handles the
TOML that studies are written in (tables, arrays of tables, dotted and
quoted keys, multi-line strings); a key it cannot find falls back to its
table's header, then to the file.
"""

from __future__ import annotations

import re

__all__ = ["key_positions", "locate"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted))


def _toggles_multiline(line: str) -> bool:
    return (line.count('"""') + line.count("'''")) % 2 == 1


def key_positions(text: str) -> dict[tuple, tuple[int, int]]:
    """``{key path: (line, col)}``; array-of-table entries are indexed (``("runs", 0, "name")``)."""
    positions: dict[tuple, tuple[int, int]] = {}
    counters: dict[tuple, int] = {}
    table: tuple = ()
    in_string = False
    for number, line in enumerate(text.splitlines(), 1):
        if in_string:
            in_string = not _toggles_multiline(line)
            continue
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            path = _parts(header.group(2))
            if header.group(1) == "[[":
                index = counters.get(path, -1) + 1
                counters[path] = index
                path = path + (index,)
            else:
                path = _resolve(path, counters)
            table = path
            positions.setdefault(table, (number, line.index("[") + 1))
            continue
        key = _KEY.match(line)
        if key:
            positions.setdefault(table + _parts(key.group(1)), (number, len(line) - len(line.lstrip()) + 1))
            in_string = _toggles_multiline(line)
    return positions


def _resolve(path: tuple, counters: dict) -> tuple:
    """A ``[a.b]`` header below ``[[a]]`` refers to the last entry of ``a``."""
    out: tuple = ()
    for part in path:
        out = out + (part,)
        if out in counters:
            out = out + (counters[out],)
    return out


def locate(positions: dict, path: tuple) -> tuple[int, int] | None:
    """The position of ``path``, or of the nearest enclosing table written in the file."""
    for n in range(len(path), 0, -1):
        if path[:n] in positions:
            return positions[path[:n]]
    return None
