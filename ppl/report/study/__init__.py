"""Declarative diagnostic studies: a TOML file of models, runs and checks, run into one report."""

from .parse import load_study, parse_study
from .runner import run_study
from .spec import QUICK, CheckSpec, CompareSpec, Limits, ModelSpec, RunSpec, SBCSpec, Study, VSBCSpec

__all__ = ["load_study", "parse_study", "run_study", "Study", "ModelSpec", "RunSpec", "SBCSpec", "VSBCSpec",
           "CompareSpec", "CheckSpec", "Limits", "QUICK"]
