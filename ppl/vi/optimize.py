"""The optimisation loop: Adam on the negative ELBO, one window per call.

One call of the compiled window function runs ``VIConfig.window`` steps in a
``lax.scan`` (no Python between steps) and then the convergence check of
:mod:`ppl.vi.convergence`; Python only loops over windows, to stop early and
to update the progress bar.  Everything is a pure function of a state pytree,
so the same window function is ``jax.vmap``-ed over data sets.

The gradient is the reparameterisation gradient of the ELBO estimate
``mean_s log p(z_s) + H[q]`` with ``z_s = mu + L eps_s`` and the entropy H in
closed form (Kucukelbir et al. 2017, eq. 8-10).  A minibatch step draws
``batch_size`` rows with replacement (O(batch) work whatever N is) and
scales their log-likelihood by ``N / batch_size``: an unbiased estimate of
the full-data log density (Hoffman, Blei, Wang & Paisley 2013, "Stochastic
variational inference", JMLR 14).  A step whose ELBO or gradient is not
finite is not applied and stops the fit (``DIVERGED``).
"""

from __future__ import annotations

from typing import Callable

from .convergence import DIVERGED, RUNNING, accumulate, end_window, init_monitor

__all__ = ["init_state", "make_window", "minibatch"]


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


def minibatch(batch, data, key):
    """``batch.size`` rows along the batch dim of every batched input, drawn with replacement."""
    import jax
    import jax.numpy as jnp

    if batch is None:
        return data
    idx = jax.random.randint(key, (batch.size,), 0, batch.total)
    return tuple(x if axis is None else jnp.take(x, idx, axis=axis) for x, axis in zip(data, batch.axes))


def _negative_elbo(objective, family, config) -> Callable:
    import jax
    import jax.numpy as jnp

    scale = 1.0 if objective.batch is None else objective.batch.scale
    d = objective.layout.size

    def loss(params, key, data):
        eps = jax.random.normal(key, (config.grad_samples, d))
        z = family.transform(params, eps)
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

    def step(state, data):
        key, k_eps, k_rows = jax.random.split(state["key"], 3)
        value, grads = grad_fn(state["params"], k_eps, minibatch(objective.batch, data, k_rows))
        elbo = -value
        updates, opt_state = opt.update(grads, state["opt"], state["params"])
        updates = jax.tree.map(lambda u: -state["mon"]["lr"] * u, updates)
        params = optax.apply_updates(state["params"], updates)
        running = state["status"] == RUNNING
        ok = jnp.isfinite(elbo) & _all_finite(grads)
        take = running & ok
        new = dict(state, key=key, params=_select(take, params, state["params"]),
                   opt=_select(take, opt_state, state["opt"]), step=state["step"] + take.astype(jnp.int32),
                   status=jnp.where(running & ~ok, DIVERGED, state["status"]),
                   bad_step=jnp.where(running & ~ok, state["step"], state["bad_step"]),
                   mon=accumulate(state["mon"], elbo, -grads["mu"], params, take))
        return new, jnp.where(running, elbo, jnp.nan)

    return step


def make_window(objective, family, config, on_trace: Callable | None = None) -> Callable:
    """``window(state, data) -> (state, elbo[window], record)``: pure, jit- and vmap-able.

    ``on_trace`` is called each time JAX traces the function (tests count
    compilations with it).
    """
    import jax
    import jax.numpy as jnp

    from .convergence import CONVERGED

    step = _make_step(objective, family, config)

    def window(state, data):
        if on_trace is not None:
            on_trace()
        state, elbos = jax.lax.scan(lambda s, _: step(s, data), state, None, length=config.window)
        running = state["status"] == RUNNING
        mon, converged, record = end_window(state["mon"], family, config)
        state = dict(state, mon=_select(running, mon, state["mon"]),
                     status=jnp.where(running & converged, CONVERGED, state["status"]))
        return state, elbos, record

    return window
