"""One view of the sampler statistics that NUTS engines name differently.

PyMC's NUTS writes ``diverging``, ``tree_depth``, ``reached_max_treedepth``
and ``energy``; nutpie writes ``diverging``, ``depth``, ``maxdepth_reached``
and ``energy``; NumPyro (through PyMC) writes ``diverging``, ``tree_depth``
and ``energy`` with no saturation flag; Stan-style files use
``divergent__`` / ``treedepth__`` / ``energy__``.  :func:`sampler_stats`
reads whichever are present; absent statistics are ``None`` and their
checks are skipped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .thresholds import DEFAULT_MAX_TREEDEPTH

__all__ = ["SamplerStats", "sampler_stats", "saturated", "ALIASES"]

ALIASES = {
    "diverging": ("diverging", "divergent", "divergent__"),
    "depth": ("tree_depth", "depth", "treedepth", "treedepth__"),
    "hit_max": ("reached_max_treedepth", "maxdepth_reached", "max_treedepth_reached"),
    "energy": ("energy", "energy__"),
    "max_depth": ("max_treedepth", "maxdepth", "max_tree_depth"),
}


@dataclass(frozen=True, eq=False)
class SamplerStats:
    """``(chain, draw)`` arrays of the statistics found, or ``None``."""

    diverging: np.ndarray | None
    depth: np.ndarray | None
    hit_max: np.ndarray | None
    energy: np.ndarray | None
    max_depth: int


def _find(ds, key: str):
    for name in ALIASES[key]:
        if name in ds.data_vars:
            return np.asarray(ds[name].transpose("chain", "draw", ...).values)
    return None


def _max_depth(ds, max_depth: int | None) -> int:
    if max_depth is not None:
        return int(max_depth)
    for name in ALIASES["max_depth"]:
        if name in ds.attrs:
            return int(ds.attrs[name])
    return DEFAULT_MAX_TREEDEPTH


def sampler_stats(result, max_depth: int | None = None) -> SamplerStats | None:
    """The sampler statistics of a DataTree result, or ``None`` without a ``sample_stats`` group.

    ``max_depth`` is the sampler's tree-depth limit, used only when the
    engine recorded depths but no "hit the limit" flag (NumPyro).
    """
    if "sample_stats" not in result.children:
        return None
    ds = result["sample_stats"].to_dataset()
    if "chain" not in ds.dims or "draw" not in ds.dims:
        return None
    return SamplerStats(
        diverging=_as_bool(_find(ds, "diverging")),
        depth=_find(ds, "depth"),
        hit_max=_as_bool(_find(ds, "hit_max")),
        energy=_find(ds, "energy"),
        max_depth=_max_depth(ds, max_depth),
    )


def _as_bool(values):
    return None if values is None else np.asarray(values).astype(bool)


def saturated(stats: SamplerStats) -> np.ndarray | None:
    """Which transitions hit the maximum tree depth (from the flag, or from the depths)."""
    if stats.hit_max is not None:
        return stats.hit_max
    if stats.depth is not None:
        return np.asarray(stats.depth) >= stats.max_depth
    return None
