"""Writing results atomically: a temp file beside the target, then a rename.

An interrupted or failed run leaves any earlier file at the path intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import Diagnostic, PplError

__all__ = ["validate_out", "write_result", "atomic_write_text"]

_FORMATS = (".nc", ".zarr")


def validate_out(path: str) -> None:
    """Refuse an unknown format or a missing folder before any work is done."""
    p = Path(path)
    if p.suffix not in _FORMATS:
        raise PplError(Diagnostic("E-option", f"--out {path}: unknown format `{p.suffix}`",
                                  hint="write FILE.nc (NetCDF) or FILE.zarr"))
    if not p.parent.resolve().is_dir():
        raise PplError(Diagnostic("E-option", f"--out {path}: the folder {p.parent} does not exist"))


def write_result(result, path: str) -> None:
    """Write a DataTree to NetCDF or Zarr atomically."""
    p = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", dir=p.parent))
    try:
        target = tmp / p.name
        if p.suffix == ".nc":
            result.to_netcdf(target, engine="h5netcdf")
            os.replace(target, p)
        else:
            result.to_zarr(target)
            _replace_dir(target, p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_dir(new: Path, old: Path) -> None:
    backup = None
    if old.exists():
        backup = old.with_name(f".{old.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(old, backup)
    os.replace(new, old)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


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
