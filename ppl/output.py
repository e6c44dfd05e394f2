"""Writing results atomically: a temp file beside the target, then a rename.

An interrupted or failed run leaves any earlier file at the path intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .errors import Diagnostic, PplError

__all__ = ["validate_out", "write_result", "atomic_write_text"]

_FORMATS = (".nc", ".zarr")


def validate_out(path: str, option: str = "--out") -> None:
    """Refuse an unknown format or a missing folder before any work is done (``option``: the flag, for messages)."""
    p = Path(path)
    if p.suffix not in _FORMATS:
        raise PplError(Diagnostic("E-option", f"{option} {path}: unknown format `{p.suffix}`",
                                  hint="write FILE.nc (NetCDF) or FILE.zarr"))
    if not p.parent.resolve().is_dir():
        raise PplError(Diagnostic("E-option", f"{option} {path}: the folder {p.parent} does not exist"))


def write_result(result, path: str) -> None:
    """Write a DataTree to NetCDF or Zarr atomically."""
    p = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", dir=p.parent))
    try:
        target = tmp / p.name
        if p.suffix == ".nc":
            with _no_dask_probe(result):
                result.to_netcdf(target, engine="h5netcdf")
            _fsync(target)
            os.replace(target, p)
        else:
            result.to_zarr(target)
            _replace_dir(target, p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _no_dask_probe(result):
    """Skip xarray's question to dask about the active scheduler when no array is a dask array.

    Before every NetCDF write xarray asks dask which scheduler is active
    (``get_dask_scheduler``), which imports ``distributed`` (about 0.3 s, most of
    the time it takes to write a small result) whenever it is installed.  The
    answer only matters for dask-chunked arrays (whether to close the file
    between writes, which lock to share with dask workers).  Without chunked
    arrays and without ``distributed`` loaded (so no dask client is running),
    the answer is ``"threaded"``, given here without the import; otherwise
    xarray asks dask as usual.
    """
    chunked = any(v.chunks is not None for node in result.subtree for v in node.variables.values())
    if chunked or "distributed" in sys.modules:
        yield
        return
    from xarray.backends import locks, writers

    saved = [(m, m.get_dask_scheduler) for m in (locks, writers) if hasattr(m, "get_dask_scheduler")]
    try:
        for module, _ in saved:
            module.get_dask_scheduler = _threaded
        yield
    finally:
        for module, fn in saved:
            module.get_dask_scheduler = fn


def _threaded(get=None, collection=None) -> str:
    return "threaded"


def _fsync(path: Path) -> None:
    """Flush a written file to disk before it is renamed into place (no empty file after a crash)."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _replace_dir(new: Path, old: Path, attempts: int = 100) -> None:
    """Put directory ``new`` at ``old``; an earlier ``old`` is moved aside first, then removed.

    A directory cannot be renamed over a non-empty one, so this is two renames.
    Concurrent writers each move aside what is there (to a unique name) and
    retry if another one's result lands in between: the path always ends up
    holding one complete result, never a mix.
    """
    for _ in range(attempts):
        backup = Path(tempfile.mkdtemp(prefix=f".{old.name}.old.", dir=old.parent))
        try:
            try:
                os.replace(old, backup / old.name)  # a file or a directory, moved aside
            except FileNotFoundError:
                pass  # no earlier result (or another writer moved it aside)
            try:
                os.replace(new, old)
                return
            except OSError as exc:  # another writer's result arrived in between: go round again
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        finally:
            shutil.rmtree(backup, ignore_errors=True)
    raise OSError(errno.EBUSY, f"could not replace {old}: other writers kept replacing it")


def atomic_write_text(path: str | Path, text: str) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
