"""Ctrl-C while sampling: stop cleanly and keep the draws done so far.

The engines swallow ``KeyboardInterrupt``: nutpie aborts and returns its trace
padded with NaN to the longest chain, and PyMC returns the chains it has,
cut to a common length.  ``pm.sample`` then returns as if it had finished,
so ppl notes the signal itself (:func:`catch_interrupt`; for PyMC's own
sampler, which would go on with the next chain, a per-draw callback stops
the later chains too) and turns a return after Ctrl-C into :class:`~ppl.errors.Interrupted`, carrying the completed
draws (:func:`completed_draws`) for a partial file.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = ["InterruptState", "catch_interrupt", "completed_draws", "mark_partial"]


@dataclass
class InterruptState:
    """Whether SIGINT arrived inside :func:`catch_interrupt`."""

    interrupted: bool = False

    def stop_callback(self, trace=None, draw=None) -> None:
        """A ``pm.sample`` callback: after Ctrl-C, stop the chain that runs now.

        PyMC stops only the chain running when SIGINT arrives; sampling chains
        one after another, it then starts the next chain.  Called after every
        draw, this ends each later chain at its first draw.
        """
        if self.interrupted:
            raise KeyboardInterrupt


@contextmanager
def catch_interrupt():
    """Record SIGINT (then raise ``KeyboardInterrupt`` as Python does) while the block runs.

    Outside the main thread signals cannot be handled; the state then stays
    ``False`` and a ``KeyboardInterrupt`` that reaches the caller is the only
    sign.
    """
    state = InterruptState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def on_sigint(signum, frame):
        state.interrupted = True
        signal.default_int_handler(signum, frame)

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, old)


def _chain_lengths(posterior, names) -> np.ndarray:
    """Draws done per chain: up to the last draw where every free variable is filled in (not NaN)."""
    filled = None
    for name in names:
        values = np.asarray(posterior[name].values, dtype=float)
        ok = ~np.isnan(values.reshape(values.shape[0], values.shape[1], -1)).all(axis=2)
        filled = ok if filled is None else filled & ok
    if filled is None:  # nothing to look at: every draw counts
        return np.full(posterior.sizes["chain"], posterior.sizes["draw"])
    n_draws = filled.shape[1]
    last = n_draws - np.argmax(filled[:, ::-1], axis=1)  # one past the last filled draw
    return np.where(filled.any(axis=1), last, 0)


def _choose(lengths: np.ndarray) -> tuple[np.ndarray, int]:
    """The chains to keep and their common length: the most draws in total (as PyMC's ``_choose_chains``)."""
    best, best_len = 0, 0
    for length in sorted(set(int(n) for n in lengths if n > 0)):
        total = length * int((lengths >= length).sum())
        if total > best or (total == best and length > best_len):
            best, best_len = total, length
    return np.flatnonzero(lengths >= best_len) if best_len else np.array([], dtype=int), best_len


def completed_draws(result, free_names):
    """The completed draws of an interrupted run (``None`` if there are none).

    ``free_names``: the sampled (free) variables, never NaN in a real draw, so
    NaN there is the engine's padding.  Chains of very different lengths are
    cut to the length that keeps the most draws in total; the groups without
    ``chain`` and ``draw`` (observed and constant data) are kept as they are.
    """
    if result is None or "posterior" not in result.children:
        return None
    posterior = result["posterior"].to_dataset()
    if posterior.sizes.get("draw", 0) == 0:
        return None
    names = [n for n in free_names if n in posterior.data_vars]
    keep, length = _choose(_chain_lengths(posterior, names))
    if length == 0:
        return None
    out = result.copy()
    for group, node in result.children.items():
        ds = node.to_dataset()
        if "chain" in ds.dims and "draw" in ds.dims:
            out[group] = ds.isel(chain=keep, draw=slice(0, length))
    return out


def mark_partial(result, reason: str = "interrupted (SIGINT) while sampling"):
    """Mark a result as partial in its attrs (``ppl_partial``, ``ppl_partial_reason``, draws and chains kept)."""
    posterior = result["posterior"]
    result.attrs["ppl_partial"] = "true"
    result.attrs["ppl_partial_reason"] = reason
    result.attrs["ppl_partial_draws"] = int(posterior.sizes["draw"])
    result.attrs["ppl_partial_chains"] = int(posterior.sizes["chain"])
    return result
