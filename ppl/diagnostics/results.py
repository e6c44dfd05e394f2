"""Reading result files, and what a result says about how it was made.

Results are xarray DataTrees written by :func:`ppl.output.write_result`
(NetCDF through h5netcdf, or Zarr).  A variational result carries the log
target density and the log density of the approximation of every draw as
``sample_stats/log_p`` and ``sample_stats/log_q`` (shape ``(chain, draw)``);
:func:`vi_log_densities` finds them, and the PSIS diagnostics use them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PplError
from . import messages as M

__all__ = ["open_result", "vi_log_densities", "is_mcmc", "VI_GROUPS"]

VI_GROUPS = ("sample_stats", "vi", "variational")  # where log_p / log_q may be stored


def open_result(path: str):
    """Load a result file fully into memory (the file is closed on return)."""
    import xarray as xr

    p = Path(path)
    if not p.exists():
        raise PplError(M.no_result_file(path))
    engine = "zarr" if p.suffix == ".zarr" or p.is_dir() else "h5netcdf"
    try:
        with xr.open_datatree(p, engine=engine) as tree:
            loaded = tree.load()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PplError(M.unreadable_result(path, f"{type(exc).__name__}: {exc}")) from None
    if "posterior" not in loaded.children:
        raise PplError(M.missing_group(path, "posterior", "any diagnostic",
                                       "write the result with `ppl sample --out` or `ppl fit --out`"))
    return loaded


def vi_log_densities(result):
    """``(log_p, log_q)`` DataArrays of a variational result, or ``None`` for other results."""
    for group in VI_GROUPS:
        if group in result.children:
            ds = result[group]
            if "log_p" in ds.data_vars and "log_q" in ds.data_vars:
                return ds["log_p"], ds["log_q"]
    return None


def is_mcmc(result) -> bool:
    """A result whose draws come from Markov chains (so convergence checks apply)."""
    return vi_log_densities(result) is None
