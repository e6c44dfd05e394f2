"""What ``ppl sbc`` and ``ppl vsbc`` share: arguments, checks of them, the model source, output."""

from __future__ import annotations

from .common import add_data_argument, load_model
from .diag_common import add_json_argument, emit

__all__ = ["add_calibration_arguments", "check_calibration_options", "calibration_source", "dask_client",
           "finish"]


def add_calibration_arguments(p, what: str) -> None:
    """The model, its data, the replications and their seed, where they run, and the output."""
    p.add_argument("model")
    add_data_argument(p)
    p.add_argument("--reps", type=int, default=100, help="replications M (default 100)")
    p.add_argument("--var", action="append", help="calibrate only these parameters (repeatable)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786) instead of local workers")
    p.add_argument("--out", help=f"also write the full result ({what} of every replication) as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_argument(p)


def check_calibration_options(args) -> None:
    from ..diagnostics import messages as M
    from ..errors import PplError

    if args.reps < 2:
        raise PplError(M.option(f"--reps is too small ({args.reps})", "use 100 or more replications"))
    if args.workers is not None and args.workers < 1:
        raise PplError(M.option(f"--workers must be >= 1 (got {args.workers})"))
    if args.out:
        from pathlib import Path

        if not Path(args.out).parent.resolve().is_dir():
            raise PplError(M.option(f"--out {args.out}: the folder {Path(args.out).parent} does not exist"))


def calibration_source(args):
    """``(ppl.Model, PplSource)`` of the model file and its data; user errors when it cannot be calibrated."""
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
            raise PplError(M.option(f"--var `{name}` is not a parameter of the model",
                                    f"parameters: {', '.join(params)}"))
    return model, source


def dask_client(address: str | None):
    """A client of the Dask scheduler at ``address`` (``None``: no Dask)."""
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


def finish(args, result) -> int:
    """Print the result, write it with ``--out``; exit code 130 when interrupted."""
    from ..diagnostics.text import render_json
    from ..output import atomic_write_text

    emit({args.model: result}, args.json)
    if args.out:
        atomic_write_text(args.out, render_json({args.model: result}) + "\n")
    return 130 if result.interrupted else 0
