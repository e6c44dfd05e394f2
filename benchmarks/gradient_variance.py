"""Gradient variance: the score-function (REINFORCE) estimator against reparameterization.

At the same parameters of q (a mean-field ADVI fit of the model, converged)
and on the same model, draw many single-sample estimates of the ELBO's
gradient with each estimator and compare their variance per parameter of q
(the mean ``mu`` and log-sd ``log_sd`` of each unconstrained coordinate):

- ``reparam``: the gradient through z = mu + sd * eps (entropy in closed form);
- ``score + baseline``: (log p(z) - log q(z) - b) grad log q(z), b the ELBO at
  these parameters (ppl.vi.amortized.variance);
- ``score``: the same without the baseline (b = 0).

Two points of the optimisation: q's start and the converged q.  Near the
optimum of a nearly Gaussian posterior log p - log q is almost constant, so a
baseline equal to the ELBO removes almost all of the score estimator's
variance there; away from it (the start, as during most of a fit) it is far
noisier than reparameterization.

Both are unbiased (the means agree: reported as the largest |difference| in
the score estimator's standard errors).  Models: eight schools (non-centred,
10 parameters) and the logistic regression of the corpus (N = 500 rows).

Usage::

    python benchmarks/gradient_variance.py [--draws 20000] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import ROOT, table, write_section  # noqa: E402

MODELS = ("eight_schools_noncentered", "logistic_regression")


def measure(name: str, draws: int, seed: int = 1) -> list[list]:
    import jax
    import numpy as np

    import ppl
    from ppl.vi.amortized.engine import compile_engine
    from ppl.vi.amortized.spec import resolve_spec
    from ppl.vi.config import VIConfig

    model = ppl.load(ROOT / "models" / f"{name}.ppl")
    bound = model.bind()
    config = VIConfig(approximation=(), learning_rate=0.05, steps=20_000, progressbar=False)
    engine = compile_engine(model, bound, config, resolve_spec(model.ir, (), "advi", False, None))
    fit = engine.fit(jax.random.PRNGKey(seed))
    engine.compile_loop()
    start = jax.device_get(engine._init(jax.random.PRNGKey(seed))["params"])
    rows = []
    for where, params in (("start of q", start), ("converged q", fit.params)):
        rows += compare(name, where, engine, params, draws, jax.random.PRNGKey(seed + 1))
    return rows


def compare(name, where, engine, params, draws, key) -> list[list]:
    import numpy as np

    grads = {label: engine_grads(engine, params, est, base, draws, key)
             for label, est, base in (("reparam", "reparam", True), ("score+baseline", "score", True),
                                      ("score", "score", False))}
    d = params["mf"]["mu"].size
    rows = []
    var = {k: g.var(axis=0, ddof=1) for k, g in grads.items()}
    for part, sl in (("mu", slice(0, d)), ("log_sd", slice(d, 2 * d))):
        r_base = var["score+baseline"][sl] / var["reparam"][sl]
        r_none = var["score"][sl] / var["reparam"][sl]
        se = np.sqrt((var["score+baseline"][sl] + var["reparam"][sl]) / draws)
        bias = np.max(np.abs(grads["score+baseline"].mean(0)[sl] - grads["reparam"].mean(0)[sl]) / se)
        rows.append([name, where, part, d, float(np.median(r_base)), float(r_base.min()), float(r_base.max()),
                     float(np.median(r_none)), float(r_none.min()), float(r_none.max()), float(bias)])
    return rows


def engine_grads(engine, params, estimator, baseline, draws, key):
    from ppl.vi.amortized.variance import gradient_samples

    return gradient_samples(engine, params, estimator, draws, key, baseline=baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000, help="gradient estimates per estimator")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    rows = [row for name in MODELS for row in measure(name, args.draws)]
    header = ["model", "at", "q parameter", "coords", "score+baseline / reparam: median", "min", "max",
              "score (no baseline) / reparam: median", "min", "max", "max |mean diff| (se)"]
    body = (f"Variance of single-draw ELBO gradient estimates, per parameter of a mean-field q at its start (the prior median, sd 0.1) and "
            f"converged, "
            f"{args.draws} estimates per estimator, ratios of variances (score-function / reparameterization). "
            "The baseline is the ELBO at those parameters (4000 draws). Means agree within a few se "
            "(both unbiased). JAX on CPU, float64.\n\n" + table(header, rows))
    print(body)
    if not args.no_write:
        write_section("gradient_variance", "Gradient variance: score function vs reparameterization", body)


if __name__ == "__main__":
    main()
