"""Hostile model files: Python names, attribute access, code-looking text, huge dims.

A model file never executes Python: each input here ends in a located error
or in a model whose names are inert strings.  An audit hook (PEP 578) in a
fresh process checks that checking and binding hostile files imports,
compiles, executes and opens nothing; ``test_no_code_execution_paths``
scans the package source (AST) for eval/exec/pickle and friends.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import numpy as np
import pytest

import ppl
from conftest import ROOT
from fuzzgen import run_case
from ppl.errors import PplError

# (model text, the expected outcome: "ok" or an error code)
HOSTILE = [
    ("y = __import__('os')", "E-bad-character"),
    ("y = __import__(os)", "E-unknown-function"),
    ("x ~ Normal(0, 1)\ny = x.__class__", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x.__class__.__bases__[0].__subclasses__()", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x.real", "E-bad-character"),
    ("y = eval(1)", "E-unknown-function"),
    ("y = exec(1)", "E-unknown-function"),
    ("y = open(1)", "E-unknown-function"),
    ("y = getattr(x, y)", "E-unknown-function"),
    ("y = globals()", "E-unknown-function"),
    ("import os", "E-unsupported-syntax"),
    ("from os import system", "E-unsupported-syntax"),
    ("y = `ls`", "E-bad-character"),
    ("y = $(ls)", "E-bad-character"),
    ("y = \"__import__('os').system('ls')\"", "E-bad-character"),
    ("%import os", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x; import os", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x if x else 0", "E-unsupported-syntax"),
    ("x ~ Normal(0, 1)\ny = [i for i in x]", "E-unsupported-syntax"),
    ("x ~ Normal(0, 1)\ny = lambda: x", "E-unsupported-syntax"),
    ("x ~ Normal(0, 1)\ny = {x}", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x\\\n+ 1", "E-bad-character"),
    ("x ~ Normal(mu=0, sigma=1, __class__=1)", "E-dist-keyword"),
    ("x ~ Normal(0, 1)\ny = x[__import__]", "E-undefined-name"),
    ("x ~ Normal(0, 1)\ny = sum(x, __class__)", "E-undefined-dim"),
    ("__builtins__ ~ Normal(0, 1)", "E-reserved-name"),
    ("__class__ = 1", "E-reserved-name"),
    ("dim __dict__", "E-reserved-name"),
    ("data __file__: real", "E-reserved-name"),
    ("x ~ Normal(0, 1)\npotential __import__ = x", "E-reserved-name"),
    ("x ~ __import__(0, 1)", "E-unknown-distribution"),
    ("x ~ eval(1)", "E-unknown-distribution"),
    ("x ~ Normal(0, 1)\ny = x \u2212 1", "E-bad-character"),
    ("x\u00b5 ~ Normal(0, 1)", "E-bad-character"),
    ("x ~ Normal(0, 1)\n\x1b[2Jy = x", "E-bad-character"),
    ("x ~ Normal(0, 1)\ny = x\u202e + 1", "E-bad-character"),
    ("x ~ Normal(0, 1) # ; __import__('os').system('touch pwned')", "ok"),
    ("#!/usr/bin/env python\nx ~ Normal(0, 1)", "ok"),
    ("os ~ Normal(0, 1)\nsystem = os", "ok"),
    ("eval ~ Normal(0, 1)\nexec = eval", "ok"),
    ("lambda ~ Normal(0, 1)\nNone ~ Normal(0, 1)\nTrue = lambda + None", "ok"),
    ("dim self\ndim cls\ndata print: real[self]\nprint ~ Normal(0, 1)", "ok"),
    ("model __main__\nx ~ Normal(0, 1)", "ok"),
    ("x ~ Normal(0, 1)\ny = " + "(" * 199 + "x" + ")" * 199, "ok"),
    ("x ~ Normal(0, 1)\ny = " + "(" * 201 + "x" + ")" * 201, "E-too-deep"),
    ("x ~ Normal(0, 1)\ny = " + "exp(" * 150 + "x" + ")" * 150, "E-too-deep"),
    ("x ~ Normal(0, 1)\ny = " + "[" * 300 + "x" + "]" * 300, "E-too-deep"),
    ("dim k = 1000000000\nx[k] ~ Normal(0, 1)", "ok"),  # refused when bound: see test_huge_dims_are_refused
]


@pytest.mark.parametrize("text, expected", HOSTILE, ids=[f"h{i}" for i in range(len(HOSTILE))])
def test_hostile_model_text(text, expected):
    assert run_case(text) == expected


def test_python_keywords_and_module_names_are_inert_names_in_pymc():
    """Names like `os`, `eval`, `lambda`, `None` reach PyMC as plain strings, nothing more."""
    model = ppl.compile("dim self\ndim None\ndata print: real[self]\ndata exec: real[self]\nos ~ Normal(0, 1)\n"
                        "eval ~ HalfNormal(1)\nlambda[None] ~ Normal(0, 1)\nTrue = sum(lambda) + os\n"
                        "print ~ Normal(os + eval * exec + True, eval)\n", "m.ppl")
    pm_model = model.build({"print": [1.0, 2.0, 3.0], "exec": [0.0, 1.0, 2.0], "None": 2})
    assert {v.name for v in pm_model.free_RVs} == {"os", "eval", "lambda"}
    logps = pm_model.point_logps()
    assert all(np.isfinite(v) for v in logps.values())


@pytest.mark.parametrize("data", [{"k": 10**9}, {"k": 10**15}, {"k": 2**63}])
def test_huge_dims_are_refused_before_any_allocation(data):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = ppl.compile("dim k\nx[k] ~ Normal(0, 1)\ny = sum(x)\n", "m.ppl")
    with pytest.raises(PplError) as info:
        model.build(data)
    assert info.value.code == "E-too-large" and info.value.span.line == 2
    assert "`x` would have" in str(info.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing allocated


def test_fixed_huge_dim_is_refused_when_bound():
    model = ppl.compile("dim k = 1000000000\nx[k] ~ Normal(0, 1)\n", "m.ppl")
    with pytest.raises(PplError, match="would have 1,000,000,000 elements"):
        model.bind({})


def test_accidental_outer_product_is_refused():
    model = ppl.compile("dim i\ndim j\ndata a: real[i]\ndata b: real[j]\nmu ~ Normal(0, 1)\n"
                        "potential sum(a * b * mu)\n", "m.ppl")
    with pytest.raises(PplError) as info:
        model.bind({"a": np.zeros(20_000), "b": np.zeros(20_000)})
    assert info.value.code == "E-too-large" and info.value.span.line == 6
    assert "i=20,000, j=20,000" in str(info.value)


_AUDIT = r"""
import json, os, sys
import ppl
from ppl.errors import PplError

