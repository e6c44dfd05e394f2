"""Summary tables of amortized fits (ppl.report.plots_amortized)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ppl.report.model import Table
from ppl.report.plots_amortized import per_row_summary_dropped


def _tree(row_vars=("z",)):
    rng = np.random.default_rng(0)
    post = {"W": (("chain", "draw", "k"), rng.normal(size=(1, 5, 2)))}
    post.update({n: (("chain", "draw", "obs", "k"), rng.normal(size=(1, 5, 3, 2))) for n in row_vars})
    return xr.DataTree.from_dict({"posterior": xr.Dataset(post),
                                  "vi_encoder": xr.Dataset(attrs={"row_dim": "obs"})})


def test_per_row_variables_leave_the_summary_and_a_note_says_so():
    rows = (("W[0]", 1.0), ("W[1]", 2.0)) + tuple((f"{n}[{i}, {j}]", 0.0) for n in ("p", "z")
                                                  for i in range(3) for j in range(2))
    table, note = per_row_summary_dropped(Table(("parameter", "mean"), rows), _tree(("z", "p")))
    assert [r[0] for r in table.rows] == ["W[0]", "W[1]"]
    assert note.startswith("per-row variables (p, z: one per `obs`, 3 rows) are left out of the summary (12 scalars)")


def test_nothing_per_row_leaves_the_table_alone():
    table = Table(("parameter", "mean"), (("W[0]", 1.0),))
    assert per_row_summary_dropped(table, _tree(())) == (table, None)
