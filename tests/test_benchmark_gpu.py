"""Argument handling of ``benchmarks/gpu.py`` and ``benchmarks/logistic_1e5.py`` (not their timings)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from benchmarks import gpu, logistic_1e5
from tests.conftest import ROOT


def _has_gpu() -> bool:
    return bool(gpu.gpu_names())


def test_defaults_run_everything_on_auto():
    args = gpu.parse_args([])
    assert args.device == "auto" and args.only == ["vsbc", "advi", "nuts"] and not args.quick


@pytest.mark.parametrize("argv", [["--only", "nuts,stan"], ["--only", ","], ["--device", "tpu"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as err:
        gpu.parse_args(argv)
    assert err.value.code == 2
    assert "choose from" in capsys.readouterr().err


def test_gpu_requested_without_one_exits_2_with_the_extra(capsys):
    with pytest.raises(SystemExit) as err:
        gpu.choose_device("gpu", [])
    assert err.value.code == 2
    message = capsys.readouterr().err
    assert "no GPU" in message and "ppl[gpu]" in message and "--device cpu" in message


def test_auto_without_a_gpu_says_so_and_uses_the_cpu():
    platform, message = gpu.choose_device("auto", [])
    assert platform == "cpu" and message.startswith("NO GPU") and "CPU" in message


def test_auto_and_cpu_with_a_gpu():
    assert gpu.choose_device("auto", ["NVIDIA A100"]) == ("gpu", "running on the GPU: NVIDIA A100")
    assert gpu.choose_device("cpu", ["NVIDIA A100"])[0] == "cpu"


def test_sub_benchmarks_see_only_the_chosen_platform(tmp_path):
    assert gpu.device_env("cpu")["JAX_PLATFORMS"] == "cpu"
    assert gpu.device_env("gpu")["JAX_PLATFORMS"].startswith("cuda")
    nuts = gpu.command("nuts", True, "gpu", tmp_path / "x.md")
    assert nuts[-3:] == ["--quick", "--device", "gpu"] and nuts[1].endswith("logistic_1e5.py")
    advi = gpu.command("advi", False, "cpu", tmp_path / "x.md")
    assert advi[-2:] == ["--out", str(tmp_path / "x.md")]


def test_missing_vsbc_script_is_skipped_with_a_message(monkeypatch, tmp_path):
    monkeypatch.setattr(gpu, "HERE", tmp_path)
    assert gpu.command("vsbc", True, "cpu", tmp_path / "x.md") is None
    status, body = gpu.run_one("vsbc", gpu.parse_args(["--only", "vsbc"]), "cpu")
    assert status == "skipped" and "vsbc_speed.py" in body


def test_embedded_sections_lose_markers_and_move_down_a_level():
    text = "# Benchmarks\n\nEach section is written by ...\n\n<!-- bench:a -->\n## A\n\n### sub\n| x |\n<!-- /bench:a -->\n"
    out = gpu._embedded(text)
    assert out.startswith("#### A") and "##### sub" in out and "| x |" in out
    assert "<!--" not in out and "Benchmarks" not in out and "Each section" not in out


def test_cli_gpu_without_a_gpu_exits_2():
    if _has_gpu():
        pytest.skip("this machine has a GPU")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--device", "gpu", "--no-write"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "no GPU" in proc.stderr and "Traceback" not in proc.stderr


def test_logistic_arguments():
    quick = logistic_1e5.parse_args(["--quick"])
    assert (quick.rows, quick.chains, quick.repeats) == (10_000, 2, 1)
    full = logistic_1e5.parse_args(["--rows", "500"])
    assert (full.rows, full.cols, full.draws, full.chains) == (500, 15, 1000, 4)
    with pytest.raises(SystemExit):
        logistic_1e5.parse_args(["--engines", "nutpie,stan"])


def test_logistic_data_are_seeded():
    a, b = logistic_1e5.simulate(200, 3, 7), logistic_1e5.simulate(200, 3, 7)
    np.testing.assert_array_equal(a["X"], b["X"])
    np.testing.assert_array_equal(a["y"], b["y"])
    assert set(np.unique(a["y"])) <= {0, 1} and a["X"].shape == (200, 3)


def test_logistic_section_says_when_the_run_is_reduced():
    assert not logistic_1e5.reduced(logistic_1e5.parse_args([]))
    assert logistic_1e5.reduced(logistic_1e5.parse_args(["--draws", "300"]))
    assert logistic_1e5.reduced(logistic_1e5.parse_args(["--quick"]))