def run(text):
    try:
        model = ppl.compile(text, "m.ppl")
        model.bind({"x": [1.0, 2.0], "print": [1.0], "self": 1, "cls": 1})
    except PplError as exc:
        str(exc)

texts = json.loads(sys.stdin.read())
for text in ["dim k\ndata x: real[k]\nx ~ Normal(0, 1)", "y = sigm", "y = x.y", "y = "] + texts[:3]:
    run(text)  # warm up: lazy imports of ppl itself happen here
trusted = tuple(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(ppl.__file__)))
events = []

def hook(event, args):
    if event in ("import", "exec", "compile", "marshal.loads", "open"):
        where = getattr(args[0], "co_filename", args[0]) if event == "exec" else args[1] if event == "compile" \
            else args[0]
        if isinstance(where, str) and os.path.realpath(where).startswith(trusted) and event != "compile":
            return
        events.append([event, repr(args)[:120]])
    elif event.split(".")[0] in ("os", "subprocess", "pickle", "ctypes", "socket", "shutil", "urllib"):
        events.append([event, repr(args)[:120]])

sys.addaudithook(hook)
if os.environ.get("PPL_AUDIT_CANARY"):
    exec(compile("1 + 1", "<canary>", "eval"))
for text in texts:
    run(text)
print(json.dumps(events))
"""


def _audit(texts: list[str], canary: bool = False) -> list:
    env = dict(os.environ, PPL_AUDIT_CANARY="1" if canary else "")
    proc = subprocess.run([sys.executable, "-c", _AUDIT], input=json.dumps(texts), capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_hostile_files_execute_import_and_open_nothing():
    assert _audit([text for text, _ in HOSTILE]) == []


def test_the_audit_hook_sees_execution():
    """The check above can fail: a canary `exec` is reported."""
    events = _audit(["x ~ Normal(0, 1)"], canary=True)
    assert [e[0] for e in events] == ["compile", "exec"]
