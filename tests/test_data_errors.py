"""Data mistakes: each names the variable, the rule and the first bad index, at the declaration."""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from ppl.errors import PplError

MODEL = """\
dim obs
dim g
data n: count[obs]
data x: real[obs]
data grp: factor[obs]
data idx: int[obs]
data y: real[obs]
a[grp] ~ Normal(0, 1)
b[g] ~ Normal(0, 1)
y ~ Normal(a[grp] + b[idx] + x, 1)
"""

GOOD = {"n": [1, 2, 3], "x": [0.1, 0.2, 0.3], "grp": ["b", "a", "b"], "idx": [0, 1, 1], "y": [1.0, 2.0, None],
        "g": 2}


def _bind(**changes):
    data = dict(GOOD) | changes
    return ppl.compile(MODEL, "m.ppl").bind(data)


def test_good_data_binds_with_sorted_levels_and_missing_mask():
    bound = _bind()
    assert bound.levels["grp"] == ["a", "b"]
    assert bound.values["grp"].tolist() == [1, 0, 1]
    assert bound.missing["y"].tolist() == [False, False, True]
    assert bound.sizes == {"obs": 3, "g": 2, "grp": 2}


@pytest.mark.parametrize("changes, needle", [
    ({"n": [1, -2, 3]}, "n[1] = -2"),
    ({"n": [1, 2.5, 3]}, "n[1] = 2.5"),
    ({"x": [0.1, None, 0.3]}, "missing value at x[1]"),
    ({"x": [0.1, float("inf"), 0.3]}, "x[1] = inf"),
    ({"x": [0.1, 0.2]}, "dim `obs` has size 3"),
    ({"x": [[0.1], [0.2], [0.3]]}, "has 2 dims"),
    ({"x": [[0.1, 0.2], [0.3]]}, "not a rectangular array"),
])
def test_bad_values(changes, needle):
    with pytest.raises(PplError) as info:
        _bind(**changes)
    assert needle in str(info.value)
    assert str(info.value).startswith("m.ppl:")


def test_missing_variable_is_named():
    data = dict(GOOD)
    del data["x"]
    with pytest.raises(PplError, match="no entry `x`"):
        ppl.compile(MODEL, "m.ppl").bind(data)


def test_extra_entries_are_ignored_and_listed():
    assert _bind(extra=[1, 2]).ignored == ("extra",)


def test_out_of_range_index_looks_one_based():
    model = ppl.compile(MODEL, "m.ppl")
    with pytest.raises(PplError) as info:
        model.build(dict(GOOD) | {"idx": [1, 2, 2]})
    assert "looks 1-based" in str(info.value)


def test_refit_keeps_factor_codes_and_rejects_unknown_labels():
    model = ppl.compile(MODEL, "m.ppl")
    model.bind(GOOD)
    bound = model.bind(dict(GOOD) | {"grp": ["b", "b", "b"]})
    assert bound.values["grp"].tolist() == [1, 1, 1]
    with pytest.raises(PplError, match="not a level"):
        model.bind(dict(GOOD) | {"grp": ["c", "a", "b"]})


def test_dataframe_and_npz(tmp_path):
    import pandas as pd

    model = ppl.compile("dim obs\ndata x: real[obs]\ndata y: real[obs]\nb ~ Normal(0, 1)\ny ~ Normal(b * x, 1)\n")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0.5, 1.5]})
    assert model.bind(frame).sizes == {"obs": 2}
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array([1.0, 2.0, 3.0]), y=np.zeros(3))
    assert model.bind(str(path)).sizes == {"obs": 3}
