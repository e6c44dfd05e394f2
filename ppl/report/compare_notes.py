"""What a model comparison means, in words: the notes under the comparison table.

A table that ranks one model first invites reading it as "the best model",
even when the difference is far inside its uncertainty or the first model's
draws are not to be trusted.  :func:`comparison_notes` says, for each model
ranked below the first, whether its difference to the first is small
(|elpd_diff| < 4) or within two standard errors, and otherwise that it
predicts clearly worse; that fewer than 100 observations make the standard
error of the difference unreliable; which models have high Pareto k; and
which models' runs were judged not to be trusted (their elpd_loo rests on the
same draws).

The thresholds (|elpd_diff| < 4, N < 100) are those of Sivula et al. and
``arviz_stats.compare``'s ``diag_diff`` column.

References
----------
Sivula, T., Magnusson, M., Matamoros, A. A., Vehtari, A. (2025). Uncertainty in
Bayesian leave-one-out cross-validation based model comparison.
arXiv:2008.10296.
Vehtari, A., Gelman, A., Gabry, J. (2017). Practical Bayesian model evaluation
using leave-one-out cross-validation and WAIC. Statistics and Computing 27.
"""

from __future__ import annotations

from typing import Mapping

__all__ = ["SMALL_DIFF", "SMALL_N", "comparison_notes"]

SMALL_DIFF = 4.0  # |elpd_diff| below it: the models make similar predictions (Sivula et al.)
SMALL_N = 100     # fewer observations: the normal approximation of elpd_diff is unreliable (Sivula et al.)


def _difference(row, first: str) -> str:
    diff, dse = abs(row.elpd_diff), row.dse
    head = f"{row.name}: elpd_diff {row.elpd_diff:.3g} (se {dse:.2g}) against {first}"
    if diff < SMALL_DIFF:
        return head + (f": a small difference (|elpd_diff| < {SMALL_DIFF:g}); the two predict about equally "
                       "well, so the ranking and the weights do not single out a better model")
    if diff < 2 * dse:
        return head + ": within two standard errors; not a clear difference"
    return head + ": predicts clearly worse"


def comparison_notes(result, n_observations: int, untrusted: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The notes of a :class:`~ppl.diagnostics.compare.Comparison` (see the module docstring).

    ``untrusted`` maps a compared run's name to its headline trust
    (e.g. ``"do not trust"``) for the runs that did not pass.
    """
    rows = result.rows
    first = rows[0].name
    notes = [f"ranked first by elpd_loo: {first}"]
    notes += [_difference(r, first) for r in rows[1:]]
    if n_observations < SMALL_N:
        notes.append(f"only {n_observations} observations (fewer than {SMALL_N}): the standard error of "
                     "elpd_diff is itself unreliable (Sivula et al. 2025)")
    notes += [f"{r.name}: {r.diag_elpd}: its elpd_loo may be too optimistic (see its Pareto k check)"
              for r in rows if r.diag_elpd]
    notes += [f"{name}: its run's verdict is \"{trust}\", so its elpd_loo rests on draws that may not describe "
              "the posterior" for name, trust in (untrusted or {}).items()]
    return tuple(notes)
