"""``ppl compare A.nc B.nc ...``: rank models by PSIS-LOO, with stacking weights."""

from __future__ import annotations

from pathlib import Path

from .diag_common import add_json_argument, emit, load_results

__all__ = ["HELP", "add_arguments", "run"]

HELP = "compare models by PSIS-LOO: elpd differences and stacking weights"


def add_arguments(p) -> None:
    p.add_argument("result", nargs="+", help="two or more result files fitted to the same data")
    p.add_argument("--var", help="the observed variable to score (default: all, joined)")
    p.add_argument("--method", default="stacking", help="weights: stacking (default), bb-pseudo-bma, pseudo-bma")
    p.add_argument("--names", help="comma-separated model names (default: the file names)")
    add_json_argument(p)


def _names(paths, given: str | None) -> list[str]:
    from ..diagnostics import messages as M
    from ..errors import PplError

    if given:
        names = [n.strip() for n in given.split(",")]
        if len(names) != len(paths) or len(set(names)) != len(names):
            raise PplError(M.option(f"--names gives {len(names)} names for {len(paths)} results",
                                    "give one distinct name per result, comma-separated"))
        return names
    stems = [Path(p).stem for p in paths]
    return stems if len(set(stems)) == len(stems) else [str(p) for p in paths]


def run(args) -> int:
    from ..diagnostics import compare
    from ..diagnostics import messages as M
    from ..diagnostics.compare import METHODS
    from ..errors import PplError
    from .cmd_loo import score

    if len(args.result) < 2:
        raise PplError(M.option("compare needs at least two results", "ppl compare A.nc B.nc"))
    if args.method not in METHODS:
        raise PplError(M.option(f"unknown --method `{args.method}`", f"methods: {', '.join(METHODS)}"))
    trees = load_results(args.result)
    loos = {name: score(path, tree, args.var)
            for name, (path, tree) in zip(_names(args.result, args.names), trees.items())}
    sizes = {r.n_observations for r in loos.values()}
    if len(sizes) > 1:
        raise PplError(M.different_observations(", ".join(f"{n}: {r.n_observations}" for n, r in loos.items())))
    emit({"comparison": compare(loos, method=args.method)}, args.json)
    return 0
