"""When to stop optimising: windowed criteria that must agree.

The ELBO estimate of one step is noisy, so no decision is taken from one
reading.  Steps are grouped in windows (``VIConfig.window`` steps); at the end
of each window the iterates of q's parameters are averaged, the window's ELBO
is the median of its per-step estimates (with a se from their MAD: robust to
the wild estimates a heavy-tailed log density gives), and three criteria are
checked:

1. **ELBO flat**: the change of the window ELBO is within
   ``max(tol_elbo * max(|ELBO|, 1), 3 * se)``, where ``se`` is the standard
   error of the difference of two window ELBOs (treating the per-step
   estimates as independent).  A relative change alone is fooled by noise
   when |ELBO| is small, a noise band alone when the ELBO is very noisy; the
   band is the wider of the two.
2. **Parameters stable**: the window-mean location of q moved by less than
   ``tol_params`` approximate posterior standard deviations in every
   coordinate, and every log-scale by less than ``tol_params``.  This is scale
   free: it asks whether q changed by an amount that matters for the answer.
3. **Gradient at zero**: the window mean of the ELBO's gradient with respect
   to q's location, scaled by q's sds (about minus the offset from the
   optimum, in sds), is within noise of zero in every coordinate: below
   ``z * se`` (``z`` the two-sided Bonferroni quantile at 5% over the ``d``
   coordinates) or below ``tol_params``.  Stable parameters alone can be
   slow progress at a small learning rate; a drift to the optimum shows up
   here as a gradient that does not average to zero.

A fit has **converged** when all three pass on ``patience`` consecutive
windows.  When the ELBO has stopped improving but the parameters still move
or the gradient is not yet zero (the iterates wander around the optimum with
the step size) for ``patience`` windows, the learning rate is multiplied by
``lr_decay``, down to ``learning_rate * min_lr_ratio``; the wandering
shrinks with the step size (the stationarity-then-decrease scheme of Dhaka
et al. 2020).  The answer is the average of the iterates of the last window
(Polyak-Ruppert averaging), which removes most of the remaining optimisation
noise.

**Collapse.**  A window whose ELBO falls more than 5 se below the best
window's (a step threw q out of a good region, e.g. into a funnel's neck, and
the ELBO estimates became wild) sends q back to the best window's average,
restarts Adam's moments there and cuts the learning rate.  Without this a
full-rank fit could blow up, have its step size cut in the wild region, and
then pass every noise-scaled criterion there: a false convergence.

References
----------
Dhaka, A. K., Catalina, A., Andersen, M. R., Magnusson, M., Huggins, J. H. &
Vehtari, A. (2020). Robust, accurate stochastic optimization for variational
inference. NeurIPS 33.
Polyak, B. T. & Juditsky, A. B. (1992). Acceleration of stochastic
approximation by averaging. SIAM J. Control Optim. 30(4), 838-855.
Yao, Y., Vehtari, A., Simpson, D. & Gelman, A. (2018). Yes, but did it work?:
Evaluating variational inference. ICML, PMLR 80 (on Stan's relative-ELBO rule
stopping too early).
"""

from __future__ import annotations

from statistics import NormalDist

__all__ = ["RUNNING", "CONVERGED", "DIVERGED", "STOP_REASONS", "init_monitor", "accumulate", "end_window",
           "ELBO_SE_BAND", "GRAD_FAMILY_LEVEL", "grad_threshold"]

RUNNING, CONVERGED, DIVERGED = 0, 1, 2
STOP_REASONS = {RUNNING: "max_steps", CONVERGED: "converged", DIVERGED: "diverged"}
ELBO_SE_BAND = 3.0  # standard errors of the difference of two window ELBOs counted as noise (0.3% two-sided)
REVERT_SE_BAND = 5.0  # a window this many se below the best one is a collapse, not noise (the best of
#                       many noisy windows is itself biased upwards by a few se)
_MEDIAN_SE = 1.2533 * 1.4826  # se of a median = 1.2533 sd / sqrt(n); sd = 1.4826 MAD (normal data)
GRAD_FAMILY_LEVEL = 0.05  # family-wise level of the zero-gradient test over all coordinates


def grad_threshold(d: int) -> float:
    """Two-sided Bonferroni normal quantile for ``d`` coordinates at level 5%."""
    return NormalDist().inv_cdf(1.0 - GRAD_FAMILY_LEVEL / (2 * max(d, 1)))


def init_monitor(params, lr: float) -> dict:
    """The convergence monitor's state (a pytree of JAX arrays)."""
    import jax
    import jax.numpy as jnp

    zeros = jax.tree.map(jnp.zeros_like, params)
    d = params["mu"].shape[0]
    return {
        "n": jnp.zeros((), jnp.int32), "params": zeros, "grad": jnp.zeros(d), "grad2": jnp.zeros(d),
        "prev_valid": jnp.zeros((), bool), "prev_elbo": jnp.zeros(()), "prev_se": jnp.zeros(()),
        "prev_loc": jnp.zeros(d), "prev_log_sd": jnp.zeros(d),
        "best_elbo": jnp.asarray(-jnp.inf), "best_se": jnp.zeros(()), "best_avg": params,
        "n_pass": jnp.zeros((), jnp.int32), "n_stall": jnp.zeros((), jnp.int32),
        "lr": jnp.asarray(lr, jnp.float64), "avg": params,
    }


