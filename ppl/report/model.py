"""The report as data: a frozen :class:`Report` of typed sections.

A report is built once (:mod:`.build`, :mod:`.study.runner`) and rendered
by pure functions (:mod:`.render_text`, :mod:`.render_md`,
:mod:`.render_json`, :mod:`.render_html`).  Everything here is plain, frozen
data: numbers, strings, :class:`~ppl.diagnostics.checks.Check` values and
figures as bytes.  :func:`~ppl.diagnostics.checks.to_jsonable` turns a report
into JSON; figure bytes are left out of JSON (``metadata={"json": False}``).

Each section has a ``kind`` (a string constant) that renderers dispatch on
through a registry, so a new section is a new dataclass plus one entry per
renderer, never a branch in a growing ``if`` chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..diagnostics.checks import Check, Verdict

__all__ = [
    "Figure", "Table", "Cell", "RunVerdict", "Headline", "ModelSection", "DataSection", "RunSection",
    "CalibrationSection", "ComparisonSection", "FigureSection", "UnavailableSection", "Section", "Report",
    "TRUST", "VOLATILE_FIELDS",
]

Cell = Union[str, float, int, None]

#: What a verdict means for the person reading the report.
TRUST = {Verdict.PASS: "trust", Verdict.WARN: "use with care", Verdict.FAIL: "do not trust"}

#: Fields that change from run to run (times, versions); golden tests mask them.
VOLATILE_FIELDS = ("created", "versions", "seconds")


@dataclass(frozen=True, eq=False)
class Figure:
    """One plot: a stable ``key``, a title, a caption, and the image bytes (PNG or SVG)."""

    key: str
    title: str
    caption: str
    media_type: str = "image/png"
    data: bytes = field(default=b"", metadata={"json": False}, repr=False)


@dataclass(frozen=True)
class Table:
    """A table of cells; renderers format floats (``None`` is shown as a dash)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str = ""


@dataclass(frozen=True)
class RunVerdict:
    """Whether one run (or calibration study) can be trusted, why, and what to do."""

    name: str
    verdict: Verdict
    trust: str
    reasons: tuple[str, ...]
    advice: tuple[str, ...]


@dataclass(frozen=True)
class Headline:
    """The verdict at the top of a report: overall, then one line per run."""

    verdict: Verdict
    summary: str
    runs: tuple[RunVerdict, ...]
    advice: tuple[str, ...]


@dataclass(frozen=True)
class ModelSection:
    """A model file: its source with line numbers, and the checked variables and dims."""

    name: str
    path: str
    source: tuple[str, ...]
    checked: str
    kind: str = "model"


@dataclass(frozen=True)
class DataSection:
    """The data a model was fitted to: one row per variable."""

    model: str
    path: str
    table: Table
    notes: tuple[str, ...] = ()
    kind: str = "data"


@dataclass(frozen=True, eq=False)
class RunSection:
    """One inference run: settings, posterior summary, every check's verdict, plots.

    ``checks`` say whether the draws can be trusted (they make the verdict);
    ``model_checks`` (LOO's Pareto k, WAIC's p_waic) say how reliable the
    predictive estimates in ``loo`` are, and do not change the verdict.
    """

    name: str
    model: str
    method: str
    engine: str
    settings: tuple[tuple[str, str], ...]
    verdict: Verdict
    checks: tuple[Check, ...]
    summary: Table
    model_checks: tuple[Check, ...] = ()
    loo: Table | None = None
    notes: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    seconds: float | None = None
    kind: str = "run"


@dataclass(frozen=True, eq=False)
class CalibrationSection:
    """SBC of an MCMC engine or VSBC of a variational fit."""

    name: str
    method: str
    run: str
    reps: int
    completed: int
    verdict: Verdict
    checks: tuple[Check, ...]
    table: Table
    notes: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    seconds: float | None = None
    kind: str = "calibration"


@dataclass(frozen=True, eq=False)
class ComparisonSection:
    """Model comparison by PSIS-LOO: the table, each model's Pareto-k check, plots."""

    name: str
    method: str
    verdict: Verdict
    checks: tuple[Check, ...]
    table: Table
    notes: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    kind: str = "comparison"


@dataclass(frozen=True, eq=False)
class FigureSection:
    """Plots without checks (e.g. the prior predictive check)."""

    name: str
    text: str
    figures: tuple[Figure, ...]
    kind: str = "figures"


@dataclass(frozen=True)
class UnavailableSection:
    """Something the study asked for that could not be done here, and why."""

    name: str
    reason: str
    hint: str = ""
    kind: str = "unavailable"


Section = Union[ModelSection, DataSection, RunSection, CalibrationSection, ComparisonSection, FigureSection,
                UnavailableSection]


@dataclass(frozen=True, eq=False)
class Report:
    """A whole report: what it is about, the headline verdict, the sections.

    ``created`` and ``versions`` describe the run that made it (masked in
    golden tests); ``source`` is the study, model or result file it was
    made from.
    """

    title: str
    description: str
    source: str
    headline: Headline
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    created: str = ""
    versions: tuple[tuple[str, str], ...] = ()
    schema: int = 1

    def figures(self) -> tuple[Figure, ...]:
        """Every figure of the report, in order."""
        return tuple(f for s in self.sections for f in getattr(s, "figures", ()))
