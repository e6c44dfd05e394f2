"""Wall time of a calibration study compiled once and run in parallel, against the naive loop.

    python benchmarks/calibration_compile_once.py --reps 100 --engine nutpie --workers 2

(a) ``ppl.diagnostics.sbc``: the model is built and compiled once per worker and re-fitted on each
simulated data set by swapping its observed data; replications run on a process pool.
(b) the naive loop: for each replication, rebuild the model from the model file on the simulated
data (check, bind, lower to PyMC) and call ``pm.sample`` (which compiles it again), one after another.

Both fit the same simulated data sets with the same sampler settings.  The VSBC benchmark of the
issue is this script with the VI engine's factory as ``--engine`` once it lands.  Run final numbers
on a quiet machine; results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _compiled_once(model, bound, args) -> float:
    from ppl.diagnostics import sbc
    from ppl.diagnostics.calibration import PplSource
    from ppl.diagnostics.fitters import FitOptions

    start = time.perf_counter()
    sbc(PplSource.of(model, bound), reps=args.reps, engine=args.engine, seed=args.seed, workers=args.workers,
        options=FitOptions(draws=args.draws, tune=args.tune, chains=args.chains), progress=False)
    return time.perf_counter() - start


def _naive(model, bound, args) -> float:
    import pymc as pm

    from ppl.diagnostics.calibration import rep_seeds
    from ppl.diagnostics.simulate import simulate_prior

    sim_seed, seeds = rep_seeds(args.seed, args.reps)
    simulation = simulate_prior(model.build(), args.reps, sim_seed)
    start = time.perf_counter()
    for j in range(args.reps):
        _, data = simulation.replication(j)
        values = {**{k: v for k, v in bound.values.items()}, **data}
        pm_model = model.build(values)  # parse-free but full check of data, lowering and a new pm.Model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.sample(draws=args.draws, tune=args.tune, chains=args.chains, cores=1, random_seed=int(seeds[j]),
                      nuts_sampler=args.engine, progressbar=False, compute_convergence_checks=False, model=pm_model)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "models" / "eight_schools_noncentered.ppl"))
    p.add_argument("--reps", type=int, default=100)
    p.add_argument("--engine", default="nutpie")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    import ppl

    model = ppl.load(args.model)
    bound = model.bind()
    fast = _compiled_once(model, bound, args)
    slow = _naive(model, bound, args)
    print(json.dumps({"model": Path(args.model).name, "reps": args.reps, "engine": args.engine,
                      "workers": args.workers, "compiled_once_parallel_s": round(fast, 2),
                      "naive_loop_s": round(slow, 2), "speedup": round(slow / fast, 2)}, indent=2))


if __name__ == "__main__":
    main()
