"""``ppl fit MODEL``: variational inference (ADVI), a summary and warnings."""

from __future__ import annotations

import sys

from .common import add_data_argument, load_model

__all__ = ["HELP", "add_arguments", "run"]

HELP = "fit a Gaussian approximation of the posterior with ADVI and print a summary"


def add_arguments(r) -> None:
    r.add_argument("model")
    add_data_argument(r)
    r.add_argument("--method", default="advi", help="advi (mean-field, default) or fullrank")
    r.add_argument("--batch-size", type=int, default=None, help="rows per step (minibatch ADVI); default: all rows")
    r.add_argument("--batch-dim", default=None, help="the dim to subsample; default: the observations' first dim")
    r.add_argument("--steps", type=int, default=20_000, help="largest number of optimisation steps (default 20000)")
    r.add_argument("--learning-rate", type=float, default=0.05, help="Adam's initial step size (default 0.05)")
    r.add_argument("--draws", type=int, default=1000, help="draws from the fitted approximation (default 1000)")
    r.add_argument("--no-early-stop", action="store_true",
                   help="run all --steps at a constant learning rate (the criteria are still recorded)")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--out", help="write the result to FILE.nc (NetCDF) or FILE.zarr")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--approximation", default=None,
                   help="per variable: NAME=meanfield|fullrank|point|amortized, comma-separated (docs/vae.md)")
    r.add_argument("--encoder", default=None, help="hidden layer sizes of the encoder of amortized variables, "
                   "comma-separated (default 64; empty: linear)")
    r.add_argument("--activation", default="tanh", help="the encoder's activation (tanh, relu, softplus, elu, sigmoid)")
    r.add_argument("--estimator", default="reparam", help="gradient estimator: reparam (default) or score")
    r.add_argument("--no-marginalize", action="store_true", help="keep discrete latents as discrete variables")


def _guide_options(args) -> dict:
    """The options of guide-based VI that were given (none: plain ADVI)."""
    from ..errors import Diagnostic, PplError

    options = {}
    if args.approximation is not None:
        options["approximation"] = args.approximation
    if args.encoder is not None:
        try:
            options["encoder"] = tuple(int(h) for h in args.encoder.split(",") if h.strip())
        except ValueError:
            raise PplError(Diagnostic("E-option", f"--encoder must be integers separated by commas, got "
                                      f"`{args.encoder}`", hint="e.g. --encoder 128,64")) from None
    if args.activation != "tanh":
        options["activation"] = args.activation
    if args.estimator != "reparam":
        options["estimator"] = args.estimator
    return options


def run(args) -> int:
    from ..output import validate_out, write_result
    from ..vi.summary import fit_warnings, format_fit

    if args.out:
        validate_out(args.out)
    model = load_model(args.model, marginalize=not args.no_marginalize)
    result = model.fit(args.data, method=args.method, batch_size=args.batch_size, batch_dim=args.batch_dim,
                       steps=args.steps, learning_rate=args.learning_rate, draws=args.draws, seed=args.seed,
                       progressbar=not args.quiet, stop_early=not args.no_early_stop, **_guide_options(args))
    print(format_fit(result))
    for line in fit_warnings(result):
        print(line, file=sys.stderr)
    if args.out:
        write_result(result, args.out)
        print(f"wrote {args.out}")
    return 0
