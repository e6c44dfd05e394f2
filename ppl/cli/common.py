"""Helpers shared by subcommands."""

from __future__ import annotations

__all__ = ["load_model", "add_data_argument"]


def load_model(path: str, marginalize: bool = True):
    """Read and check a model file (no PyMC import)."""
    from ..api import load

    return load(path, marginalize=marginalize)


def add_data_argument(parser) -> None:
    parser.add_argument("--data", action="append",
                        help="data file(s) (JSON, CSV, NPZ); default: MODEL.json beside the model")

