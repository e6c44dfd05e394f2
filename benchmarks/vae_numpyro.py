"""The VAE on 8x8 digits: ppl's amortized VI (a model file + options) against NumPyro's SVI.

Same data (models/vae_digits.json: 1497 binarised 8x8 digits; 300 held out),
same architecture and objective on both sides:

- generative model: z ~ Normal(0, I_2), x ~ Bernoulli(logit_p = tanh(z W1 + b1) W2 + b2),
  128 hidden units, priors W1, b1, b2 ~ Normal(0, 1), W2 ~ Normal(0, 1/sqrt(128)),
  the decoder weights as point estimates (ppl: ``point``; NumPyro: a Delta guide
  site per weight, so both objectives include the weights' log prior);
- encoder: 64 -> 128 tanh -> (mean, log sd) of q(z | x) (ppl: ``encoder=(128,)``;
  NumPyro: the same MLP written in JAX, registered with ``numpyro.param``);
- minibatches of 128 rows, likelihood scaled by N / 128; Adam, learning rate 0.005,
  the same number of steps, one gradient sample per step.

Timing: each side's compiled optimisation loop is compiled first (not timed),
then timed on ``--steps`` steps; time per epoch = time / (steps * 128 / 1497).
ppl runs its own loop (``lax.scan`` windows with the convergence bookkeeping,
``stop_early=False``); NumPyro's ``SVI.update`` inside one jitted ``lax.scan``.
The held-out ELBO per image is computed the same way for both from the fitted
encoder and decoder (NumPy, 200 draws of z per image).  Both in float64 (ppl
enables JAX's x64 for the process).  Threads: one (OMP/BLAS 1, XLA's CPU
intra-op threads 1).

Usage::

    python benchmarks/vae_numpyro.py [--steps 6000] [--repeats 1] [--no-write]
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.harness import ROOT, median, table, write_section  # noqa: E402

HIDDEN, LATENT, BATCH, LR = 128, 2, 128, 0.005
APPROX = "z=amortized,W1=point,b1=point,W2=point,b2=point"


def load(name: str) -> np.ndarray:
    return np.asarray(json.loads((ROOT / "models" / name).read_text())["x"], dtype=float)


def heldout_elbo(encode, decode_logits, x: np.ndarray, draws: int = 200, seed: int = 0) -> float:
    """Mean over images of the single-sample ELBO log p(x | z) + log p(z) - log q(z | x), averaged over draws."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    mean, sd = encode(x)
    total = 0.0
    for _ in range(draws):
        z = mean + sd * rng.standard_normal(mean.shape)
        logits = decode_logits(z)
        loglik = np.sum(x * logits - np.logaddexp(0.0, logits), axis=1)
        total += np.mean(loglik + norm.logpdf(z).sum(1) - norm.logpdf(z, mean, sd).sum(1))
    return total / draws


