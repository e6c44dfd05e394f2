"""Wall time of VSBC with M replications of ADVI on eight schools: batched vmap, sequential, naive.

    PYTHONPATH=. python benchmarks/vsbc_speed.py                 # M=100, writes BENCHMARKS.md
    PYTHONPATH=. python benchmarks/vsbc_speed.py --quick         # M=10, fewer steps: checks that it runs

Three ways to run the same study (the same simulated data sets, the same
seeds for ppl's two paths, mean-field ADVI with Adam at the same learning
rate, a **fixed budget** of ``--steps`` steps per replication for all three
so that they do the same optimisation work, ``--draws`` draws from each q):

(a) ``ppl`` batched: ``vsbc(..., batch=M)``: the model's log density is
    compiled once with the data as inputs, and the whole optimisation loop
    (``lax.scan`` of Adam steps) and the draws are ``jax.vmap``-ed over the M
    data sets: one compiled computation for the study.
(b) ``ppl`` sequential, compiled once: the same program re-fitted on each
    data set, one after another, in this process (``workers=1``).
(c) the naive loop: for each replication, load the model file again (parse,
    check), bind the simulated data, lower it to a new PyMC model, and call
    ``pm.fit(method="advi")`` (which compiles its step function again), then
    ``approx.sample``.

Times include compilation (what a user waits for): each first call of (a)
and (b) starts with its own empty on-disk XLA cache (``--warm-cache`` keeps
the user's); (a) and (b) are also timed again with the same engine object,
whose compiled program is reused ("again": simulating the data sets, the
fits and the p values; the steady cost of a further study of the model).  (a) and (b) are repeated ``--repeats`` times (median); (c) runs
once (it is the slow one).  A fourth row runs (a) with ppl's default
stopping rule (each replication stops when its windowed convergence check
passes, up to 20000 steps), the way ``ppl vsbc`` runs by default.

One process, BLAS/OpenMP threads 1 (set below), JAX on CPU with its default
threading (XLA may use more than one core for the vmapped computation: that
is part of what batching buys; the machine's core count is in the section).
The section between the ``bench:vsbc_speed`` markers in BENCHMARKS.md is
replaced unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import ROOT, median, table, write_section  # noqa: E402  (sets thread counts)

import numpy as np  # noqa: E402

MODEL = ROOT / "models" / "eight_schools_centered.ppl"
LR = 0.05


def _study(model, reps: int, seed: int):
    from ppl.diagnostics.calibration import PplSource, param_labels, rep_seeds
    from ppl.diagnostics.simulate import simulate_prior

    source = PplSource.of(model, model.bind())
    pm_model = source.build()
    sim_seed, seeds = rep_seeds(seed, reps)
    simulation = simulate_prior(pm_model, reps, sim_seed)
    return source, simulation, seeds, param_labels(pm_model, simulation.params)


def _fresh_xla_cache(args) -> None:
    """An empty on-disk XLA cache from here on (unless --warm-cache), so that compiling is timed."""
    if args.warm_cache:
        return
    from jax.experimental.compilation_cache import compilation_cache

    os.environ["PPL_CACHE_DIR"] = tempfile.mkdtemp(prefix="ppl-vsbc-bench-")
    compilation_cache.reset_cache()


def _engine(source, args, stop_early=False, steps=None):
    from ppl.vi import VIConfig
    from ppl.vi.calibrate import VIEngine

    config = VIConfig(steps=steps or args.steps, learning_rate=LR, stop_early=stop_early, progressbar=False)
    return VIEngine(source, config, args.draws)


def _ppl(source, engine, reps, seed, batch):
    """One study with ``engine`` (a new engine compiles; a used one reuses its compiled program)."""
    from ppl.diagnostics import vsbc

    start = time.perf_counter()
    result = vsbc(source, engine=engine, reps=reps, seed=seed, batch=batch, workers=1, progress=False)
    return result, time.perf_counter() - start


def _naive(args, simulation, seeds, names) -> tuple[np.ndarray, float]:
    """(c): rebuild from the file and ``pm.fit`` per replication; p values from ``approx.sample``."""
    import logging

    import pymc as pm

    import ppl
    from ppl.diagnostics.calibration import flat_draws, flat_truth

    logging.getLogger("pymc").setLevel(logging.ERROR)
    ps = []
    start = time.perf_counter()
    for j in range(simulation.reps):
        truth, data = simulation.replication(j)
        model = ppl.load(MODEL)                        # parse and check the file again
        values = {**model.bind().values, **data}
        pm_model = model.build(values)                 # bind the data, lower to a new pm.Model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            approx = pm.fit(n=args.steps, method="advi", model=pm_model, obj_optimizer=pm.adam(learning_rate=LR),
                            random_seed=int(seeds[j]), progressbar=False)
            idata = approx.sample(args.draws, random_seed=int(seeds[j]) + 1, return_inferencedata=True)
        post = idata.posterior
        draws = {n: np.asarray(post[n].values).reshape(-1, *post[n].shape[2:]) for n, _ in names}
        ps.append(np.mean(flat_draws(names, draws) < flat_truth(names, truth), axis=0))
    return np.array(ps), time.perf_counter() - start


def _ks_tau(p: np.ndarray, labels) -> str:
    from ppl.diagnostics.vsbc import symmetry_test

    i = labels.index("tau")
    return f"{symmetry_test('tau', p[:, i]).ks_statistic:.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=100)
    p.add_argument("--steps", type=int, default=10_000, help="fixed steps per replication (pm.fit's default n)")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="M=10, 2000 steps, 1 repeat: a smoke run")
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--warm-cache", action="store_true",
                   help="use ppl's on-disk XLA cache (default: an empty one per first call, so compiling is timed)")
    args = p.parse_args(argv)
    if args.quick:
        args.reps, args.steps, args.repeats = 10, 2000, 1

    import jax

    import ppl

    model = ppl.load(MODEL)
    source, simulation, seeds, names = _study(model, args.reps, args.seed)
    labels = [label for _, ls in names for label in ls]

    _fresh_xla_cache(args)
    engine_a = _engine(source, args)
    first_a = _ppl(source, engine_a, args.reps, args.seed, batch=args.reps)
    again_a = [_ppl(source, engine_a, args.reps, args.seed, batch=args.reps) for _ in range(args.repeats)]
    _fresh_xla_cache(args)
    engine_b = _engine(source, args)
    first_b = _ppl(source, engine_b, args.reps, args.seed, batch=None)
    again_b = [_ppl(source, engine_b, args.reps, args.seed, batch=None) for _ in range(args.repeats)]
    conv = _ppl(source, _engine(source, args, stop_early=True, steps=20_000), args.reps, args.seed, batch=args.reps)
    p_c, t_c = _naive(args, simulation, seeds, names)

    ta, tb = first_a[1], first_b[1]
    ta2, tb2 = median([t for _, t in again_a]), median([t for _, t in again_b])
    same = float(np.max(np.abs(first_a[0].p - first_b[0].p)))
    reasons = conv[0].stop_reasons
    rows = [
        ["(a) ppl batched (vmap)", args.steps, ta, ta2, f"{t_c / ta:.3g} ({t_c / ta2:.3g})",
         _ks_tau(first_a[0].p, labels)],
        ["(b) ppl sequential, compiled once", args.steps, tb, tb2, f"{t_c / tb:.3g} ({t_c / tb2:.3g})",
         _ks_tau(first_b[0].p, labels)],
        ["(c) naive: rebuild + pm.fit each", args.steps, t_c, "-", 1.0, _ks_tau(p_c, labels)],
        ["(a) batched, default stopping rule", f"<= 20000 ({reasons.count('converged')} converged)", conv[1], "-",
         t_c / conv[1], _ks_tau(conv[0].p, labels)],
    ]
    body = "\n".join([
        f"VSBC of mean-field ADVI on the centred eight schools, M = {args.reps} replications, {args.draws} draws "
        f"from each q, Adam (learning rate {LR}), a fixed budget of {args.steps} steps per replication for (a)-(c)"
        + (" — **`--quick` smoke run on a loaded machine, not the final numbers**" if args.quick else "") + ".",
        "Times include compiling (each first call with an empty XLA cache); \"again\" is the median of "
        f"{args.repeats} further studies with the same engine (compiled program reused). "
        "Speed-up = (c) / row, first calls; in brackets (c) / again.",
        "",
        table(["path", "steps / replication", "wall s (incl. compile)", "again s (median)", "speed-up vs (c)",
               "KS of tau"], rows),
        "",
        f"(a) and (b) give the same p values (largest difference {same:.1g}); (c) uses PyMC's own random streams, "
        "so its p values differ replication by replication but estimate the same thing.",
        f"JAX {jax.__version__} on {jax.devices()[0].platform}.",
    ])
    print(body)
    if not args.no_write:
        write_section("vsbc_speed", "VSBC: batched (vmap) vs sequential vs naive re-build", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
