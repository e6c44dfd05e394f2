"""``ppl loo RESULT...``: PSIS-LOO (and WAIC) with pointwise Pareto k, per result."""

from __future__ import annotations

from .diag_common import add_json_argument, emit, load_results, var_error

__all__ = ["HELP", "add_arguments", "run"]

HELP = "PSIS-LOO (approximate-posterior corrected for VI results) with pointwise Pareto k; --waic adds WAIC"


def add_arguments(p) -> None:
    p.add_argument("result", nargs="+", help="result file(s) with a log_likelihood group")
    p.add_argument("--var", help="the observed variable to score (default: all, joined)")
    p.add_argument("--waic", action="store_true", help="also compute WAIC")
    add_json_argument(p)


def _needs_log_likelihood(path, tree):
    from ..diagnostics import messages as M
    from ..errors import PplError

    if "log_likelihood" not in tree.children:
        raise PplError(M.missing_group(path, "log_likelihood", "LOO",
                                       "sample with `ppl sample --out`, which stores the pointwise log-likelihood"))


def score(path: str, tree, var_name):
    """PSIS-LOO of one result: approximate-posterior corrected when the result is variational."""
    from ..diagnostics import loo, loo_approximate_posterior
    from ..diagnostics.results import vi_log_densities

    _needs_log_likelihood(path, tree)
    densities = vi_log_densities(tree)
    try:
        if densities is None:
            return loo(tree, var_name)
        return loo_approximate_posterior(tree, densities[0], densities[1], var_name)
    except KeyError as exc:
        raise var_error(path, exc, tree) from None


def run(args) -> int:
    from ..diagnostics import waic

    out = {}
    for path, tree in load_results(args.result).items():
        out[f"{path} (loo)" if args.waic else path] = score(path, tree, args.var)
        if args.waic:
            out[f"{path} (waic)"] = waic(tree, args.var)
    emit(out, args.json)
    return 0
