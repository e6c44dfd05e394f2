"""The ELBO, its two gradient estimators, and the compiled optimisation loop of q.

**Estimators.**  With z ~ q_phi drawn as z = g_phi(eps):

- ``reparam`` (Kingma & Welling 2014; Rezende et al. 2014): the gradient of
  ``log p(g_phi(eps)) + H[q_phi]`` (entropy in closed form), through the draw.
- ``score`` (the score-function or REINFORCE estimator; Williams 1992,
  Ranganath, Gerrish & Blei 2014): ``(log p(z) - log q_phi(z) - b) grad log
  q_phi(z)`` with z held fixed, which needs no gradient of the model; ``b`` is
  a baseline (a running mean of the ELBO estimates, decay ``BASELINE_DECAY``):
  ``E[grad log q] = 0`` keeps the estimate unbiased while removing most of
  its variance.  Point estimates get the plain gradient of ``log p``.

A minibatch step takes ``B`` consecutive rows of the once-shuffled data (as
:func:`ppl.vi.optimize.minibatch`) and scales the per-row terms by ``N / B``.

**Loop.**  As :mod:`ppl.vi.optimize`: Adam, ``window`` steps in a
``lax.scan``, a few windows per compiled call.  At the end of a window the
iterates are averaged (the answer is the last window's average, Polyak &
Juditsky 1992) and the window's ELBO (the median of its per-step estimates,
with a MAD-based se) is compared with the previous window's: flat means
within ``max(tol_elbo * |ELBO|, 3 se)``.  After ``patience`` flat windows the
learning rate is multiplied by ``lr_decay``; flat windows at the floor
``learning_rate * min_lr_ratio`` stop the fit (``converged``).  A step whose
ELBO or gradient is not finite stops it (``diverged``) with the state before
that window.

References
----------
Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. ICLR.
Rezende, D. J., Mohamed, S. & Wierstra, D. (2014). Stochastic backpropagation and
approximate inference in deep generative models. ICML.
Ranganath, R., Gerrish, S. & Blei, D. M. (2014). Black box variational inference. AISTATS.
Williams, R. J. (1992). Simple statistical gradient-following algorithms for connectionist
reinforcement learning. Machine Learning 8, 229-256.
"""

from __future__ import annotations

from typing import Callable

from ..convergence import CONVERGED, DIVERGED, RUNNING, window_elbo
from ..optimize import chunk_windows, minibatch

__all__ = ["BASELINE_DECAY", "make_loss", "init_state", "make_chunk"]

BASELINE_DECAY = 0.9


def _rows(engine, data):
    from .encoder import encoder_rows

    if not engine.guide.locals:
        return _no_rows(engine)
    x = encoder_rows(data, engine.guide.encoder_inputs, engine.guide.data_axes)
    return (x - engine.shift) / engine.scale


def _no_rows(engine):
    import jax.numpy as jnp

    return jnp.zeros((engine.objective.rows, 0))


def make_loss(engine, estimator: str, grad_samples: int) -> Callable:
    """``loss(params, key, data, baseline) -> (surrogate loss, ELBO estimate)``: the gradient of the
    loss is minus the estimator's ELBO gradient; ``data`` are one step's rows."""
    import jax
    import jax.numpy as jnp

    guide, terms, scale = engine.guide, engine.objective.terms, engine.row_scale

    def log_p(params, parts, data):
        glob, per_row = terms(guide.assemble(params, parts), *data)
        return glob + scale * jnp.sum(per_row)

    def reparam(params, key, data, rows, baseline):
        parts, (h_glob, h_rows) = guide.draw_with_entropy(params, key, rows)
        elbo = log_p(params, parts, data) + h_glob + scale * jnp.sum(h_rows)
        return -elbo, elbo

    def score(params, key, data, rows, baseline):
        parts = jax.lax.stop_gradient(guide.draw(params, key, rows))
        lp = log_p(params, parts, data)  # its gradient reaches point estimates only
        q_glob, q_rows = guide.log_q(params, parts, rows)
        lq = q_glob + scale * jnp.sum(q_rows)
        w = jax.lax.stop_gradient(lp - lq)
        return -(lp + (w - baseline) * lq), w

    one = reparam if estimator == "reparam" else score

    def loss(params, key, data, baseline):
        rows = _rows(engine, data)
        if grad_samples == 1:
            return one(params, key, data, rows, baseline)
        keys = jax.random.split(key, grad_samples)
        losses, elbos = jax.vmap(lambda k: one(params, k, data, rows, baseline))(keys)
        return jnp.mean(losses), jnp.mean(elbos)

    return loss


