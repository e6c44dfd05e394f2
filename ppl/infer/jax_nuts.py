"""The ``blackjax`` engine: NUTS as one compiled JAX program, cached across processes.

PyMC 6.4's ``nuts_sampler="blackjax"`` passes a ``progress_bar`` argument that
BlackJAX 1.7 no longer accepts; this engine routes around it and does more.
The model's log density (data as inputs, :mod:`ppl.infer.jax_graph`), Stan's
windowed adaptation (``blackjax.window_adaptation``) and the NUTS transitions
of all chains (``jax.vmap``) are exported as two programs: warm-up, and a
chunk of draws (so a progress bar can move between chunks).  They are saved
with :mod:`ppl.infer.cache`; a later run of the same model on data of the same
shapes skips PyMC, PyTensor and XLA compilation entirely.

Initial points follow PyMC's ``jitter+adapt_diag``: the model's initial point
(support points) plus U(-1, 1) jitter on the unconstrained scale, redrawn (up
to 10 times) while the log density or its gradient is not finite.

Random streams: warm-up uses ``fold_in(key, 0)``, chunk ``i`` of the draws
``fold_in(key, i + 1)``, one key per chain split from those; the same seed
gives the same draws in any process on the same versions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from ..errors import Diagnostic, PplError
from . import cache
from .jax_graph import enable_x64, jax_model

__all__ = ["sample_blackjax", "program_key"]

_STATS = ("diverging", "energy", "tree_depth", "n_steps", "acceptance_rate", "lp")
_JITTER_TRIES = 10


@dataclass
class _Programs:
    warmup: object
    chunk: object
    meta: dict


def _n_chunks(draws: int) -> int:
    return next(n for n in (10, 8, 5, 4, 2, 1) if draws % n == 0 and draws // n >= 1)


def program_key(model, bound, config, platform: str = "cpu") -> str:
    """What a compiled program depends on (data values are inputs, so only their shapes)."""
    from ..data.bind import data_hash
    from ..driver import source_hash

    shapes = {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in sorted(bound.values.items())}
    parts = {"model": source_hash(model.source), "shapes": shapes, "sizes": dict(sorted(bound.sizes.items())),
             "tune": config.tune, "draws": config.draws, "chains": config.chains,
             "target_accept": config.target_accept, "program": "blackjax-nuts-1", "platform": platform}
    if bound.missing:  # imputation bakes the observed part into the graph
        parts["data"] = data_hash(bound)
    return cache.cache_key(parts)


# ---------------------------------------------------------------- programs
def _jitter(key, init, logdensity):
    import jax
    import jax.numpy as jnp

    def candidate(k):
        ks = jax.random.split(k, len(init))
        return [x + jax.random.uniform(kk, jnp.shape(x), minval=-1.0, maxval=1.0) for x, kk in zip(init, ks)]

    cands = jax.vmap(candidate)(jax.random.split(key, _JITTER_TRIES))
    lp, grad = jax.vmap(jax.value_and_grad(logdensity))(cands)
    finite = jnp.isfinite(lp) & jnp.all(jnp.stack([jnp.all(jnp.isfinite(g.reshape(_JITTER_TRIES, -1)), axis=1)
                                                    for g in grad]), axis=0)
    pick = jnp.argmax(finite)
    return [c[pick] for c in cands]


def _make_programs(jm, init, chains: int, tune: int, chunk: int, target_accept: float):
    import blackjax
    import jax
    from blackjax.adaptation.base import get_filter_adapt_info_fn

    def warmup(key_data, data):
        logdensity = lambda pos: jm.logp(pos, data)  # noqa: E731
        keys = jax.random.split(jax.random.fold_in(jax.random.wrap_key_data(key_data), 0), chains)

        def one(key):
            k_jit, k_warm = jax.random.split(key)
            pos = _jitter(k_jit, [jax.numpy.asarray(x) for x in init], logdensity)
            adapt = blackjax.window_adaptation(blackjax.nuts, logdensity, target_acceptance_rate=target_accept,
                                               adaptation_info_fn=get_filter_adapt_info_fn())
            (state, params), _ = adapt.run(k_warm, pos, num_steps=tune)
            return state.position, params["step_size"], params["inverse_mass_matrix"]

        return jax.vmap(one)(keys)

    def draws(key_data, index, position, step_size, inv_mass, data):
        logdensity = lambda pos: jm.logp(pos, data)  # noqa: E731
        base = jax.random.fold_in(jax.random.wrap_key_data(key_data), index + 1)

        def one(key, pos, eps, imm):
            kernel = blackjax.nuts(logdensity, step_size=eps, inverse_mass_matrix=imm)

            def step(state, k):
                state, info = kernel.step(k, state)
                stats = (info.is_divergent, info.energy, info.num_trajectory_expansions,
                         info.num_integration_steps, info.acceptance_rate, state.logdensity)
                return state, (jm.expand(state.position, data), stats)

            state, out = jax.lax.scan(step, kernel.init(pos), jax.random.split(key, chunk))
            return state.position, out

        return jax.vmap(one)(jax.random.split(base, chains), position, step_size, inv_mass)

    return warmup, draws


def _spec(x):
    import jax

    return jax.tree.map(lambda a: jax.ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype), x)


def _export(warmup, draws, key_data, data, chains, value_shapes, n_dim):
    import jax
    from jax import export

    warm = export.export(jax.jit(warmup))(_spec(key_data), _spec(data))
    pos = [np.zeros((chains, *s)) for s in value_shapes]
    args = (key_data, np.int32(0), pos, np.zeros(chains), np.zeros((chains, n_dim)), data)
    chunk = export.export(jax.jit(draws))(*map(_spec, args))
    return warm, chunk


# ---------------------------------------------------------------- compile
def _data_arrays(names, dtypes, bound):
    """The program's data inputs, from the bound data (None if one can't be derived)."""
    out = []
    for name, dtype in zip(names, dtypes):
        if name in bound.values:
            out.append(np.asarray(bound.values[name], dtype=dtype))
        elif name in bound.sizes:
            out.append(np.asarray(bound.sizes[name], dtype=dtype))
        else:
            return None
    return out


def _check_supported(pm_model) -> None:
    discrete = [rv.name for rv in pm_model.free_RVs if rv.dtype.startswith("int")]
    if discrete:
        raise PplError(Diagnostic("E-engine-model", f"the blackjax engine samples continuous parameters only; "
                                  f"`{discrete[0]}` is discrete", None,
                                  "use --engine pymc (compound steps), or let ppl marginalize it"))


def _compile(model, bound, config, key_data):
    from ..driver import build

    lowered = build(model.ir, bound)
    pm_model = lowered.pm_model
    _check_supported(pm_model)
    jm = jax_model(pm_model)
    ip = pm_model.initial_point()
    init = [np.asarray(ip[n], dtype=float) for n in jm.value_names]
    dtypes = [str(v.dtype) for v in jm.data_values]
    derived = _data_arrays(jm.data_names, dtypes, bound)
    cacheable = (derived is not None and not jm.init_depends_on_data and not bound.missing
                 and all(np.array_equal(a, b) for a, b in zip(derived, jm.data_values)))
    chunk = config.draws // _n_chunks(config.draws)
    warmup, draws = _make_programs(jm, init, config.chains, config.tune, chunk, config.target_accept)
    n_dim = int(sum(int(np.prod(s)) for s in jm.value_shapes))
    data = list(jm.data_values)
    warm, chunk_prog = _export(warmup, draws, key_data, data, config.chains, jm.value_shapes, n_dim)
    meta = {"value_shapes": [list(s) for s in jm.value_shapes], "n_dim": n_dim,
            "expand_names": list(jm.expand_names), "n_loglik": jm.n_loglik, "data_names": list(jm.data_names),
            "data_dtypes": dtypes, "dims": {k: list(v) for k, v in pm_model.named_vars_to_dims.items()},
            "chunk": chunk, "warnings": [w.render() for w in lowered.warnings]}
    return _Programs(warm, chunk_prog, meta), data, cacheable


def _load(key):
    entry = cache.load_entry(key)
    if entry is None:
        return None
    meta, parts = entry
    from jax import export

    try:
        warm, chunk = (export.deserialize(bytearray(p)) for p in parts)
    except Exception:  # noqa: BLE001 - a damaged entry is rebuilt, never trusted
        cache.discard(key)
        return None
    return _Programs(warm, chunk, meta)


# ---------------------------------------------------------------- running
def _run(programs: _Programs, key_data, data, config, progress):
    import jax

    meta = programs.meta
    position, step_size, inv_mass = programs.warmup.call(key_data, data)
    progress(0)
    outs, stats = [], []
    for i in range(config.draws // meta["chunk"]):
        position, (out, st) = programs.chunk.call(key_data, np.int32(i), position, step_size, inv_mass, data)
        outs.append(jax.device_get(out))
        stats.append(jax.device_get(st))
        progress((i + 1) * meta["chunk"])
    joined_out = [np.concatenate([o[j] for o in outs], axis=1) for j in range(len(outs[0]))]
    joined_stats = [np.concatenate([s[j] for s in stats], axis=1) for j in range(len(_STATS))]
    return joined_out, joined_stats, np.asarray(step_size)


def _progress_printer(config, cached: bool):
    import sys

    if not config.progressbar:
        return lambda done: None
    label = "cached program" if cached else "compiled program"

    def show(done):
        print(f"\rblackjax NUTS ({label}): {config.chains} chains, {done}/{config.draws} draws",
              end="" if done < config.draws else "\n", file=sys.stderr, flush=True)

    return show


def sample_blackjax(model, bound, config):
    """Sample with the cached BlackJAX NUTS program; return a DataTree (see :mod:`.jax_result`)."""
    import jax

    from .jax_result import to_datatree

    if config.tune < 1:
        raise PplError(Diagnostic("E-option", "the blackjax engine needs --tune of at least 1", None,
                                  "its step size and mass matrix are adapted during tuning"))
    from .device import select_device

    enable_x64()
    platform = select_device(config.device)
    cache.enable_xla_cache()
    seed = config.seed if config.seed is not None else secrets.randbits(31)
    key_data = np.asarray(jax.random.key_data(jax.random.key(seed)))
    key = program_key(model, bound, config, platform)
    programs = _load(key)
    cached = programs is not None
    if cached:
        data = _data_arrays(programs.meta["data_names"], programs.meta["data_dtypes"], bound)
    else:
        programs, data, cacheable = _compile(model, bound, config, key_data)
        if cacheable:
            cache.save_entry(key, programs.meta, [programs.warmup.serialize(), programs.chunk.serialize()])
    outs, stats, step_size = _run(programs, key_data, data, config, _progress_printer(config, cached))
    result = to_datatree(model, bound, programs.meta, outs, dict(zip(_STATS, stats)), step_size)
    result.attrs.update({"ppl_seed": str(seed), "ppl_program_cache": "hit" if cached else "miss",
                         "blackjax_version": _version("blackjax"), "jax_version": jax.__version__,
                         "ppl_lowering_warnings": programs.meta.get("warnings", []), "ppl_device": platform})
    return result


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)
