"""The result of one diagnostic check: a verdict against a named threshold.

Every diagnostic in :mod:`ppl.diagnostics` ends in one or more :class:`Check`
values.  A check is frozen, plain data (JSON-serialisable through
:func:`to_jsonable`): reports render it, nothing in it prints or formats
itself beyond a one-line summary written when it is made.

A :class:`Threshold` says which values are bad (``"above"`` or ``"below"``),
where a warning and a failure start, and which papers the numbers come from
(:class:`Citation`).  Statistical problems are verdicts, never exceptions.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any, Iterable, Literal

import numpy as np

__all__ = ["Verdict", "Citation", "Threshold", "Check", "worst", "to_jsonable"]


class Verdict(str, enum.Enum):
    """How far a result can be trusted, ordered from best to worst."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst of ``verdicts`` (``PASS`` for none)."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.PASS)


@dataclass(frozen=True)
class Citation:
    """A published source of a threshold or a method."""

    key: str        # short label, e.g. "Vehtari et al. 2021"
    reference: str  # full reference
    url: str = ""   # DOI or stable link


@dataclass(frozen=True)
class Threshold:
    """Where a statistic stops being fine.

    ``bad="above"``: values above ``warn`` warn and above ``fail`` fail
    (``"below"`` mirrors it).  ``warn`` or ``fail`` may be ``None`` when a
    check has no such level (tree-depth saturation only ever warns).
    """

    name: str
    bad: Literal["above", "below"]
    warn: float | None
    fail: float | None
    rule: str
    citations: tuple[Citation, ...] = ()

    def verdict(self, value: float) -> Verdict:
        """The verdict for ``value`` (NaN counts as a failure: nothing could be computed)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return Verdict.FAIL if self.fail is not None else Verdict.WARN
        if self.fail is not None and self._beyond(value, self.fail):
            return Verdict.FAIL
        if self.warn is not None and self._beyond(value, self.warn):
            return Verdict.WARN
        return Verdict.PASS

    def _beyond(self, value: float, limit: float) -> bool:
        return value > limit if self.bad == "above" else value < limit


@dataclass(frozen=True)
class Check:
    """One check: its statistic, the threshold it was held against, the verdict.

    ``value`` is the statistic compared with the threshold (the worst one
    over parameters, chains or observations); ``flagged`` names what was
    beyond the warning level (parameters, chains, observations);
    ``advice`` says what to do when the verdict is not ``pass``.
    """

    name: str
    title: str
    verdict: Verdict
    value: float | None
    threshold: Threshold
    summary: str
    advice: str = ""
    flagged: tuple[str, ...] = ()


def to_jsonable(obj: Any) -> Any:
    """Plain JSON data from frozen results: dataclasses, enums, NumPy values, tuples.

    Non-finite floats become ``None`` (JSON has no NaN or infinity); fields
    declared with ``metadata={"json": False}`` (large arrays such as
    importance weights) are left out.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("json", True)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    return obj