def init_state(engine, key) -> dict:
    import jax
    import jax.numpy as jnp
    import optax

    k_init, key = jax.random.split(key)
    params = engine.guide.init(k_init, engine.objective.start, engine.objective.prior_draw,
                               engine.config.init_scale, engine.n_in)
    zeros = jax.tree.map(jnp.zeros_like, params)
    return {"params": params, "opt": optax.scale_by_adam().init(params), "key": key,
            "step": jnp.zeros((), jnp.int32), "status": jnp.asarray(RUNNING, jnp.int32),
            "bad_step": jnp.asarray(-1, jnp.int32), "baseline": jnp.asarray(jnp.nan, jnp.float64),
            "lr": jnp.asarray(engine.config.learning_rate, jnp.float64), "sum": zeros, "avg": params,
            "prev_elbo": jnp.asarray(jnp.nan, jnp.float64), "prev_se": jnp.zeros((), jnp.float64), "n_flat": jnp.zeros((), jnp.int32)}


def _all_finite(tree):
    import jax
    import jax.numpy as jnp

    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]))


def _make_step(engine) -> Callable:
    import jax
    import jax.numpy as jnp
    import optax

    config = engine.config
    grad_fn = jax.value_and_grad(make_loss(engine, config.estimator, config.grad_samples), has_aux=True)
    opt = optax.scale_by_adam()

    def step(state, data):
        key, k_eps, k_rows = jax.random.split(state["key"], 3)
        baseline = jnp.where(jnp.isnan(state["baseline"]), 0.0, state["baseline"])
        if config.estimator == "score" and not config.baseline:
            baseline = jnp.zeros(())
        (_, elbo), grads = grad_fn(state["params"], k_eps, minibatch(engine.batch, data, k_rows), baseline)
        if config.estimator == "score" and config.baseline:  # the first step's estimate starts the baseline
            grads = jax.tree.map(lambda g: jnp.where(jnp.isnan(state["baseline"]), 0.0, g), grads)
        updates, opt_state = opt.update(grads, state["opt"], state["params"])
        params = optax.apply_updates(state["params"], jax.tree.map(lambda u: -state["lr"] * u, updates))
        ok = jnp.isfinite(elbo) & _all_finite(grads)
        bad = jnp.where((state["bad_step"] < 0) & ~ok, state["step"], state["bad_step"])
        new_base = jnp.where(jnp.isnan(state["baseline"]), elbo,
                             BASELINE_DECAY * state["baseline"] + (1 - BASELINE_DECAY) * elbo)
        new = dict(state, key=key, params=params, opt=opt_state, step=state["step"] + 1, bad_step=bad,
                   baseline=new_base, sum=jax.tree.map(lambda s, p: s + p, state["sum"], params))
        return new, elbo

    return step


def _end_window(state, elbos, config):
    """Average the window's iterates; ELBO flat?  Decay the step size; converged?"""
    import jax
    import jax.numpy as jnp

    center, se = window_elbo(elbos)
    band = jnp.maximum(config.tol_elbo * jnp.maximum(jnp.abs(center), 1.0), 3.0 * jnp.sqrt(se**2 + state["prev_se"]**2))
    flat = jnp.abs(center - state["prev_elbo"]) <= band  # False on the first window (prev is NaN)
    n_flat = jnp.where(flat, state["n_flat"] + 1, 0)
    floor = config.learning_rate * config.min_lr_ratio
    at_floor = state["lr"] <= floor * (1 + 1e-9)
    decay = config.stop_early & (n_flat >= config.patience) & ~at_floor
    converged = config.stop_early & (n_flat >= config.patience) & at_floor
    lr = jnp.where(decay, jnp.maximum(state["lr"] * config.lr_decay, floor), state["lr"])
    avg = jax.tree.map(lambda s: s / config.window, state["sum"])
    new = dict(state, avg=avg, sum=jax.tree.map(jnp.zeros_like, state["sum"]), prev_elbo=center, prev_se=se,
               n_flat=jnp.where(decay, 0, n_flat), lr=lr)
    record = {"elbo": center, "elbo_se": se, "lr": state["lr"], "flat": flat}
    return new, converged, record


def make_chunk(engine, on_trace: Callable | None = None) -> Callable:
    """``chunk(state, data, limit) -> (state, elbo[k * window], records[k])`` (as :func:`ppl.vi.optimize.make_chunk`)."""
    import jax
    import jax.numpy as jnp

    config = engine.config
    step = _make_step(engine)

    def window(start, data):
        scanned, elbos = jax.lax.scan(lambda s, _: step(s, data), start, None, length=config.window)
        state, converged, record = _end_window(scanned, elbos, config)
        diverged = scanned["bad_step"] >= 0
        status = jnp.where(diverged, DIVERGED, jnp.where(converged, CONVERGED, RUNNING)).astype(jnp.int32)
        state = jax.tree.map(lambda a, b: jnp.where(diverged, a, b), start, state)
        state = dict(state, status=status, bad_step=scanned["bad_step"])
        return state, elbos, dict(record, ran=jnp.ones((), bool))

    return chunk_windows(window, config, on_trace)
