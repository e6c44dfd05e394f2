"""A fitted q evaluated over all rows: draws, the IWAE bound, decoding latent points.

The model is compiled for ``R`` rows (a minibatch, or all rows); all ``N``
rows are walked in consecutive blocks of ``R`` (the last block overlaps the
one before; only its new rows are kept), as in :mod:`ppl.vi.evaluate`.

- :func:`draws`: ``n`` draws of q over all rows, the model evaluated at each
  (``log_p`` of all data, ``log_q``, pointwise log-likelihoods, values);
  the global parts of a draw are shared by all blocks.
- :func:`iwae`: the importance-weighted bound of Burda, Grosse & Salakhutdinov
  (2016) per row, ``log (1/K) sum_k p(x_n, z_k | g) / q(z_k | x_n)`` with
  ``z_k ~ q(z | x_n)`` and the globals ``g`` at q's location (point values,
  Gaussian means): a lower bound of ``log p(x_n | g)`` that tightens as K
  grows (K = 1 is the per-row ELBO).
- :func:`decode`: the model's values (parameters and derived quantities along
  the row dim) at given latent points, globals at q's location.
"""

from __future__ import annotations

import numpy as np

from ..evaluate import _block_starts, _Blocks
from ..objective import Batch
from .encoder import encoder_rows

__all__ = ["draws", "iwae", "decode", "block_data", "standardized_rows"]

_IWAE_CHUNK = 64  # importance samples evaluated at once


def block_data(engine, data, start: int) -> tuple:
    """Rows ``start .. start + R`` of ``data`` (inputs without the row dim unchanged)."""
    R = engine.objective.rows
    return tuple(x if ax is None else np.take(x, np.arange(start, start + R), axis=ax)
                 for x, ax in zip(data, engine.objective.data_axes))


def standardized_rows(engine, data):
    """The encoder's standardised input rows of ``data`` (empty without amortized variables)."""
    if not engine.guide.locals:
        return np.zeros((engine.objective.rows, 0))
    x = np.asarray(encoder_rows(data, engine.guide.encoder_inputs, engine.guide.data_axes))
    return (x - engine.shift) / engine.scale


def _starts(engine, total: int) -> list[int]:
    return _block_starts(total, engine.objective.rows) if engine.objective.dim else [0]


def _draw_fn(engine):
    import jax

    guide, obj = engine.guide, engine.objective

    def one(params, eps, rows, data):
        parts = guide.transform(params, eps, rows)
        flat = guide.assemble(params, parts)
        glob, per_row = obj.terms(flat, *data)
        q_glob, q_rows = guide.log_q(params, parts, rows)
        loglik, values = obj.outputs(flat, *data)
        return glob, per_row, q_glob, q_rows, loglik, values

    return jax.jit(jax.vmap(one, in_axes=(None, 0, None, None)))


def _noise(engine, params, key, n: int):
    """Per-draw noise: the global parts' shared by all blocks, the locals' per row over all rows."""
    import jax

    keys = jax.random.split(key, n)
    total = engine.total_rows
    return jax.vmap(lambda k: engine.guide.noise(params, k, total))(keys)


def _block_noise(eps, start: int, R: int):
    import jax

    out = dict(eps)
    if "loc" in eps:
        out["loc"] = jax.tree.map(lambda e: e[:, start:start + R], eps["loc"])
    return out


def draws(engine, params, key, n: int, data=None):
    """``n`` draws of q over all rows: ``(z, log_p, log_q, logliks, values, skipped)``."""
    import jax

    data = engine.data if data is None else data
    obj, R = engine.objective, engine.objective.rows
    fn = engine.cache.setdefault("draws", _draw_fn(engine))
    params = jax.tree.map(jax.numpy.asarray, params)
    eps = _noise(engine, params, key, n)
    total = engine.total_rows
    batch = Batch(obj.dim or "", total, R, obj.data_axes)
    log_p = log_q = logliks = values = None
    covered = 0
    for start in _starts(engine, total):
        block = block_data(engine, data, start) if obj.dim else data
        rows = standardized_rows(engine, block)
        glob, per_row, q_glob, q_rows, loglik, value = jax.device_get(
            fn(params, _block_noise(eps, start, R), rows, block))
        drop = covered - start
        covered = start + R
        keep = slice(max(drop, 0), None)
        if log_p is None:
            log_p, log_q = np.asarray(glob), np.asarray(q_glob)
            logliks, values = _Blocks(loglik, obj.loglik_axes, batch), _Blocks(value, obj.value_axes, batch)
        else:
            logliks.add(loglik, drop)
            values.add(value, drop)
        log_p = log_p + np.asarray(per_row)[:, keep].sum(axis=1)
        log_q = log_q + np.asarray(q_rows)[:, keep].sum(axis=1)
    loglik = dict(zip(obj.loglik_names, logliks.joined()))
    value = dict(zip(obj.value_names, values.joined()))
    skipped = tuple(k for k, v in {**loglik, **value}.items() if v is None)
    return (log_p, log_q, {k: v for k, v in loglik.items() if v is not None},
            {k: v for k, v in value.items() if v is not None}, skipped)


