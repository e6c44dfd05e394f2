"""``ppl diagnose RESULT``: convergence checks of an MCMC result, PSIS k-hat of a VI result."""

from __future__ import annotations

from .diag_common import add_json_argument, emit, load_results

__all__ = ["HELP", "add_arguments", "run"]

HELP = "check a result file: R-hat, ESS, MCSE, divergences, tree depth, E-BFMI; PSIS k-hat for VI"


def add_arguments(p) -> None:
    p.add_argument("result", nargs="+", help="result file(s) written by `ppl sample --out` (.nc or .zarr)")
    p.add_argument("--var", action="append", help="check only these posterior variables (repeatable)")
    p.add_argument("--max-treedepth", type=int, default=None,
                   help="the sampler's tree-depth limit, when the result records depths but no saturation flag")
    add_json_argument(p)


def _diagnose(path: str, tree, var_names, max_depth):
    from ..diagnostics import convergence, psis_vi
    from ..diagnostics import messages as M
    from ..diagnostics.results import vi_log_densities
    from ..errors import PplError

    names = [str(n) for n in tree["posterior"].data_vars]
    for name in var_names or ():
        if name not in names:
            raise PplError(M.unknown_variable(path, name, names))
    densities = vi_log_densities(tree)
    if densities is None:
        return {path: convergence(tree, var_names, max_depth)}
    posterior = tree["posterior"].to_dataset()
    draws = posterior[var_names] if var_names else posterior
    return {path: psis_vi(densities[0], densities[1], draws)}


def run(args) -> int:
    out = {}
    for path, tree in load_results(args.result).items():
        out.update(_diagnose(path, tree, args.var, args.max_treedepth))
    emit(out, args.json)
    return 0
