"""Fuzzing model files: hypothesis strategies and the property every input must satisfy.

Three sources of inputs:

- :func:`programs`: syntactically plausible programs built statement by
  statement from the grammar, with names from a scope, functions from
  :data:`ppl.semantics.functions.FUNCTIONS` and distributions (with their
  parameterizations) from :data:`ppl.semantics.signatures.DISTRIBUTIONS`, so
  that many inputs reach deep into the checker;
- :func:`mutants`: real files (``models/*.ppl``, ``tests/golden/bad/*.ppl``)
  and generated programs with tokens deleted, duplicated, swapped or
  replaced, random and non-UTF-8 bytes, deep nesting, very long lines and
  huge numbers;
- :func:`grammar_strings`: hypothesis' own generator for the lark grammar.

The property (:func:`run_case`): every input ends, within
:data:`CASE_SECONDS`, in a checked model or a :class:`~ppl.errors.PplError`
whose diagnostics have a location inside the file and render as
``file:line:col: error: ...``.  Anything else (another exception, a
timeout) fails the test, and hypothesis shrinks the input.
"""

from __future__ import annotations

import re
import resource
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from hypothesis import strategies as st

from ppl.driver import compile_source, decode_source
from ppl.errors import PplError, SourceFile
from ppl.semantics.checker import CheckOptions
from ppl.semantics.functions import ALIASES, CONSTANTS, FUNCTIONS
from ppl.semantics.pretty import show_model
from ppl.semantics.signatures import DISTRIBUTIONS, STATIC
from ppl.semantics.types import DATA_TYPES
from ppl.syntax.messages import KEYWORDS

__all__ = ["programs", "mutants", "grammar_strings", "run_case", "timed_case", "time_limit", "CaseTimeout", "CASE_SECONDS",
           "MAX_RSS_MB", "SEEDS", "HOSTILE_NAMES"]

ROOT = Path(__file__).resolve().parents[2]
SEEDS = tuple(p.read_bytes() for p in sorted((ROOT / "models").glob("*.ppl"))
              + sorted((ROOT / "tests" / "golden" / "bad").glob("*.ppl")))

CASE_SECONDS = 10.0  # CPU seconds per input; typical inputs take milliseconds, the worst 200,000-character ones a few s
MAX_RSS_MB = 3000  # peak resident memory of the test process after a case

HOSTILE_NAMES = (
    "__import__", "__class__", "__builtins__", "__dict__", "__init__", "os", "sys", "eval", "exec", "open",
    "compile", "getattr", "globals", "subprocess", "pickle", "self", "None", "True", "lambda", "import",
    "print", "chain", "draw", "x__", "z_probs", "obs_dim_0", "sigma_log__", "_", "__",
)
_DISTS = sorted(DISTRIBUTIONS)
_FUNCS = sorted(FUNCTIONS) + sorted(ALIASES)
_TYPES = sorted(DATA_TYPES)


# ----------------------------------------------------------------- programs
def _pick(draw, seq):
    """One element of ``seq`` (cheaper than building ``st.sampled_from`` per draw)."""
    seq = tuple(seq)
    return seq[draw(st.integers(0, len(seq) - 1))]


class _Scope:
    """Names defined so far, so that most references resolve."""

    def __init__(self) -> None:
        self.dims: list[str] = []
        self.values: list[str] = []
        self.fresh = 0

    def new_name(self, draw, prefix: str) -> str:
        if draw(st.integers(0, 59)) == 0:
            return _pick(draw, HOSTILE_NAMES + KEYWORDS + tuple(_DISTS[:5]) + tuple(_FUNCS[:5]))
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    def dim(self, draw) -> str:
        if not self.dims or draw(st.integers(0, 59)) == 0:
            return _pick(draw, ["obs", "k", "chain", "undefined_dim"] + self.values[:2])
        return _pick(draw, self.dims)

    def value(self, draw) -> str:
        if not self.values:
            return _number(draw)
        if draw(st.integers(0, 59)) == 0:
            return _pick(draw, ["undefined", "mu", "sigm"] + self.dims[:2] + list(HOSTILE_NAMES[:6]))
        return _pick(draw, self.values)


