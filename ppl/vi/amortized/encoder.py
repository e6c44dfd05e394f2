"""The encoder network of an amortized variable: an MLP from a data row to (mean, log sd).

``init(key, n_in, hidden, n_out)`` gives the layers as a list of ``{"W", "b"}``
(weights scaled by 1/sqrt(fan in), LeCun's initialisation; the last layer
scaled down by ``LAST_SCALE`` so that q starts near N(0, 1) for every row);
``apply(layers, x, activation)`` maps rows ``x[n, n_in]`` to ``(mean[n, k],
log_sd[n, k])``.  Inputs are standardised by the training data's column means
and sds (``standardizer``) before the first layer.  Pure JAX: the layers are
part of the parameter pytree that optax updates.

Reference: Kingma, D. P. & Welling, M. (2014). Auto-encoding variational
Bayes. ICLR (the Gaussian MLP encoder of appendix C.2).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ACTIVATIONS", "init_layers", "apply", "standardizer", "encoder_rows"]

LAST_SCALE = 0.1


def _activations() -> dict:
    import jax

    return {"tanh": jax.numpy.tanh, "relu": jax.nn.relu, "softplus": jax.nn.softplus, "elu": jax.nn.elu,
            "sigmoid": jax.nn.sigmoid}


ACTIVATIONS = ("tanh", "relu", "softplus", "elu", "sigmoid")


def init_layers(key, n_in: int, hidden: tuple[int, ...], n_out: int) -> list[dict]:
    """Layers of an MLP ``n_in -> hidden... -> 2 * n_out`` (means, then log sds)."""
    import jax
    import jax.numpy as jnp

    sizes = [n_in, *hidden, 2 * n_out]
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = (LAST_SCALE if i == len(sizes) - 2 else 1.0) / np.sqrt(a)
        layers.append({"W": scale * jax.random.normal(keys[i], (a, b), jnp.float64), "b": jnp.zeros(b, jnp.float64)})
    return layers


def apply(layers, x, activation: str):
    """``(mean, log_sd)`` of each row of ``x`` (already standardised)."""
    act = _activations()[activation]
    h = x
    for layer in layers[:-1]:
        h = act(h @ layer["W"] + layer["b"])
    out = h @ layers[-1]["W"] + layers[-1]["b"]
    k = out.shape[-1] // 2
    return out[..., :k], out[..., k:]


def encoder_rows(data, inputs: tuple[int, ...], axes: tuple[int | None, ...]):
    """The encoder's input: each row of the observed data along the row dim, flattened and joined."""
    import jax.numpy as jnp

    parts = []
    for i in inputs:
        x = jnp.moveaxis(jnp.asarray(data[i], dtype=jnp.float64), axes[i], 0)
        parts.append(x.reshape(x.shape[0], -1))
    return jnp.concatenate(parts, axis=1)


def standardizer(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and sds of the training rows (sd 1 for constant columns)."""
    rows = np.asarray(rows, dtype=float)
    shift, scale = rows.mean(axis=0), rows.std(axis=0)
    return shift, np.where(scale > 0, scale, 1.0)
