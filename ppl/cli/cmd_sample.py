"""``ppl sample MODEL``: MCMC, a summary table and warnings."""

from __future__ import annotations

import sys

from ..errors import Diagnostic, Interrupted, PplError
from .common import add_data_argument, load_model
from .deferred_dask import defer_dask_import

__all__ = ["HELP", "add_arguments", "run"]

HELP = "sample the posterior with MCMC and print a summary"


def add_arguments(r) -> None:
    r.add_argument("model")
    add_data_argument(r)
    r.add_argument("--engine", default=None,
                   help="nutpie (default for NUTS), pymc, numpyro, blackjax (compiled once, cached across runs)")
    r.add_argument("--method", default="nuts", help="nuts (default), hmc, metropolis (PyMC's step methods)")
    r.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"],
                   help="JAX engines (numpyro, blackjax): auto (GPU when JAX sees one), cpu or gpu")
    r.add_argument("--target-accept", type=float, default=0.8, help="NUTS target acceptance rate (default 0.8)")
    r.add_argument("--chains", type=int, default=4)
    r.add_argument("--draws", type=int, default=1000)
    r.add_argument("--tune", type=int, default=1000)
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--out", help="write the draws to FILE.nc (NetCDF) or FILE.zarr")
    r.add_argument("--partial", metavar="FILE",
                   help="on Ctrl-C, write the draws done so far to FILE.nc or FILE.zarr (marked partial in its attrs)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--no-marginalize", action="store_true", help="keep discrete latents as discrete variables")


def run(args) -> int:
    from ..infer.summary import format_summary, warnings_for
    from ..output import validate_out, write_result

    for option, path in (("--out", args.out), ("--partial", args.partial)):
        if path:
            validate_out(path, option)
    if args.partial and args.out and _same_path(args.partial, args.out):
        raise PplError(Diagnostic("E-option", f"--partial {args.partial} is the --out file",
                                  hint="give the partial draws a file of their own"))
    model = load_model(args.model, marginalize=not args.no_marginalize)
    defer_dask_import()
    try:
        result = model.sample(args.data, engine=args.engine, method=args.method, draws=args.draws, tune=args.tune,
                              chains=args.chains, seed=args.seed, progressbar=not args.quiet,
                              target_accept=args.target_accept, device=args.device)
    except Interrupted as exc:
        raise _save_partial(exc, args.partial, write_result) from None
    print(format_summary(result))
    for line in warnings_for(result):
        print(line, file=sys.stderr)
    if args.out:
        write_result(result, args.out)
        print(f"wrote {args.out}")
    return 0


def _same_path(a: str, b: str) -> bool:
    from pathlib import Path

    return Path(a).resolve() == Path(b).resolve()


def _save_partial(exc: Interrupted, path: str | None, write_result) -> Interrupted:
    """Write the draws done so far to ``path`` (atomically) and say so in one line."""
    untouched = "earlier output files are untouched"
    if not path:
        return exc
    if exc.partial is None:
        return Interrupted(None, f"interrupted with no completed draws to keep (still tuning, or the numpyro or "
                                 f"blackjax engine): nothing written to {path}; {untouched}")
    write_result(exc.partial, path)
    posterior = exc.partial["posterior"]
    return Interrupted(exc.partial, f"interrupted: wrote the {posterior.sizes['draw']} draws done in each of "
                                    f"{_chains(posterior.sizes['chain'])} to {path} (marked partial); {untouched}")


def _chains(n: int) -> str:
    return "1 chain" if n == 1 else f"{n} chains"