_NUMBERS = ("0", "1", "2", "3", "10", "0.5", "2.5", "1e-3", "2E+2", ".5", "3.", "inf", "pi", "100", "1e308",
            "1e-320", "9223372036854775807", "9223372036854775808", "1e309", "0.0")


def _number(draw) -> str:
    return _pick(draw, _NUMBERS) if draw(st.integers(0, 9)) == 0 else _pick(draw, _NUMBERS[:10])


def _dim_list(draw, scope: _Scope, lo: int = 1) -> str:
    dims = [scope.dim(draw) for _ in range(draw(st.integers(lo, 3)))]
    if draw(st.integers(0, 9)):
        dims = list(dict.fromkeys(dims))  # mostly no repeated dim
    return "[" + ", ".join(dims) + "]"


def _call(draw, scope: _Scope, depth: int) -> str:
    name = _pick(draw, _FUNCS)
    spec = FUNCTIONS.get(ALIASES.get(name, name))
    lo, hi = spec.arity if spec else (1, 1)
    n = draw(st.integers(max(lo - 1, 0), min(hi, 4) + 1)) if draw(st.integers(0, 9)) == 0 else \
        draw(st.integers(lo, min(hi, 3)))
    args = [_expr(draw, scope, depth - 1)]
    for _ in range(n - 1):
        args.append(scope.dim(draw) if spec and spec.kind in ("reduce", "scan", "fill", "dot")
                    and draw(st.booleans()) else _expr(draw, scope, depth - 1))
    if spec and spec.kind == "size":
        args = [scope.dim(draw)]
    return f"{name}({', '.join(args[:n])})"


def _index(draw, scope: _Scope, depth: int) -> str:
    items = []
    for _ in range(draw(st.integers(1, 3))):
        items.append(_pick(draw, [str(draw(st.integers(-3, 4))), ":", "1:", ":-1", "0:2", scope.value(draw),
                                  "x:y"]))
    return f"{scope.value(draw)}[{', '.join(items)}]"


_BINARY = ["+", "-", "*", "/", "@", "^", "**", "<", "<=", ">", ">=", "==", "!=", "and", "or"]


def _expr(draw, scope: _Scope, depth: int = 3) -> str:
    if depth <= 0:
        return scope.value(draw) if draw(st.booleans()) else _number(draw)
    kind = draw(st.integers(0, 9))
    if kind <= 2:
        return scope.value(draw) if kind else _number(draw)
    if kind == 3:
        op = _pick(draw, _BINARY)
        return f"{_expr(draw, scope, depth - 1)} {op} {_expr(draw, scope, depth - 1)}"
    if kind == 4:
        return _pick(draw, ["-", "not ", "-"]) + _expr(draw, scope, depth - 1)
    if kind in (5, 6):
        return _call(draw, scope, depth)
    if kind == 7:
        return _index(draw, scope, depth)
    if kind == 8:
        items = [_expr(draw, scope, depth - 1) for _ in range(draw(st.integers(0, 3)))]
        return "[" + ", ".join(items) + "]"
    return f"({_expr(draw, scope, depth - 1)})"


def _dist(draw, scope: _Scope, depth: int = 2) -> str:
    name = _pick(draw, _DISTS) if draw(st.integers(0, 30)) else \
        _pick(draw, ["normal", "Normall", "exp", "Foo"])
    sig = DISTRIBUTIONS.get(name)
    if sig is None:
        return f"{name}({_expr(draw, scope, 1)})"
    group = _pick(draw, range(len(sig.parameterizations)))
    params = [p for p in sig.parameterizations[group] if not p.endswith("?") or draw(st.booleans())]
    params = [p.rstrip("?") for p in params]
    if draw(st.integers(0, 9)) == 0 and sig.all_params:  # a wrong or extra argument
        params.append(_pick(draw, list(sig.all_params) + ["bogus"]))
    args = []
    for i, p in enumerate(params):
        value = _param_value(draw, scope, sig, p, depth)
        positional = group == 0 and i == len(args) and draw(st.integers(0, 5)) > 0
        args.append(value if positional else f"{p}={value}")
    return f"{name}({', '.join(args)})"


