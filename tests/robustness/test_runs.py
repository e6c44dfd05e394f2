"""Runs: interrupted, concurrent and repeated `ppl sample`, in separate processes.

- Ctrl-C (SIGINT to the process group, as a terminal sends it) while
  sampling: exit code 130, one line on stderr and no traceback, an earlier
  output file untouched, no temporary files and no sampler processes left;
  with ``--partial FILE`` the draws done so far are in FILE, marked partial,
  with the run's provenance.
- Writers racing for one ``--out`` path: the path ends up holding one
  complete result (and a NetCDF reader never sees a partial file).
- The same seed gives identical draws in two processes (nutpie and PyMC
  engines), and the options recorded in a result repeat it.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from conftest import MODELS, ROOT

EIGHT = MODELS / "eight_schools_noncentered.ppl"
PREDICT = MODELS / "linear_regression_predict.ppl"


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def _ppl(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ppl.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(), **kwargs)


def _wait_for(proc: subprocess.Popen, needles: tuple[str, ...], timeout: float) -> str:
    """Read stderr until a line holds one of ``needles`` (the sampler has started)."""
    seen, sel, end = "", selectors.DefaultSelector(), time.monotonic() + timeout
    sel.register(proc.stderr, selectors.EVENT_READ)
    while time.monotonic() < end and proc.poll() is None:
        if sel.select(timeout=1):
            line = proc.stderr.readline()
            seen += line
            if any(n in line for n in needles):
                return seen
    raise AssertionError(f"the sampler did not start: {seen[-2000:]}")


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _interrupt(engine: str, tmp_path):
    out = tmp_path / "fit.nc"
    out.write_text("earlier result")
    proc = _ppl("sample", EIGHT, "--engine", engine, "--draws", 10**6, "--tune", 200, "--chains", 2, "--seed", 1,
                "--out", out, start_new_session=True)
    seen, stdout, stderr = _ctrl_c(proc, wait=2)  # well inside the million draws
    return proc.returncode, seen + stderr, stdout, out, _group_gone(proc.pid)


def _ctrl_c(proc, wait: float) -> tuple[str, str, str]:
    """SIGINT to the process group ``wait`` s after sampling starts; (output seen before, stdout, stderr)."""
    try:
        seen = _wait_for(proc, ("NUTS", "sampling"), timeout=300)
        time.sleep(wait)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(1)
    return seen, stdout, stderr


# a model slow enough per draw (50,000 observations) that a run is surely inside its draws after tuning,
# with only two numbers per draw to keep
SLOW_TEXT = "dim obs\ndata y: real[obs]\nmu ~ Normal(0, 10)\nsigma ~ HalfNormal(5)\ny ~ Normal(mu, sigma)\n"


def _slow_model(tmp_path):
    model, data = tmp_path / "slow.ppl", tmp_path / "slow.json"
    model.write_text(SLOW_TEXT)
    data.write_text(json.dumps({"y": np.random.default_rng(5).normal(1.0, 2.0, 50_000).round(4).tolist()}))
    return model, data


def _interrupt_partial(engine: str, tmp_path, wait: float):
    """Ctrl-C ``wait`` seconds after the sampler starts, with ``--partial``; what it leaves."""
    model, data = _slow_model(tmp_path)
    out, part = tmp_path / "fit.nc", tmp_path / "part.nc"
    out.write_text("earlier result")
    proc = _ppl("sample", model, "--data", data, "--engine", engine, "--draws", 10**6, "--tune", 50, "--chains", 2,
                "--seed", 3, "--out", out, "--partial", part, start_new_session=True)
    seen, _, stderr = _ctrl_c(proc, wait)
    return proc.returncode, seen + stderr, out, part, _group_gone(proc.pid)


def _check_partial(result, tmp_path, engine) -> None:
    code, stderr, out, part, gone = result
    assert code == 130, stderr
    assert "Traceback" not in stderr, stderr
    message = [line for line in stderr.splitlines() if line.startswith("interrupted")]
    assert len(message) == 1 and re.fullmatch(
        r"interrupted: wrote the \d+ draws done in each of (1 chain|2 chains) to \S+part\.nc \(marked partial\); "
        r"earlier output files are untouched", message[0]), stderr
    assert out.read_text() == "earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.nc", "part.nc", "slow.json", "slow.ppl"]
    assert gone, "sampler processes are still running"
    tree = xr.open_datatree(part, engine="h5netcdf")
    posterior = tree["posterior"]
    n_draws, n_chains = posterior.sizes["draw"], posterior.sizes["chain"]
    assert f"the {n_draws} draws done in each of {n_chains} chain" in message[0]
    assert 0 < n_draws < 10**6 and n_chains in (1, 2)
    assert tree.attrs["ppl_partial"] == "true" and "SIGINT" in tree.attrs["ppl_partial_reason"]
    assert (int(tree.attrs["ppl_partial_draws"]), int(tree.attrs["ppl_partial_chains"])) == (n_draws, n_chains)
    options = json.loads(tree.attrs["ppl_options"])  # provenance: what was asked for, to repeat the run
    assert (options["engine"], options["draws"], options["seed"]) == (engine, 10**6, 3)
    assert tree.attrs["ppl_model_sha256"] and tree.attrs["ppl_data_sha256"] and tree.attrs["ppl_engine"] == engine
    for name in ("mu", "sigma"):  # completed draws only: no NaN padding
        assert np.isfinite(posterior[name].values).all()
    assert abs(float(posterior["mu"].values[:, n_draws // 2:].mean()) - 1.0) < 0.2  # the data's mean (sd 2/sqrt(5e4))
    assert tree["sample_stats"].sizes["draw"] == n_draws


def test_sigint_saves_the_draws_done_so_far_nutpie(tmp_path):
    _check_partial(_interrupt_partial("nutpie", tmp_path, wait=25), tmp_path, "nutpie")


@pytest.mark.slow
def test_sigint_saves_the_draws_done_so_far_pymc_multiprocess(tmp_path):
    _check_partial(_interrupt_partial("pymc", tmp_path, wait=25), tmp_path, "pymc")


def test_partial_file_must_differ_from_out_and_have_a_format(tmp_path):
    for extra in (["--out", tmp_path / "a.nc", "--partial", tmp_path / "a.nc"], ["--partial", tmp_path / "a.txt"]):
        proc = _ppl("sample", EIGHT, *extra)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2 and "error: --partial" in stderr and "Traceback" not in stderr, stderr


def _check_interrupted(result, tmp_path) -> None:
    code, stderr, stdout, out, gone = result
    assert code == 130, stderr
    assert "Traceback" not in stderr and "interrupted; earlier output files are untouched" in stderr
    assert out.read_text() == "earlier result"
    assert [p.name for p in tmp_path.iterdir()] == ["fit.nc"]  # no temporary files
    assert gone, "sampler processes are still running"


def test_sigint_while_sampling_nutpie(tmp_path):
    _check_interrupted(_interrupt("nutpie", tmp_path), tmp_path)


@pytest.mark.slow
def test_sigint_while_sampling_pymc_multiprocess(tmp_path):
    _check_interrupted(_interrupt("pymc", tmp_path), tmp_path)


# ------------------------------------------------------------- concurrency
_WRITER = r"""
import sys
import numpy as np
import xarray as xr
from ppl.output import write_result

