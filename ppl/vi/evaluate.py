"""Draws from a fitted q, and the model evaluated at each draw.

Without a minibatch every draw is evaluated on all the data at once
(``lax.map`` over draws in blocks, to bound memory).  A minibatch program is
compiled for ``batch_size`` rows, so the data are walked in consecutive
blocks of that many rows (the last block overlaps the one before and only
its new rows are kept); the log density of a draw is the global term plus the
sum of the pointwise log-likelihood over all rows.  Pointwise arrays larger
than ``LOGLIK_MAX_ELEMENTS`` are not kept (their names are in ``skipped``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["evaluate", "LOGLIK_MAX_ELEMENTS"]

LOGLIK_MAX_ELEMENTS = 5 * 10**7  # largest pointwise array kept per variable (400 MB of float64)
_MAP_BATCH = 256  # draws evaluated at once


def _point_fn(objective):
    def point(flat, data):
        glob, local = objective.terms(flat, *data)
        loglik, values = objective.outputs(flat, *data)
        return glob, local, loglik, values

    return point


def _cached(program, name, make):
    """A jitted function cached on the program (compiled once per input shape)."""
    if name not in program._eval_fns:
        program._eval_fns[name] = make()
    return program._eval_fns[name]


def _over_draws(fn):
    """``fn`` mapped over the first axis of ``Z``: one ``vmap`` for a few draws, else
    ``lax.map`` over blocks of ``_MAP_BATCH`` draws (``Z`` padded to whole blocks, so
    that one copy of ``fn`` is compiled, not a second one for the remainder)."""
    import jax
    import jax.numpy as jnp

    def mapped(Z, *args):
        n = Z.shape[0]
        if n <= _MAP_BATCH:
            return jax.vmap(lambda z: fn(z, *args))(Z)
        blocks = -(-n // _MAP_BATCH)
        padded = jnp.concatenate([Z, jnp.zeros((blocks * _MAP_BATCH - n,) + Z.shape[1:], Z.dtype)])
        out = jax.lax.map(jax.vmap(lambda z: fn(z, *args)), padded.reshape(blocks, _MAP_BATCH, *Z.shape[1:]))
        return jax.tree.map(lambda x: x.reshape(blocks * _MAP_BATCH, *x.shape[2:])[:n], out)

    return mapped


def _normal_draws(key, n: int, d: int) -> np.ndarray:
    """Standard normal draws seeded by the JAX key, made with NumPy: compiling JAX's
    threefry sampler for thousands of draws takes longer than drawing them."""
    import jax

    return np.random.default_rng(np.asarray(jax.random.key_data(key))).standard_normal((n, d))


def _sampler(program):
    """``(params, eps) -> (z, log_q)``: draws from q."""
    import jax

    family = program.family

    def sample(params, eps):
        z = family.transform(params, eps)
        return z, jax.vmap(lambda zz: family.log_q(params, zz))(z)

    return sample


def _full_fn(program):
    """One compiled function: draws, log_q and the model at every draw, all data."""
    import jax

    sample, point = _sampler(program), _over_draws(_point_fn(program.objective))

    def full(params, eps, data):
        z, log_q = sample(params, eps)
        glob, local, loglik, values = point(z, data)
        return z, log_q, glob + local, loglik, values

    return jax.jit(full)


def evaluate(program, params, data, key, n: int):
    """``Draws`` of ``n`` draws from q(params) on ``data``."""
    import jax

    from .program import Draws

    params = jax.tree.map(jax.numpy.asarray, params)
    data = tuple(jax.numpy.asarray(x) for x in data)
    eps = _normal_draws(key, n, program.objective.layout.size)
    if program.objective.batch is None:
        fn = _cached(program, "full", lambda: _full_fn(program))
        z, log_q, log_p, loglik, values = jax.device_get(fn(params, eps, data))
        loglik = [x if x.size <= LOGLIK_MAX_ELEMENTS else None for x in loglik]
    else:
        z, log_q = jax.device_get(_cached(program, "q", lambda: jax.jit(_sampler(program)))(params, eps))
        log_p, loglik, values = _evaluate_chunked(program, z, data)
    obj = program.objective
    loglik = dict(zip(obj.loglik_names, loglik))
    values = dict(zip(obj.value_names, values))
    skipped = tuple(k for k, v in {**loglik, **values}.items() if v is None)
    return Draws(np.asarray(z), np.asarray(log_p), np.asarray(log_q),
                 {k: np.asarray(v) for k, v in loglik.items() if v is not None},
                 {k: np.asarray(v) for k, v in values.items() if v is not None}, skipped)


# ------------------------------------------------------------------ minibatch
def _block_starts(total: int, size: int) -> list[int]:
    starts = list(range(0, total - size + 1, size))
    if starts[-1] + size < total:
        starts.append(total - size)
    return starts


def _slice(batch, data, start):
    import jax

    return tuple(x if axis is None else jax.lax.dynamic_slice_in_dim(x, start, batch.size, axis=axis)
                 for x, axis in zip(data, batch.axes))


def _storable(x, axis, batch) -> bool:
    full = x.size if axis is None else x.size // batch.size * batch.total
    return full <= LOGLIK_MAX_ELEMENTS


class _Blocks:
    """Pointwise outputs collected block by block along the batch axis."""

    def __init__(self, first, axes, batch):
        self.axes = axes
        self.parts = [[np.asarray(x)] if _storable(x, ax, batch) else None for x, ax in zip(first, axes)]

    def add(self, outputs, drop: int) -> None:
        for parts, x, ax in zip(self.parts, outputs, self.axes):
            if parts is not None and ax is not None:
                parts.append(_rows(x, ax, drop))

    def joined(self) -> list:
        return [None if p is None else (p[0] if ax is None else np.concatenate(p, axis=ax + 1))
                for p, ax in zip(self.parts, self.axes)]


def _local_sum(loglik, axes, drop, n):
    total = np.zeros(n)
    for x, ax in zip(loglik, axes):
        if ax is not None:
            total += np.sum(_rows(x, ax, drop).reshape(n, -1), axis=1)
    return total


def _evaluate_chunked(program, z, data):
    import jax

    obj, batch, n = program.objective, program.objective.batch, z.shape[0]
    point = _point_fn(obj)
    fn = _cached(program, "block", lambda: jax.jit(_over_draws(
        lambda flat, data, start: point(flat, _slice(batch, data, start)))))
    log_p, covered, logliks, values = None, 0, None, None
    for start in _block_starts(batch.total, batch.size):
        glob, _, loglik, value = fn(z, data, start)
        drop = covered - start  # rows this block shares with the previous one
        covered = start + batch.size
        if log_p is None:
            log_p = np.asarray(glob)
            logliks, values = _Blocks(loglik, obj.loglik_axes, batch), _Blocks(value, obj.value_axes, batch)
        else:
            logliks.add(loglik, drop)
            values.add(value, drop)
        log_p = log_p + _local_sum(loglik, obj.loglik_axes, drop, n)
    return log_p, logliks.joined(), values.joined()


def _rows(x, axis, drop):
    x = np.asarray(x)
    if axis is None or drop <= 0:
        return x
    return np.take(x, np.arange(drop, x.shape[axis + 1]), axis=axis + 1)
