"""``ppl sbc MODEL``: simulation-based calibration of an MCMC engine on a model."""

from __future__ import annotations

from .calib_common import (add_calibration_arguments, calibration_source, check_calibration_options, dask_client,
                           finish)

__all__ = ["HELP", "add_arguments", "run"]

HELP = "simulation-based calibration (Talts et al. 2018): does the engine sample this model's posterior correctly?"


def add_arguments(p) -> None:
    add_calibration_arguments(p, "ranks")
    p.add_argument("--engine", default="nutpie", help="nutpie (default), pymc, numpyro, blackjax")
    p.add_argument("--draws", type=int, default=1000, help="posterior draws per chain and replication")
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--target-accept", type=float, default=None)
    p.add_argument("--batch", type=int, default=None,
                   help="with --engine blackjax: fit this many replications at once (jax.vmap) in this process")


def _check_options(args) -> None:
    import importlib.util

    from ..diagnostics import messages as M
    from ..diagnostics.fitters import FITTERS
    from ..errors import PplError

    check_calibration_options(args)
    if args.engine not in FITTERS:
        raise PplError(M.option(f"unknown engine `{args.engine}`", f"engines: {', '.join(FITTERS)}"))
    if importlib.util.find_spec(args.engine) is None:
        raise PplError(M.option(f"the engine `{args.engine}` is not installed", "use --engine pymc"))
    for name in ("draws", "chains"):
        if getattr(args, name) < 1:
            raise PplError(M.option(f"--{name} is too small ({getattr(args, name)})"))
    if args.tune < 0:
        raise PplError(M.option("--tune must be >= 0"))
    if args.batch is not None:
        if args.engine != "blackjax":
            raise PplError(M.option("--batch needs --engine blackjax", "the other engines fit one replication at a time"))
        if args.batch < 1 or args.tune < 1:
            raise PplError(M.option("--batch and --tune must be >= 1 with --batch"))
        if args.workers is not None or args.scheduler:
            raise PplError(M.option("--workers and --scheduler do not apply with --batch",
                                    "batched replications run in this process"))


def run(args) -> int:
    from ..diagnostics import sbc
    from ..diagnostics.fitters import FitOptions

    _check_options(args)
    _, source = calibration_source(args)
    client = dask_client(args.scheduler)
    options = FitOptions(draws=args.draws, tune=args.tune, chains=args.chains, target_accept=args.target_accept)
    engine = args.engine
    if args.batch is not None:
        from ..infer.calibrate import BlackjaxEngine

        engine = BlackjaxEngine()
    try:
        result = sbc(source, reps=args.reps, engine=engine, options=options, parameters=args.var,
                     seed=args.seed, workers=args.workers, scheduler=client, progress=not args.quiet,
                     batch=args.batch)
    finally:
        if client is not None:
            client.close()
    return finish(args, result)