def _param_value(draw, scope: _Scope, sig, param: str, depth: int) -> str:
    if param == "dist" or (param == "comp_dists" and depth <= 0):
        return _dist(draw, scope, depth - 1) if depth > 0 else "Normal(0, 1)"
    if param == "comp_dists":
        return "[" + ", ".join(_dist(draw, scope, depth - 1) for _ in range(draw(st.integers(1, 3)))) + "]"
    if sig.kind(param) == STATIC:
        return _pick(draw, ["1", "2", "3", f"size({scope.dim(draw)})", "1.5", "x"])
    return _expr(draw, scope, draw(st.integers(0, 2)))


_STATEMENT_KINDS = ("dim", "data", "data", "sample", "sample", "sample", "assign", "let", "potential",
                    "ordered", "observe")


def _statement(draw, scope: _Scope) -> str:
    kind = _pick(draw, _STATEMENT_KINDS)
    if kind == "dim":
        name = scope.new_name(draw, "d")
        size = _pick(draw, ["", "", " = 3", " = 1", " = 0", f" = {scope.dim(draw)}", f" = {scope.value(draw)}",
                            " = 2.5", " = -1"])
        scope.dims.append(name)
        return f"dim {name}{size}"
    if kind == "data":
        name = scope.new_name(draw, "x")
        base = _pick(draw, _TYPES) if draw(st.integers(0, 19)) else _pick(draw, ("float", "vector", "Real"))
        arg = f"({scope.dim(draw)})" if base == "factor" and draw(st.booleans()) else ""
        dims = _dim_list(draw, scope, 0) if draw(st.integers(0, 3)) else ""
        scope.values.append(name)
        if base == "factor" and not arg:
            scope.dims.append(name)
        return f"data {name}: {base}{arg}{dims}"
    if kind in ("sample", "ordered", "observe"):
        name = scope.value(draw) if kind == "observe" else scope.new_name(draw, "p")
        dims = _dim_list(draw, scope) if kind == "ordered" or draw(st.booleans()) else ""
        lhs = f"{name}: ordered{dims}" if kind == "ordered" else f"{name}{dims}"
        rhs = _dist(draw, scope)
        scope.values.append(name)
        return f"{lhs} ~ {rhs}"
    if kind in ("assign", "let"):
        name = scope.new_name(draw, "v")
        dims = _dim_list(draw, scope) if draw(st.integers(0, 2)) == 0 else ""
        rhs = _expr(draw, scope)
        scope.values.append(name)
        return f"{'let ' if kind == 'let' else ''}{name}{dims} = {rhs}"
    name = f"{scope.new_name(draw, 'pot')} = " if draw(st.booleans()) else ""
    return f"potential {name}{_expr(draw, scope)}"


@st.composite
def programs(draw) -> str:
    """A syntactically plausible model file (most parse; many check; some are wrong on purpose)."""
    scope = _Scope()
    lines = ["# generated", f"model {scope.new_name(draw, 'm')}"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 2)) or draw(st.integers(0, 2))):
        scope.dims.append(f"obs{len(scope.dims)}")
        lines.append(f"dim {scope.dims[-1]}{_pick(draw, ('', ' = 3', ' = 2'))}")
    for _ in range(draw(st.integers(1, 12))):
        lines.append(_statement(draw, scope))
    return "\n".join(lines) + _pick(draw, ["\n", "", "\n\n", "  # end\n"])