def accumulate(mon: dict, grad_mu, params) -> dict:
    """Add one step (gradient w.r.t. the location, new iterate) to the window sums."""
    import jax

    return dict(mon, n=mon["n"] + 1, grad=mon["grad"] + grad_mu, grad2=mon["grad2"] + grad_mu**2,
                params=jax.tree.map(lambda s, p: s + p, mon["params"], params))


def window_elbo(elbos):
    """The window's ELBO and its se, robustly: median and 1.2533 * 1.4826 * MAD / sqrt(n).

    One wild draw (a heavy-tailed log density far from the mode) moves a mean
    and a variance by orders of magnitude; it barely moves a median and a MAD.
    """
    import jax.numpy as jnp

    center = jnp.median(elbos)
    mad = jnp.median(jnp.abs(elbos - center))
    return center, _MEDIAN_SE * mad / jnp.sqrt(elbos.shape[0])


def _band(a_se, b_se, scale, config, width=ELBO_SE_BAND):
    import jax.numpy as jnp

    return jnp.maximum(config.tol_elbo * scale, width * jnp.sqrt(a_se**2 + b_se**2))


def _elbo_checks(center, se, mon, config):
    """(flat, not improving, worse than the best window, relative change) of the window ELBO."""
    import jax.numpy as jnp

    scale = jnp.maximum(jnp.abs(center), 1.0)
    change = center - mon["prev_elbo"]
    band = _band(se, mon["prev_se"], scale, config)
    worse = center < mon["best_elbo"] - _band(se, mon["best_se"], scale, config, REVERT_SE_BAND)
    return jnp.abs(change) <= band, change <= band, worse, jnp.abs(change) / scale


def _moved(loc, log_sd, mon):
    """How far q moved since the last window: location in sds, log-scales."""
    import jax.numpy as jnp

    return jnp.maximum(jnp.max(jnp.abs(loc - mon["prev_loc"]) * jnp.exp(-log_sd)),
                       jnp.max(jnp.abs(log_sd - mon["prev_log_sd"])))


def _grad_offset(mon, n, log_sd, d: int, config):
    """(zero-gradient test passed, largest scaled mean gradient)."""
    import jax.numpy as jnp

    mean = mon["grad"] / n
    se = jnp.sqrt(jnp.maximum(mon["grad2"] / n - mean**2, 0.0) / n)
    sd = jnp.exp(log_sd)
    offset = jnp.abs(mean) * sd
    ok = jnp.all((offset <= grad_threshold(d) * se * sd) | (offset <= config.tol_params))
    return ok, jnp.max(offset)


def _step_size(mon, decay, config):
    import jax.numpy as jnp

    floor = config.learning_rate * config.min_lr_ratio
    return jnp.where(decay, jnp.maximum(mon["lr"] * config.lr_decay, floor), mon["lr"])


def end_window(mon: dict, elbos, family, config):
    """Check the window that just ended (per-step ELBO estimates ``elbos``).

    Returns the new monitor state, whether the fit converged, whether to go
    back to the best window's q (this window's ELBO fell below the best one's
    by more than the noise: the optimisation jumped out of a good region; the
    step size is cut too), and a record of the window: its ELBO and se, the
    relative ELBO change, how far q moved (in sds), the largest scaled mean
    gradient, the learning rate, whether every criterion passed and whether it
    went back.
    """
    import jax
    import jax.numpy as jnp

    n = jnp.maximum(mon["n"], 1).astype(jnp.float64)
    center, se = window_elbo(elbos)
    avg = jax.tree.map(lambda s: s / n, mon["params"])
    loc, log_sd = family.mean(avg), family.log_sd(avg)
    valid = mon["prev_valid"]
    flat, not_improving, worse, rel = _elbo_checks(center, se, mon, config)
    revert = config.stop_early & valid & worse
    moved = _moved(loc, log_sd, mon)
    grad_ok, offset = _grad_offset(mon, n, log_sd, loc.shape[0], config)
    at_rest = (moved <= config.tol_params) & grad_ok
    passed = valid & flat & at_rest & ~worse
    n_pass = jnp.where(passed, mon["n_pass"] + 1, 0)
    n_stall = jnp.where(valid & not_improving & ~at_rest & ~revert, mon["n_stall"] + 1, 0)
    decay = config.stop_early & ((n_stall >= config.patience) | revert)
    better = center > mon["best_elbo"]
    avg = _pick(revert, mon["best_avg"], avg)
    zeros = jax.tree.map(jnp.zeros_like, mon)
    new = dict(mon, n=zeros["n"], params=zeros["params"], grad=zeros["grad"], grad2=zeros["grad2"],
               prev_valid=jnp.ones((), bool), prev_elbo=jnp.where(revert, mon["best_elbo"], center),
               prev_se=jnp.where(revert, mon["best_se"], se), prev_loc=family.mean(avg),
               prev_log_sd=family.log_sd(avg), best_elbo=jnp.where(better, center, mon["best_elbo"]),
               best_se=jnp.where(better, se, mon["best_se"]), best_avg=_pick(better, avg, mon["best_avg"]),
               n_pass=n_pass, n_stall=jnp.where(decay, 0, n_stall), lr=_step_size(mon, decay, config), avg=avg)
    converged = config.stop_early & (n_pass >= config.patience)
    nan = jnp.nan
    record = {"elbo": center, "elbo_se": se, "rel_change": jnp.where(valid, rel, nan),
              "param_change": jnp.where(valid, moved, nan), "grad_offset": offset, "lr": mon["lr"],
              "passed": passed, "reverted": revert}
    return new, converged, revert, record


def _pick(cond, a, b):
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda x, y: jnp.where(cond, x, y), a, b)
