"""Running a study: fit every run, make every check, and assemble one :class:`~ppl.report.model.Report`.

The order of the report follows the study: each model with its data (and
its prior predictive check), each run (MCMC or VI) with its checks and
plots, the PSIS k-hat of all VI fits side by side, then the calibration
studies (SBC, VSBC) and the comparisons.  Seeds: a run's own ``seed``, else
the study's ``seed`` plus the run's position (so a study with a seed is
reproducible), else fresh entropy.

Nothing here prints; progress goes to the ``log`` callback.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ...diagnostics.checks import Verdict
from ..build import assemble, data_section, model_section
from ..build_runs import RunInfo, comparison_section, mcmc_section, sbc_section, vi_section, vsbc_section
from ..headline import run_verdict
from ..model import FigureSection, Report, RunSection, UnavailableSection
from ..plots_checks import khat_plot
from ..predictive import posterior_predictive_figure, prior_predictive_figure
from .spec import RunSpec, Study
from .vi_engine import UNAVAILABLE_HINT, vi_available

__all__ = ["run_study", "display_path"]

Log = Callable[[str], None]


@dataclass
class _State:
    """What later steps of a study need from earlier ones."""

    models: dict = field(default_factory=dict)   # model name -> (ppl Model, BoundData, data arg)
    loos: dict = field(default_factory=dict)     # run name -> LooResult
    khats: list = field(default_factory=list)    # (run name, k-hat, good k)
    trust: dict = field(default_factory=dict)    # run name -> headline trust of its section


def display_path(path: str, base: str | os.PathLike) -> str:
    """``path`` relative to ``base`` (how the study file names it), ``/``-separated."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()


def _seed(study: Study, offset: int, own: int | None) -> int | None:
    if own is not None:
        return own
    return None if study.seed is None else study.seed + offset


# ------------------------------------------------------------------- models
def _model_sections(study: Study, index: int, state: _State, progress: bool) -> list:
    from ...api import load

    spec = study.models[index]
    base = Path(study.path).parent
    model = load(spec.file)
    data = list(spec.data) or None
    bound = model.bind(data)
    state.models[spec.name] = (model, bound, data)
    data_path = ", ".join(display_path(d, base) for d in spec.data) or "(the data file beside the model)"
    sections = [replace(model_section(model), path=display_path(spec.file, base), name=spec.name),
                data_section(model, bound, data_path)]
    if study.checks.ppc:
        fig = prior_predictive_figure(model.build(data), f"{_safe(spec.name)}_prior_predictive",
                                      _seed(study, 1000 + index, None))
        if fig is not None:
            sections.append(FigureSection(f"prior predictive check of {spec.name}", "", (fig,)))
    return sections


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "x"


# --------------------------------------------------------------------- runs
def _settings(run: RunSpec, seed) -> tuple[tuple[str, str], ...]:
    if run.is_vi:
        pairs = [("draws from q", run.n_draws), ("max steps", run.steps), ("learning rate", run.learning_rate)]
        pairs += [(k.replace("_", " "), Path(v).name if k == "heldout" else v) for k, v in run.options]
    else:
        pairs = [("chains", run.chains), ("draws", run.n_draws), ("tune", run.tune),
                 ("target_accept", run.target_accept)]
    return tuple((k, str(v)) for k, v in pairs + [("seed", seed)])


def _engine(result, run: RunSpec) -> str:
    try:
        return str(json.loads(result.attrs.get("ppl_options", "{}")).get("engine") or run.engine or "default")
    except (TypeError, ValueError):
        return run.engine or "default"


