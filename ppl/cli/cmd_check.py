"""``ppl check MODEL``: parse and check only (never imports PyMC)."""

from __future__ import annotations

__all__ = ["HELP", "add_arguments", "run"]

HELP = "parse and check a model file (fast; no PyMC)"


def add_arguments(p) -> None:
    p.add_argument("model")


def run(args) -> int:
    from ..driver import compile_source, read_source

    model = compile_source(read_source(args.model))
    print(f"{args.model}: ok ({len(model.dims)} dims, {len(model.data)} data, {len(model.nodes)} statements)")
    return 0
