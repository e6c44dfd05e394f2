"""``ppl report MODEL|RESULT|STUDY.toml [-o DIR]``: a diagnostic report as HTML, Markdown and JSON."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import add_data_argument

__all__ = ["HELP", "add_arguments", "run"]

HELP = ("write a diagnostic report (report.html, report.md, report.json) of a model, a result file, or a "
        "study (diagnostics/*.toml)")

_RESULTS = (".nc", ".zarr")


def add_arguments(p) -> None:
    p.add_argument("input", metavar="MODEL|RESULT|STUDY",
                   help="a model (.ppl: sampled with NUTS), a result (.nc/.zarr) or a study (.toml)")
    p.add_argument("-o", "--out", default="report", help="output folder (default: ./report)")
    add_data_argument(p)
    p.add_argument("--model", help="with a RESULT: the model file, to show its source")
    p.add_argument("--seed", type=int, default=None, help="with a MODEL: the random seed")
    p.add_argument("--draws", type=int, default=1000, help="with a MODEL: draws per chain (default 1000)")
    p.add_argument("--chains", type=int, default=4, help="with a MODEL: chains (default 4)")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes for SBC/VSBC replications (default: the study's `workers`, else 1)")
    p.add_argument("--quick", action="store_true",
                   help="cap draws, steps and replications for a fast look (not for decisions)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _kind(path: str) -> str:
    from ..errors import PplError
    from ..report import messages as M

    p = Path(path)
    if not p.exists():
        raise PplError(M.no_input(path))
    if p.suffix == ".toml":
        return "study"
    if p.suffix == ".ppl":
        return "model"
    if p.suffix in _RESULTS:
        return "result"
    raise PplError(M.unknown_input(path))


def _check_options(args) -> None:
    from ..diagnostics import messages as DM
    from ..errors import PplError

    for name in ("draws", "chains", "workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise PplError(DM.option(f"--{name} must be at least 1", f"got {value}"))


def _study_report(study, args):
    from dataclasses import replace

    from ..report import QUICK, run_study

    if args.workers is not None:
        study = replace(study, workers=args.workers)
    if args.quick:
        study = study.limited(QUICK, "quick mode (--quick): draws, steps and replications were capped; "
                                     "do not base decisions on this report")
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    return run_study(study, log=log, progress=not args.quiet)


def _build(args):
    from ..report import load_study, model_study, result_report

    kind = _kind(args.input)
    if kind == "study":
        return _study_report(load_study(args.input), args)
    if kind == "model":
        from .common import load_model

        load_model(args.input)  # user errors in the model before anything runs
        study = model_study(args.input, args.data, draws=args.draws, chains=args.chains, seed=args.seed)
        return _study_report(study, args)
    from ..diagnostics.results import open_result

    model = None
    if args.model:
        from .common import load_model

        model = load_model(args.model)
    return result_report(args.input, open_result(args.input), model)


def run(args) -> int:
    from ..report import render_text, write_report

    _check_options(args)
    report = _build(args)
    paths = write_report(report, args.out)
    print(render_text(report))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
