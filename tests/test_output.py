"""``ppl.output.write_result``: NetCDF and Zarr round trips, and atomic writes.

A failing write (simulated by making the library's writer fail after writing
part of its output) must leave an earlier result at the path intact and no
temporary files beside it.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from arviz_base import from_dict

from ppl.output import write_result

ENGINES = {".nc": "h5netcdf", ".zarr": "zarr"}


def _result():
    rng = np.random.default_rng(3)
    tree = from_dict({
        "posterior": {"mu": rng.normal(size=(2, 30)), "theta": rng.normal(size=(2, 30, 4))},
        "sample_stats": {"diverging": rng.random((2, 30)) < 0.1, "lp": rng.normal(size=(2, 30))},
        "log_likelihood": {"y": rng.normal(size=(2, 30, 4))},
        "observed_data": {"y": np.array([1.0, -2.0, 0.5, 3.0])},
    }, dims={"theta": ["school"], "y": ["school"]}, coords={"school": ["a", "b", "c", "d"]})
    tree.attrs.update({"ppl_model": "m", "ppl_options": '{"draws": 30}', "ppl_warnings": "[]"})
    return tree


def _assert_same(tree, path):
    back = xr.open_datatree(path, engine=ENGINES[path.suffix])
    assert set(back.children) == set(tree.children)
    assert dict(back.attrs) == dict(tree.attrs)
    for group in tree.children:
        xr.testing.assert_identical(back[group].to_dataset().drop_attrs(), tree[group].to_dataset().drop_attrs())


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip(tmp_path, suffix):
    tree, path = _result(), tmp_path / f"fit{suffix}"
    write_result(tree, str(path))
    _assert_same(tree, path)
    write_result(tree, str(path))  # overwriting an earlier result works too
    _assert_same(tree, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def _failing_writer(suffix):
    def write(self, target, *args, **kwargs):
        if suffix == ".nc":
            with open(target, "wb") as fh:
                fh.write(b"\x89HDF half-written")
        else:
            target.mkdir()
            (target / "zarr.json").write_text("{")
        raise OSError("disk full (simulated)")
    return write


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_a_failing_write_leaves_the_earlier_result_intact(tmp_path, suffix, monkeypatch):
    tree, path = _result(), tmp_path / f"fit{suffix}"
    write_result(tree, str(path))
    monkeypatch.setattr(xr.DataTree, "to_netcdf" if suffix == ".nc" else "to_zarr", _failing_writer(suffix))
    changed = tree.copy()
    changed["posterior"]["mu"] = changed["posterior"]["mu"] + 1
    with pytest.raises(OSError, match="simulated"):
        write_result(changed, str(path))
    _assert_same(tree, path)  # the earlier result, unchanged
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files left


def test_netcdf_write_does_not_load_distributed(tmp_path):
    """Writing numpy-backed results skips xarray's dask-scheduler probe (which imports ``distributed``)."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, xarray as xr; from ppl.output import write_result; "
            "t = xr.DataTree.from_dict({'posterior': xr.Dataset({'mu': (('chain', 'draw'), np.ones((2, 5)))})}); "
            f"write_result(t, {str(tmp_path / 'a.nc')!r}); print('distributed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert float(xr.open_datatree(tmp_path / "a.nc")["posterior"]["mu"].sum()) == 10.0


def test_netcdf_write_of_dask_chunks(tmp_path):
    """Chunked (dask) arrays still go through xarray's own scheduler probe, and are written in full."""
    pytest.importorskip("dask")
    tree = _result()
    chunked = xr.DataTree.from_dict({"posterior": tree["posterior"].to_dataset().chunk({"draw": 7})})
    write_result(chunked, str(tmp_path / "c.nc"))
    back = xr.open_datatree(tmp_path / "c.nc")
    xr.testing.assert_allclose(back["posterior"].to_dataset(), tree["posterior"].to_dataset().drop_attrs())
