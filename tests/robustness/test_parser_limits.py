"""Limits of the parser and checker, and regressions for the failures that probing and fuzzing found.

Each case was a traceback, a hang or a wrong error before its fix (see
ROBUSTNESS.md); it must now end in a located error or a checked model, fast.
"""

from __future__ import annotations

import time

import pytest

import ppl
from fuzzgen import run_case
from ppl.driver import read_source
from ppl.errors import PplError
from ppl.semantics.pretty import show_model
from ppl.syntax.parser import MAX_DEPTH, MAX_SOURCE_CHARS


def _error(text: str) -> PplError:
    with pytest.raises(PplError) as info:
        ppl.compile(text, "m.ppl")
    assert str(info.value).startswith("m.ppl:")
    return info.value


@pytest.mark.parametrize("text, code, line", [
    ("x ~ Normal(0, 1)\ny = " + "x ^ " * 600 + "1", "E-too-deep", 2),  # was a VisitError(RecursionError)
    ("x ~ Normal(0, 1)\ny = " + " + ".join(["x"] * 5000), "E-too-deep", 2),
    ("y = " + "-" * 5000 + "1", "E-too-deep", 1),
    ("y = " + "not " * 5000 + "1", "E-too-deep", 1),
    ("dim k = " + "9" * 5000, "E-number-range", 1),  # was ValueError: int() of > 4300 digits
    ("dim k = 3\na[k] ~ Normal(0, 1)\nb = a[" + "9" * 5000 + ":]", "E-number-range", 3),
    ("dim k = 3\nx[k] ~ ZeroSumNormal(n_zerosum_axes=" + "9" * 400 + ")", "E-number-range", 2),  # OverflowError
    ("x = 9223372036854775808", "E-number-range", 1),  # beyond int64: overflowed when lowered
    ("x = 1e309", "E-number-range", 1),  # silently infinite
])
def test_found_failures_are_located_errors(text, code, line):
    err = _error(text)
    assert err.code == code
    assert err.span.line == line and err.span.col >= 1


def test_depth_limit_is_exact_enough():
    """A sum of 150 terms checks; the error names the limit."""
    ppl.compile("x ~ Normal(0, 1)\ny = " + " + ".join(["x"] * 150))
    err = _error("x ~ Normal(0, 1)\ny = " + " + ".join(["x"] * (MAX_DEPTH + 10)))
    assert f"more than {MAX_DEPTH} levels" in str(err)


def test_largest_int64_literal_is_accepted():
    ppl.compile("dim k = 3\nx = 9223372036854775807\n")


def test_where_with_a_literal_and_two_operands_sharing_a_dim():
    """The unnamed dim of `[1, 0, 1]` matches `obs` even though both `a` and `b` have it (was ambiguous)."""
    model = ppl.compile("dim obs\ndata a: real[obs]\ndata b: real[obs]\nx = where([1, 0, 1] > 0, a, b)\n")
    assert model.ir.nodes[0].dims == ("obs",)


@pytest.mark.parametrize("text", [
    "x ~ Normal(0, 1)\ny = [" + ", ".join(["x"] * 10_000) + "]",  # was quadratic: > 20 s
    "x ~ Normal(" + ", ".join(["1"] * 10_000) + ")",
    "dim k\nx ~ Normal(0, 1)\ny = fill(x" + ", k" * 10_000 + ")",
])
def test_long_argument_lists_are_linear(text):
    start = time.perf_counter()
    assert run_case(text) != "ok"
    assert time.perf_counter() - start < 8  # about 1 s unloaded; linear, not quadratic


def test_oversized_text_is_refused_before_parsing():
    err = _error("#" * (MAX_SOURCE_CHARS + 1))
    assert err.code == "E-file-too-large"


def test_oversized_file_is_refused_unread(tmp_path):
    """A huge file given by mistake is refused from its size (sparse file: nothing is written)."""
    path = tmp_path / "huge.ppl"
    with open(path, "wb") as fh:
        fh.truncate(1024**3)
    with pytest.raises(PplError) as info:
        read_source(path)
    assert info.value.code == "E-file-too-large"
    assert "1,073,741,824 bytes" in str(info.value)


def test_bom_and_crlf_are_fine():
    assert run_case(b"\xef\xbb\xbfx ~ Normal(0, 1)\r\ny = x\r\n") == "ok"


@pytest.mark.parametrize("raw", [b"x ~ Normal(0, 1)\n\xff\n", b"\xc3", b"mu ~ Normal(0, 1) # \xed\xa0\x80\n"])
def test_non_utf8_is_located(raw):
    assert run_case(raw) == "E-encoding"


@pytest.mark.parametrize("text, data, line", [
    ("dim d\ndata x: real[d]\nlet y[d] = x[1:]\nz = y + 1\n", {"x": [1.0, 2.0, 3.0]}, 3),
    ("dim a\ndim b\ndata x: real[a]\nlet u[b] = x[1:]\ndata z: real[b]\nlet v[a] = z[1:]\nw = v + 1\n",
     {"x": [1.0, 2.0, 3.0], "z": [1.0, 2.0]}, 6),
])
def test_a_dim_sized_from_a_slice_of_itself(text, data, line):
    """Found by the fuzz run: a dim took its size from a slice of itself, and the checker recursed forever."""
    model = ppl.compile(text, "m.ppl")
    with pytest.raises(PplError) as info:
        model.bind(data)
    assert info.value.code == "E-size-mismatch" and info.value.span.line == line


def test_a_dim_sized_from_a_slice_of_another_still_works():
    model = ppl.compile("dim t\ndim s\ndata y: real[t]\nlet y_now[s] = y[1:]\nq = y_now + 1\n", "m.ppl")
    assert model.bind({"y": [1.0, 2.0, 3.0]}).sizes == {"t": 3, "s": 2}


def test_show_prints_an_infinite_constant():
    """Found by the fuzz run: `ppl show` (the pretty printer) raised OverflowError on `inf`."""
    assert run_case("dim obs0\nv1[obs0] = inf\n") == "ok"
    assert "inf" in show_model(ppl.compile("x = -inf\n").ir)
