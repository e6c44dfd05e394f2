"""NUTS on a logistic regression with 10^5 rows: NumPyro on JAX against nutpie (and BlackJAX).

The model is ``models/logistic_regression.ppl`` (``alpha ~ Normal(0, 2.5)``,
``beta[coef] ~ Normal(0, 2.5)``, ``y ~ Bernoulli(logit_p = alpha + X @ beta)``)
on simulated data: ``X`` standard normal, ``N`` rows by ``D`` columns,
true ``beta ~ Normal(0, 0.5)``, intercept 0.3, seed fixed (``--data-seed``).
All contenders sample the model built from that one file:

* ``nutpie``: ``nutpie.compile_pymc_model(freeze_model=True)`` (what ``ppl
  sample`` runs; numba backend), chains in ``--cores`` threads;
* ``numpyro``: NumPyro's NUTS on ppl's JAX graph of the log density
  (:func:`ppl.infer.jax_numpyro.numpyro_nuts`, what ``--engine numpyro``
  runs), chains vectorized in one program on the JAX device;
* ``blackjax``: ppl's BlackJAX programs (:mod:`ppl.infer.jax_nuts`, what
  ``--engine blackjax`` runs), warm-up and draws jitted, chains vectorized.

Each run is timed from the built PyMC model to the draws in memory
(compilation included: none of them is cached between runs here), with the
pointwise log-likelihood left out (10^5 values per draw, 3.2 GB at 4 x 1000
draws, the same for every engine).  ESS = the minimum bulk ESS over ``alpha``
and every ``beta``; ESS/s = ESS / wall time; medians over ``--repeats`` runs
with seeds ``seed + i``; ratios to nutpie within the run.  Threads:
OMP/OPENBLAS/MKL = 1; XLA's CPU client uses its own thread pool over all
cores for one program (a single vectorized program is how JAX uses the cores).

Usage::

    python benchmarks/logistic_1e5.py                 # N=100000, D=15, 4 chains x 1000 draws, 3 repeats
    python benchmarks/logistic_1e5.py --quick         # reduced sizes, to check that it works
    python benchmarks/logistic_1e5.py --device gpu    # JAX engines on the GPU (benchmarks/gpu.py runs this)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import ROOT, median, min_bulk_ess, table, write_section  # noqa: E402

import numpy as np  # noqa: E402

MODEL = ROOT / "models" / "logistic_regression.ppl"
ENGINES = ("nutpie", "numpyro", "blackjax")


@dataclass
class Run:
    seconds: float
    ess: float

    @property
    def ess_per_s(self) -> float:
        return self.ess / self.seconds


def simulate(n: int, d: int, seed: int) -> dict:
    """``X`` standard normal, ``beta ~ N(0, 0.5)``, intercept 0.3, ``y ~ Bernoulli(logit^-1(0.3 + X beta))``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    beta = rng.normal(0, 0.5, size=d)
    p = 1 / (1 + np.exp(-(0.3 + X @ beta)))
    return {"X": X, "y": (rng.uniform(size=n) < p).astype(np.int64)}


def _posterior(alpha, beta):
    import xarray as xr

    return xr.Dataset({"alpha": (("chain", "draw"), np.asarray(alpha)),
                       "beta": (("chain", "draw", "coef"), np.asarray(beta))})


def run_nutpie(pm_model, args, seed) -> Run:
    import nutpie

    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(pm_model, freeze_model=True)
    trace = nutpie.sample(compiled, draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
                          seed=seed, progress_bar=False)
    seconds = time.perf_counter() - t0
    post = trace.posterior if hasattr(trace, "posterior") else trace["posterior"]
    return Run(seconds, min_bulk_ess(post, ["alpha", "beta"]))


def _jax_setup(pm_model):
    from ppl.infer.jax_graph import enable_x64, jax_model

    enable_x64()
    jm = jax_model(pm_model)
    ip = pm_model.initial_point()
    init = [np.asarray(ip[n], dtype=float) for n in jm.value_names]
    return jm, init


def run_numpyro(pm_model, args, seed) -> Run:
    import jax

    from ppl.infer.jax_numpyro import numpyro_nuts

    t0 = time.perf_counter()
    jm, init = _jax_setup(pm_model)
    data = [jax.numpy.asarray(v) for v in jm.data_values]
    run = numpyro_nuts(lambda pos: jm.logp(pos, data), init, chains=args.chains, tune=args.tune,
                       draws=args.draws, seed=seed)
    seconds = time.perf_counter() - t0
    named = dict(zip(jm.value_names, run.positions))
    return Run(seconds, min_bulk_ess(_posterior(named["alpha"], named["beta"])))


