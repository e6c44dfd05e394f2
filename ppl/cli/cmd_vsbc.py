"""``ppl vsbc MODEL``: variational simulation-based calibration (VSBC) of ADVI on a model."""

from __future__ import annotations

from .calib_common import (add_calibration_arguments, calibration_source, check_calibration_options, dask_client,
                           finish)

__all__ = ["HELP", "add_arguments", "run"]

HELP = "VSBC (Yao et al. 2018): is the ADVI approximation of this model biased, and which way?"


def add_arguments(p) -> None:
    add_calibration_arguments(p, "p values")
    p.add_argument("--method", default="advi", help="advi (mean-field, default) or fullrank")
    p.add_argument("--steps", type=int, default=20_000,
                   help="largest number of optimisation steps per replication (default 20000)")
    p.add_argument("--learning-rate", type=float, default=0.05, help="Adam's initial step size (default 0.05)")
    p.add_argument("--draws", type=int, default=1000, help="draws from each fitted q (default 1000)")
    p.add_argument("--no-early-stop", action="store_true",
                   help="every replication runs all --steps (a fixed budget) instead of stopping when converged")
    p.add_argument("--batch", type=int, default=100,
                   help="replications fitted at once by one vmapped computation (default 100; bounds memory)")
    p.add_argument("--sequential", action="store_true",
                   help="fit the replications one by one on --workers processes or a Dask --scheduler")


def _config(args):
    from ..diagnostics import messages as M
    from ..errors import PplError
    from ..vi import VIConfig, check_config

    check_calibration_options(args)
    if args.batch < 1:
        raise PplError(M.option(f"--batch must be >= 1 (got {args.batch})"))
    if not args.sequential and (args.workers is not None or args.scheduler):
        raise PplError(M.option("--workers and --scheduler apply to --sequential fits",
                                "the default fits --batch replications at once in this process"))
    config = VIConfig(method=args.method, steps=args.steps, learning_rate=args.learning_rate, draws=args.draws,
                      stop_early=not args.no_early_stop, seed=args.seed, progressbar=False)
    check_config(config)
    return config


def run(args) -> int:
    from ..diagnostics import vsbc
    from ..vi.calibrate import VIEngine
    from ..vi.run import _check_continuous

    config = _config(args)
    model, source = calibration_source(args)
    _check_continuous(model, source.build())
    engine = VIEngine(source, config, args.draws)
    client = dask_client(args.scheduler) if args.sequential else None
    try:
        result = vsbc(source, engine=engine, reps=args.reps, parameters=args.var, seed=args.seed,
                      batch=None if args.sequential else args.batch, workers=args.workers, scheduler=client,
                      progress=not args.quiet, method=args.method)
    finally:
        if client is not None:
            client.close()
    return finish(args, result)
