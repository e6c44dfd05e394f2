"""Batched VSBC: chunks of replications fitted by one call give what the one-by-one path gives.

The runner is tested with an exact conjugate "fit" that has a batched form
(no JAX); the VI engine on the eight schools model checks that the vmapped
optimisation and draws reproduce the sequential path's p values exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from . import calib_models as cm
from .calib_models import MODELS
from ppl.diagnostics import vsbc


def test_batched_runner_equals_serial_with_padding_and_failures():
    engine = cm.BatchedPrecision()
    batched = vsbc(cm.precision_model(), engine=engine, reps=23, seed=5, batch=10, progress=False)
    serial = vsbc(cm.precision_model(), engine=engine, reps=23, seed=5, workers=1, progress=False)
    assert engine.calls == [10, 10, 10]  # the last chunk is padded to the same size: one compiled shape
    np.testing.assert_array_equal(batched.p, serial.p)
    assert [f.index for f in batched.failures] == [f.index for f in serial.failures]
    assert batched.n_completed + len(batched.failures) == 23


def test_batched_runner_keeps_finished_chunks_when_interrupted():
    result = vsbc(cm.precision_model(), engine=cm.BatchedPrecision(interrupt_at=2), reps=30, seed=5, batch=10,
                  progress=False)
    assert result.interrupted and result.n_completed + len(result.failures) == 20
    assert any("interrupted" in n for n in result.notes)


def test_batch_needs_a_batched_engine():
    with pytest.raises(ValueError, match="batched"):
        vsbc(cm.precision_model(), engine=cm.exact_precision, reps=4, seed=1, batch=2, progress=False)


@pytest.fixture(scope="module")
def schools_engine():
    import ppl
    from ppl.diagnostics.calibration import PplSource
    from ppl.vi import VIConfig
    from ppl.vi.calibrate import VIEngine

    model = ppl.load(MODELS / "eight_schools_centered.ppl")
    source = PplSource.of(model, model.bind())
    return source, VIEngine(source, VIConfig(steps=1500, progressbar=False), draws=300)


def test_vmapped_vi_equals_sequential_vi(schools_engine):
    """Same seeds, same p: the vmapped optimisation (each replication stopping by its own check) and
    the vmapped draws against one fit after another on the compiled program."""
    source, engine = schools_engine
    batched = vsbc(source, engine=engine, reps=7, seed=3, batch=4, progress=False)
    serial = vsbc(source, engine=engine, reps=7, seed=3, workers=1, progress=False)
    assert batched.p.shape == (7, 10) and not batched.failures
    np.testing.assert_allclose(batched.p, serial.p, atol=1e-12)
    assert batched.stop_reasons == serial.stop_reasons and batched.steps == serial.steps
    assert set(batched.stop_reasons) <= {"converged", "max_steps"}
    assert len(set(batched.steps)) > 1 or batched.steps[0] == 1500  # each replication stops on its own


def test_diverged_replications_are_failures(schools_engine):
    from dataclasses import replace

    source, engine = schools_engine
    wild = replace(engine, config=replace(engine.config, learning_rate=80.0))
    result = vsbc(source, engine=wild, reps=3, seed=3, batch=3, parameters=["tau"], progress=False)
    assert len(result.failures) == 3 and "diverged" in result.failures[0].error


@pytest.mark.slow
def test_vmapped_fullrank_equals_sequential(schools_engine):
    from dataclasses import replace

    source, engine = schools_engine
    full = replace(engine, config=replace(engine.config, method="fullrank"))
    batched = vsbc(source, engine=full, reps=5, seed=4, batch=5, progress=False)
    serial = vsbc(source, engine=full, reps=5, seed=4, workers=1, progress=False)
    assert batched.method == "fullrank" and not batched.failures
    np.testing.assert_allclose(batched.p, serial.p, atol=1e-12)
    assert batched.steps == serial.steps
