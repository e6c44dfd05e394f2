"""Time to an answer: `ppl sample` on eight schools non-centred, cold and warm, against PyStan 3.

Every contender is a fresh process, timed from start to exit (interpreter
start, imports, compilation or cache load, sampling, writing results), with
4 chains x 1000 draws after 1000 tuning steps:

* ``ppl sample --engine blackjax`` with an empty program cache (cold) and
  with the entry of a previous run (warm);
* ``ppl sample`` with its default engine, nutpie (PyTensor's numba cache is
  warm after the first run; nutpie's own wrappers recompile every process);
* PyStan 3 with its compiled model cached by httpstan (its first build, which
  compiles C++, is excluded as a one-off; reported separately);
* PyMC's own NUTS (``--engine pymc``) for reference.

ESS per wall-second = min bulk ESS over mu, tau, theta_raw / wall time; median
over repeats.  Threads: OMP/OPENBLAS/MKL = 1 in every process.

Usage: python benchmarks/end_to_end.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, median, min_bulk_ess, table, write_section

PY = sys.executable
MODEL = ROOT / "models" / "eight_schools_noncentered.ppl"
NAMES = ["mu", "tau", "theta_raw"]


def _run(cmd, env=None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _ess_nc(path) -> float:
    import xarray as xr

    tree = xr.open_datatree(path)
    return min_bulk_ess(tree["posterior"].to_dataset(), NAMES)


def _ess_npz(path) -> float:
    import numpy as np
    import xarray as xr

    d = np.load(path)
    ds = xr.Dataset({k: (("chain", "draw", *[f"{k}_{i}" for i in range(d[k].ndim - 2)]), d[k]) for k in NAMES})
    return min_bulk_ess(ds)


def ppl_run(tmp: Path, seed: int, engine: str, cache: Path) -> tuple[float, float]:
    out = tmp / f"ppl-{engine}-{seed}.nc"
    cmd = [PY, "-m", "ppl.cli", "sample", str(MODEL), "--quiet", "--seed", str(seed), "--out", str(out),
           "--engine", engine]
    wall = _run(cmd, {"PPL_CACHE_DIR": str(cache)})
    return wall, _ess_nc(out)


def stan_run(tmp: Path, seed: int) -> tuple[float, float]:
    out = tmp / f"stan-{seed}.npz"
    wall = _run([PY, str(ROOT / "benchmarks" / "pystan_eight_schools.py"), str(seed), str(out)])
    return wall, _ess_npz(out)


def in_process(repeats: int, cache: Path) -> list[list]:
    """Warm, inside one Python process: `Model.sample` (blackjax, cached) vs PyStan build+sample."""
    import numpy as np

    os.environ["PPL_CACHE_DIR"] = str(cache)
    import ppl
    import stan

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from pystan_eight_schools import CODE, _by_chain

    model = ppl.load(MODEL)
    data = model.bind()
    opts = dict(engine="blackjax", progressbar=False)
    model.sample(seed=1, **opts)  # untimed: loads the cached program
    stan_data = {"J": 8, "y": list(data.values["y"]), "sigma": list(data.values["sigma"])}
    runs = {"ppl Model.sample (blackjax, cached), in process": [], "PyStan build+sample (cached), in process": []}
    for r in range(repeats):
        t0 = time.perf_counter()
        res = model.sample(seed=100 + r, **opts)
        runs["ppl Model.sample (blackjax, cached), in process"].append(
            (time.perf_counter() - t0, min_bulk_ess(res["posterior"], NAMES)))
        t0 = time.perf_counter()
        fit = stan.build(CODE, data=stan_data, random_seed=100 + r).sample(num_chains=4, num_samples=1000,
                                                                          num_warmup=1000)
        wall = time.perf_counter() - t0
        import xarray as xr

        d = {k: _by_chain(np.asarray(fit[k]), 4) for k in NAMES}
        d = {k: v[..., 0] if k in ("mu", "tau") else v for k, v in d.items()}
        ds = xr.Dataset({k: (("chain", "draw", *[f"{k}_{i}" for i in range(v.ndim - 2)]), v) for k, v in d.items()})
        runs["PyStan build+sample (cached), in process"].append((wall, min_bulk_ess(ds)))
    return [_row(k, v) for k, v in runs.items()]


def _row(name, runs):
    walls = [w for w, _ in runs]
    rates = [e / w for w, e in runs]
    return [name, median(walls), median([e for _, e in runs]), median(rates)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--cold-repeats", type=int, default=2)
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ppl-bench-"))
    stan_first = _run([PY, str(ROOT / "benchmarks" / "pystan_eight_schools.py"), "0", str(tmp / "s0.npz")])
    rows = {}
    cold = []
    for r in range(args.cold_repeats):
        cold.append(ppl_run(tmp, 10 + r, "blackjax", tmp / f"cold-cache-{r}"))
    rows["ppl blackjax, cold cache"] = cold
    warm_cache = tmp / "cold-cache-0"
    ppl_run(tmp, 1, "nutpie", warm_cache)  # warm PyTensor's numba cache, untimed
    for key in ("ppl blackjax, warm cache", "ppl nutpie (default)", "PyStan 3, model cached", "ppl pymc NUTS"):
        rows[key] = []
    for r in range(args.repeats):  # interleaved so that load changes hit every contender alike
        seed = 100 + r
        rows["ppl blackjax, warm cache"].append(ppl_run(tmp, seed, "blackjax", warm_cache))
        rows["ppl nutpie (default)"].append(ppl_run(tmp, seed, "nutpie", warm_cache))
        rows["PyStan 3, model cached"].append(stan_run(tmp, seed))
        rows["ppl pymc NUTS"].append(ppl_run(tmp, seed, "pymc", warm_cache))
        print(r, {k: v[-1] for k, v in rows.items() if v}, flush=True)
    table_rows = [_row(k, v) for k, v in rows.items()] + in_process(args.repeats, warm_cache)
    stan_rate = next(r[3] for r in table_rows if r[0].startswith("PyStan"))
    for r in table_rows:
        r.append(r[3] / stan_rate)
    body = table(["contender", "wall s (median)", "min bulk ESS", "ESS per wall-s", "vs PyStan"], table_rows)
    body += (f"\n\nPyStan's first build (C++ compilation, once per model) took {stan_first:.1f} s and is not in "
             f"the table. Every row is a fresh process from start to exit, {args.repeats} repeats interleaved "
             f"({args.cold_repeats} for the cold cache). Goal: warm-cache `ppl sample` at least PyStan's ESS per "
             "wall-second. The two in-process rows time only the call (imports and first loads excluded): the cost "
             "of the sampling itself once everything is loaded.")
    write_section("end_to_end", "Time to an answer: `ppl sample` vs PyStan 3 (eight schools non-centred)", body)
    print(body)


if __name__ == "__main__":
    main()