# ------------------------------------------------------------------ mutants
_TOKEN = re.compile(r"\n|[ \t]+|#[^\n]*|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|\*\*|[<>=!]=|.", re.S)
_VOCAB = (["~", "=", ":", ",", "(", ")", "[", "]", "+", "-", "*", "/", "@", "^", "**", "<", "==", "\n", " ",
           "#", ".", ";", "{", "}", "'", '"', "\\", "`", "$", "\t", "\r", "\x00", "\u00e9", "\u03bc", "\u2212",
           "\ufeff", "\u202e", "0", "1e400", "inf", "nan", "-1", "9" * 25]
          + list(KEYWORDS) + list(HOSTILE_NAMES) + _DISTS + _FUNCS + _TYPES + list(CONSTANTS))
_BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82",
              b"\x00", b"\xef\xbb\xbf", b"\r", b"\x1b[31m"]


def tokenize(text: str) -> list[str]:
    """Split text into tokens (whitespace and comments kept), so that joining gives it back."""
    return _TOKEN.findall(text)


def _pos(draw, tokens: list[str]) -> int:
    return draw(st.integers(0, max(len(tokens) - 1, 0)))


def _delete(draw, tokens):
    if tokens:
        del tokens[_pos(draw, tokens)]


def _duplicate(draw, tokens):
    if tokens:
        i = _pos(draw, tokens)
        tokens.insert(i, tokens[i])


def _swap(draw, tokens):
    if len(tokens) > 1:
        i, j = _pos(draw, tokens), _pos(draw, tokens)
        tokens[i], tokens[j] = tokens[j], tokens[i]


def _replace(draw, tokens):
    if tokens:
        tokens[_pos(draw, tokens)] = _pick(draw, _VOCAB)


def _insert(draw, tokens):
    tokens.insert(_pos(draw, tokens), _pick(draw, _VOCAB))


def _nest(draw, tokens):
    depth = _pick(draw, [5, 50, 150, 199, 201, 250, 1000, 5000])
    opener, closer = _pick(draw, _NESTS)
    i = _pos(draw, tokens)
    tokens[i:i + 1] = [opener * depth, tokens[i] if tokens else "1", closer * depth]


_NESTS = (("(", ")"), ("[", "]"), ("exp(", ")"), ("-", ""), ("not ", ""), ("x ^ ", ""), ("1 + ", ""),
          ("f(", ")"), ("[1, ", "]"), ("(", ""))
_HUGE = ("9" * 19, "9" * 400, "9" * 5000, "1" + "0" * 4400, "1e99999", "1e-99999", "0." + "0" * 400 + "1",
         "1" * 30 + ".5", "18446744073709551616")


