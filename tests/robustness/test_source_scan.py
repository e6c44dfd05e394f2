"""The package never executes or unpickles anything a model or data file could control.

An AST scan (not grep: comments, strings and ``tensor.eval()`` methods do
not count) of every module in ``ppl/`` for dynamic code execution (eval,
exec, compile, __import__), deserialisers that run code (pickle, marshal,
shelve, dill, joblib, ``np.load`` without ``allow_pickle=False``,
``allow_pickle=True``), shell access (os.system, subprocess), and
``getattr`` on a module with a computed name.  Anything legitimate is in
:data:`ALLOWED` with the reason; an entry that no longer matches fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "ppl"

BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint", "input"}
MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "subprocess",
           "ctypes", "code", "codeop", "runpy"}
CALLS = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"), ("os", "spawnv"),
         ("pd", "read_pickle"), ("pandas", "read_pickle"), ("yaml", "load"), ("importlib", "import_module"),
         ("torch", "load")}

# (file relative to the repo, finding) -> why it is safe
ALLOWED = {
    ("ppl/cli/__init__.py", "call importlib.import_module"):
        "imports `ppl.cli.cmd_<name>` for a name that argparse restricted to the fixed COMMANDS list",
    ("ppl/backend/distributions.py", "getattr(pm, <computed>)"):
        "the name is a distribution that the checker found in the signature registry "
        "(ppl.semantics.signatures.DISTRIBUTIONS); unknown names never reach lowering",
    ("ppl/backend/marginal_draws.py", "getattr(pm, <computed>)"):
        "same as distributions.py: a distribution name the checker found in the signature registry",
}


def _module_aliases(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {a.asname or a.name for a in node.names if a.name[:1].islower()}
    return names


def _call_findings(node: ast.Call, modules: set[str]) -> list[str]:
    out = []
    func = node.func
    if isinstance(func, ast.Name) and func.id in BUILTINS:
        out.append(f"builtin {func.id}()")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if (func.value.id, func.attr) in CALLS:
            out.append(f"call {func.value.id}.{func.attr}")
        if func.attr == "load" and func.value.id in ("np", "numpy") and not _keyword_is(node, "allow_pickle", False):
            out.append("np.load without allow_pickle=False")
    if _keyword_is(node, "allow_pickle", True):
        out.append("allow_pickle=True")
    if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "delattr") and len(node.args) >= 2:
        target, attr = node.args[0], node.args[1]
        if isinstance(target, ast.Name) and target.id in modules and not isinstance(attr, ast.Constant):
            out.append(f"{func.id}({target.id}, <computed>)")
    return out


def _keyword_is(node: ast.Call, name: str, value) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is value
               for k in node.keywords)


def scan_source(text: str) -> list[tuple[int, str]]:
    """``(line, finding)`` for every risky construct in a module's source."""
    tree = ast.parse(text)
    modules = _module_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name.split(".")[0] in MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in MODULES:
            found.append((node.lineno, f"import {node.module}"))
        elif isinstance(node, ast.Call):
            found += [(node.lineno, f) for f in _call_findings(node, modules)]
    return found


def _findings() -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for line, finding in scan_source(path.read_text(encoding="utf-8")):
            out.setdefault((rel, finding), []).append(line)
    return out


def test_package_has_no_code_execution_paths():
    findings = _findings()
    unexplained = {k: v for k, v in findings.items() if k not in ALLOWED}
    assert not unexplained, "risky constructs (file, finding): lines\n" + "\n".join(
        f"{k}: {v}" for k, v in unexplained.items())


def test_every_allowlist_entry_still_matches():
    assert set(ALLOWED) <= set(_findings())


@pytest.mark.parametrize("code, finding", [
    ("eval(text)", "builtin eval()"),
    ("exec(code)", "builtin exec()"),
    ("m = __import__(name)", "builtin __import__()"),
    ("import pickle", "import pickle"),
    ("from pickle import loads", "import pickle"),
    ("import numpy as np\nnp.load(path)", "np.load without allow_pickle=False"),
    ("import numpy as np\nnp.load(path, allow_pickle=True)", "allow_pickle=True"),
    ("import os\nos.system(cmd)", "call os.system"),
    ("import subprocess", "import subprocess"),
    ("import pymc as pm\ncls = getattr(pm, name)", "getattr(pm, <computed>)"),
])
def test_the_scan_finds_what_it_looks_for(code, finding):
    assert finding in [f for _, f in scan_source(code)]


@pytest.mark.parametrize("code", [
    "value = tensor.eval()",  # a PyTensor method, not the builtin
    "import numpy as np\nnp.load(path, allow_pickle=False)",
    "# eval(x) in a comment\ntext = 'exec(y)'",
    "span = getattr(node, 'span', None)",
    "import ast\nast.literal_eval(s)",
])
def test_the_scan_ignores_safe_code(code):
    assert scan_source(code) == []
