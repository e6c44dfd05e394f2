"""Does the language cost anything?  ESS/s of each model compiled from its file vs hand-written PyMC.

For every model in ``models/`` with a hand-written PyMC twin
(``tests/reference_models.py``), on the same engine, the same seed and the
same settings, ``pm.sample`` runs on (a) the PyMC model that ppl builds from
the file, called the way ``ppl sample`` calls it
(:func:`ppl.infer.mcmc.sample_kwargs`: for NUTS on nutpie or PyMC, a copy of the model with
every data tensor frozen to a constant, the copy
included in the timing) and
(b) the hand-written one, called plainly.

Like with like: both sides store the same variables (free parameters and the
same ``=`` Deterministics; generated quantities are not in the model ppl
samples, and the hand-written twins leave them out).  What ``ppl sample``
does after ``pm.sample`` (the pointwise log-likelihood for LOO, generated
quantities drawn per draw) is left out of both, since the hand-written run
does not do it.  Until 2026-12-06 side (a) was ``pm.sample`` on the model as
built, with its data in shared variables, which is not what ``ppl sample``
runs: nutpie compiled every shared variable into its Numba callback, about
twice the compile time of the hand-written model, and compile time is most
of ``pm.sample``'s wall time on these small models.  Reported: minimum bulk ESS over the
free parameters divided by the wall time of ``pm.sample`` (compile included),
median over repeats, and the ratio ppl / hand-written (goal: >= 0.95); and the
time from model file to ``pm.Model`` (read, parse, check, bind data, lower)
against the hand-written function's build time.

Usage: python benchmarks/language_overhead.py [--engines nutpie,pymc] [--repeats 3] [--models a,b]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from harness import ROOT, median, min_bulk_ess, table, timed, write_section

sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

DEFAULT_MODELS = ["eight_schools_centered", "eight_schools_noncentered", "linear_regression",
                  "logistic_regression", "radon_varying_intercept", "varying_slopes_lkj", "poisson_glm_offset",
                  "regression_missing", "ar1", "linear_regression_predict"]


def _ppl_build(name):
    import ppl

    model = ppl.load(ROOT / "models" / f"{name}.ppl")
    return model.build()


def _ref_build(name):
    from tests.reference_models import REFERENCES

    data = json.loads((ROOT / "models" / f"{name}.json").read_text())
    return REFERENCES[name](data)


def _sample_hand(pm_model, engine, seed):
    import pymc as pm

    return pm.sample(model=pm_model, nuts_sampler=engine, draws=1000, tune=1000, chains=4, random_seed=seed,
                     progressbar=False, compute_convergence_checks=False)


def _sample_ppl(pm_model, engine, seed):
    """``pm.sample`` as ``ppl sample`` calls it (same draws, chains, seed as the hand-written side)."""
    import pymc as pm

    from ppl.infer.mcmc import MCMCConfig, sample_kwargs

    config = MCMCConfig(engine=engine, draws=1000, tune=1000, chains=4, seed=seed, progressbar=False)
    return pm.sample(**sample_kwargs(pm_model, config))


SAMPLERS = {"ppl": _sample_ppl, "hand": _sample_hand}


def _free_names(pm_model):
    return [rv.name for rv in pm_model.free_RVs]


def measure(name, engine, repeats):
    rows = {"ppl": [], "hand": [], "build_ppl": [], "build_hand": []}
    sides = [("ppl", _ppl_build), ("hand", _ref_build)]
    for side, builder in sides:  # warm-up, not timed: imports, grammar, compile caches
        SAMPLERS[side](builder(name), engine, seed=1)
    for rep in range(repeats):
        for side, builder in (sides if rep % 2 == 0 else sides[::-1]):  # alternate who goes first
            pm_model, t_build = timed(builder, name)
            rows[f"build_{side}"].append(t_build)
            trace, t = timed(SAMPLERS[side], pm_model, engine, seed=100 + rep)
            rows[side].append(min_bulk_ess(trace["posterior"], _free_names(pm_model)) / t)
    return {k: median(v) for k, v in rows.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--engines", default="nutpie,pymc")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--models", default=",".join(DEFAULT_MODELS))
    args = p.parse_args(argv)
    out = []
    for engine in args.engines.split(","):
        for name in args.models.split(","):
            r = measure(name, engine, args.repeats)
            out.append([name, engine, r["ppl"], r["hand"], r["ppl"] / r["hand"],
                        r["build_ppl"] * 1e3, r["build_hand"] * 1e3])
            print(out[-1], flush=True)
    body = table(["model", "engine", "ppl ESS/s", "hand-written ESS/s", "ratio", "file->pm.Model ms",
                  "hand build ms"], out)
    ratios = [row[4] for row in out]
    body += (f"\n\nMedian ratio over all rows: {median(ratios):.3f} (goal >= 0.95). ESS/s = min bulk ESS over "
             f"free parameters / wall time of `pm.sample` (4 chains x 1000 draws after 1000 tuning, compile "
             "included; ppl's side is its own `pm.sample` call, data frozen to constants, the log-likelihood "
             "it adds afterwards not timed); one untimed warm-up run per side, then the order alternates; "
             f"median of {args.repeats} repeats with seeds 100.. shared by both sides. "
             "`file->pm.Model` includes reading, parsing, checking, binding and lowering; the hand-written "
             "build is the PyMC code alone.")
    write_section("language_overhead", "Language overhead: compiled from the file vs hand-written PyMC", body)


if __name__ == "__main__":
    main()
