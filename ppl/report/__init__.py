"""Diagnostic reports: a frozen :class:`Report` of typed sections and pure renderers.

>>> from ppl.report import load_study, run_study, write_report     # doctest: +SKIP
>>> report = run_study(load_study("diagnostics/eight_schools.toml"))
>>> write_report(report, "out/")          # report.html, report.md, report.json
>>> print(render_text(report))            # the headline for the terminal

Importing this package does not import PyMC, ArviZ or matplotlib.
"""

from .model import (CalibrationSection, ComparisonSection, DataSection, Figure, FigureSection, Headline,
                    ModelSection, Report, RunSection, RunVerdict, Table, UnavailableSection)
from .render_html import render_html
from .render_json import render_json
from .render_md import render_markdown
from .render_text import render_text
from .single import model_study, result_report
from .study import Limits, QUICK, Study, load_study, parse_study, run_study
from .write import write_report

__all__ = [
    "Report", "Headline", "RunVerdict", "Figure", "Table", "ModelSection", "DataSection", "RunSection",
    "CalibrationSection", "ComparisonSection", "FigureSection", "UnavailableSection",
    "render_html", "render_json", "render_markdown", "render_text", "write_report",
    "load_study", "parse_study", "run_study", "Study", "Limits", "QUICK", "model_study", "result_report",
]
