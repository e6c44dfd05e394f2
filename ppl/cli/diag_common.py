"""Helpers shared by the diagnostics subcommands (diagnose, loo, compare, sbc)."""

from __future__ import annotations

__all__ = ["add_json_argument", "emit", "load_results", "var_error"]


def add_json_argument(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def emit(results: dict, as_json: bool) -> None:
    """Print named results as text (one block each) or as one JSON document."""
    from ..diagnostics.text import render_json, render_text

    if as_json:
        print(render_json(results))
        return
    blocks = [(f"== {name}\n" if len(results) > 1 else "") + render_text(r) for name, r in results.items()]
    print("\n\n".join(blocks))


def load_results(paths) -> dict:
    """``{path: DataTree}`` in the order given (user errors for unreadable files)."""
    from ..diagnostics.results import open_result

    return {str(p): open_result(str(p)) for p in paths}


def var_error(path: str, exc: KeyError, tree):
    """A user error for an unknown ``--var`` (the names of the log-likelihood variables as hint)."""
    from ..diagnostics import messages as M
    from ..errors import PplError

    group = tree["log_likelihood"] if "log_likelihood" in tree.children else tree["posterior"]
    names = [str(n) for n in group.data_vars]
    missing = str(exc.args[0]).split("`")[1] if "`" in str(exc.args[0]) else str(exc.args[0])
    return PplError(M.unknown_variable(path, missing, names))
