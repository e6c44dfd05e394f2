"""ADVI speed: ppl (JAX, compiled loop) vs ``pm.fit`` (each PyTensor backend) vs NumPyro SVI.

One run per tool, the same model, the same number of steps, Adam with the
same learning rate, one Monte Carlo draw per gradient, a constant step size
(ppl with ``stop_early=False``), mean-field Gaussian on the unconstrained
space.  Two times per tool: the wall time of the first call of ``steps``
steps from a fresh start (compilation and set-up included; ppl's on-disk XLA
cache starts empty, PyTensor's ``~/.pytensor`` cache is as the user has it),
and the steady cost per step of the already compiled loop (best of 3): ppl's
program called again, as ``(T(2 steps) - T(steps)) / steps`` so that a fit's
fixed Python cost of a few milliseconds cancels; NumPyro's ``svi.update`` in a jitted ``lax.scan`` (what
``svi.run`` runs without a progress bar) called again; ``pm.fit``'s compiled
step function called ``steps`` times from Python (what ``pm.fit`` does).  The
final ELBO of every tool is estimated the same way: its fitted Gaussian is
mapped to the same unconstrained coordinates and ``E_q[log p - log q]`` is
averaged over 4000 draws with the same compiled log density; the tool's own
last-10%-of-steps mean ELBO is shown beside it.

Also: the cost of one log density + gradient evaluation per PyTensor backend
(what ``pm.fit`` pays per step) against our jitted JAX function, and minibatch
ADVI's time per step as the number of rows N grows (batch of 1000 rows).

Run (quiet machine, a few minutes):

    PYTHONPATH=. python benchmarks/vi_speed.py            # full sizes, writes BENCHMARKS.md
    PYTHONPATH=. python benchmarks/vi_speed.py --quick    # reduced sizes, to check that it works

The section between the ``vi_speed`` markers in BENCHMARKS.md is replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ppl  # noqa: E402
from ppl.vi import VIConfig, compile_program  # noqa: E402

LR = 0.01
ELBO_DRAWS = 4000
START, END = "<!-- vi_speed:start -->", "<!-- vi_speed:end -->"


# ---------------------------------------------------------------- the models
def logistic_data(n: int, d: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    beta = rng.normal(0, 0.5, size=d)
    p = 1 / (1 + np.exp(-(0.3 + X @ beta)))
    return {"X": X, "y": (rng.uniform(size=n) < p).astype(int)}


def numpyro_eight_schools(y, sigma):
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0, 5))
    tau = numpyro.sample("tau", dist.HalfCauchy(5))
    with numpyro.plate("school", len(y)):
        theta_raw = numpyro.sample("theta_raw", dist.Normal(0, 1))
        numpyro.sample("y", dist.Normal(mu + tau * theta_raw, sigma), obs=y)


def numpyro_logistic(X, y):
    import numpyro
    import numpyro.distributions as dist

    alpha = numpyro.sample("alpha", dist.Normal(0, 2.5))
    beta = numpyro.sample("beta", dist.Normal(0, 2.5).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=alpha + X @ beta), obs=y)


# numpyro site -> our value variable (the unconstrained coordinates agree: log for tau)
SITES = {"mu": "mu", "tau": "tau_log__", "theta_raw": "theta_raw", "alpha": "alpha", "beta": "beta"}


# ------------------------------------------------------------- common ELBO
def common_elbo(program, mu: np.ndarray, sd: np.ndarray, seed: int = 99) -> float:
    """E_q[log p - log q] for q = N(mu, diag(sd^2)) with our compiled log density."""
    from ppl.vi.program import VIFit

    fit = VIFit("advi", {"mu": np.asarray(mu, float), "log_sd": np.log(np.asarray(sd, float))}, "max_steps", 0,
                np.zeros(0), {})
    draws = program.draw(fit, ELBO_DRAWS, seed=seed)
    return float(np.mean(draws.log_p - draws.log_q))


def _flat(layout, named: dict) -> np.ndarray:
    return np.concatenate([np.asarray(named[n], float).reshape(-1) for n in layout.names])


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


REPEATS = 3  # steady timings: the best of this many (a loaded machine only adds time)


def best_of(fn) -> float:
    return min(timed(fn)[0] for _ in range(REPEATS))


# -------------------------------------------------------------------- tools
def run_ppl(model, data, steps):
    config = VIConfig(steps=steps, learning_rate=LR, stop_early=False, progressbar=False, window=100)
    t_compile, program = timed(lambda: compile_program(model, model.bind(data), config))
    first, fit = timed(lambda: program.fit(seed=1))
    # the marginal cost of a step: a fit's fixed Python cost (a few ms) cancels in the difference
    per_step = max(best_of(lambda: program.fit(seed=2, steps=2 * steps)) - best_of(lambda: program.fit(seed=2)),
                   0.0) / steps
    own = float(np.mean(fit.elbo[-max(steps // 10, 1):]))
    # the last iterate (not the window average) is what the other tools return: compare like with like
    last = fit.last_params
    return program, {"first": t_compile + first, "per_step": per_step, "own": own,
                     "mu": np.asarray(last["mu"]), "sd": np.exp(np.asarray(last["log_sd"])),
                     "mu_avg": np.asarray(fit.params["mu"]), "sd_avg": np.exp(np.asarray(fit.params["log_sd"]))}


def _pymc_steady(pm_model, steps, backend) -> float:
    import pymc as pm
    from pymc.pytensorf import resolve_backend_compile_kwargs

    inference = pm.ADVI(model=pm_model, random_seed=2)
    step = inference.objective.step_function(score=True, obj_optimizer=pm.adam(learning_rate=LR),
                                             compile_kwargs=resolve_backend_compile_kwargs(backend, None))
    step()
    return best_of(lambda: [step() for _ in range(steps)]) / steps


def run_pymc(pm_model, layout, steps, backend):
    import pymc as pm

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pm.fit(n=steps, method="advi", model=pm_model, random_seed=1, progressbar=False,
                          obj_optimizer=pm.adam(learning_rate=LR), backend=backend)

    first, approx = timed(fit)
    group = approx.groups[0]
    mean, std = approx.mean.eval(), approx.std.eval()
    named_mu = {name: mean[s].reshape(shape) for name, (_, s, shape, _) in group.ordering.items()}
    named_sd = {name: std[s].reshape(shape) for name, (_, s, shape, _) in group.ordering.items()}
    own = float(-np.mean(approx.hist[-max(steps // 10, 1):]))
    return {"first": first, "per_step": _pymc_steady(pm_model, steps, backend), "own": own,
            "mu": _flat(layout, named_mu), "sd": _flat(layout, named_sd)}


def _numpyro_svi(fn):
    import numpyro
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal

    return SVI(fn, AutoNormal(fn, init_scale=0.1), numpyro.optim.Adam(LR), Trace_ELBO())


def _numpyro_steady(fn, kwargs, steps) -> float:
    import jax

    svi = _numpyro_svi(fn)
    state = svi.init(jax.random.PRNGKey(2), **kwargs)
    loop = jax.jit(lambda s: jax.lax.scan(lambda c, _: svi.update(c, **kwargs), s, None, length=steps))
    jax.block_until_ready(loop(state))
    return best_of(lambda: jax.block_until_ready(loop(state))) / steps


def run_numpyro(fn, kwargs, layout, steps):
    import jax

    def fit():
        result = _numpyro_svi(fn).run(jax.random.PRNGKey(1), steps, progress_bar=False, **kwargs)
        jax.block_until_ready(result.params)
        return result

    first, res = timed(fit)
    loc = {SITES[k[: -len("_auto_loc")]]: np.asarray(v) for k, v in res.params.items() if k.endswith("_auto_loc")}
    scale = {SITES[k[: -len("_auto_scale")]]: np.asarray(v) for k, v in res.params.items()
             if k.endswith("_auto_scale")}
    own = float(-np.mean(np.asarray(res.losses)[-max(steps // 10, 1):]))
    return {"first": first, "per_step": _numpyro_steady(fn, kwargs, steps), "own": own,
            "mu": _flat(layout, loc), "sd": _flat(layout, scale)}


PYMC_BACKENDS = ("c", "numba", "jax")


def compare(name, model, data, numpyro_fn, numpyro_kwargs, steps) -> list[str]:
    """One table: every tool on one model."""
    pm_model = model.build(data)
    program, ours = run_ppl(model, data, steps)
    layout = program.objective.layout
    rows = [("ppl ADVI (JAX, lax.scan)", ours)]
    for backend in PYMC_BACKENDS:
        try:
            rows.append((f"pm.fit advi, backend={backend}", run_pymc(pm_model, layout, steps, backend)))
        except Exception as exc:  # noqa: BLE001 - a backend that fails is reported, not fatal
            rows.append((f"pm.fit advi, backend={backend}", {"error": f"{type(exc).__name__}: {exc}"[:120]}))
    rows.append(("NumPyro SVI AutoNormal", run_numpyro(numpyro_fn, numpyro_kwargs, layout, steps)))
    out = [f"### {name}: {steps} steps, Adam lr={LR}, 1 draw per gradient", "",
           "| tool | first call (s) | steady us/step | ELBO, own last 10% | ELBO of final q (common, 4000 draws) |",
           "|---|---|---|---|---|"]
    for label, r in rows:
        if "error" in r:
            out.append(f"| {label} | failed: {r['error']} | | | |")
            continue
        elbo = common_elbo(program, r["mu"], r["sd"])
        out.append(f"| {label} | {r['first']:.2f} | {1e6 * r['per_step']:.1f} | {r['own']:.2f} | {elbo:.2f} |")
    elbo_avg = common_elbo(program, ours["mu_avg"], ours["sd_avg"])
    out += ["", f"ppl's answer is the average of the last window's iterates: ELBO {elbo_avg:.2f} "
            "(the table shows its last iterate, as the other tools return theirs).", ""]
    speed = [r for lbl, r in rows[1:4] if "error" not in r]
    if speed:
        best = min(r["per_step"] for r in speed)
        first = min(r["first"] for r in speed)
        npy = rows[-1][1]
        out += [f"Per step: ppl {1e6 * ours['per_step']:.1f} us; the fastest pm.fit backend takes "
                f"{best / ours['per_step']:.1f}x as long, NumPyro {npy['per_step'] / ours['per_step']:.2f}x. "
                f"First call (compilation included): ppl {ours['first']:.1f} s, fastest pm.fit {first:.1f} s, "
                f"NumPyro {npy['first']:.1f} s.", ""]
    return out


# ------------------------------------------------------------ backend cost
def backend_costs(model, data, calls=2000) -> list[str]:
    """Time of one logp+gradient call: PyTensor C / numba / JAX functions vs our jitted JAX."""
    import jax
    import pytensor
    import pytensor.tensor as pt

    pm_model = model.build(data)
    point = pm_model.initial_point()
    inputs = pm_model.value_vars
    logp = pm_model.logp()
    grads = pt.grad(logp, inputs)
    lines = ["| backend | us per logp+grad call |", "|---|---|"]
    for mode in ("FAST_RUN", "NUMBA", "JAX"):
        try:
            fn = pytensor.function(inputs, [logp, *grads], mode=mode)
            args = [point[v.name] for v in inputs]
            fn(*args)
            t, _ = timed(lambda: [fn(*args) for _ in range(calls)])
            lines.append(f"| PyTensor {mode} (pytensor.function) | {1e6 * t / calls:.1f} |")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"| PyTensor {mode} | failed: {type(exc).__name__} |")
    program = compile_program(model, model.bind(data), VIConfig(progressbar=False))
    obj, data_j = program.objective, tuple(jax.numpy.asarray(x) for x in program.data)
    vg = jax.jit(jax.value_and_grad(lambda z: obj.logp(z, data_j)))
    z = jax.numpy.asarray(obj.init)
    jax.block_until_ready(vg(z))
    t, _ = timed(lambda: [jax.block_until_ready(vg(z)) for _ in range(calls)])
    lines.append(f"| JAX jit, called from Python | {1e6 * t / calls:.1f} |")
    # the carry changes every step, so XLA cannot hoist the evaluation out of the loop
    scan = jax.jit(lambda z: jax.lax.scan(lambda c, _: (c + 1e-12 * vg(c)[1], vg(c)[0]), z, None,
                                          length=calls)[1])
    jax.block_until_ready(scan(z))
    t, _ = timed(lambda: jax.block_until_ready(scan(z)))
    lines.append(f"| JAX jit inside lax.scan (no Python per call) | {1e6 * t / calls:.1f} |")
    floor = matvec_floor(np.asarray(data["X"], float), calls)
    lines.append(f"| floor: only the gradient's two matrix-vector products (X @ b, X.T @ r), JAX in lax.scan "
                 f"| {1e6 * floor:.1f} |")
    return lines


def matvec_floor(X: np.ndarray, calls: int) -> float:
    """Seconds per step of the two products every logistic-regression gradient needs.

    Any implementation of one ADVI step on this model reads X twice (``X @ beta``
    forward, ``X.T @ r`` backward); with N x D doubles that is memory-bound, so
    this time bounds from below what a step can cost, whatever the tool.
    """
    import jax
    import jax.numpy as jnp

    Xj = jnp.asarray(X)

    def body(b, _):
        r = jnp.tanh(Xj @ b)  # an elementwise residual, as the likelihood's derivative is
        return b + 1e-12 * (Xj.T @ r), r[0]

    loop = jax.jit(lambda b: jax.lax.scan(body, b, None, length=calls)[1])
    b0 = jnp.zeros(X.shape[1])
    jax.block_until_ready(loop(b0))
    return best_of(lambda: jax.block_until_ready(loop(b0))) / calls


# --------------------------------------------------------------- minibatch
def minibatch_scaling(sizes, batch=1000, steps=10_000, d=20) -> list[str]:
    model = ppl.load(ROOT / "models" / "logistic_regression.ppl")
    lines = ["| N rows | batch | us/step (T(2n) - T(n)) / n | first call incl. compile (s) | peak RSS (MB) |",
             "|---|---|---|---|---|"]
    for n in sizes:
        data = logistic_data(n, d, seed=5)
        config = VIConfig(steps=steps, batch_size=batch, learning_rate=LR, stop_early=False, progressbar=False)
        t0, program = timed(lambda: compile_program(model, model.bind(data), config))
        first, _ = timed(lambda: program.fit(seed=1))
        # each fit shuffles the rows once (O(N) set-up); the difference of two lengths is the cost per step
        # best of 3 each: the O(N) shuffle of a fit varies by more than `steps` steps cost at N = 10^6
        once = best_of(lambda: program.fit(seed=2, steps=steps))
        twice = best_of(lambda: program.fit(seed=2, steps=2 * steps))
        per_step = max(twice - once, 0.0) / steps
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lines.append(f"| {n:,} | {batch} | {1e6 * per_step:.1f} | {t0 + first:.2f} | {rss:.0f} |")
        del program, data
    return lines


# -------------------------------------------------------------------- main
def _environment() -> str:
    import jax
    import numpyro
    import pymc
    import pytensor

    return (f"python {platform.python_version()}, pymc {pymc.__version__}, pytensor {pytensor.__version__}, "
            f"jax {jax.__version__} ({jax.devices()[0].platform}), numpyro {numpyro.__version__}, "
            f"{os.cpu_count()} cpus, {platform.machine()}, OMP/OPENBLAS threads = 1")


def write_section(lines: list[str], path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "\n".join([START, *lines, END])
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="reduced sizes, to check that the script works")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    p.add_argument("--warm-cache", action="store_true",
                   help="use ppl's on-disk XLA cache (default: a fresh empty one, so compilation is timed)")
    args = p.parse_args(argv)
    fresh = None if args.warm_cache else tempfile.mkdtemp(prefix="ppl-vi-bench-")
    if fresh:
        os.environ["PPL_CACHE_DIR"] = fresh
    try:
        return _run(args)
    finally:
        if fresh:
            shutil.rmtree(fresh, ignore_errors=True)


def _run(args) -> int:
    steps = 1000 if args.quick else 10_000
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    schools = ppl.load(ROOT / "models" / "eight_schools_noncentered.ppl")
    sdata = {k: np.asarray(v) for k, v in schools.bind().values.items()}
    logistic = ppl.load(ROOT / "models" / "logistic_regression.ppl")
    ldata = logistic_data(5000, 20)
    command = "PYTHONPATH=. python benchmarks/vi_speed.py" + (" --quick" if args.quick else "")
    lines = ["## Variational inference (ADVI) speed", "", f"Command: `{command}`  ", f"Environment: {_environment()}",
             "" if not args.quick else "\n**Reduced run (--quick) on a shared, loaded machine: the numbers show "
             "that the script works, not the speed.**", ""]
    lines += compare("Eight schools (non-centred)", schools, sdata, numpyro_eight_schools,
                     {"y": sdata["y"], "sigma": sdata["sigma"]}, steps)
    lines += compare("Logistic regression, N=5000, D=20", logistic, ldata, numpyro_logistic,
                     {"X": ldata["X"], "y": ldata["y"]}, steps)
    lines += ["### One log density + gradient evaluation (logistic regression, N=5000, D=20)", ""]
    lines += backend_costs(logistic, ldata) + [""]
    lines += ["The floor row is what any tool's ADVI step must pay on this model: the data are read twice per "
              "gradient (N x D doubles, memory-bound). A step cannot be cheaper than the floor, so on this model "
              "no implementation can be 10 times faster per step than a pm.fit step that costs less than ten "
              "floors; on eight schools (ten parameters, eight rows) the per-step overhead is all there is.", ""]
    lines += ["### Minibatch ADVI: time per step against N (logistic regression, D=20, batch 1000)", ""]
    lines += minibatch_scaling(sizes) + [""]
    write_section(lines, Path(args.out))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
