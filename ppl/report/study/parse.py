"""Reading and validating a study file (TOML) into a :class:`~.spec.Study`.

Every mistake is a user error at the key it is about
(``study.toml:7:1: error: unknown key `draw` in runs[1]`` with the line, a
caret and a hint), exit code 2.  The format is in docs/reports.md; in short::

    [study]                       title (required), description, seed, workers
    [models.NAME]                 file (required), data (a path or a list)
    [[runs]]                      name, model (required), method, engine, draws, tune,
                                  chains, target_accept, steps, learning_rate, seed
    [checks]                      convergence, khat, loo, ppc (booleans)
    [[checks.sbc]]                run (required), reps, draws, tune, chains, name, parameters
    [[checks.vsbc]]               run (required), reps, draws, name, parameters
    [[checks.compare]]            runs (required, 2 or more), method, name
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import PplError, SourceFile
from .. import messages as M
from .locate import key_positions, locate
from .spec import (MCMC_METHODS, VI_METHODS, CheckSpec, CompareSpec, ModelSpec, RunSpec, SBCSpec, Study,
                   VSBCSpec)

__all__ = ["load_study", "parse_study", "SCHEMAS"]

# table -> {key: (accepted types, required)}
SCHEMAS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "top": {"study": ((dict,), True), "models": ((dict,), True), "runs": ((list,), True), "checks": ((dict,), False)},
    "study": {"title": ((str,), True), "description": ((str,), False), "seed": ((int,), False),
              "workers": ((int,), False)},
    "model": {"file": ((str,), True), "data": ((str, list), False)},
    "run": {"name": ((str,), True), "model": ((str,), True), "method": ((str,), False), "engine": ((str,), False),
            "draws": ((int,), False), "tune": ((int,), False), "chains": ((int,), False),
            "target_accept": ((float, int), False), "steps": ((int,), False),
            "learning_rate": ((float, int), False), "seed": ((int,), False),
            "approximation": ((str,), False), "encoder": ((list,), False), "activation": ((str,), False),
            "estimator": ((str,), False), "batch_size": ((int,), False), "stop_early": ((bool,), False),
            "window": ((int,), False), "heldout": ((str,), False)},
    "checks": {"convergence": ((bool,), False), "khat": ((bool,), False), "loo": ((bool,), False),
               "ppc": ((bool,), False), "sbc": ((list,), False), "vsbc": ((list,), False),
               "compare": ((list,), False)},
    "sbc": {"run": ((str,), True), "reps": ((int,), False), "draws": ((int,), False), "tune": ((int,), False),
            "chains": ((int,), False), "name": ((str,), False), "parameters": ((list,), False)},
    "vsbc": {"run": ((str,), True), "reps": ((int,), False), "draws": ((int,), False), "name": ((str,), False),
             "parameters": ((list,), False)},
    "compare": {"runs": ((list,), True), "method": ((str,), False), "name": ((str,), False)},
}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table",
               list: "a list"}
# key -> smallest allowed value
_MINIMUM = {"draws": 1, "tune": 0, "chains": 1, "steps": 1, "reps": 2, "workers": 1}
_HINTS = {"study": 'add a [study] table with title = "..."', "models": "add [models.NAME] with file = \"...\"",
          "runs": "add a [[runs]] entry with name and model", "title": 'title = "what this study shows"',
          "file": 'file = "../models/NAME.ppl"', "name": 'name = "a label for the report"',
          "model": "model = the NAME of a [models.NAME] table", "run": "run = the name of a [[runs]] entry",
          "compare_runs": 'runs = ["run a", "run b"]'}


@dataclass(frozen=True)
class _Ctx:
    source: SourceFile
    positions: dict
    root: Path

    def span(self, path: tuple, width: int = 1):
        return M.study_span(self.source, locate(self.positions, path), width)

    def fail(self, diagnostic) -> PplError:
        return PplError(diagnostic)


def _where(path: tuple) -> str:
    if not path:
        return "the study file"
    out = str(path[0])
    for part in path[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_table(ctx: _Ctx, table: dict, schema: str, path: tuple) -> dict:
    fields = SCHEMAS[schema]
    for key, value in table.items():
        if key not in fields:
            raise ctx.fail(M.unknown_key(ctx.span(path + (key,), len(key)), _where(path) if path else "the file",
                                         key, fields))
        types, _ = fields[key]
        if not _type_ok(value, types):
            raise ctx.fail(M.wrong_type(ctx.span(path + (key,), len(key)), _where(path + (key,)),
                                        " or ".join(_TYPE_NAMES[t] for t in types), _TYPE_NAMES.get(type(value), type(value).__name__)))
        _check_minimum(ctx, path + (key,), key, value)
    for key, (_, required) in fields.items():
        if required and key not in table:
            raise ctx.fail(M.missing_key(ctx.span(path), _where(path) if path else "the study file", key,
                                         _HINTS.get(key, "see docs/reports.md")))
    return table


def _check_minimum(ctx: _Ctx, path: tuple, key: str, value) -> None:
    if key in _MINIMUM and isinstance(value, int) and not isinstance(value, bool) and value < _MINIMUM[key]:
        raise ctx.fail(M.bad_value(ctx.span(path, len(key)), _where(path), f"must be at least {_MINIMUM[key]}",
                                   f"got {value}"))


def _file(ctx: _Ctx, path: tuple, value: str) -> str:
    p = (ctx.root / value).resolve()
    if not p.is_file():
        raise ctx.fail(M.missing_file(ctx.span(path, len(path[-1])), _where(path), value))
    return str(p)


def _model(ctx: _Ctx, name: str, table: dict) -> ModelSpec:
    path = ("models", name)
    if not isinstance(table, dict):
        raise ctx.fail(M.wrong_type(ctx.span(path), _where(path), "a table", _TYPE_NAMES.get(type(table), "a value")))
    _check_table(ctx, table, "model", path)
    data = table.get("data", ())
    data = (data,) if isinstance(data, str) else tuple(data)
    for d in data:
        if not isinstance(d, str):
            raise ctx.fail(M.wrong_type(ctx.span(path + ("data",)), _where(path + ("data",)), "paths", "other values"))
    return ModelSpec(name, _file(ctx, path + ("file",), table["file"]),
                     tuple(_file(ctx, path + ("data",), d) for d in data))


def _run(ctx: _Ctx, index: int, table: dict, models: dict) -> RunSpec:
    from ...infer.mcmc import ENGINES

    path = ("runs", index)
    _check_table(ctx, _as_table(ctx, path, table), "run", path)
    if table["model"] not in models:
        raise ctx.fail(M.unknown_ref(ctx.span(path + ("model",), 5), _where(path + ("model",)), "model",
                                     table["model"], list(models)))
    method = table.get("method", "nuts")
    if method not in MCMC_METHODS + VI_METHODS:
        raise ctx.fail(M.bad_value(ctx.span(path + ("method",), 6), _where(path + ("method",)),
                                   f"unknown method `{method}`", f"methods: {', '.join(MCMC_METHODS + VI_METHODS)}"))
    engine = table.get("engine")
    if engine is not None and (method in VI_METHODS or engine not in ENGINES):
        hint = "VI runs have no engine" if method in VI_METHODS else f"engines: {', '.join(ENGINES)}"
        raise ctx.fail(M.bad_value(ctx.span(path + ("engine",), 6), _where(path + ("engine",)),
                                   f"engine `{engine}` does not apply here", hint))
    ta = table.get("target_accept", 0.8)
    if not 0 < ta < 1:
        raise ctx.fail(M.bad_value(ctx.span(path + ("target_accept",), 13), _where(path + ("target_accept",)),
                                   "must be between 0 and 1", f"got {ta}"))
    known = {k: table[k] for k in ("draws", "tune", "chains", "steps", "seed") if k in table}
    options = tuple((k, tuple(table[k]) if k == "encoder" else table[k]) for k in _GUIDE_KEYS if k in table)
    if options and method not in VI_METHODS:
        key = options[0][0]
        raise ctx.fail(M.bad_value(ctx.span(path + (key,), len(key)), _where(path + (key,)),
                                   f"`{key}` is an option of VI runs", "set method = \"advi\""))
    if "heldout" in table:
        options = tuple((k, _file(ctx, path + ("heldout",), v) if k == "heldout" else v) for k, v in options)
    return RunSpec(table["name"], table["model"], method, engine, target_accept=float(ta),
                   learning_rate=float(table.get("learning_rate", 0.05)), options=options, **known)


# VI options of guide-based fits (ppl.vi.amortized), passed to Model.fit; `heldout` is a data file for IWAE
_GUIDE_KEYS = ("approximation", "encoder", "activation", "estimator", "batch_size", "stop_early", "window", "heldout")


def _as_table(ctx: _Ctx, path: tuple, value) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(M.wrong_type(ctx.span(path), _where(path), "a table", _TYPE_NAMES.get(type(value), "a value")))
    return value


def _ref_run(ctx: _Ctx, path: tuple, name: str, runs: dict, want_vi: bool | None) -> None:
    if name not in runs:
        raise ctx.fail(M.unknown_ref(ctx.span(path, 3), _where(path), "run", name, list(runs)))
    if want_vi is not None and runs[name].is_vi != want_vi:
        kind = "a VI run (method advi or fullrank)" if want_vi else "an MCMC run"
        raise ctx.fail(M.bad_value(ctx.span(path, 3), _where(path), f"`{name}` is not {kind}",
                                   "SBC calibrates MCMC runs, VSBC variational ones"))


def _model_variables(model: ModelSpec) -> list[str]:
    """Names a calibration can be asked about: the model's parameters and derived quantities (no PyMC)."""
    from ...api import load
    from ...semantics import ir

    nodes = load(model.file).ir.nodes
    return [n.name for n in nodes if (isinstance(n, ir.RandomVar) and n.role == "param")
            or (isinstance(n, ir.Derived) and n.role == "derived")]


