"""``ppl sbc MODEL``: simulation-based calibration of an MCMC engine on a model."""

from __future__ import annotations

from .common import add_data_argument, load_model
from .diag_common import add_json_argument, emit

__all__ = ["HELP", "add_arguments", "run"]

HELP = "simulation-based calibration (Talts et al. 2018): does the engine sample this model's posterior correctly?"


def add_arguments(p) -> None:
    p.add_argument("model")
    add_data_argument(p)
    p.add_argument("--reps", type=int, default=100, help="replications M (default 100)")
    p.add_argument("--engine", default="nutpie", help="nutpie (default), pymc, numpyro, blackjax")
    p.add_argument("--draws", type=int, default=1000, help="posterior draws per chain and replication")
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--target-accept", type=float, default=None)
    p.add_argument("--var", action="append", help="calibrate only these parameters (repeatable)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786) instead of local workers")
    p.add_argument("--out", help="also write the full result (ranks of every replication) as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_argument(p)


def _check_options(args) -> None:
    import importlib.util

    from ..diagnostics import messages as M
    from ..diagnostics.fitters import FITTERS
    from ..errors import PplError

    if args.engine not in FITTERS:
        raise PplError(M.option(f"unknown engine `{args.engine}`", f"engines: {', '.join(FITTERS)}"))
    if importlib.util.find_spec(args.engine) is None:
        raise PplError(M.option(f"the engine `{args.engine}` is not installed", "use --engine pymc"))
    for name in ("reps", "draws", "chains"):
        if getattr(args, name) < (2 if name == "reps" else 1):
            raise PplError(M.option(f"--{name} is too small ({getattr(args, name)})"))
    if args.tune < 0 or (args.workers is not None and args.workers < 1):
        raise PplError(M.option("--tune must be >= 0 and --workers >= 1"))


def _source(args):
    from ..diagnostics import messages as M
    from ..diagnostics.calibration import PplSource
    from ..diagnostics.model_data import ObservedNotShared, observed_shared
    from ..diagnostics.simulate import default_parameters
    from ..errors import PplError

    model = load_model(args.model)
    source = PplSource.of(model, model.bind(args.data))
    pm_model = source.build()
    try:
        observed = observed_shared(pm_model)
    except ObservedNotShared as exc:
        raise PplError(M.not_refittable(str(exc))) from None
    params = default_parameters(pm_model)
    if not observed or not params:
        raise PplError(M.nothing_to_calibrate())
    for name in args.var or ():
        if name not in params:
            raise PplError(M.option(f"--var `{name}` is not a parameter of the model", f"parameters: {', '.join(params)}"))
    return source


def _client(address: str | None):
    if address is None:
        return None
    from ..diagnostics import messages as M
    from ..errors import PplError

    try:
        from distributed import Client
    except ImportError:
        raise PplError(M.option("--scheduler needs Dask's distributed package", "pip install 'ppl[dask]'")) from None
    try:
        return Client(address, timeout="20s")
    except (OSError, ValueError) as exc:
        raise PplError(M.option(f"cannot reach the Dask scheduler at {address} ({exc})",
                                "start one with `dask scheduler` and workers with `dask worker ADDRESS`")) from None


def run(args) -> int:
    from ..diagnostics import sbc
    from ..diagnostics.fitters import FitOptions
    from ..diagnostics.text import render_json
    from ..output import atomic_write_text

    _check_options(args)
    source = _source(args)
    client = _client(args.scheduler)
    options = FitOptions(draws=args.draws, tune=args.tune, chains=args.chains, target_accept=args.target_accept)
    try:
        result = sbc(source, reps=args.reps, engine=args.engine, options=options, parameters=args.var,
                     seed=args.seed, workers=args.workers, scheduler=client, progress=not args.quiet)
    finally:
        if client is not None:
            client.close()
    emit({args.model: result}, args.json)
    if args.out:
        atomic_write_text(args.out, render_json({args.model: result}) + "\n")
    return 130 if result.interrupted else 0