def _mcmc(run: RunSpec, study: Study, state: _State, seed, progress: bool):
    model, _, data = state.models[run.model]
    start = time.perf_counter()
    result = model.sample(data, engine=run.engine, method=run.method, draws=run.n_draws, tune=run.tune,
                          chains=run.chains, seed=seed, progressbar=progress, target_accept=run.target_accept)
    seconds = time.perf_counter() - start
    info = RunInfo(run.name, run.model, run.method, _engine(result, run), _settings(run, seed), seconds)
    extra = _ppc(model, data, result, run, study, seed)
    section, loo = mcmc_section(result, info, extra)
    return _apply_flags(section, study, "convergence"), loo


def _vi(run: RunSpec, study: Study, state: _State, seed, progress: bool):
    model, _, data = state.models[run.model]
    ok, why = vi_available(model)
    if not ok:
        return UnavailableSection(run.name, why, UNAVAILABLE_HINT), None
    start = time.perf_counter()
    options = {k: v for k, v in run.options if k != "heldout"}
    result = model.fit(data, method=run.method, draws=run.n_draws, steps=run.steps,
                       learning_rate=run.learning_rate, seed=seed, progressbar=progress, **options)
    seconds = time.perf_counter() - start
    engine = "ppl.vi (amortized)" if options else "ppl.vi (ADVI)"
    info = RunInfo(run.name, run.model, run.method, engine, _settings(run, seed), seconds)
    extra = _ppc(model, data, result, run, study, seed) if not options else ()
    section, loo, khat = vi_section(result, info, extra)
    if "vi_encoder" in result.children:
        from ..plots_amortized import amortized_extras, per_row_summary_dropped

        figures, notes = amortized_extras(result, dict(run.options).get("heldout"), _safe(run.name), seed or 0)
        summary, dropped = per_row_summary_dropped(section.summary, result)
        section = replace(section, summary=summary, figures=section.figures + figures,
                          notes=section.notes + notes + ((dropped,) if dropped else ()))
    if options.get("stop_early") is False:
        section = replace(section, notes=tuple(_all_steps(n, result) for n in section.notes))
    if study.checks.khat:
        state.khats.append((run.name, khat, section.checks[0].threshold.fail))
    return _apply_flags(section, study, "khat"), loo


def _all_steps(note: str, result) -> str:
    """With ``stop_early = false`` reaching the step limit is the plan, not a failure to converge."""
    if not note.startswith("optimisation stopped: max_steps"):
        return note
    return (f"ran all {result['vi'].attrs.get('steps', '?')} steps (stop_early = false: no convergence test; "
            "see the ELBO history for whether it levelled off)")


def _ppc(model, data, result, run: RunSpec, study: Study, seed) -> tuple:
    if not study.checks.ppc:
        return ()
    fig = posterior_predictive_figure(model.build(data), result, f"{_safe(run.name)}_posterior_predictive", seed)
    return (fig,) if fig is not None else ()


def _apply_flags(section, study: Study, flag: str):
    """Drop checks the study turned off (``convergence = false``, ``khat = false``, ``loo = false``)."""
    if not getattr(study.checks, flag):
        notes = tuple(n for n in section.notes if not (flag == "khat" and n.startswith("k-hat from")))
        section = replace(section, checks=(), verdict=Verdict.WARN,
                          notes=notes + (f"{flag} checks turned off in the study",))
    if not study.checks.loo:
        section = replace(section, model_checks=(), loo=None,
                          figures=tuple(f for f in section.figures if not f.key.endswith("_loo_k")))
    return section


def _run_sections(study: Study, index: int, state: _State, progress: bool) -> list:
    run = study.runs[index]
    seed = _seed(study, index, run.seed)
    section, loo = (_vi if run.is_vi else _mcmc)(run, study, state, seed, progress)
    if loo is not None and study.checks.loo:
        state.loos[run.name] = loo
    if isinstance(section, RunSection):
        state.trust[run.name] = run_verdict(section.name, section.method, section.checks).trust
    return [section]


# -------------------------------------------------------------- calibration
VSBC_BATCH = 100  # replications per vmapped VSBC computation (bounds memory)


