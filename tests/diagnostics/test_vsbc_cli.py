"""``ppl vsbc``: text and JSON, --out, the batched and sequential paths agree, option errors exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .calib_models import MODELS
from ppl.cli import main

SCHOOLS = MODELS / "eight_schools_centered.ppl"
SMALL = ["--reps", 4, "--steps", 300, "--draws", 100, "--seed", 2, "--var", "tau", "--quiet"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_vsbc_command_json_and_out(capsys, tmp_path):
    out_file = tmp_path / "vsbc.json"
    code, out, _ = run(capsys, "vsbc", SCHOOLS, *SMALL, "--batch", 3, "--json", "--out", out_file)
    assert code == 0
    result = json.loads(out)["results"][str(SCHOOLS)]
    assert result["kind"] == "vsbc" and result["method"] == "advi"
    assert np.array(result["p"]).shape == (4, 1) and len(result["stop_reasons"]) == 4
    assert json.loads(out_file.read_text())["results"][str(SCHOOLS)]["p"] == result["p"]


@pytest.mark.slow
def test_vsbc_command_sequential_on_workers(capsys):
    code, text, _ = run(capsys, "vsbc", SCHOOLS, *SMALL, "--sequential", "--workers", 2)
    assert code == 0 and "VSBC of `advi`: 4 of 4 replications" in text
    assert "fits stopped at the step limit (300 steps)" in text  # 300 steps: no fit passes its check


@pytest.mark.parametrize("args, message", [
    (["--method", "nuts"], "unknown VI method `nuts`"),
    (["--reps", "1"], "--reps is too small"),
    (["--batch", "0"], "--batch must be >= 1"),
    (["--workers", "2"], "--workers and --scheduler apply to --sequential"),
    (["--steps", "0"], "--steps must be an integer >= 1"),
    (["--var", "sigma"], "--var `sigma` is not a parameter"),
])
def test_vsbc_option_errors(capsys, args, message):
    code, _, err = run(capsys, "vsbc", SCHOOLS, "--quiet", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_vsbc_model_error_points_into_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.ppl"
    bad.write_text("model bad\n\nmu ~ Normal(0, 1)\ny ~ Normal(mu, sigmaa)\n")
    code, _, err = run(capsys, "vsbc", bad, "--quiet")
    assert code == 2 and f"{bad}:4:" in err