def run_blackjax(pm_model, args, seed) -> Run:
    import dataclasses

    import jax

    from ppl.infer.jax_nuts import _make_programs

    t0 = time.perf_counter()
    jm, init = _jax_setup(pm_model)
    positions_only = dataclasses.replace(jm, expand=lambda values, data: values)  # no per-draw log-likelihood
    warmup, draws = _make_programs(positions_only, init, args.chains, args.tune, args.draws, 0.8)
    key_data = jax.random.key_data(jax.random.key(seed))
    data = list(jm.data_values)
    position, step_size, inv_mass = jax.jit(warmup)(key_data, data)
    _, (out, _) = jax.jit(draws)(key_data, np.int32(0), position, step_size, inv_mass, data)
    out = jax.device_get(out)
    seconds = time.perf_counter() - t0
    named = dict(zip(jm.value_names, out))
    return Run(seconds, min_bulk_ess(_posterior(named["alpha"], named["beta"])))


RUNNERS = {"nutpie": run_nutpie, "numpyro": run_numpyro, "blackjax": run_blackjax}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="N=10000, D=10, 2 chains x 300 draws, 1 repeat")
    p.add_argument("--rows", type=int, default=None, help="N (default 100000; --quick 10000)")
    p.add_argument("--cols", type=int, default=None, help="D (default 15; --quick 10)")
    p.add_argument("--draws", type=int, default=None)
    p.add_argument("--tune", type=int, default=None)
    p.add_argument("--chains", type=int, default=None)
    p.add_argument("--cores", type=int, default=os.cpu_count(), help="nutpie's sampling threads")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-seed", type=int, default=20261206)
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of " + ",".join(ENGINES))
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "gpu"], help="device of the JAX engines")
    p.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = p.parse_args(argv)
    full = FULL
    quick = dict(rows=10_000, cols=10, draws=300, tune=300, chains=2, repeats=1)
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in RUNNERS]
    if unknown:
        p.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    return args


FULL = dict(rows=100_000, cols=15, draws=1000, tune=1000, chains=4, repeats=3)


def reduced(args) -> bool:
    """Whether this run is smaller than the full benchmark (its section then says so)."""
    return args.quick or any(getattr(args, k) < v for k, v in FULL.items())


def device_name(device: str) -> tuple[str, str]:
    """``(platform, description)`` of the JAX device the JAX engines run on (raises PplError for a missing GPU)."""
    import jax

    from ppl.infer.device import select_device

    platform = select_device(device)
    dev = jax.config.jax_default_device or jax.devices(platform)[0]
    return platform, f"{platform}: {getattr(dev, 'device_kind', str(dev))}"


def main(argv=None) -> int:
    import ppl

    args = parse_args(argv)
    _, device = device_name(args.device)
    data = simulate(args.rows, args.cols, args.data_seed)
    pm_model = ppl.load(MODEL).build(data)
    runs: dict[str, list[Run]] = {e: [] for e in args.engines}
    for i in range(args.repeats):
        for engine in args.engines:  # interleaved, so that a busy machine slows every engine alike
            run = RUNNERS[engine](pm_model, args, args.seed + i)
            runs[engine].append(run)
            print(f"  {engine} repeat {i}: {run.seconds:.1f} s, min bulk ESS {run.ess:.0f}", file=sys.stderr)
    med = {e: Run(median(r.seconds for r in rs), median(r.ess for r in rs)) for e, rs in runs.items()}
    base = med.get("nutpie")
    rows = []
    for engine, m in med.items():
        ratio = m.ess_per_s / base.ess_per_s if base else float("nan")
        rows.append([engine, "numba (PyTensor)" if engine == "nutpie" else f"JAX, {device}", m.seconds, m.ess,
                     m.ess_per_s, ratio])
    body = table(["engine", "backend / device", "wall s (median)", "min bulk ESS", "ESS/s", "ESS/s vs nutpie"], rows)
    note = ("\n\n**Reduced run on a shared, loaded machine (2 cores, other jobs running): it shows that the script "
            "works, not the speed. Rerun the full command on a quiet machine.**") if reduced(args) else ""
    text = (f"N = {args.rows:,} rows, D = {args.cols} columns (simulated, seed {args.data_seed}); {args.chains} chains x "
            f"{args.draws} draws after {args.tune} tuning steps; {args.repeats} repeat(s), medians; wall time from the "
            f"built PyMC model to the draws (compilation included, no pointwise log-likelihood); nutpie on "
            f"{args.cores} threads; JAX device: {device}.{note}\n\n{body}\n")
    print(text)
    if not args.no_write:
        write_section("logistic_1e5", "NUTS on a logistic regression with 10^5 rows: NumPyro/BlackJAX on JAX vs nutpie",
                      text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