def _parameters(ctx: _Ctx, path: tuple, names, model: ModelSpec) -> tuple[str, ...]:
    if not names or not all(isinstance(n, str) for n in names):
        raise ctx.fail(M.bad_value(ctx.span(path, len(path[-1])), _where(path), "needs the names of parameters",
                                   'parameters = ["mu", "tau"]'))
    known = _model_variables(model)
    for name in names:
        if name not in known:
            raise ctx.fail(M.unknown_parameter(ctx.span(path, len(path[-1])), _where(path), name, model.name, known))
    return tuple(names)


def _calibrations(ctx: _Ctx, checks: dict, kind: str, runs: dict, models: dict) -> tuple:
    out = []
    for i, entry in enumerate(checks.get(kind, [])):
        path = ("checks", kind, i)
        _check_table(ctx, _as_table(ctx, path, entry), kind, path)
        _ref_run(ctx, path + ("run",), entry["run"], runs, want_vi=(kind == "vsbc"))
        fields = dict(entry)
        if "parameters" in fields:
            model = models[runs[entry["run"]].model]
            fields["parameters"] = _parameters(ctx, path + ("parameters",), fields["parameters"], model)
        out.append((SBCSpec if kind == "sbc" else VSBCSpec)(**fields))
    return tuple(out)


