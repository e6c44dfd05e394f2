"""BlackJAX NUTS as a calibration (SBC) engine: one compiled program, many data sets at once.

:class:`BlackjaxEngine` is a fitter factory in the sense of
:mod:`ppl.diagnostics.fitters`.  The model's log density is a JAX function
with the data as inputs (:mod:`.jax_graph`); warm-up (Stan's windowed
adaptation, ``blackjax.window_adaptation``) and the draws of every chain are
the programs of the ``blackjax`` engine (:mod:`.jax_nuts`).
``engine(pm_model, options)`` returns ``fit(data, seed)``, one replication
per call; ``engine.batched(pm_model, options)`` returns
``fit_batch(datas, seeds)``, which runs warm-up and sampling of a whole chunk
of replications as one computation, ``jax.vmap``-ed over the data sets and
the replications' keys.  Under ``vmap`` each NUTS trajectory is built until
the longest one in the batch is done (lanes that finished wait), so a step
costs the slowest replication's; the gain is one compiled program and one
dispatch for the whole chunk.

Replication ``j`` with seed ``s`` uses ``jax.random.key(s)`` on both paths,
so they give the same draws (to float rounding).  The pointwise
log-likelihood, which SBC does not need, is left out of the programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["BlackjaxEngine"]


@dataclass(frozen=True)
class _ValuesOnly:
    """A :class:`~.jax_graph.JaxModel` whose ``expand`` keeps the parameters, not the log-likelihood."""

    logp: Callable
    expand: Callable


def _programs(pm_model, options):
    from ..diagnostics.model_data import observed_shared
    from .jax_graph import enable_x64, jax_model
    from .jax_nuts import _check_supported, _make_programs

    enable_x64()
    _check_supported(pm_model)
    jm = jax_model(pm_model)
    n_values = len(jm.expand_names) - jm.n_loglik
    model = _ValuesOnly(jm.logp, lambda values, data: jm.expand(values, data)[:n_values])
    ip = pm_model.initial_point()
    init = [np.asarray(ip[n], dtype=float) for n in jm.value_names]
    target = options.target_accept if options.target_accept is not None else 0.8
    warmup, draws = _make_programs(model, init, options.chains, options.tune, options.draws, target)

    def run(key_data, data):
        position, step_size, inv_mass = warmup(key_data, data)
        _, (values, stats) = draws(key_data, 0, position, step_size, inv_mass, data)
        return values, stats[0]  # stats[0]: divergent transitions

    names = list(jm.expand_names[:n_values])
    index = {name: i for i, name in enumerate(jm.data_names)}
    observed = {rv: index[var.name] for rv, var in observed_shared(pm_model).items()}
    return run, names, list(jm.data_values), observed


def _inputs(base: list, observed: dict, data: Mapping[str, np.ndarray]) -> list:
    out = list(base)
    for name, value in data.items():
        i = observed[name]
        out[i] = np.asarray(value, dtype=base[i].dtype).reshape(np.shape(base[i]))
    return out


def _key_data(seed: int) -> np.ndarray:
    import jax

    return np.asarray(jax.random.key_data(jax.random.key(int(seed))))


def _fit(names, values, divergent, chains: int):
    from ..diagnostics.fitters import Fit

    draws = {n: np.asarray(v).reshape(-1, *np.shape(v)[2:]) for n, v in zip(names, values)}
    return Fit(draws, chains=chains, n_divergent=int(np.sum(divergent)))


@dataclass(frozen=True)
class BlackjaxEngine:
    """NUTS (BlackJAX) for SBC; the sampler settings come from :class:`~ppl.diagnostics.FitOptions`."""

    @property
    def __name__(self) -> str:  # the name SBC records for its engine
        return "blackjax"

    def __call__(self, pm_model, options) -> Callable:
        import jax

        run, names, base, observed = _programs(pm_model, options)
        compiled = jax.jit(run)

        def fit(data: Mapping[str, np.ndarray], seed: int):
            values, divergent = jax.device_get(compiled(_key_data(seed), _inputs(base, observed, data)))
            return _fit(names, values, divergent, options.chains)

        return fit

    def batched(self, pm_model, options) -> Callable:
        import jax

        run, names, base, observed = _programs(pm_model, options)
        compiled = jax.jit(jax.vmap(run))

        def fit_batch(datas: Sequence[Mapping[str, np.ndarray]], seeds) -> list:
            inputs = [_inputs(base, observed, d) for d in datas]
            stacked = [np.stack(parts) for parts in zip(*inputs)]
            keys = np.stack([_key_data(s) for s in seeds])
            values, divergent = jax.device_get(compiled(keys, stacked))
            return [_fit(names, [v[j] for v in values], divergent[j], options.chains) for j in range(len(seeds))]

        return fit_batch
