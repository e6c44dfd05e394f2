"""The ``numpyro`` engine: NumPyro's NUTS driven on ppl's JAX graph of the model.

PyMC's ``pm.sample(nuts_sampler="numpyro")`` converts the model with its own
``get_jaxified_graph``; on ``models/zip_latent.ppl`` (a summed-out Bernoulli
latent) XLA's fusion of that graph gave NaN gradients at about half of the
points, and NumPyro sampled a wrong posterior (psi, mu = 0.64, 6.0 with
R-hat 2.7, against nutpie's 0.64, 2.78).  Here NumPyro's ``NUTS`` runs on
``potential_fn = -logp`` of :func:`ppl.infer.jax_graph.jax_model`, whose
log-sum-exp is fenced (:mod:`ppl.infer.jax_lse`) and whose data are inputs.

* Warm-up: NumPyro's Stan-style windowed adaptation of the step size and a
  diagonal mass matrix (``target_accept_prob`` = ``--target-accept``).
* Chains: ``chain_method="vectorized"`` (all chains in one program on one
  device, ``jax.vmap``), the way to use one GPU; on a CPU it is one process.
* Initial points: PyMC's initial point plus U(-1, 1) jitter on the
  unconstrained scale, redrawn (up to 10 times) while not finite, as the
  blackjax engine (:mod:`ppl.infer.jax_nuts`).
* Random streams: ``key(seed)`` split into the jitter key and NumPyro's key;
  the same seed gives the same draws on the same versions.

Not cached across processes (the blackjax engine is): the program is
compiled by XLA each run.

References
----------
M. D. Hoffman and A. Gelman (2014), "The No-U-Turn Sampler", JMLR 15.
D. Phan, N. Pradhan and M. Jankowiak (2019), "Composable Effects for Flexible
and Accelerated Probabilistic Programming in NumPyro", arXiv:1912.11554.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from .jax_graph import enable_x64, jax_model
from .jax_nuts import _STATS, _check_supported, _jitter

__all__ = ["NumpyroRun", "numpyro_nuts", "expand_draws", "sample_numpyro"]

_FIELDS = ("diverging", "energy", "num_steps", "accept_prob", "potential_energy", "adapt_state.step_size")


@dataclass
class NumpyroRun:
    """Draws on the unconstrained scale (one array per value variable, ``(chains, draws, ...)``) and stats."""

    positions: list
    stats: dict
    step_size: np.ndarray


def numpyro_nuts(logdensity, init: list[np.ndarray], *, chains: int, tune: int, draws: int, seed: int,
                 target_accept: float = 0.8, progressbar: bool = False) -> NumpyroRun:
    """NumPyro NUTS on ``logdensity(list of arrays) -> scalar`` (a JAX function), chains vectorized."""
    import jax
    import jax.numpy as jnp
    from numpyro.infer import MCMC, NUTS

    key = jax.random.PRNGKey(seed)
    k_init, k_run = jax.random.split(key)
    start = jax.jit(jax.vmap(lambda k: _jitter(k, [jnp.asarray(x) for x in init], logdensity)))(
        jax.random.split(k_init, chains))
    kernel = NUTS(potential_fn=lambda pos: -logdensity(pos), target_accept_prob=target_accept)
    mcmc = MCMC(kernel, num_warmup=tune, num_samples=draws, num_chains=chains, chain_method="vectorized",
                progress_bar=progressbar)
    # NumPyro takes a single chain's start without the leading chain axis
    params = list(start) if chains > 1 else [x[0] for x in start]
    mcmc.run(k_run, init_params=params, extra_fields=_FIELDS)
    positions = [np.asarray(p) for p in mcmc.get_samples(group_by_chain=True)]
    extra = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    n_steps = extra["num_steps"].astype(np.int64)
    stats = {"diverging": extra["diverging"], "energy": extra["energy"],
             "tree_depth": np.floor(np.log2(np.maximum(n_steps, 1))).astype(np.int64) + 1,
             "n_steps": n_steps, "acceptance_rate": extra["accept_prob"], "lp": -extra["potential_energy"]}
    return NumpyroRun(positions, {k: stats[k] for k in _STATS}, extra["adapt_state.step_size"][:, -1])


def expand_draws(jm, data, positions: list[np.ndarray]) -> list[np.ndarray]:
    """``jm.expand`` at every draw: constrained values, deterministics, pointwise log-likelihoods."""
    import jax

    chains, draws = np.shape(positions[0])[:2]
    flat = [np.reshape(p, (chains * draws, *np.shape(p)[2:])) for p in positions]
    fn = jax.jit(lambda pos: jax.lax.map(lambda one: jm.expand(one, data), pos, batch_size=min(256, chains * draws)))
    return [np.reshape(np.asarray(o), (chains, draws, *np.shape(o)[1:])) for o in fn(flat)]


def sample_numpyro(model, bound, lowered, config):
    """Sample the built model ``lowered`` with NumPyro's NUTS; return a DataTree (see :mod:`.jax_result`)."""
    import jax

    from .device import select_device
    from .jax_result import to_datatree
    from .mcmc import _engine_failed

    enable_x64()
    platform = select_device(config.device)
    pm_model = lowered.pm_model
    _check_supported(pm_model)
    jm = jax_model(pm_model)
    ip = pm_model.initial_point()
    init = [np.asarray(ip[n], dtype=float) for n in jm.value_names]
    data = [jax.numpy.asarray(v) for v in jm.data_values]
    seed = config.seed if config.seed is not None else secrets.randbits(31)
    try:
        run = numpyro_nuts(lambda pos: jm.logp(pos, data), init, chains=config.chains, tune=config.tune,
                           draws=config.draws, seed=seed, target_accept=config.target_accept,
                           progressbar=config.progressbar)
        outs = expand_draws(jm, data, run.positions)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - an engine that fails on a model gets a clear message
        raise _engine_failed(config, exc) from exc
    meta = {"expand_names": list(jm.expand_names), "n_loglik": jm.n_loglik,
            "dims": {k: list(v) for k, v in pm_model.named_vars_to_dims.items()}}
    result = to_datatree(model, bound, meta, outs, run.stats, run.step_size)
    result.attrs.update({"ppl_seed": str(seed), "numpyro_version": _version("numpyro"), "jax_version": jax.__version__,
                         "ppl_device": platform, "ppl_chain_method": "vectorized"})
    return result


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)