# ---------------------------------------------------------------------- ppl
def run_ppl(steps: int, seed: int):
    import jax

    import ppl
    from ppl.vi.amortized.engine import compile_engine
    from ppl.vi.amortized.spec import resolve_spec
    from ppl.vi.config import VIConfig, normalize_approximation

    model = ppl.load(ROOT / "models" / "vae_digits.ppl")
    bound = model.bind()
    config = VIConfig(approximation=normalize_approximation(APPROX), encoder=(HIDDEN,), batch_size=BATCH,
                      stop_early=False, learning_rate=LR, steps=steps, progressbar=False)
    engine = compile_engine(model, bound, config, resolve_spec(model.ir, config.approximation, "advi", True, None))
    engine.fit(jax.random.PRNGKey(seed), steps=100)  # compile (same shapes: the timed call reuses it)
    start = time.perf_counter()
    fit = engine.fit(jax.random.PRNGKey(seed), steps=steps)
    seconds = time.perf_counter() - start
    from ppl.vi.amortized.api import Amortized

    vae = Amortized(engine, fit.params)

    def encode(x):
        return vae.encode({"x": x.astype(int), "label": np.zeros(len(x), int)})

    def decode_logits(z):
        p = np.clip(vae.decode(z)["p"], 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    return seconds, encode, decode_logits


# ------------------------------------------------------------------ NumPyro
def run_numpyro(x_train: np.ndarray, steps: int, seed: int):
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import SVI, Trace_ELBO

    n, d = x_train.shape

    def mlp_decoder(z, W1, b1, W2, b2):
        return jnp.tanh(z @ W1 + b1) @ W2 + b2

    def model(x):
        W1 = numpyro.sample("W1", dist.Normal(0, 1).expand([LATENT, HIDDEN]).to_event(2))
        b1 = numpyro.sample("b1", dist.Normal(0, 1).expand([HIDDEN]).to_event(1))
        W2 = numpyro.sample("W2", dist.Normal(0, 1 / np.sqrt(HIDDEN)).expand([HIDDEN, d]).to_event(2))
        b2 = numpyro.sample("b2", dist.Normal(0, 1).expand([d]).to_event(1))
        with numpyro.plate("obs", n, subsample_size=BATCH) as idx:
            z = numpyro.sample("z", dist.Normal(0, 1).expand([LATENT]).to_event(1))
            numpyro.sample("x", dist.Bernoulli(logits=mlp_decoder(z, W1, b1, W2, b2)).to_event(1), obs=x[idx])

    key = jax.random.PRNGKey(seed)
    k1, k2, k3, k4 = jax.random.split(key, 4)
    shift, scale = x_train.mean(0), np.where(x_train.std(0) > 0, x_train.std(0), 1.0)

    def encoder(x, p):
        h = jnp.tanh(((x - shift) / scale) @ p["eW0"] + p["eb0"])
        out = h @ p["eW1"] + p["eb1"]
        return out[..., :LATENT], jnp.exp(out[..., LATENT:])

    init_w = {"W1": jax.random.normal(k1, (LATENT, HIDDEN)), "b1": jax.random.normal(k2, (HIDDEN,)),
              "W2": jax.random.normal(k3, (HIDDEN, d)) / np.sqrt(HIDDEN), "b2": jax.random.normal(k4, (d,))}
    ke0, ke1 = jax.random.split(jax.random.PRNGKey(seed + 1))
    init_e = {"eW0": jax.random.normal(ke0, (d, HIDDEN)) / np.sqrt(d), "eb0": jnp.zeros(HIDDEN),
              "eW1": 0.1 * jax.random.normal(ke1, (HIDDEN, 2 * LATENT)) / np.sqrt(HIDDEN),
              "eb1": jnp.zeros(2 * LATENT)}

    def guide(x):
        w = {k: numpyro.param(f"{k}_loc", v) for k, v in init_w.items()}
        for k in ("W1", "b1", "W2", "b2"):
            numpyro.sample(k, dist.Delta(w[k], event_dim=w[k].ndim))
        e = {k: numpyro.param(k, v) for k, v in init_e.items()}
        with numpyro.plate("obs", n, subsample_size=BATCH) as idx:
            mean, sd = encoder(x[idx], e)
            numpyro.sample("z", dist.Normal(mean, sd).to_event(1))

    svi = SVI(model, guide, numpyro.optim.Adam(LR), Trace_ELBO())
    x = jnp.asarray(x_train)
    state = svi.init(jax.random.PRNGKey(seed + 2), x)
    run = jax.jit(lambda s: jax.lax.scan(lambda s, _: svi.update(s, x), s, None, length=steps))
    compiled = run.lower(state).compile()
    start = time.perf_counter()
    state, losses = compiled(state)
    jax.block_until_ready(losses)
    seconds = time.perf_counter() - start
    p = svi.get_params(state)

    def encode(xs):
        mean, sd = encoder(jnp.asarray(xs), p)
        return np.asarray(mean), np.asarray(sd)

    def decode_logits(z):
        return np.asarray(mlp_decoder(jnp.asarray(z), p["W1_loc"], p["b1_loc"], p["W2_loc"], p["b2_loc"]))

    return seconds, encode, decode_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=1, help="timed fits per side (different seeds)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    x_train, x_held = load("vae_digits.json"), load("vae_digits.heldout.json")
    epochs = args.steps * BATCH / len(x_train)
    rows, per_epoch = [], {}
    times, elbos = {"ppl": [], "numpyro": []}, {"ppl": [], "numpyro": []}
    for r in range(args.repeats):  # the sides alternate, so a change of machine load hits both
        for side in ("ppl", "numpyro"):
            out = run_ppl(args.steps, 1 + r) if side == "ppl" else run_numpyro(x_train, args.steps, 1 + r)
            times[side].append(out[0])
            elbos[side].append(heldout_elbo(out[1], out[2], x_held))
            print(side, r, out[0], elbos[side][-1], flush=True)
    for side in ("ppl", "numpyro"):
        per_epoch[side] = median(times[side]) / epochs
        rows.append([side, args.steps, f"{epochs:.0f}", median(times[side]), per_epoch[side] * 1000,
                     float(np.median(elbos[side])), ", ".join(f"{e:.2f}" for e in elbos[side]),
                     ", ".join(f"{t:.2f}" for t in times[side])])
    ratio = per_epoch["ppl"] / per_epoch["numpyro"]
    pairs = [a / b for a, b in zip(times["ppl"], times["numpyro"])]
    header = ["", "steps", "epochs", "time (s, median)", "ms per epoch", "held-out ELBO per image (median)",
              "ELBO of each run", "time of each run (s)"]
    body = (f"Same data, architecture and objective (see benchmarks/vae_numpyro.py); {args.repeats} run(s) per side; "
            f"minibatch {BATCH}, Adam {LR}, compiled loops (compilation not timed), float64, one thread; the sides "
            f"alternate. Load average at start in the machine line: the machine is shared, times vary by up to 2x "
            f"between runs.\n\n"
            + table(header, rows) + f"\n\n**ppl / NumPyro time per epoch: {ratio:.2f}x** (ratio of medians; goal <= 1.5x); ratio within "
            f"each alternating pair: {', '.join(f'{r:.2f}' for r in pairs)}. The held-out ELBOs agree within "
            f"the spread between seeds.")
    print(body)
    if not args.no_write:
        write_section("vae_numpyro", "VAE on digits: ppl amortized VI vs NumPyro SVI", body)


if __name__ == "__main__":
    main()