import time
from pathlib import Path

path, ident, n, barrier = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
ds = xr.Dataset({"mu": (("chain", "draw"), np.full((2, 500), float(ident))),
                 "theta": (("chain", "draw", "school"), np.full((2, 500, 8), float(ident)))})
tree = xr.DataTree.from_dict({"posterior": ds})
tree.attrs["writer"] = ident
(barrier / f"ready{ident}").touch()
while not (barrier / "go").exists():  # all writers start together, after their imports
    time.sleep(0.005)
for k in range(n):
    write_result(tree, path)
"""


def _read(path):
    engine = {"nc": "h5netcdf", "zarr": "zarr"}[path.suffix[1:]]
    with xr.open_datatree(path, engine=engine) as tree:
        post = tree["posterior"]
        ident = int(tree.attrs["writer"])
        values = np.concatenate([post["mu"].values.ravel(), post["theta"].values.ravel()])
    return ident, values


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_racing_writers_leave_one_complete_result(tmp_path, suffix):
    out_dir, barrier = tmp_path / "out", tmp_path / "barrier"
    out_dir.mkdir()
    barrier.mkdir()
    path = out_dir / f"fit{suffix}"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(i), "20", str(barrier)], cwd=ROOT,
                                env=_env(), stderr=subprocess.PIPE, text=True) for i in (1, 2, 3)]
    while len(list(barrier.iterdir())) < 3 and all(w.poll() is None for w in writers):
        time.sleep(0.01)
    (barrier / "go").touch()
    complete = 0
    while any(w.poll() is None for w in writers):
        if suffix == ".nc" and path.exists():  # a NetCDF reader never sees a partial file
            ident, values = _read(path)
            assert (values == ident).all()
            complete += 1
        time.sleep(0.01)
    assert [w.wait() for w in writers] == [0, 0, 0], [w.stderr.read() for w in writers]
    ident, values = _read(path)
    assert ident in (1, 2, 3) and (values == ident).all() and values.size == 2 * 500 * 9
    assert [p.name for p in out_dir.iterdir()] == [path.name]  # no temporary or backup files left
    if suffix == ".nc":
        assert complete > 0


@pytest.mark.slow
def test_two_cli_runs_writing_the_same_out_path(tmp_path):
    out = tmp_path / "fit.nc"
    runs = {draws: _ppl("sample", EIGHT, "--draws", draws, "--tune", 100, "--chains", 2, "--seed", draws, "--quiet",
                        "--out", out) for draws in (40, 60)}
    for proc in runs.values():
        proc.communicate(timeout=600)
        assert proc.returncode == 0
    with xr.open_datatree(out, engine="h5netcdf") as tree:
        draws = tree["posterior"].sizes["draw"]
        options = json.loads(tree.attrs["ppl_options"])
        assert draws in runs and options["draws"] == draws and options["seed"] == draws
        assert set(tree.children) >= {"posterior", "sample_stats", "log_likelihood"}
        assert np.isfinite(tree["posterior"]["mu"].values).all()


# --------------------------------------------------------- reproducibility
def _sample_to(out, model, engine, seed, draws=40):
    proc = _ppl("sample", model, "--engine", engine, "--draws", draws, "--tune", 60, "--chains", 2, "--seed", seed,
                "--quiet", "--out", out)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    return xr.open_datatree(out, engine="h5netcdf")


def _same_draws(a, b) -> bool:
    groups = ("posterior", "log_likelihood")
    return all(np.array_equal(a[g][v].values, b[g][v].values) for g in groups for v in a[g].data_vars)


def _check_reproducible(engine, model, tmp_path):
    a = _sample_to(tmp_path / "a.nc", model, engine, 11)
    options = json.loads(a.attrs["ppl_options"])  # the recorded options repeat the run
    b = _sample_to(tmp_path / "b.nc", model, options["engine"], options["seed"], options["draws"])
    c = _sample_to(tmp_path / "c.nc", model, engine, 12)
    assert _same_draws(a, b)
    assert not _same_draws(a, c)
    assert a.attrs["ppl_model_sha256"] == b.attrs["ppl_model_sha256"]
    assert a.attrs["ppl_data_sha256"] == b.attrs["ppl_data_sha256"]


@pytest.mark.slow
def test_same_seed_same_draws_in_two_processes_nutpie(tmp_path):
    _check_reproducible("nutpie", PREDICT, tmp_path)  # also draws a generated quantity


@pytest.mark.slow
def test_same_seed_same_draws_in_two_processes_pymc(tmp_path):
    _check_reproducible("pymc", PREDICT, tmp_path)
