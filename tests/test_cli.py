"""The command line: exit codes, no tracebacks, `check` without PyMC, atomic output."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GOLDEN, MODELS, ROOT


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ppl.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_check_ok_and_does_not_import_pymc():
    code = ("import sys; from ppl.cli import main; rc = main(['check', 'models/eight_schools_noncentered.ppl']);"
            "assert 'pymc' not in sys.modules and 'pytensor' not in sys.modules; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout


def test_bad_model_exit_code_2_no_traceback():
    proc = run("check", GOLDEN / "bad" / "undefined_name.ppl")
    assert proc.returncode == 2
    assert "error: `sigm` is not defined" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_is_a_user_error():
    proc = run("check", "no/such/model.ppl")
    assert proc.returncode == 2 and "no such model file" in proc.stderr


def test_bad_data_is_a_user_error(tmp_path):
    data = tmp_path / "d.json"
    data.write_text('{"y": [1, 2, 3], "sigma": [1, -2, 3]}')
    proc = run("sample", MODELS / "eight_schools_noncentered.ppl", "--data", data, "--draws", "10")
    assert proc.returncode == 2, proc.stderr
    assert "sigma[1] = -2" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_json_points_into_the_data_file(tmp_path):
    data = tmp_path / "d.json"
    data.write_text('{"y": [1, 2,, 3]}')
    proc = run("sample", MODELS / "eight_schools_noncentered.ppl", "--data", data)
    assert proc.returncode == 2
    assert f"{data}:1:" in proc.stderr


def test_unknown_out_format_refused_before_work(tmp_path):
    proc = run("sample", MODELS / "eight_schools_noncentered.ppl", "--out", tmp_path / "x.csv")
    assert proc.returncode == 2 and "unknown format" in proc.stderr


def test_unknown_engine_is_a_user_error():
    proc = run("sample", MODELS / "eight_schools_noncentered.ppl", "--engine", "stan", "--draws", "10")
    assert proc.returncode == 2 and "unknown engine" in proc.stderr


def test_sample_writes_netcdf_atomically(tmp_path):
    out = tmp_path / "fit.nc"
    out.write_text("earlier result")
    proc = run("sample", MODELS / "eight_schools_noncentered.ppl", "--draws", "100", "--tune", "100",
               "--chains", "2", "--seed", "3", "--quiet", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "mu" in proc.stdout and "r_hat" in proc.stdout
    import xarray as xr

    tree = xr.open_datatree(out, engine="h5netcdf")
    assert set(tree["posterior"].data_vars) >= {"mu", "tau", "theta", "theta_raw"}
    assert tree.attrs["ppl_model"] == "eight_schools_noncentered"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.ppl")), ids=lambda p: p.stem)
def test_every_model_checks(path):
    proc = run("check", path)
    assert proc.returncode == 0, proc.stderr
