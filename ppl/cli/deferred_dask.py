"""Keep xarray from importing dask in commands that never use it.

xarray asks two questions of every array it wraps: "is this a dask array?"
(``pycompat.array_type("dask")``) and "is this a dask collection?"
(``utils.is_dask_collection``).  Whenever dask is installed, answering either
imports it (``dask.array``, ``dask.base``): about 0.4 s of CPU in every
``ppl sample``, which uses no dask.  No dask array or collection can exist
before dask is imported, so until then both answers are "no" without the
import; once anything imports dask, xarray's own answers are used.

This touches two private names of xarray; if they are not as expected, it
does nothing (xarray then imports dask as before).
"""

from __future__ import annotations

import sys

__all__ = ["defer_dask_import"]


def defer_dask_import() -> None:
    """Install both deferred answers (idempotent; for the CLI process only)."""
    try:
        from xarray.namedarray import pycompat, utils
    except ImportError:  # pragma: no cover - xarray is a dependency
        return
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and "dask" not in cache and callable(getattr(pycompat, "DuckArrayModule", None)):
        cache["dask"] = _DeferredDask(pycompat.DuckArrayModule)
    original = getattr(utils, "is_dask_collection", None)
    if callable(original) and not isinstance(original, _DeferredCheck):
        utils.is_dask_collection = _DeferredCheck(original)


class _DeferredDask:
    """xarray's ``DuckArrayModule("dask")``, built only once ``dask`` is imported (or more is asked of it)."""

    def __init__(self, factory):
        self._factory = factory
        self._real = None

    @property
    def type(self):
        if self._real is None and "dask" not in sys.modules:
            return ()
        return self._resolved().type

    def _resolved(self):
        if self._real is None:
            self._real = self._factory("dask")
        return self._real

    def __getattr__(self, name):
        return getattr(self._resolved(), name)


class _DeferredCheck:
    """``is_dask_collection``: ``False`` while dask is not imported, else xarray's own check."""

    def __init__(self, original):
        self._original = original

    def __call__(self, x) -> bool:
        return "dask" in sys.modules and self._original(x)
