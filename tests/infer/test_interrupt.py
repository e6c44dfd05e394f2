"""The draws kept from an interrupted run (ppl/infer/interrupt.py), on hand-made traces.

nutpie pads the chains of an aborted run with NaN up to the longest chain;
PyMC cuts its chains to a common length.  The expected results are written
out by hand from the padding.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import xarray as xr

from ppl.errors import Interrupted
from ppl.infer.interrupt import _choose, catch_interrupt, completed_draws, mark_partial


def _trace(lengths, n_draws=6, nan_in_derived=False):
    """Chains with ``lengths[c]`` real draws, then NaN padding (as nutpie after an abort)."""
    n_chains = len(lengths)
    mu = np.full((n_chains, n_draws), np.nan)
    theta = np.full((n_chains, n_draws, 3), np.nan)
    for c, n in enumerate(lengths):
        mu[c, :n] = np.arange(n) + 10 * c
        theta[c, :n] = 1.0
    with np.errstate(invalid="ignore"):
        derived = np.log(mu - 1)  # NaN where mu < 1: a real NaN, not padding
    if nan_in_derived:
        derived[:, :] = np.nan
    posterior = xr.Dataset({"mu": (("chain", "draw"), mu), "theta": (("chain", "draw", "k"), theta),
                            "derived": (("chain", "draw"), derived)},
                           coords={"chain": np.arange(n_chains), "draw": np.arange(n_draws)})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((n_chains, n_draws), bool))},
                       coords=posterior.coords)
    observed = xr.Dataset({"y": (("obs",), np.array([1.0, 2.0]))})
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats, "observed_data": observed})


@pytest.mark.parametrize("lengths, chains, length", [
    ([6, 6], [0, 1], 6),
    ([4, 3], [0, 1], 3),       # 2 x 3 = 6 > 1 x 4
    ([6, 1], [0], 6),          # 1 x 6 > 2 x 1
    ([0, 5, 5], [1, 2], 5),    # a chain that never left tuning is dropped
    ([3, 3, 6], [0, 1, 2], 3),  # 3 x 3 = 9 > 1 x 6
])
def test_the_chains_and_length_that_keep_the_most_draws(lengths, chains, length):
    out = completed_draws(_trace(lengths), ["mu", "theta"])
    assert list(out["posterior"]["chain"].values) == chains
    assert out["posterior"].sizes["draw"] == length
    assert out["sample_stats"].sizes["draw"] == length and out["sample_stats"].sizes["chain"] == len(chains)
    assert not np.isnan(out["posterior"]["mu"].values).any()
    assert list(out["observed_data"]["y"].values) == [1.0, 2.0]


def test_nan_in_a_derived_quantity_is_not_padding():
    out = completed_draws(_trace([5, 5], nan_in_derived=True), ["mu", "theta"])
    assert out["posterior"].sizes["draw"] == 5


def test_no_completed_draw_gives_none():
    assert completed_draws(_trace([0, 0]), ["mu"]) is None
    assert completed_draws(None, ["mu"]) is None


def test_choose_matches_a_brute_force_search():
    rng = np.random.default_rng(3)
    for _ in range(200):
        lengths = rng.integers(0, 9, size=rng.integers(1, 6))
        keep, length = _choose(lengths)
        best = max((n * int((lengths >= n).sum()) for n in range(1, 9)), default=0)
        assert length * len(keep) == best
        assert all(lengths[keep] >= length)


def test_mark_partial_records_what_was_kept():
    out = mark_partial(completed_draws(_trace([4, 3]), ["mu"]))
    assert out.attrs["ppl_partial"] == "true"
    assert (out.attrs["ppl_partial_draws"], out.attrs["ppl_partial_chains"]) == (3, 2)
    assert "SIGINT" in out.attrs["ppl_partial_reason"]


def test_catch_interrupt_notes_sigint_and_raises_keyboard_interrupt():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with catch_interrupt() as state:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10**6):  # the handler runs at the next bytecode
                pass
    assert state.interrupted
    assert signal.getsignal(signal.SIGINT) is before
    with catch_interrupt() as state:
        pass
    assert not state.interrupted


def test_interrupted_is_a_keyboard_interrupt_with_the_partial_draws():
    exc = Interrupted("draws")
    assert isinstance(exc, KeyboardInterrupt) and exc.partial == "draws" and exc.exit_code == 130
    assert Interrupted().message == "interrupted; earlier output files are untouched"


def test_the_cli_message_without_completed_draws_writes_nothing(tmp_path):
    from ppl.cli.cmd_sample import _save_partial

    def never(*args):
        raise AssertionError("nothing to write")

    out = _save_partial(Interrupted(None), str(tmp_path / "part.nc"), never)
    assert isinstance(out, Interrupted) and out.partial is None
    assert out.message.startswith("interrupted with no completed draws to keep") and "part.nc" in out.message
    assert _save_partial(Interrupted(None), None, never).message == Interrupted().message
    assert list(tmp_path.iterdir()) == []


def test_the_cli_writes_the_partial_draws_and_says_how_many(tmp_path):
    from ppl.cli.cmd_sample import _save_partial
    from ppl.output import write_result

    partial = mark_partial(completed_draws(_trace([4, 3]), ["mu"]))
    out = _save_partial(Interrupted(partial), str(tmp_path / "part.nc"), write_result)
    assert out.message == (f"interrupted: wrote the 3 draws done in each of 2 chains to {tmp_path / 'part.nc'} "
                           "(marked partial); earlier output files are untouched")
    back = xr.open_datatree(tmp_path / "part.nc", engine="h5netcdf")
    assert back.attrs["ppl_partial"] == "true" and back["posterior"].sizes["draw"] == 3