def _long_line(draw, tokens):
    n = _pick(draw, [1000, 10_000, 60_000])
    piece = _pick(draw, ["x + ", "1, ", "a", "# ", " ", "[1] ", "obs, ", "Normal(0, 1) "])
    tokens.insert(_pos(draw, tokens), piece * (n // len(piece)))


def _huge_number(draw, tokens):
    text = _pick(draw, _HUGE)
    numbers = [i for i, t in enumerate(tokens) if t[:1].isdigit()]
    i = _pick(draw, numbers) if numbers else _pos(draw, tokens)
    tokens[i:i + 1] = [text]


_TOKEN_MUTATIONS = (_delete, _duplicate, _swap, _replace, _insert, _replace, _delete, _nest, _long_line,
                    _huge_number)


def _mutate_bytes(draw, raw: bytes) -> bytes:
    i = draw(st.integers(0, len(raw)))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return raw[:i] + _pick(draw, _BAD_BYTES) + raw[i:]
    if kind == 1:
        return raw[:i] + draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    if kind == 2 and raw:
        j = min(len(raw) - 1, i)
        return raw[:j] + bytes([raw[j] ^ (1 << draw(st.integers(0, 7)))]) + raw[j + 1:]
    return raw[:i]  # truncated mid-file (maybe mid-character)


@st.composite
def mutants(draw) -> bytes:
    """A real or generated model file with a few token- and byte-level mutations."""
    text = _pick(draw, SEEDS).decode("utf-8", "surrogateescape") if draw(st.integers(0, 3)) else draw(programs())
    tokens = tokenize(text)
    for _ in range(draw(st.integers(1, 4))):
        _pick(draw, _TOKEN_MUTATIONS)(draw, tokens)
    raw = "".join(tokens).encode("utf-8", errors="surrogateescape")
    for _ in range(_pick(draw, (0, 0, 0, 0, 0, 0, 1, 2))):
        raw = _mutate_bytes(draw, raw)
    return raw


def grammar_strings():
    """Strings generated from the lark grammar itself (``hypothesis.extra.lark``)."""
    from hypothesis.extra.lark import from_lark

    from ppl.syntax.parser import _lark

    return from_lark(_lark(), start="start")


# ----------------------------------------------------------------- property
class CaseTimeout(BaseException):
    """An input took longer than :data:`CASE_SECONDS` (a ``BaseException``: nothing may swallow it)."""


@contextmanager
def time_limit(seconds: float, wall_seconds: float | None = None):
    """Raise :class:`CaseTimeout` in the main thread after ``seconds`` of CPU time.

    CPU time (``ITIMER_PROF``, ``SIGPROF``), not wall time: the large fuzz run
    is niced on a shared machine, where wall time says little about the
    input.  A wall-time alarm (``SIGALRM``, default 30 times ``seconds``)
    still catches an input that blocks without using the CPU.  An alarm can
    land in code that swallows exceptions (a gc callback), so the CPU time is
    checked again on the way out: a slow input always fails.
    """
    wall = 30 * seconds if wall_seconds is None else wall_seconds

    def on_cpu(signum, frame):
        raise CaseTimeout(f"an input used more than {seconds} s of CPU time")

    def on_wall(signum, frame):
        raise CaseTimeout(f"an input took longer than {wall} s (wall time)")

    old_prof = signal.signal(signal.SIGPROF, on_cpu)
    old_alrm = signal.signal(signal.SIGALRM, on_wall)
    start = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alrm)
    elapsed = time.process_time() - start
    if elapsed > seconds:
        raise CaseTimeout(f"an input used {elapsed:.1f} s of CPU time (limit {seconds} s)")


def _assert_located(exc: PplError, source: SourceFile) -> None:
    assert exc.diagnostics, "a PplError without diagnostics"
    n_lines = max(len(source.text.splitlines()), 1)
    for diag in exc.diagnostics:
        span = diag.span
        assert span.source is not None, f"{diag.code} has no location"
        assert 1 <= span.line <= n_lines + 1 and span.col >= 1, f"{diag.code} has a bad location {span!r}"
        rendered = diag.render()
        assert rendered.startswith(f"{source.name}:{span.line}:{span.col}: error: "), rendered[:200]
        assert diag.code.startswith("E-") and diag.message
    assert str(exc)


def _check(source: SourceFile) -> str:
    try:
        model = compile_source(source)
    except PplError as exc:
        _assert_located(exc, source)
        if exc.code not in ("E-needs-marginalization", "E-infinite-discrete-latent"):
            return exc.code
        try:
            model = compile_source(source, CheckOptions(marginalize=False))
        except PplError as exc2:
            _assert_located(exc2, source)
            return exc2.code
    assert isinstance(show_model(model), str)
    return "ok"


def timed_case(raw: bytes | str) -> tuple[str, float]:
    """:func:`run_case` and the CPU seconds it took."""
    start = time.process_time()
    outcome = run_case(raw)
    return outcome, time.process_time() - start


def run_case(raw: bytes | str, name: str = "fuzz.ppl") -> str:
    """Decode, parse, check and pretty-print one input; return ``"ok"`` or the error code.

    Fails (raises) on any other exception, on a timeout, or on a diagnostic
    without a location in the file.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
    with time_limit(CASE_SECONDS):
        try:
            source = decode_source(raw, name)
        except PplError as exc:
            _assert_located(exc, exc.span.source)
            return exc.code
        outcome = _check(source)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < MAX_RSS_MB, f"peak memory {peak_mb:.0f} MB"
    return outcome
