"""The ``ppl`` command line: ``check``, ``show``, ``sample``.

User mistakes print ``file:line:col: error: ...`` and exit 2; bugs exit 1
with "this is a bug"; no traceback reaches the user.  ``ppl check`` never
imports PyMC.
"""

from __future__ import annotations

import argparse
import sys

from .errors import InternalError, PplError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ppl", description="Bayesian models as declarative files, on PyMC.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = sub.add_parser("check", help="parse and check a model file (fast; no PyMC)")
    c.add_argument("model")
    s = sub.add_parser("show", help="show the checked model and its PyMC graph")
    s.add_argument("model")
    s.add_argument("--data", action="append", help="data file(s); default: the model's own")
    r = sub.add_parser("sample", help="sample the posterior with MCMC and print a summary")
    r.add_argument("model")
    r.add_argument("--data", action="append", help="data file(s) (JSON, CSV, NPZ); default: MODEL.json beside it")
    r.add_argument("--engine", default="nutpie", help="nutpie (default), pymc, numpyro, blackjax")
    r.add_argument("--method", default="nuts", help="nuts (default), hmc, metropolis")
    r.add_argument("--chains", type=int, default=4)
    r.add_argument("--draws", type=int, default=1000)
    r.add_argument("--tune", type=int, default=1000)
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--out", help="write the draws to FILE.nc (NetCDF) or FILE.zarr")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--no-marginalize", action="store_true", help="keep discrete latents as discrete variables")
    return p


def _load(path: str, marginalize: bool = True):
    from .api import load

    return load(path, marginalize=marginalize)


def cmd_check(args) -> int:
    from .driver import compile_source, read_source

    model = compile_source(read_source(args.model))
    n_vars = len(model.nodes)
    print(f"{args.model}: ok ({len(model.dims)} dims, {len(model.data)} data, {n_vars} statements)")
    return 0


def cmd_show(args) -> int:
    from .semantics.pretty import show_model

    model = _load(args.model)
    print(show_model(model.ir))
    try:
        pm_model = model.build(args.data)
    except PplError as exc:
        print(f"\n(no PyMC graph: {exc.diagnostic.message})")
        return 0
    print("\nPyMC model:")
    print(pm_model.str_repr())
    return 0


def cmd_sample(args) -> int:
    from .infer.summary import format_summary, warnings_for
    from .output import validate_out, write_result

    if args.out:
        validate_out(args.out)
    model = _load(args.model, marginalize=not args.no_marginalize)
    result = model.sample(args.data, engine=args.engine, method=args.method, draws=args.draws, tune=args.tune,
                          chains=args.chains, seed=args.seed, progressbar=not args.quiet)
    print(format_summary(result))
    for line in warnings_for(result):
        print(line, file=sys.stderr)
    if args.out:
        write_result(result, args.out)
        print(f"wrote {args.out}")
    return 0


_COMMANDS = {"check": cmd_check, "show": cmd_show, "sample": cmd_sample}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except PplError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; earlier output files are untouched", file=sys.stderr)
        return 130
    except InternalError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit code 1
        print(str(InternalError(f"{type(exc).__name__}: {exc}")), file=sys.stderr)
        if "PPL_DEBUG" in __import__("os").environ:
            raise
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
