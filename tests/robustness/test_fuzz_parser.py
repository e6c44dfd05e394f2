"""Fuzzing the parser and checker: every input ends in a model or a located error, in bounded time.

The default run tries a seeded few thousand inputs (``derandomize``: the same
inputs every run).  The fuzz run (``scripts/fuzz``, or ``pytest -m fuzz
tests/robustness``) draws fresh random inputs; ``PPL_FUZZ_EXAMPLES`` sets how
many per strategy (default 2,000).  In the fuzz run every input has its own
CPU and memory limits, progress goes to ``PPL_FUZZ_PROGRESS`` and a failing
input is logged to ``PPL_FUZZ_FAILURES`` while the run goes on; the last
test fails if any input failed (fuzzrun.py).  See ROBUSTNESS.md for the
counts.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from fuzzgen import CASE_SECONDS, SEEDS, CaseTimeout, grammar_strings, mutants, programs, run_case, timed_case, tokenize
from fuzzrun import Progress, case_limits, failures

FUZZ_EXAMPLES = int(os.environ.get("PPL_FUZZ_EXAMPLES", "2000"))
OUTCOMES: dict[str, Counter] = {}
SLOWEST: dict[str, float] = {}  # CPU seconds of the slowest input per strategy
FAILURES_PATH = os.environ.get("PPL_FUZZ_FAILURES", "fuzz-failures.jsonl")
PROGRESS = Progress(os.environ.get("PPL_FUZZ_PROGRESS"), FAILURES_PATH)

_COMMON = dict(database=None, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
SEEDED = settings(max_examples=1000, derandomize=True, **_COMMON)
FUZZ = settings(max_examples=FUZZ_EXAMPLES, **_COMMON)


def _record(strategy: str, raw) -> None:
    outcome, seconds = timed_case(raw)
    OUTCOMES.setdefault(strategy, Counter())[outcome] += 1
    SLOWEST[strategy] = max(SLOWEST.get(strategy, 0.0), seconds)


def _record_fuzz(strategy: str, raw) -> None:
    """One input of the large run, under its own CPU and memory limits; a failure is logged, not raised."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    PROGRESS.start_case(strategy, data)
    try:
        with case_limits(CASE_SECONDS):
            outcome, seconds = timed_case(data)
    except (Exception, CaseTimeout) as exc:
        PROGRESS.failed(strategy, data, exc)
        return
    OUTCOMES.setdefault(strategy, Counter())[outcome] += 1
    SLOWEST[strategy] = max(SLOWEST.get(strategy, 0.0), seconds)
    PROGRESS.end_case(strategy, outcome)


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    """Write the outcome counts (``PPL_FUZZ_REPORT=path``) for ROBUSTNESS.md."""
    yield
    path = os.environ.get("PPL_FUZZ_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({k: dict(v) for k, v in OUTCOMES.items()}
                                | {"slowest_cpu_seconds": SLOWEST, "failures": PROGRESS.n_failures}) + "\n")
    PROGRESS.write()


def test_tokenizer_round_trips_every_seed():
    assert len(SEEDS) > 50
    for raw in SEEDS:
        text = raw.decode("utf-8", "surrogateescape")
        assert "".join(tokenize(text)) == text


def test_every_seed_file_ends_cleanly():
    outcomes = [run_case(text) for text in SEEDS]
    assert outcomes.count("ok") >= 10  # the models/ files check
    assert len(set(outcomes)) > 30  # the golden bad programs show many different errors


@SEEDED
@given(programs())
def test_generated_programs(text):
    _record("programs", text)


@SEEDED
@given(mutants())
def test_mutated_files(raw):
    _record("mutants", raw)


@settings(max_examples=300, derandomize=True, **_COMMON)
@given(grammar_strings())
def test_grammar_strings(text):
    _record("grammar", text)


def test_generated_programs_reach_the_checker():
    """The generator is useful only if many programs parse and some check: count the outcomes."""
    counts = OUTCOMES.get("programs")
    if not counts:
        pytest.skip("runs after test_generated_programs in the same session")
    syntax = sum(n for code, n in counts.items() if code in ("E-syntax", "E-incomplete", "E-bad-character"))
    assert counts["ok"] >= 20, counts
    assert syntax < 0.5 * sum(counts.values()), counts


# ------------------------------------------------------------ the fuzz run
@pytest.mark.slow
@pytest.mark.fuzz
@FUZZ
@given(programs())
def test_fuzz_generated_programs(text):
    _record_fuzz("fuzz_programs", text)


@pytest.mark.slow
@pytest.mark.fuzz
@FUZZ
@given(mutants())
def test_fuzz_mutated_files(raw):
    _record_fuzz("fuzz_mutants", raw)


@pytest.mark.slow
@pytest.mark.fuzz
@settings(max_examples=max(FUZZ_EXAMPLES // 5, 1), **_COMMON)
@given(grammar_strings())
def test_fuzz_grammar_strings(text):
    _record_fuzz("fuzz_grammar", text)


@pytest.mark.slow
@pytest.mark.fuzz
def test_fuzz_run_found_no_failures():
    """Runs last: the large run logs failing inputs instead of stopping; here they fail the run."""
    if not PROGRESS.outcomes:
        pytest.skip("runs after the fuzz tests in the same session")
    found = failures(FAILURES_PATH)
    assert PROGRESS.n_failures == 0, (f"{PROGRESS.n_failures} failing inputs, logged in {FAILURES_PATH}; "
                                      f"last: {found[-1]['error'] if found else '?'}")
