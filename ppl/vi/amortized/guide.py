"""The approximation q as a whole: per-variable families on one flat unconstrained vector.

The coordinates of the model's flat unconstrained vector (:class:`~ppl.vi.objective.Layout`)
are split by their variable's kind:

- ``meanfield``: one diagonal Gaussian over all meanfield coordinates;
- ``fullrank``: one Gaussian with a dense covariance over all fullrank coordinates;
- ``point``: a delta at a free value (MAP-style, on the unconstrained scale);
- ``amortized``: per row n of the row dim, q(z_n | x_n) = Normal(mu_phi(x_n),
  sigma_phi(x_n)) with one encoder MLP per variable (:mod:`.encoder`).

q is the product of these.  Its parameters are one pytree (``mf``, ``fr``,
``point``, ``enc``: only the parts in use), so optax and ``jax.vmap`` treat
it as any other.  ``draw`` gives the parts of a draw (reparameterised:
differentiable in the parameters); ``assemble`` puts parts and point values
into the flat vector; ``log_q`` evaluates q at given parts (the global term
and one term per row); ``entropy`` is q's entropy in closed form (global, rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..families import FULL_RANK, MEAN_FIELD
from . import encoder as enc

__all__ = ["Guide", "make_guide"]

_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True, eq=False)
class Guide:
    """Which flat coordinates each part of q covers (see the module docstring)."""

    size: int
    idx: dict[str, np.ndarray]            # "mf", "fr", "point": flat indices
    locals: tuple[tuple[str, int, tuple[int, ...]], ...]  # (value name, flat start, value shape (rows, ...))
    encoder_inputs: tuple[int, ...]
    data_axes: tuple[int | None, ...]
    hidden: tuple[int, ...]
    activation: str
    segments: tuple[tuple[str, int, int], ...] = ()  # per layout variable: (part, offset in it, size)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in ("mf", "fr", "point") if self.idx[k].size)

    def local_width(self, shape) -> int:
        return int(np.prod(shape[1:], dtype=int))

    # ------------------------------------------------------------ parameters
    def init(self, key, start, prior_draw, init_scale: float, n_in: int) -> dict:
        import jax
        import jax.numpy as jnp

        params = {}
        if self.idx["mf"].size:
            params["mf"] = MEAN_FIELD.init(start[self.idx["mf"]], init_scale)
        if self.idx["fr"].size:
            params["fr"] = FULL_RANK.init(start[self.idx["fr"]], init_scale)
        if self.idx["point"].size:
            params["point"] = jnp.asarray(prior_draw[self.idx["point"]], jnp.float64)
        if self.locals:
            keys = jax.random.split(key, len(self.locals))
            params["enc"] = {name: enc.init_layers(k, n_in, self.hidden, self.local_width(shape))
                             for k, (name, _, shape) in zip(keys, self.locals)}
        return params

    # ------------------------------------------------------------------ draws
    def encode(self, params, rows):
        """``{value name: (mean, log_sd)}`` for standardised encoder rows ``rows[n, n_in]``."""
        return {name: enc.apply(params["enc"][name], rows, self.activation) for name, _, _ in self.locals}

    def noise(self, params, key, n_rows: int) -> dict:
        """Standard normal draws for every random part (``n_rows`` rows of each local)."""
        import jax

        k_mf, k_fr, k_loc = jax.random.split(key, 3)
        eps = {}
        if "mf" in params:
            eps["mf"] = jax.random.normal(k_mf, params["mf"]["mu"].shape)
        if "fr" in params:
            eps["fr"] = jax.random.normal(k_fr, params["fr"]["mu"].shape)
        if self.locals:
            keys = jax.random.split(k_loc, len(self.locals))
            eps["loc"] = {name: jax.random.normal(k, (n_rows, self.local_width(shape)))
                          for k, (name, _, shape) in zip(keys, self.locals)}
        return eps

    def transform(self, params, eps, rows, coded=None) -> dict:
        """The parts of the draw of q made from the noise ``eps`` (differentiable in ``params``);
        ``coded``: the encoder's output for ``rows`` if already computed."""
        import jax.numpy as jnp

        parts = {}
        if "mf" in eps:
            parts["mf"] = MEAN_FIELD.transform(params["mf"], eps["mf"])
        if "fr" in eps:
            parts["fr"] = FULL_RANK.transform(params["fr"], eps["fr"])
        if self.locals:
            coded = self.encode(params, rows) if coded is None else coded
            parts["loc"] = {name: mean + jnp.exp(log_sd) * eps["loc"][name] for name, (mean, log_sd) in coded.items()}
        return parts

    def draw(self, params, key, rows) -> dict:
        """One reparameterised draw of every random part, for the rows given."""
        return self.transform(params, self.noise(params, key, rows.shape[0]), rows)

    def assemble(self, params, parts):
        """The flat unconstrained vector of a draw (point values from ``params``).

        Each model variable is one contiguous slice of its part, so the flat vector is a
        concatenation of static slices (no scatter: XLA's CPU scatter of thousands of
        indices cost more than the model's log density)."""
        import jax.numpy as jnp

        sources = {k: parts[k] for k in ("mf", "fr") if k in parts}
        if "point" in params:
            sources["point"] = params["point"]
        for name, _, _ in self.locals:
            sources[name] = parts["loc"][name].reshape(-1)
        pieces = [sources[kind][offset:offset + size] for kind, offset, size in self.segments]
        return jnp.concatenate(pieces) if pieces else jnp.zeros(0, jnp.float64)

    def log_q(self, params, parts, rows):
        """(global log q, per-row log q) at the random parts ``parts``."""
        import jax.numpy as jnp

        glob = jnp.zeros(())
        if "mf" in parts:
            glob = glob + MEAN_FIELD.log_q(params["mf"], parts["mf"])
        if "fr" in parts:
            glob = glob + FULL_RANK.log_q(params["fr"], parts["fr"])
        per_row = jnp.zeros(rows.shape[0])
        if self.locals:
            for name, (mean, log_sd) in self.encode(params, rows).items():
                u = (parts["loc"][name] - mean) * jnp.exp(-log_sd)
                per_row = per_row + jnp.sum(-0.5 * u**2 - log_sd - 0.5 * _LOG_2PI, axis=1)
        return glob, per_row

    def draw_with_entropy(self, params, key, rows):
        """A reparameterised draw and q's entropy (global, per row), the encoder run once."""
        coded = self.encode(params, rows) if self.locals else None
        parts = self.transform(params, self.noise(params, key, rows.shape[0]), rows, coded)
        return parts, self.entropy(params, rows, coded)

    def entropy(self, params, rows, coded=None):
        """(global entropy, per-row entropy) of q in closed form."""
        import jax.numpy as jnp

        glob = jnp.zeros(())
        if "mf" in params:
            glob = glob + MEAN_FIELD.entropy(params["mf"])
        if "fr" in params:
            glob = glob + FULL_RANK.entropy(params["fr"])
        per_row = jnp.zeros(rows.shape[0])
        if self.locals:
            coded = self.encode(params, rows) if coded is None else coded
            for mean, log_sd in coded.values():
                per_row = per_row + jnp.sum(log_sd, axis=1) + 0.5 * mean.shape[1] * (1.0 + _LOG_2PI)
        return glob, per_row

    def at_location(self, params, parts):
        """The flat vector with the locals of ``parts`` and every global part at its location."""
        fixed = {k: params[k]["mu"] for k in ("mf", "fr") if k in params}
        return self.assemble(params, {**fixed, **{k: v for k, v in parts.items() if k == "loc"}})

    def location(self, params):
        """The flat vector of the global parts' locations (means, point values); locals zero."""
        import jax.numpy as jnp

        zeros = {name: jnp.zeros((shape[0], self.local_width(shape))) for name, _, shape in self.locals}
        return self.at_location(params, {"loc": zeros} if zeros else {})


def make_guide(objective, kinds: dict[str, str], hidden: tuple[int, ...], activation: str) -> Guide:
    """The guide of ``objective``'s layout with each model variable's kind (``kinds``, by variable name)."""
    idx = {"mf": [], "fr": [], "point": []}
    locals_, segments, start = [], [], 0
    short = {"meanfield": "mf", "fullrank": "fr", "point": "point"}
    for name, shape, n in zip(objective.layout.names, objective.layout.shapes, objective.layout.sizes):
        kind = kinds[objective.rv_of[name]]
        if kind == "amortized":
            locals_.append((name, start, tuple(shape)))
            segments.append((name, 0, n))
        else:
            segments.append((short[kind], len(idx[short[kind]]), n))
            idx[short[kind]].extend(range(start, start + n))
        start += n
    return Guide(objective.layout.size, {k: np.asarray(v, dtype=int) for k, v in idx.items()}, tuple(locals_),
                 objective.encoder_inputs, objective.data_axes, tuple(hidden), activation, tuple(segments))
