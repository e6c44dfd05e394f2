"""The ``ppl`` command line.

Each subcommand is a module of this package with ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` lists
them in the order ``ppl --help`` shows.  Subcommand modules import heavy
libraries (PyMC, JAX) only inside ``run``, so ``ppl check`` stays fast.

User mistakes print ``file:line:col: error: ...`` and exit 2; bugs exit 1
with "this is a bug"; an interrupt exits 130; no traceback reaches the user
(``PPL_DEBUG=1`` re-raises bugs for developers).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import InternalError, Interrupted, PplError

__all__ = ["main", "COMMANDS"]

COMMANDS = ["check", "show", "sample", "fit", "cache", "diagnose", "loo", "compare", "sbc", "vsbc", "report"]


def _module(name: str):
    return importlib.import_module(f"{__name__}.cmd_{name}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ppl", description="Bayesian models as declarative files, on PyMC.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        mod = _module(name)
        mod.add_arguments(sub.add_parser(name, help=mod.HELP, description=mod.HELP))
    return p


def _thread_defaults() -> None:
    """One BLAS/OpenMP thread per process unless the user chose: must happen before NumPy loads.

    Samplers run one process or thread per chain on the available cores; BLAS
    threads fighting them made models 2-3x slower on a 2-core machine.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _quiet_interrupts_in_callbacks() -> None:
    """Ctrl-C landing inside a C callback (Numba's LLVM object cache while nutpie compiles) cannot
    propagate there; Python would print it as an ignored exception with a traceback. ppl has
    recorded the signal already (:func:`ppl.infer.interrupt.catch_interrupt`) and exits with 130."""
    previous = sys.unraisablehook

    def hook(unraisable):
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous(unraisable)

    sys.unraisablehook = hook


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    _thread_defaults()
    _quiet_interrupts_in_callbacks()
    args = _parser().parse_args(argv)
    try:
        return _module(args.command).run(args)
    except PplError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(exc.message if isinstance(exc, Interrupted) else Interrupted().message, file=sys.stderr)
        return 130
    except InternalError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit code 1
        print(str(InternalError(f"{type(exc).__name__}: {exc}")), file=sys.stderr)
        if "PPL_DEBUG" in os.environ:
            raise
        return 1
