"""Benchmark: summing a discrete latent out vs sampling it, on one model file.

Runs ``models/three_gaussians.ppl`` (1000 points from three close unit-variance
normals, ``z[obs] ~ Categorical(w)``) two ways from the same file:

* marginalized (the default): ``z`` summed out with a log-sum-exp, NUTS on
  the weights and means (engine nutpie, and PyMC's own NUTS for a
  like-for-like row);
* ``--no-marginalize``: ``z`` a discrete PyMC variable, sampled by PyMC's
  compound step (NUTS for the parameters, CategoricalGibbsMetropolis for ``z``).

and reports, as medians over repetitions with different seeds, the minimum
bulk ESS over the parameters ``w`` and ``mu``, the wall time of ``sample``
(compilation included), ESS per second, the largest R-hat, and the ratio of
ESS/s.  Then it times one log-density-and-gradient evaluation of the
compiled marginal model against a hand-written ``pm.NormalMixture`` model
of the same data (median over alternating repetitions of the mean time per
call, in CPU time of the process, single-threaded); ppl's model is the one its NUTS engines sample (data frozen to
constants, :func:`ppl.infer.freeze.freeze_data`).

The results go into a section of BENCHMARKS.md (replaced if present)::

    OMP_NUM_THREADS=1 python benchmarks/marginalization.py            # full size
    OMP_NUM_THREADS=1 python benchmarks/marginalization.py --quick    # a smoke run

Goal (issue 4): marginalized ESS/s at least 300 times the discrete sampler's,
R-hat < 1.01 for the marginalized model, and per gradient evaluation no
slower than ``pm.NormalMixture``.  Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "three_gaussians.ppl"
PARAMS = ["w", "mu"]
START, END = "<!-- marginalization:start -->", "<!-- marginalization:end -->"


@dataclass
class Run:
    label: str
    ess: float
    seconds: float  # wall time of `sample`, compilation included
    sampling: float  # the sampler's own time (tuning and draws), as the engine reports it
    rhat: float

    @property
    def ess_per_s(self) -> float:
        return self.ess / self.sampling

    @property
    def ess_per_wall_s(self) -> float:
        return self.ess / self.seconds


def _sample(marginalize: bool, engine: str, seed: int, args) -> Run:
    import ppl
    from ppl.infer.summary import summary_table

    model = ppl.load(MODEL, marginalize=marginalize)
    start = time.perf_counter()
    result = model.sample(engine=engine, draws=args.draws, tune=args.tune, chains=args.chains, seed=seed,
                          progressbar=False)
    seconds = time.perf_counter() - start
    table = summary_table(result, var_names=PARAMS)
    label = f"marginalized ({engine})" if marginalize else "--no-marginalize (PyMC compound)"
    sampling = float(result["posterior"].attrs.get("sampling_time", seconds))
    return Run(label, float(table["ess_bulk"].min()), seconds, sampling, float(table["r_hat"].max()))


def _median_run(runs: list[Run]) -> Run:
    med = statistics.median
    return Run(runs[0].label, med(r.ess for r in runs), med(r.seconds for r in runs), med(r.sampling for r in runs),
               max(r.rhat for r in runs))


def _reference_model(y):
    import pymc as pm

    f = np.float64
    with pm.Model(coords={"obs": range(len(y)), "component": range(3)}) as model:
        w = pm.Dirichlet("w", a=np.full(3, 10.0), dims="component")
        mu = pm.Normal("mu", f(0.0), f(5.0), dims="component", transform=pm.distributions.transforms.ordered,
                       initval=np.linspace(-1.0, 1.0, 3))
        pm.NormalMixture("y", w=w, mu=mu, sigma=f(1.0), observed=y, dims="obs")
    return model


def _logp_dlogp(pm_model):
    """PyMC's compiled log density and gradient (what NUTS calls) at the model's initial point."""
    fn = pm_model.logp_dlogp_function(ravel_inputs=True)
    point = pm_model.initial_point()
    x = np.concatenate([np.ravel(point[v.name]) for v in fn._grad_vars])
    return fn, x


def gradient_comparison(args) -> dict:
    """Median over repetitions of the mean time per call; the two functions alternate, so that a
    busy machine slows both alike."""
    import ppl

    y = np.array(json.loads(MODEL.with_suffix(".json").read_text())["y"])
    from ppl.infer.freeze import freeze_data

    # ppl's side: the model as ppl hands it to NUTS (ppl.infer.mcmc.sample_kwargs: data frozen to constants)
    pair = [_logp_dlogp(freeze_data(ppl.load(MODEL).build())), _logp_dlogp(_reference_model(y))]
    (ours_logp, _), (their_logp, _) = (fn(x) for fn, x in pair)
    if not np.isclose(ours_logp, their_logp, rtol=1e-8):
        raise SystemExit(f"the two models disagree: logp {ours_logp} vs {their_logp}")
    times: list[list[float]] = [[], []]
    for _ in range(args.grad_repeats):
        for i, (fn, x) in enumerate(pair):
            start = time.process_time()  # this process's CPU time: other processes' load counts less
            for _ in range(args.grad_evals):
                fn(x)
            times[i].append((time.process_time() - start) / args.grad_evals)
    ours, theirs = statistics.median(times[0]), statistics.median(times[1])
    return {"ours_us": ours * 1e6, "normal_mixture_us": theirs * 1e6, "ratio": ours / theirs}


def sampling_comparison(args) -> list[Run]:
    rows = []
    for marginalize, engine in ((True, "nutpie"), (True, "pymc"), (False, "pymc")):
        runs = [_sample(marginalize, engine, args.seed + i, args) for i in range(args.repeats)]
        rows.append(_median_run(runs))
        print(f"  {rows[-1].label}: {rows[-1]}", file=sys.stderr)
    return rows


def _command(argv: list[str]) -> str:
    return "OMP_NUM_THREADS=1 python benchmarks/marginalization.py" + ("" if not argv else " " + " ".join(argv))


def render(rows: list[Run], grad: dict, args, argv) -> str:
    marg, discrete = rows[0], rows[-1]
    lines = [
        START,
        "## Marginalization: summing `z` out vs sampling it (three close Gaussians)",
        "",
        f"Command: `{_command(argv)}`  ",
        f"Run {datetime.date.today().isoformat()} on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.chains} chains x {args.draws} draws after {args.tune} "
        f"tuning steps, medians over {args.repeats} seeds. ESS is the smallest bulk ESS over `w` and `mu`; "
        "sampling s is the sampler's own time (tuning and draws), wall s the whole `sample` call "
        "(compilation, recovery of `z` and the log-likelihood included); R-hat is the largest over all runs.",
        "",
        "| model (same file) | min ESS | sampling s | ESS/s | wall s | ESS/wall s | max R-hat |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r.label} | {r.ess:.0f} | {r.sampling:.1f} | {r.ess_per_s:.2f} | {r.seconds:.1f} | "
              f"{r.ess_per_wall_s:.2f} | {r.rhat:.3f} |" for r in rows]
    lines += [
        "",
        f"ESS/s, marginalized / --no-marginalize (goal: at least 300x, with R-hat < 1.01): like-for-like, "
        f"PyMC's NUTS on both: **{rows[1].ess_per_s / discrete.ess_per_s:.0f}x**, R-hat {rows[1].rhat:.3f} "
        f"({rows[1].ess_per_wall_s / discrete.ess_per_wall_s:.0f}x by wall time); with nutpie (ppl's default "
        f"engine) for the marginalized model: **{marg.ess_per_s / discrete.ess_per_s:.0f}x**, R-hat "
        f"{marg.rhat:.3f} ({marg.ess_per_wall_s / discrete.ess_per_wall_s:.0f}x by wall time). "
        "The like-for-like ratio isolates what summing `z` out buys: the same sampler, the same file.",
        "",
        f"One log density and gradient evaluation, CPU time of the process ({args.grad_evals} calls, "
        f"median of {args.grad_repeats}; "
        "ppl's model as its NUTS engines get it, data frozen to constants): "
        f"ppl's log-sum-exp marginal {grad['ours_us']:.1f} us, `pm.NormalMixture` {grad['normal_mixture_us']:.1f} "
        f"us, ratio {grad['ratio']:.2f} (goal: <= 1).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--grad-evals", type=int, default=1000, help="calls per timing of the gradient")
    p.add_argument("--grad-repeats", type=int, default=21, help="timings of the gradient (median)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="a smoke run: 2 chains x 100 draws, 2 repeats")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = p.parse_args(argv)
    if args.quick:
        args.draws, args.tune, args.chains, args.repeats, args.grad_evals, args.grad_repeats = 100, 100, 2, 2, 200, 5
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print("gradient evaluations ...", file=sys.stderr)
    grad = gradient_comparison(args)
    print(f"  {grad}", file=sys.stderr)
    print("sampling ...", file=sys.stderr)
    rows = sampling_comparison(args)
    section = render(rows, grad, args, argv)
    write_section(Path(args.out), section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
