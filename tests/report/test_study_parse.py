"""Study files: the shipped ones parse; mistakes are `file:line:col` errors at the key, exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ppl.cli import main
from ppl.errors import PplError
from ppl.report import QUICK, load_study
from ppl.report.study.locate import key_positions

from .conftest import ROOT, STUDIES

GOOD = """\
[study]
title = "t"
seed = 3

[models.a]
file = "{root}/models/eight_schools_centered.ppl"

[models.b]
file = "{root}/models/eight_schools_noncentered.ppl"
data = "{root}/models/eight_schools_noncentered.json"

[[runs]]
name = "a nuts"
model = "a"

[[runs]]
name = "b advi"
model = "b"
method = "advi"
draws = 10000

[checks]
ppc = false

[[checks.vsbc]]
run = "b advi"
reps = 50

[[checks.compare]]
runs = ["a nuts", "b advi"]
"""


def study(text: str, tmp_path: Path, **fmt) -> str:
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent(text).format(root=ROOT, **fmt))
    return str(path)


def error(text: str, tmp_path: Path) -> str:
    with pytest.raises(PplError) as info:
        load_study(study(text, tmp_path))
    return str(info.value)


@pytest.mark.parametrize("name", ["eight_schools", "radon_pooling"])
def test_shipped_studies_parse(name):
    s = load_study(str(STUDIES / f"{name}.toml"))
    assert s.title and s.runs and s.seed is not None
    assert all(v.parameters == ("mu", "tau") for v in s.checks.vsbc)
    assert all(Path(m.file).is_file() for m in s.models)


def test_old_faithful_study_parses_when_its_model_is_there():
    path = STUDIES / "old_faithful.toml"
    if not (ROOT / "models" / "old_faithful.ppl").exists():
        with pytest.raises(PplError, match="no such file `../models/old_faithful.ppl`"):
            load_study(str(path))
        pytest.skip("models/old_faithful.ppl comes with the mixture models (branch `mix`), not merged here")
    assert [r.method for r in load_study(str(path)).runs] == ["nuts", "fullrank"]


def test_a_good_study(tmp_path):
    s = load_study(study(GOOD, tmp_path))
    assert [m.name for m in s.models] == ["a", "b"]
    assert s.models[1].data == (str(ROOT / "models" / "eight_schools_noncentered.json"),)
    assert [(r.name, r.method, r.n_draws, r.is_vi) for r in s.runs] == [("a nuts", "nuts", 1000, False),
                                                                       ("b advi", "advi", 10000, True)]
    assert s.checks.ppc is False and s.checks.loo is True
    assert s.checks.vsbc[0].reps == 50 and s.checks.compare[0].runs == ("a nuts", "b advi")
    assert s.checks.vsbc[0].parameters == ()
    quick = s.limited(QUICK, "why")
    assert quick.runs[0].draws == QUICK.draws and quick.runs[1].draws == QUICK.vi_draws
    assert quick.checks.vsbc[0].reps == QUICK.reps and quick.notes == ("why",)


@pytest.mark.parametrize("old, new, expected", [
    ('name = "a nuts"\nmodel = "a"', 'name = "a nuts"\nmodel = "a"\ndraw = 5',
     ['s.toml:15:1: error: unknown key `draw` in runs[0]', "15 | draw = 5", "did you mean `draws`?"]),
    ('method = "advi"', 'method = "advy"', ["s.toml:19:1: error: runs[1].method: unknown method `advy`",
                                            "methods: nuts, hmc, metropolis, advi, fullrank"]),
    ('model = "a"', 'model = "c"', ["s.toml:14:1: error: runs[0].model names the model `c`, which the study does "
                                    "not define", "models of this study: a, b"]),
    ("reps = 50", "reps = 1", ["s.toml:27:1: error: checks.vsbc[0].reps: must be at least 2"]),
    ('run = "b advi"', 'run = "a nuts"', ["s.toml:26:1: error: checks.vsbc[0].run: `a nuts` is not a VI run"]),
    ("draws = 10000", 'draws = "many"', ["s.toml:20:1: error: runs[1].draws must be an integer, not a string"]),
    ('title = "t"', "", ["s.toml:1:1: error: study needs `title`", 'hint: title = "what this study shows"']),
    ('name = "b advi"', 'name = "a nuts"', ["s.toml:17:1: error: runs[1].name: the name `a nuts` is used twice"]),
    ("eight_schools_centered.ppl", "nope.ppl", ["s.toml:6:1: error: models.a.file: no such file"]),
    ('runs = ["a nuts", "b advi"]', 'runs = ["a nuts"]', ["s.toml:30:1: error: checks.compare[0].runs: needs the "
                                                           "names of two or more runs"]),
    ("ppc = false", "ppc = 1", ["s.toml:23:1: error: checks.ppc must be true or false, not an integer"]),
    ("[checks]", "[checks]\nengine = 3", ["s.toml:23:1: error: unknown key `engine` in checks"]),
    ("reps = 50", 'reps = 50\nparameters = ["mu", "tauu"]', ["s.toml:28:1: error: checks.vsbc[0].parameters: the "
                                                              "model `b` has no parameter `tauu`", "did you mean `tau`?"]),
    ('title = "t"', 'title = "t', ["s.toml:2:", "error: this study file is not valid TOML"]),
])
def test_mistakes_point_at_the_key(tmp_path, old, new, expected):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    message = error(text, tmp_path)
    for part in expected:
        assert part.replace("s.toml", str(tmp_path / "s.toml")) in message, message


def test_engine_only_for_mcmc(tmp_path):
    message = error(GOOD.replace('method = "advi"', 'method = "advi"\nengine = "nutpie"'), tmp_path)
    assert "engine `nutpie` does not apply here" in message and "VI runs have no engine" in message


def test_key_positions_follow_arrays_of_tables_and_multiline_strings():
    text = 'a = 1\n[t]\nx = """\ny = 2\n"""\nz = 3\n[[r]]\nn = 1\n[[r]]\nn = 2\n  "q k" = 4\n[[c.s]]\nrun = 1\n'
    pos = key_positions(text)
    assert pos[("a",)] == (1, 1) and pos[("t", "x")] == (3, 1) and ("t", "y") not in pos
    assert pos[("t", "z")] == (6, 1) and pos[("r", 0, "n")] == (8, 1) and pos[("r", 1, "n")] == (10, 1)
    assert pos[("r", 1, "q k")] == (11, 3) and pos[("c", "s", 0, "run")] == (13, 1)


def test_cli_exit_code_2_and_earlier_report_intact(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("earlier")
    bad = study(GOOD.replace('method = "advi"', 'method = "advy"'), tmp_path)
    assert main(["report", bad, "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "s.toml:19:1: error:" in err and "Traceback" not in err
    assert (out / "report.html").read_text() == "earlier"


def test_cli_rejects_unknown_inputs(tmp_path, capsys):
    other = tmp_path / "x.csv"
    other.write_text("a\n")
    assert main(["report", str(other), "--quiet"]) == 2
    assert main(["report", str(tmp_path / "missing.toml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot make a report from this kind of file" in err and "no such file" in err
