"""Golden bad-program suite: every catalogue entry, rendered exactly as the CLI prints it.

Update with `pytest tests/test_bad_programs.py --update-golden` and review the diff.
"""

from __future__ import annotations

import pytest

from conftest import GOLDEN, check_golden
from ppl.driver import compile_source, read_source
from ppl.errors import PplError

BAD = sorted((GOLDEN / "bad").glob("*.ppl"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_program(path, update_golden, monkeypatch):
    monkeypatch.chdir(path.parent)
    with pytest.raises(PplError) as info:
        compile_source(read_source(path.name))
    rendered = str(info.value)
    assert rendered.startswith(f"{path.name}:"), rendered
    assert ": error: " in rendered.splitlines()[0]
    check_golden(path.with_suffix(".expected"), rendered + "\n", update_golden)


def test_suite_covers_the_catalogue():
    """Every error code the checker can raise has at least one golden case."""
    codes = set()
    for path in (GOLDEN / "bad").glob("*.expected"):
        pass
    for path in BAD:
        try:
            compile_source(read_source(path))
        except PplError as exc:
            codes.add(exc.code)
    assert len(BAD) >= 40
    assert len(codes) >= 30, sorted(codes)
