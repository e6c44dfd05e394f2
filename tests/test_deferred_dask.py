"""``ppl.cli.deferred_dask``: xarray does not import dask until dask is in use, and still knows dask arrays."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("dask")


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_numpy_datasets_do_not_import_dask():
    code = ("import sys, numpy as np, xarray as xr; from ppl.cli.deferred_dask import defer_dask_import; "
            "defer_dask_import(); ds = xr.Dataset({'a': (('x',), np.arange(3.0))}, coords={'x': [1, 2, 3]}); "
            "ds.to_dataframe(); print('dask' in sys.modules, float(ds['a'].sum()))")
    assert _run(code) == "False 3.0"


def test_dask_arrays_are_still_recognized_once_dask_is_imported():
    code = ("import numpy as np, xarray as xr; from ppl.cli.deferred_dask import defer_dask_import; "
            "defer_dask_import(); xr.Dataset({'a': (('x',), np.arange(3.0))}); import dask.array as da; "
            "ds = xr.Dataset({'a': (('x',), da.arange(6.0, chunks=2))}); "
            "print(ds['a'].chunks, type(ds['a'].data).__module__.split('.')[0], float(ds['a'].sum().compute()))")
    assert _run(code) == "((2, 2, 2),) dask 15.0"


def test_installing_twice_is_harmless():
    code = ("import numpy as np, xarray as xr; from ppl.cli.deferred_dask import defer_dask_import; "
            "defer_dask_import(); defer_dask_import(); import dask.array as da; "
            "print(xr.DataArray(da.ones(4, chunks=2)).chunks)")
    assert _run(code) == "((2, 2),)"
