"""Golden AST and IR dumps of every model in models/.

A change in the parser or the checker that changes what a model means shows
up as a diff here.  Update with `pytest tests/test_model_dumps.py --update-golden`
and review the diff.
"""

from __future__ import annotations

import pytest

from conftest import GOLDEN, model_paths
from conftest import check_golden
from ppl.driver import read_source
from ppl.semantics.checker import check
from ppl.semantics.pretty import show_model
from ppl.syntax.ast import dump
from ppl.syntax.parser import parse

DUMPS = GOLDEN / "dumps"
PATHS = model_paths()


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_ast_and_ir_dumps(path, update_golden):
    program = parse(read_source(path))
    check_golden(DUMPS / f"{path.stem}.ast", dump(program) + "\n", update_golden)
    check_golden(DUMPS / f"{path.stem}.ir", show_model(check(program)) + "\n", update_golden)


def test_every_model_has_dumps():
    """No stale golden files for removed models, none missing for new ones."""
    stems = {p.stem for p in PATHS}
    assert {p.stem for p in DUMPS.glob("*.ast")} == stems
    assert {p.stem for p in DUMPS.glob("*.ir")} == stems
