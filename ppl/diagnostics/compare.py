"""Model comparison by PSIS-LOO with stacking weights (``arviz_stats.compare``).

Models are ranked by ``elpd_loo``; ``elpd_diff`` and its standard error
``dse`` are against the best model (paired over observations, Vehtari,
Gelman & Gabry 2017, eq. 24); the weights are stacking weights by default
(Yao et al. 2018), which maximize the leave-one-out log score of the
weighted mixture of the models' predictive distributions.

References
----------
Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to average
Bayesian predictive distributions. Bayesian Analysis 13(3), 917-1007.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Mapping

from .checks import Check, Verdict, worst
from .loo import LooResult, loo

__all__ = ["ComparisonRow", "Comparison", "compare", "METHODS"]

METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")


@dataclass(frozen=True)
class ComparisonRow:
    """One model's line of the comparison table."""

    name: str
    rank: int
    elpd: float
    se: float
    p: float
    elpd_diff: float
    dse: float
    p_worse: float | None
    weight: float
    diag_diff: str
    diag_elpd: str


@dataclass(frozen=True)
class Comparison:
    """Models ranked by elpd_loo, with weights and each model's LOO result."""

    method: str
    rows: tuple[ComparisonRow, ...]
    loo: tuple[LooResult, ...]
    kind: str = "compare"

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(r.check for r in self.loo)

    @property
    def verdict(self) -> Verdict:
        return worst(c.verdict for c in self.checks)

    @property
    def best(self) -> str:
        return self.rows[0].name


def _as_loo(name: str, value) -> LooResult:
    return value if isinstance(value, LooResult) else loo(value)


def _float_or_none(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def compare(results: Mapping[str, object], method: str = "stacking") -> Comparison:
    """Compare models on the same observations.

    Parameters
    ----------
    results : mapping of name to DataTree or LooResult
        At least two models; DataTrees are scored with :func:`~.loo.loo`.
    method : {"stacking", "bb-pseudo-bma", "pseudo-bma"}
        How the weights are computed.
    """
    import arviz_stats as azs

    if len(results) < 2:
        raise ValueError("compare needs at least two models")
    if method not in METHODS:
        raise ValueError(f"unknown method `{method}`; use one of {', '.join(METHODS)}")
    loos = {name: _as_loo(name, value) for name, value in results.items()}
    sizes = {r.n_observations for r in loos.values()}
    if len(sizes) > 1:
        raise ValueError("the models were fitted to different numbers of observations: "
                         + ", ".join(f"{n} ({r.n_observations})" for n, r in loos.items()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = azs.compare({n: r.elpd_data() for n, r in loos.items()}, method=method, round_to="none")
    rows = tuple(ComparisonRow(str(name), int(row["rank"]), float(row["elpd"]), float(row["se"]), float(row["p"]),
                               float(row["elpd_diff"]), float(row["dse"]), _float_or_none(row["p_worse"]),
                               float(row["weight"]), str(row["diag_diff"]), str(row["diag_elpd"]))
                 for name, row in table.iterrows())
    return Comparison(method, rows, tuple(loos[r.name] for r in rows))
