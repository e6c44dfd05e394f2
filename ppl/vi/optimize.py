"""The optimisation loop: Adam on the negative ELBO, compiled, a few windows per call.

A window is ``VIConfig.window`` steps in a ``lax.scan`` followed by the
convergence check of :mod:`ppl.vi.convergence`; one compiled call runs up to
``VIConfig.windows_per_call`` windows (no Python between steps or windows);
Python only loops over calls, to stop and to update the progress bar.  Everything is a pure function of a state pytree,
so the same window function is ``jax.vmap``-ed over data sets.

The gradient is the reparameterisation gradient of the ELBO estimate
``mean_s log p(z_s) + H[q]`` with ``z_s = mu + L eps_s`` and the entropy H in
closed form (Kucukelbir et al. 2017, eq. 8-10).  A minibatch step takes
``batch_size`` consecutive rows of the once-shuffled data from a random
start (O(batch) work, read contiguously, whatever N is) and scales their
log-likelihood by ``N / batch_size``: an unbiased estimate of the full-data
log density (Hoffman, Blei, Wang & Paisley 2013, "Stochastic
variational inference", JMLR 14).  A step whose ELBO or gradient is not
finite stops the fit (``DIVERGED``): its window is discarded and the state
before it kept.  Steps do no bookkeeping beyond the window sums; stopping and
freezing happen per window, which keeps the compiled step small.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .convergence import CONVERGED, DIVERGED, RUNNING, accumulate, end_window, init_monitor

__all__ = ["chunk_windows", "init_state", "make_chunk", "minibatch", "run_chunks", "shuffle_rows", "step_limit"]


def _optimizer():
    import optax

    return optax.scale_by_adam()


def init_state(objective, family, config, key) -> dict:
    """The state of a fit before its first step."""
    import jax.numpy as jnp

    params = family.init(objective.init, config.init_scale)
    return {"params": params, "opt": _optimizer().init(params), "key": key,
            "step": jnp.zeros((), jnp.int32), "status": jnp.asarray(RUNNING, jnp.int32),
            "bad_step": jnp.asarray(-1, jnp.int32), "mon": init_monitor(params, config.learning_rate)}


def shuffle_rows(batch, data, seed: int) -> tuple:
    """The data ready for minibatching: rows of the batch dim in a random order, with
    the first ``batch.size`` rows appended again (so a block may wrap around).  Done
    once per fit, in NumPy."""
    if batch is None:
        return data
    order = np.random.default_rng(seed).permutation(batch.total)
    order = np.concatenate([order, order[:batch.size]])
    return tuple(x if axis is None else np.take(x, order, axis=axis) for x, axis in zip(data, batch.axes))


def minibatch(batch, data, key):
    """``batch.size`` consecutive rows, from a uniform random start, of data prepared
    by :func:`shuffle_rows`: every row is in a step's batch with probability
    ``size / total`` (the blocks wrap around), and the rows are read contiguously,
    so a step costs the same whether the data have 10^4 or 10^7 rows (random row
    gathers from data larger than the CPU cache cost a cache miss per row)."""
    import jax

    if batch is None:
        return data
    return rows_from(batch, data, jax.random.randint(key, (), 0, batch.total))


def rows_from(batch, data, start):
    """The ``batch.size`` rows from ``start`` of data prepared by :func:`shuffle_rows`."""
    import jax

    if batch is None:
        return data
    return tuple(x if axis is None else jax.lax.dynamic_slice_in_dim(x, start, batch.size, axis=axis)
                 for x, axis in zip(data, batch.axes))


def window_noise(objective, config, key) -> tuple:
    """The draws a window's steps use, made once per window: ``eps`` of shape
    ``(window, grad_samples, d)`` and the minibatch starts ``(window,)``.  Drawing
    them inside each step cost XLA on the CPU about 15% of a step of a
    5000-row logistic regression (benchmarks/vi_speed.py)."""
    import jax
    import jax.numpy as jnp

    k_eps, k_rows = jax.random.split(key)
    eps = jax.random.normal(k_eps, (config.window, config.grad_samples, objective.layout.size))
    total = 1 if objective.batch is None else objective.batch.total
    starts = jax.random.randint(k_rows, (config.window,), 0, total) if objective.batch else jnp.zeros(
        config.window, jnp.int32)
    return eps, starts


def _negative_elbo(objective, family, config) -> Callable:
    import jax
    import jax.numpy as jnp

    scale = 1.0 if objective.batch is None else objective.batch.scale

    def loss(params, eps, data):
        z = family.transform(params, eps)
        if config.grad_samples == 1:  # no vmap over one draw: a smaller compiled step
            return -(objective.logp(z[0], data, scale) + family.entropy(params))
        logp = jax.vmap(lambda zz: objective.logp(zz, data, scale))(z)
        return -(jnp.mean(logp) + family.entropy(params))

    return loss


def _all_finite(tree):
    import jax
    import jax.numpy as jnp

    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]
    return jnp.all(jnp.stack(leaves))


def _select(cond, new, old):
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda a, b: jnp.where(cond, a, b), new, old)


def _make_step(objective, family, config) -> Callable:
    import jax
    import jax.numpy as jnp
    import optax

    grad_fn = jax.value_and_grad(_negative_elbo(objective, family, config))
    opt = _optimizer()

    def step(state, data, noise):
        eps, start = noise
        value, grads = grad_fn(state["params"], eps, rows_from(objective.batch, data, start))
        elbo = -value
        updates, opt_state = opt.update(grads, state["opt"], state["params"])
        updates = jax.tree.map(lambda u: -state["mon"]["lr"] * u, updates)
        params = optax.apply_updates(state["params"], updates)
        ok = jnp.isfinite(elbo) & _all_finite(grads)
        bad = jnp.where((state["bad_step"] < 0) & ~ok, state["step"], state["bad_step"])
        new = dict(state, params=params, opt=opt_state, step=state["step"] + 1, bad_step=bad,
                   mon=accumulate(state["mon"], -grads["mu"], params))
        return new, elbo

    return step


def _window_fn(objective, family, config) -> Callable:
    """``window(state, data) -> (state, elbo[window], record)``: one window and its check."""
    import jax
    import jax.numpy as jnp

    step = _make_step(objective, family, config)

    def window(start, data):
        key, k_noise = jax.random.split(start["key"])
        noise = window_noise(objective, config, k_noise)
        scanned, elbos = jax.lax.scan(lambda s, x: step(s, data, x), dict(start, key=key), noise)
        mon, converged, revert, record = end_window(scanned["mon"], elbos, family, config)
        diverged = scanned["bad_step"] >= 0
        status = jnp.where(diverged, DIVERGED, jnp.where(converged, CONVERGED, RUNNING)).astype(jnp.int32)
        # going back to the best window's q restarts Adam's moments there
        back = dict(scanned, params=mon["avg"], opt=_optimizer().init(mon["avg"]))
        state = dict(_select(revert, back, scanned), mon=mon)
        # a fit that diverged keeps the state before this window, and the step it diverged at
        state = _select(diverged, start, state)
        state = dict(state, status=status, bad_step=scanned["bad_step"])
        return state, elbos, dict(record, ran=jnp.ones((), bool))

    return window


def make_chunk(objective, family, config, on_trace: Callable | None = None) -> Callable:
    """``chunk(state, data, limit) -> (state, elbo[k * window], records[k])``: pure, jit- and vmap-able.

    Runs up to ``config.windows_per_call`` windows in one compiled call,
    skipping (``lax.cond``) the windows after the fit stopped or reached
    ``limit`` steps: fewer calls from Python, whose cost per call would
    otherwise dominate small models.  ``on_trace`` is called each time JAX
    traces the function (tests count compilations with it).
    """
    return chunk_windows(_window_fn(objective, family, config), config, on_trace)


def chunk_windows(window: Callable, config, on_trace: Callable | None = None) -> Callable:
    """``chunk(state, data, limit)`` running ``config.windows_per_call`` calls of ``window`` in one scan,
    skipping (``lax.cond``) those after the fit stopped or reached ``limit`` steps."""
    import jax
    import jax.numpy as jnp

    def skipped(state, data):
        shapes = jax.eval_shape(window, state, data)
        elbos = jnp.full(shapes[1].shape, jnp.nan)
        record = {k: jnp.zeros(v.shape, v.dtype) if v.dtype == bool else jnp.full(v.shape, jnp.nan, v.dtype)
                  for k, v in shapes[2].items()}
        return state, elbos, record

    def chunk(state, data, limit):
        if on_trace is not None:
            on_trace()

        def one(s, _):
            go = (s["status"] == RUNNING) & (s["step"] < limit)
            s, elbos, record = jax.lax.cond(go, window, skipped, s, data)
            return s, (elbos, record)

        state, (elbos, records) = jax.lax.scan(one, state, None, length=config.windows_per_call)
        return state, elbos.reshape(-1), records

    return chunk


def step_limit(steps: int | None, config) -> int:
    """``steps`` (default: the configured limit) rounded up to whole windows."""
    import math

    return math.ceil((steps or config.steps) / config.window) * config.window


def _last_window(record) -> dict:
    """The last window that ran in a call's records."""
    ran = np.flatnonzero(np.asarray(record["ran"]))
    i = ran[-1] if ran.size else 0
    return {k: np.asarray(v)[i] for k, v in record.items()}


def run_chunks(chunk, state, data, limit: int, progress: Callable | None = None) -> tuple:
    """Call the compiled ``chunk`` until the fit stops or reaches ``limit`` steps.

    Returns the final state and the per-call ELBOs and window records;
    ``progress(steps_done, limit, last_window_record, finished)`` after each call.
    """
    import jax

    elbos, records = [], []
    while True:
        state, elbo, record = jax.device_get(chunk(state, data, limit))
        elbos.append(elbo)
        records.append(record)
        done = int(state["status"]) != RUNNING or int(state["step"]) >= limit
        if progress is not None:
            progress(int(state["step"]), limit, _last_window(record), done)
        if done:
            return state, elbos, records
