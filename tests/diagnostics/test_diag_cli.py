"""The diagnostics subcommands: diagnose, loo, compare, sbc (text, --json, user errors)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from .calib_models import MODELS
from ppl.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_diagnose_text_and_json(capsys, eight_schools_files):
    code, out, _ = run(capsys, "diagnose", eight_schools_files["centered"])
    assert code == 0 and "MCMC convergence: 2 chains x 1000 draws" in out
    assert "Rank-normalized split R-hat" in out and "(Vehtari et al. 2021" in out
    code, out, _ = run(capsys, "diagnose", eight_schools_files["noncentered"], "--var", "tau", "--json")
    data = json.loads(out)
    result = data["results"][str(eight_schools_files["noncentered"])]
    assert result["kind"] == "convergence" and [p["name"] for p in result["parameters"]] == ["tau"]
    assert {c["name"] for c in result["checks"]} >= {"rhat", "divergences", "ebfmi"}
    assert data["verdict"] in ("pass", "warn", "fail")


def test_loo_with_waic_json(capsys, eight_schools_files):
    code, out, _ = run(capsys, "loo", eight_schools_files["centered"], eight_schools_files["noncentered"],
                       "--waic", "--json")
    results = json.loads(out)["results"]
    assert code == 0 and len(results) == 4
    loo_c = results[f"{eight_schools_files['centered']} (loo)"]
    assert loo_c["kind"] == "loo" and len(loo_c["pareto_k"]) == 8 and loo_c["observations"][0] == "y[0]"
    assert results[f"{eight_schools_files['centered']} (waic)"]["kind"] == "waic"


def test_compare_text(capsys, eight_schools_files):
    code, out, _ = run(capsys, "compare", eight_schools_files["centered"], eight_schools_files["noncentered"])
    assert code == 0 and "stacking weights" in out and "centered" in out and "noncentered" in out
    code, out, _ = run(capsys, "compare", eight_schools_files["centered"], eight_schools_files["noncentered"],
                       "--names", "c,nc", "--json")
    rows = json.loads(out)["results"]["comparison"]["rows"]
    assert {r["name"] for r in rows} == {"c", "nc"} and sum(r["weight"] for r in rows) == pytest.approx(1)


@pytest.mark.parametrize("args, message", [
    (["compare", "{c}"], "compare needs at least two results"),
    (["compare", "{c}", "{nc}", "--names", "a"], "--names gives 1 names for 2 results"),
    (["compare", "{c}", "{nc}", "--method", "bma"], "unknown --method `bma`"),
    (["diagnose", "{c}", "--var", "tauu"], "did you mean `tau`?"),
    (["loo", "{c}", "--var", "z"], "the result has no variable `z`"),
    (["diagnose", "no/such.nc"], "no such result file"),
])
def test_user_errors(capsys, eight_schools_files, args, message):
    args = [a.format(c=eight_schools_files["centered"], nc=eight_schools_files["noncentered"]) for a in args]
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_unreadable_file_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    proc = subprocess.run([sys.executable, "-m", "ppl.cli", "diagnose", str(bad)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and "cannot read this result file" in proc.stderr and "Traceback" not in proc.stderr


def _vi_result(path):
    from scipy import stats

    from ppl.output import write_result

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, size=(1, 10_000))
    y = np.array([0.5, -0.2, 0.1])
    tree = xr.DataTree.from_dict({
        "posterior": xr.Dataset({"mu": (("chain", "draw"), x)}),
        "sample_stats": xr.Dataset({"log_p": (("chain", "draw"), stats.norm.logpdf(x)),
                                    "log_q": (("chain", "draw"), stats.norm.logpdf(x, 0, 0.3))}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw", "i"), stats.norm.logpdf(y, x[..., None], 1))})})
    write_result(tree, str(path))


def test_variational_results_get_psis_and_corrected_loo(capsys, tmp_path):
    path = tmp_path / "vi.nc"
    _vi_result(path)
    code, out, _ = run(capsys, "diagnose", path)
    assert code == 0 and "PSIS diagnostic of the variational fit" in out and "[FAIL]" in out
    code, out, _ = run(capsys, "loo", path, "--json")
    assert json.loads(out)["results"][str(path)]["method"] == "psis-loo-approximate-posterior"


def test_loo_needs_log_likelihood(capsys, tmp_path):
    from ppl.output import write_result

    path = tmp_path / "nolog.nc"
    write_result(xr.DataTree.from_dict({"posterior": xr.Dataset({"a": (("chain", "draw"), np.zeros((1, 4)))})}),
                 str(path))
    code, _, err = run(capsys, "loo", path)
    assert code == 2 and "no `log_likelihood` group" in err


def test_sbc_command(capsys, tmp_path):
    out_file = tmp_path / "sbc.json"
    code, out, _ = run(capsys, "sbc", MODELS / "eight_schools_noncentered.ppl", "--reps", 4, "--engine", "pymc",
                       "--draws", 100, "--tune", 100, "--workers", 1, "--seed", 1, "--quiet", "--json",
                       "--var", "mu", "--var", "tau", "--out", out_file)
    assert code == 0
    result = json.loads(out)["results"][str(MODELS / "eight_schools_noncentered.ppl")]
    assert result["kind"] == "sbc" and np.array(result["ranks"]).shape == (4, 2)
    assert json.loads(out_file.read_text())["results"]


@pytest.mark.parametrize("args, message", [
    (["--engine", "stan"], "unknown engine `stan`"),
    (["--reps", "1"], "--reps is too small"),
    (["--var", "sigma"], "--var `sigma` is not a parameter"),
    (["--batch", "10"], "--batch needs --engine blackjax"),
    (["--engine", "blackjax", "--batch", "10", "--workers", "2"], "--workers and --scheduler do not apply"),
])
def test_sbc_option_errors(capsys, args, message):
    code, _, err = run(capsys, "sbc", MODELS / "eight_schools_noncentered.ppl", "--quiet", *args)
    assert code == 2 and message in err


@pytest.mark.slow
def test_sbc_on_a_dask_scheduler_over_tcp(capsys):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        code, out, _ = run(capsys, "sbc", MODELS / "eight_schools_noncentered.ppl", "--reps", 4, "--engine", "pymc",
                           "--draws", 100, "--tune", 100, "--seed", 1, "--quiet", "--json", "--var", "mu",
                           "--scheduler", cluster.scheduler_address)
    result = json.loads(out)["results"][str(MODELS / "eight_schools_noncentered.ppl")]
    assert code == 0 and result["failures"] == [] and len(result["ranks"]) == 4