def _compares(ctx: _Ctx, checks: dict, runs: dict) -> tuple[CompareSpec, ...]:
    from ...diagnostics.compare import METHODS

    out = []
    for i, entry in enumerate(checks.get("compare", [])):
        path = ("checks", "compare", i)
        _check_table(ctx, _as_table(ctx, path, entry), "compare", path)
        names = entry["runs"]
        if len(names) < 2 or not all(isinstance(n, str) for n in names):
            raise ctx.fail(M.bad_value(ctx.span(path + ("runs",), 4), _where(path + ("runs",)),
                                       "needs the names of two or more runs", _HINTS["compare_runs"]))
        for name in names:
            _ref_run(ctx, path + ("runs",), name, runs, want_vi=None)
        method = entry.get("method", "stacking")
        if method not in METHODS:
            raise ctx.fail(M.bad_value(ctx.span(path + ("method",), 6), _where(path + ("method",)),
                                       f"unknown method `{method}`", f"methods: {', '.join(METHODS)}"))
        out.append(CompareSpec(tuple(names), method, entry.get("name", "")))
    return tuple(out)


def _unique_names(ctx: _Ctx, raw_runs: list) -> None:
    seen = set()
    for i, r in enumerate(raw_runs):
        name = r.get("name") if isinstance(r, dict) else None
        if name in seen:
            raise ctx.fail(M.duplicate_name(ctx.span(("runs", i, "name"), 4), _where(("runs", i, "name")), name))
        seen.add(name)


def parse_study(text: str, path: str) -> Study:
    """Validate the text of a study file; paths in it are relative to ``path``'s folder."""
    source = SourceFile(str(path), text)
    ctx = _Ctx(source, key_positions(text), Path(path).resolve().parent)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PplError(M.study_syntax(M.study_span(source, _toml_position(exc)), str(exc).split(" (at ")[0])) \
            from None
    _check_table(ctx, data, "top", ())
    head = _check_table(ctx, data["study"], "study", ("study",))
    models = {name: _model(ctx, name, table) for name, table in data["models"].items()}
    if not models:
        raise ctx.fail(M.missing_key(ctx.span(("models",)), "the study", "a model", _HINTS["models"]))
    _unique_names(ctx, data["runs"])
    runs = {r.name: r for r in (_run(ctx, i, t, models) for i, t in enumerate(data["runs"]))}
    checks = _check_table(ctx, data.get("checks", {}), "checks", ("checks",))
    spec = CheckSpec(**{k: checks[k] for k in ("convergence", "khat", "loo", "ppc") if k in checks},
                     sbc=_calibrations(ctx, checks, "sbc", runs, models),
                     vsbc=_calibrations(ctx, checks, "vsbc", runs, models),
                     compare=_compares(ctx, checks, runs))
    return Study(head["title"], str(Path(path).resolve()), tuple(models.values()), tuple(runs.values()), spec,
                 head.get("description", ""), head.get("seed"), head.get("workers", 1))


def _toml_position(exc: tomllib.TOMLDecodeError) -> tuple[int, int] | None:
    """``(line, col)`` of a TOML syntax error (Python 3.14 has attributes; 3.12 says it in the message)."""
    if getattr(exc, "lineno", None):
        return exc.lineno, exc.colno
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    return (int(found.group(1)), int(found.group(2))) if found else None


def load_study(path: str) -> Study:
    """Read and validate a study file."""
    p = Path(path)
    if not p.is_file():
        raise PplError(M.no_input(path))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PplError(M.study_syntax(M.study_span(SourceFile(str(p), ""), None), "it is not UTF-8 text")) from None
    return parse_study(text, str(p))