def _source(state: _State, model_name: str):
    from ...diagnostics.calibration import PplSource

    model, bound, _ = state.models[model_name]
    return model, PplSource.of(model, bound)


def _sbc(spec, study: Study, state: _State, index: int, progress: bool):
    from ...diagnostics import sbc
    from ...diagnostics.fitters import FitOptions

    run = study.run(spec.run)
    _, source = _source(state, run.model)
    options = FitOptions(draws=spec.draws, tune=spec.tune, chains=spec.chains, target_accept=run.target_accept)
    start = time.perf_counter()
    result = sbc(source, reps=spec.reps, engine=run.engine or "nutpie", options=options,
                 parameters=list(spec.parameters) or None, seed=_seed(study, 2000 + index, None),
                 workers=study.workers, progress=progress)
    return sbc_section(result, spec.name or f"SBC of {run.name}", run.name, time.perf_counter() - start)


def _vsbc(spec, study: Study, state: _State, index: int, progress: bool):
    from ...diagnostics import vsbc

    run = study.run(spec.run)
    model, source = _source(state, run.model)
    name = spec.name or f"VSBC of {run.name}"
    ok, why = vi_available(model)
    if not ok:
        return UnavailableSection(name, why, UNAVAILABLE_HINT)
    from ...vi import VIConfig
    from ...vi.calibrate import VIEngine

    config = VIConfig(method=run.method, steps=run.steps, learning_rate=run.learning_rate, draws=spec.draws,
                      progressbar=False)
    engine = VIEngine(source, config, spec.draws)
    start = time.perf_counter()
    # all replications fitted by one vmapped computation, chunks of VSBC_BATCH (ppl.vi.calibrate)
    result = vsbc(source, engine=engine, reps=spec.reps, parameters=list(spec.parameters) or None,
                  seed=_seed(study, 3000 + index, None), batch=min(spec.reps, VSBC_BATCH), progress=progress,
                  method=run.method)
    return vsbc_section(result, name, run.name, run.method, time.perf_counter() - start)


def _compare(spec, state: _State):
    name = spec.name or " vs ".join(spec.runs)
    missing = [r for r in spec.runs if r not in state.loos]
    if missing:
        return UnavailableSection(name, "no PSIS-LOO for " + ", ".join(missing) +
                                  " (the run was not made, has no log-likelihood, or loo = false)")
    try:
        untrusted = {r: state.trust[r] for r in spec.runs if state.trust.get(r, "trust") != "trust"}
        return comparison_section(name, {r: state.loos[r] for r in spec.runs}, spec.method, untrusted)
    except ValueError as exc:
        return UnavailableSection(name, str(exc), "compare runs of models fitted to the same observations")


# -------------------------------------------------------------------- study
def run_study(study: Study, *, log: Log | None = None, progress: bool = False) -> Report:
    """Run every step of ``study`` and return its report."""
    say = log or (lambda _msg: None)
    state = _State()
    sections: list = []
    for i, spec in enumerate(study.models):
        say(f"model {spec.name}: checking and binding data")
        sections += _model_sections(study, i, state, progress)
    for i, run in enumerate(study.runs):
        say(f"run {i + 1}/{len(study.runs)}: {run.name} ({run.method})")
        sections += _run_sections(study, i, state, progress)
    if state.khats:
        sections.append(FigureSection("PSIS k-hat of the VI fits", "", (khat_plot(state.khats, "vi_khat"),)))
    for i, spec in enumerate(study.checks.sbc):
        say(f"SBC of {spec.run}: {spec.reps} replications")
        sections.append(_sbc(spec, study, state, i, progress))
    for i, spec in enumerate(study.checks.vsbc):
        say(f"VSBC of {spec.run}: {spec.reps} replications")
        sections.append(_vsbc(spec, study, state, i, progress))
    sections += [_compare(spec, state) for spec in study.checks.compare]
    return assemble(study.title, study.description, display_path(study.path, os.getcwd()), sections, study.notes)
