"""The convergence monitor on synthetic optimisation traces: it needs every
criterion on several consecutive windows, and each criterion can block it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ppl.vi.config import VIConfig
from ppl.vi.convergence import accumulate, end_window, grad_threshold, init_monitor
from ppl.vi.families import MEAN_FIELD
from ppl.vi.objective import enable_x64

enable_x64()
D, W = 3, 100
CONFIG = VIConfig(window=W, patience=3)


def _window(mon, rng, *, elbo=-50.0, elbo_noise=1.0, loc=0.0, grad_mean=0.0, grad_noise=1.0, sd=1.0):
    """One window of steps at a fixed q (location ``loc``, sd ``sd``); the gradient's
    noise is ``grad_noise`` sds per step (about one for one Monte Carlo draw)."""
    params = {"mu": jnp.full(D, loc), "log_sd": jnp.full(D, np.log(sd))}
    for _ in range(W):
        grad = (grad_mean + rng.normal(0, grad_noise, D)) / sd
        mon = accumulate(mon, jnp.asarray(grad), params)
    elbos = jnp.asarray(elbo + rng.normal(0, elbo_noise, W))
    new, converged, _, record = end_window(mon, elbos, MEAN_FIELD, CONFIG)
    return new, converged, record


def _run(windows, seed=0):
    """Feed windows (dicts of _window options); return (converged flags, records, monitor)."""
    rng = np.random.default_rng(seed)
    mon = init_monitor({"mu": jnp.zeros(D), "log_sd": jnp.zeros(D)}, CONFIG.learning_rate)
    flags, records = [], []
    for opts in windows:
        mon, converged, record = _window(mon, rng, **opts)
        flags.append(bool(converged))
        records.append(jax.tree.map(float, record))
    return flags, records, mon


def test_stationary_trace_converges_after_patience_windows():
    quiet = {"grad_noise": 0.1}  # every test passes with near certainty: the count is exact
    flags, records, _ = _run([quiet] * 6)
    # window 0 has nothing to compare with; windows 1..3 pass; the third pass converges
    assert flags == [False, False, False, True, True, True]
    assert records[0]["passed"] == 0.0 and all(r["passed"] == 1.0 for r in records[1:])


def test_noisy_stationary_trace_converges():
    # one Monte Carlo draw per step: each test rejects now and then (5% family-wise), never for long
    for seed in range(3):
        flags, _, _ = _run([{}] * 15, seed=seed)
        assert any(flags) and flags.index(True) >= CONFIG.patience


def test_one_good_reading_is_not_convergence():
    moving = [{"loc": 0.3 * i, "grad_noise": 0.1} for i in range(3)]
    flags, records, _ = _run(moving + [{"loc": 0.6, "grad_noise": 0.1}]
                             + [{"loc": 0.6 + 0.3 * i, "grad_noise": 0.1} for i in range(1, 4)])
    assert records[3]["passed"] == 1.0  # the one window at rest ...
    assert not any(flags)  # ... is not enough


def test_drifting_parameters_block_convergence():
    flags, records, _ = _run([{"loc": 0.2 * i} for i in range(8)])  # 0.2 sd per window, ELBO flat
    assert not any(flags)
    assert all(r["param_change"] == pytest.approx(0.2) for r in records[1:])


def test_nonzero_gradient_blocks_convergence_and_lowers_the_step_size():
    # q at rest, ELBO flat, but the mean gradient says "the optimum is 0.5 sd away"
    flags, records, mon = _run([{"grad_mean": 0.5}] * 8)
    assert not any(flags)
    assert records[-1]["grad_offset"] > 0.4
    assert float(mon["lr"]) == pytest.approx(CONFIG.learning_rate * CONFIG.lr_decay**2)


def test_rising_elbo_blocks_convergence():
    flags, _, _ = _run([{"elbo": -50.0 + 2.0 * i} for i in range(8)])
    assert not any(flags)


def test_a_collapse_goes_back_to_the_best_window():
    good = [{"grad_noise": 0.1}] * 3
    rng = np.random.default_rng(0)
    mon = init_monitor({"mu": jnp.zeros(D), "log_sd": jnp.zeros(D)}, CONFIG.learning_rate)
    for opts in good:
        mon, _, _ = _window(mon, rng, **opts)
    mon, converged, record = _window(mon, rng, elbo=-500.0, loc=3.0, grad_noise=0.1)  # jumped out
    assert record["reverted"] and not record["passed"] and not converged
    np.testing.assert_allclose(mon["avg"]["mu"], 0.0)  # q is the best window's again
    assert float(mon["lr"]) == pytest.approx(CONFIG.learning_rate * CONFIG.lr_decay)


def test_gradient_threshold_is_bonferroni():
    assert grad_threshold(1) == pytest.approx(1.959964, abs=1e-5)
    assert grad_threshold(100) == pytest.approx(3.4807, abs=1e-3)
