"""Reports without a study file: of one model (an implicit one-run study) or of one result file."""

from __future__ import annotations

import os
from pathlib import Path

from ..diagnostics.results import is_mcmc
from .build import assemble, model_section
from .build_runs import RunInfo, mcmc_section, vi_section
from .study.runner import display_path
from .study.spec import ModelSpec, RunSpec, Study

__all__ = ["model_study", "result_report"]


def model_study(path: str, data=None, *, draws: int = 1000, tune: int = 1000, chains: int = 4,
                seed: int | None = None, engine: str | None = None, target_accept: float = 0.8) -> Study:
    """The study ``ppl report MODEL.ppl`` runs: NUTS with every check that applies, and predictive checks."""
    p = Path(path).resolve()
    files = tuple(str(Path(d).resolve()) for d in data or ())
    run = RunSpec("NUTS", p.stem, "nuts", engine, draws, tune, chains, target_accept, seed=seed)
    return Study(f"Diagnostic report: {p.stem}", str(p), (ModelSpec(p.stem, str(p), files),), (run,), seed=seed)


def _info(path: str, tree, vi: bool) -> RunInfo:
    attrs = tree.attrs
    name = str(attrs.get("ppl_model", Path(path).stem))
    posterior = tree["posterior"]
    sizes = (("chains", str(posterior.sizes.get("chain", 1))), ("draws", str(posterior.sizes.get("draw", 0))))
    method = str(tree["vi"].attrs.get("method", "vi")) if vi and "vi" in tree.children else ("vi" if vi else "mcmc")
    return RunInfo(Path(path).name, name, method, "from the result file", sizes)


def result_report(path: str, tree, model=None) -> object:
    """A report of an existing result (a DataTree read from ``path``); ``model`` adds its source section."""
    vi = not is_mcmc(tree)
    info = _info(path, tree, vi)
    section = vi_section(tree, info)[0] if vi else mcmc_section(tree, info)[0]
    sections = ([model_section(model)] if model is not None else []) + [section]
    note = () if model is not None else ("the model's source is not shown: pass --model FILE.ppl to include it",)
    return assemble(f"Diagnostic report: {Path(path).name}", "", display_path(path, os.getcwd()), sections, note)