def _iwae_fn(engine):
    import jax

    guide, obj = engine.guide, engine.objective

    def one(params, eps, rows, data):
        parts = guide.transform(params, eps, rows)
        parts = {k: v for k, v in parts.items() if k == "loc"}
        flat = guide.at_location(params, parts)
        _, per_row = obj.terms(flat, *data)
        _, q_rows = guide.log_q(params, parts, rows)
        return per_row - q_rows

    return jax.jit(jax.vmap(one, in_axes=(None, 0, None, None)))


def iwae(engine, params, data, k: int, key) -> np.ndarray:
    """The IWAE bound of each row of ``data`` (all rows of the row dim) with ``k`` importance samples."""
    import jax
    from scipy.special import logsumexp

    fn = engine.cache.setdefault("iwae", _iwae_fn(engine))
    params = jax.tree.map(jax.numpy.asarray, params)
    obj, R = engine.objective, engine.objective.rows
    total = _total_rows(engine, data)
    out = np.empty(total)
    covered = 0
    for start in _starts(engine, total):
        block = block_data(engine, data, start)
        rows = standardized_rows(engine, block)
        logw = []
        for i in range(0, k, _IWAE_CHUNK):
            m = min(_IWAE_CHUNK, k - i)
            keys = jax.random.split(jax.random.fold_in(key, start * 100003 + i), m)
            eps = jax.vmap(lambda kk: engine.guide.noise(params, kk, R))(keys)
            logw.append(np.asarray(fn(params, eps, rows, block)))
        bound = logsumexp(np.concatenate(logw, axis=0), axis=0) - np.log(k)
        out[covered:start + R] = bound[covered - start:]
        covered = start + R
    return out


def _total_rows(engine, data) -> int:
    obj = engine.objective
    i = next(i for i, ax in enumerate(obj.data_axes) if ax is not None)
    return int(np.shape(data[i])[obj.data_axes[i]])


def _decode_fn(engine):
    import jax

    guide, obj = engine.guide, engine.objective

    def one(params, z_loc, data):
        flat = guide.at_location(params, {"loc": z_loc})
        return obj.outputs(flat, *data)[1]

    return jax.jit(one)


def decode(engine, params, z: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The values along the row dim at latent points ``z`` (``{value name: (m, ...)}``), globals at q's location.

    The data rows the model needs are the first rows of the training data (derived
    quantities that use data along the row dim other than through the latents see those rows).
    """
    import jax

    fn = engine.cache.setdefault("decode", _decode_fn(engine))
    params = jax.tree.map(jax.numpy.asarray, params)
    obj, R = engine.objective, engine.objective.rows
    m = len(next(iter(z.values())))
    block = block_data(engine, engine.data, 0)
    out: dict[str, list] = {}
    for start in range(0, m, R):
        chunk = {}
        for name, _, shape in engine.guide.locals:
            part = np.asarray(z[name], dtype=float).reshape(m, -1)[start:start + R]
            chunk[name] = np.concatenate([part, np.zeros((R - len(part), part.shape[1]))])
        values = jax.device_get(fn(params, chunk, block))
        n_new = min(R, m - start)
        for name, axis, value in zip(obj.value_names, obj.value_axes, values):
            if axis is not None:
                out.setdefault(name, []).append(np.take(np.asarray(value), np.arange(n_new), axis=axis))
    return {name: np.concatenate(parts, axis=obj.value_axes[obj.value_names.index(name)])
            for name, parts in out.items()}

