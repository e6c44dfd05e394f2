"""`ppl fit`: output, exit codes, the written result."""

from __future__ import annotations

import subprocess
import sys

import xarray as xr

from conftest import MODELS, ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "ppl.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_fit_prints_status_and_table_and_writes_the_result(tmp_path):
    out = tmp_path / "fit.nc"
    proc = run("fit", MODELS / "linear_regression.ppl", "--method", "fullrank", "--steps", "3000", "--draws", "100",
               "--seed", "1", "--quiet", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("fullrank: ") and "ELBO" in proc.stdout
    assert "beta[2]" in proc.stdout and "hdi94_lb" in proc.stdout
    assert "fitting" not in proc.stderr  # --quiet: no progress bar
    tree = xr.open_datatree(out)
    assert tree["vi"].attrs["method"] == "fullrank"
    assert tree["posterior"].sizes["draw"] == 100 and "log_p" in tree["sample_stats"]


def test_bad_options_exit_2_without_traceback():
    for args, message in [(["--method", "svgd"], "unknown VI method"), (["--batch-size", "0"], "--batch-size"),
                          (["--batch-size", "4", "--batch-dim", "schol"], "did you mean `school`")]:
        proc = run("fit", MODELS / "eight_schools_noncentered.ppl", "--quiet", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr


def test_unconverged_fit_warns(tmp_path):
    proc = run("fit", MODELS / "eight_schools_noncentered.ppl", "--steps", "200", "--draws", "20", "--quiet",
               "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    assert "stopped at the step limit" in proc.stdout
    assert "did not converge in 200 steps" in proc.stderr


def test_fit_amortizing_a_global_is_a_located_error():
    proc = run("fit", MODELS / "ppca.ppl", "--approximation", "W=amortized", "--quiet")
    assert proc.returncode == 2
    assert "ppca.ppl:" in proc.stderr and "`W` cannot be amortized" in proc.stderr and "^" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fit_bad_encoder_option_is_an_error():
    proc = run("fit", MODELS / "ppca.ppl", "--approximation", "z=amortized", "--encoder", "a,b", "--quiet")
    assert proc.returncode == 2 and "--encoder must be integers" in proc.stderr
