"""PyStan 3 on eight schools non-centred: the peer of `ppl sample` in end_to_end.py.

Usage: python benchmarks/pystan_eight_schools.py SEED OUT.npz
Writes draws of mu, tau, theta_raw as arrays (chain, draw[, school]) to an
``.npz`` file (no pickle).  The model is the same as
``models/eight_schools_noncentered.ppl``.  PyStan caches the compiled model
itself (in ~/.cache/httpstan), keyed by the program text.
"""

import json
import sys
from pathlib import Path

import numpy as np
import stan

CODE = """
data { int<lower=0> J; array[J] real y; array[J] real<lower=0> sigma; }
parameters { real mu; real<lower=0> tau; vector[J] theta_raw; }
transformed parameters { vector[J] theta = mu + tau * theta_raw; }
model { mu ~ normal(0, 5); tau ~ cauchy(0, 5); theta_raw ~ std_normal(); y ~ normal(theta, sigma); }
"""


def _by_chain(flat, chains):
    """PyStan stacks draws chain-interleaved: (..., draws * chains) -> (chains, draws, ...)."""
    lead = flat.shape[:-1]
    arr = flat.reshape(*lead, -1, chains)
    return np.moveaxis(arr, (-1, -2), (0, 1))


def main(seed: int, out: str) -> None:
    data = json.loads((Path(__file__).resolve().parents[1] / "models/eight_schools_noncentered.json").read_text())
    post = stan.build(CODE, data={"J": len(data["y"]), "y": data["y"], "sigma": data["sigma"]}, random_seed=seed)
    fit = post.sample(num_chains=4, num_samples=1000, num_warmup=1000)
    draws = {name: _by_chain(np.asarray(fit[name]), 4) for name in ("mu", "tau", "theta_raw")}
    draws["mu"], draws["tau"] = draws["mu"][..., 0], draws["tau"][..., 0]
    np.savez(out, **draws)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
