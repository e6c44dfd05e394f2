"""The compiled-program cache of the blackjax engine: hits, safety, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import ppl
from ppl.infer import cache
from tests.conftest import MODELS, ROOT

pytestmark = pytest.mark.filterwarnings("ignore")
MODEL = MODELS / "eight_schools_noncentered.ppl"
OPTS = dict(engine="blackjax", draws=100, tune=100, chains=2, seed=11, progressbar=False)


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PPL_CACHE_DIR", str(tmp_path))
    return tmp_path


def _entries(cache_dir):
    return sorted((cache_dir / "programs").glob("*.ppx"))


def test_second_run_hits_the_cache_and_gives_the_same_draws(cache_dir):
    model = ppl.load(MODEL)
    first = model.sample(**OPTS)
    second = model.sample(**OPTS)
    assert first.attrs["ppl_program_cache"] == "miss" and second.attrs["ppl_program_cache"] == "hit"
    np.testing.assert_array_equal(first["posterior"]["tau"].values, second["posterior"]["tau"].values)
    assert len(_entries(cache_dir)) == 1


def test_new_data_of_the_same_shapes_reuse_the_program(cache_dir):
    model = ppl.load(MODEL)
    data = json.loads((MODELS / "eight_schools_noncentered.json").read_text())
    model.sample(**OPTS)
    shifted = {**data, "y": [v + 100 for v in data["y"]]}
    moved = model.sample(shifted, **OPTS)
    assert moved.attrs["ppl_program_cache"] == "hit"
    np.testing.assert_allclose(moved["observed_data"]["y"].values, shifted["y"])
    assert float(moved["posterior"]["theta"].mean()) > 30  # the new data were used, not the cached ones


def test_corrupted_entry_is_rebuilt_not_trusted(cache_dir):
    model = ppl.load(MODEL)
    first = model.sample(**OPTS)
    (entry,) = _entries(cache_dir)
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # flip one payload byte: the checksum no longer matches
    entry.write_bytes(bytes(raw))
    again = model.sample(**OPTS)
    assert again.attrs["ppl_program_cache"] == "miss"
    np.testing.assert_array_equal(first["posterior"]["mu"].values, again["posterior"]["mu"].values)


def test_truncated_or_foreign_files_are_rejected(cache_dir):
    key = "a" * 64
    path = cache_dir / "programs" / f"{key}.ppx"
    path.parent.mkdir(parents=True)
    for junk in (b"", b"PPL-PROGRAM-1\n{not json", b"\x00" * 100, cache.MAGIC + b'{"key": "other"}\n'):
        path.write_bytes(junk)
        assert cache.load_entry(key) is None
        assert not path.exists()


def test_key_depends_on_options_and_shapes(cache_dir):
    from ppl.infer.jax_nuts import program_key
    from ppl.infer.mcmc import MCMCConfig

    model = ppl.load(MODEL)
    bound = model.bind()
    base = program_key(model, bound, MCMCConfig(engine="blackjax"))
    assert base == program_key(model, bound, MCMCConfig(engine="blackjax", seed=5))  # seed is an input
    assert base != program_key(model, bound, MCMCConfig(engine="blackjax", draws=500))
    data = json.loads((MODELS / "eight_schools_noncentered.json").read_text())
    fewer = model.bind({k: v[:6] if isinstance(v, list) else v for k, v in data.items()})
    assert base != program_key(model, fewer, MCMCConfig(engine="blackjax"))


def test_key_depends_on_ppl_source(cache_dir, tmp_path, monkeypatch):
    """A changed compiler never reuses a program the old one built (same version number)."""
    tree = tmp_path / "pkg"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.py").write_text("x = 1\n")
    (tree / "grammar.lark").write_text("start: NAME\n")
    (tree / "notes.txt").write_text("ignored\n")
    before = cache.tree_fingerprint(tree)
    (tree / "notes.txt").write_text("still ignored\n")
    assert cache.tree_fingerprint(tree) == before
    (tree / "sub" / "a.py").write_text("x = 2\n")
    changed = cache.tree_fingerprint(tree)
    assert changed != before
    key = cache.cache_key({"model": "m"})
    monkeypatch.setattr(cache, "source_fingerprint", lambda: changed)
    assert cache.cache_key({"model": "m"}) != key


def test_same_seed_same_draws_across_processes(cache_dir, tmp_path):
    code = ("import sys, ppl; r = ppl.load(sys.argv[1]).sample(engine='blackjax', draws=50, tune=50, chains=2,"
            " seed=5, progressbar=False); r['posterior'].to_dataset().to_netcdf(sys.argv[2])")
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.nc"
        subprocess.run([sys.executable, "-c", code, str(MODEL), str(out)], check=True, cwd=ROOT,
                       capture_output=True)
        outs.append(out)
    import xarray as xr

    a, b = (xr.open_dataset(o) for o in outs)
    np.testing.assert_array_equal(a["theta"].values, b["theta"].values)


# arviz_stats (with scipy.stats) is loaded: the summary and its R-hat/ESS come from ArviZ, not a copy
HEAVY = ("pymc", "pytensor", "dask", "distributed", "numba", "nutpie")


def test_warm_cli_run_imports_no_pymc_pytensor_or_dask(cache_dir, tmp_path):
    """A cache hit of `ppl sample --engine blackjax` needs JAX, NumPy, xarray and arviz-stats (structural, not timed).

    The first run compiles (and so imports PyMC and PyTensor); the second, a fresh
    process, reads the cached program, prints the summary and writes the result.
    """
    run = ("import runpy, sys; sys.argv = ['ppl'] + sys.argv[1:]\n"
           "try:\n    runpy.run_module('ppl.cli', run_name='__main__')\n"
           "except SystemExit as e:\n    code = e.code\n"
           f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\nsys.exit(code)")
    args = ["sample", str(MODEL), "--engine", "blackjax", "--draws", "50", "--tune", "50", "--chains", "2",
            "--seed", "3", "--quiet"]
    first = subprocess.run([sys.executable, "-c", run, *args], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "warm.nc"
    warm = subprocess.run([sys.executable, "-c", run, *args, "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True)
    assert warm.returncode == 0, warm.stderr
    assert "LOADED ['pymc', 'pytensor'" in first.stdout  # the cold run did build the model with PyMC
    assert "LOADED []" in warm.stdout, warm.stdout[-500:]
    import xarray as xr

    tree = xr.open_datatree(out)
    assert tree.attrs["ppl_program_cache"] == "hit"
    assert {"ppl_model_sha256", "ppl_data_sha256", "ppl_options", "pymc_version", "pytensor_version",
            "ppl_engine_version", "ppl_seed"} <= set(tree.attrs)
    assert "mu" in warm.stdout and "ess_bulk" in warm.stdout  # the summary table was printed
