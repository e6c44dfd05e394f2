"""Bookkeeping for the large fuzz run: per-input resource limits, a progress file, a failure log.

The large run (``scripts/fuzz``) tries more than 100,000 inputs in one
process, niced, on a shared machine.  Three things make it safe to leave
running and easy to read afterwards:

- **per-input limits** (:func:`case_limits`): before each input the soft
  ``RLIMIT_CPU`` is set to the CPU time used so far plus a margin above
  :data:`~fuzzgen.CASE_SECONDS`, and the soft ``RLIMIT_AS`` to the address
  space in use plus :data:`CASE_MEMORY_BYTES`.  An input stuck in C code
  (where no Python signal handler runs) is killed by ``SIGXCPU``; one that
  allocates without bound gets a ``MemoryError``.  Both limits are restored
  after the input.  The Python-level limit (:func:`fuzzgen.time_limit`)
  counts CPU time, not wall time, so a niced run on a busy machine does not
  report false timeouts;
- **a progress file** (``PPL_FUZZ_PROGRESS``, rewritten atomically every few
  seconds): inputs run per strategy and outcome, failures, CPU and wall
  time; and next to it ``<progress>.current``, the input being run (so an
  input that kills the process is not lost);
- **a failure log** (``PPL_FUZZ_FAILURES``, JSON lines): in the large run a
  failing input is logged with its traceback and the run goes on, so one bug
  does not end the run; :func:`failures` reads the log for the final test.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import time
import traceback
from collections import Counter
from contextlib import contextmanager

__all__ = ["CASE_MEMORY_BYTES", "CPU_MARGIN_SECONDS", "Progress", "case_limits", "failures", "address_space"]

CASE_MEMORY_BYTES = 2 * 1024**3  # address space one input may add
CPU_MARGIN_SECONDS = 20  # RLIMIT_CPU fires this long after the Python-level CPU limit
_PAGE = os.sysconf("SC_PAGE_SIZE")


def address_space() -> int:
    """The bytes of address space the process uses now (``/proc/self/statm``)."""
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[0]) * _PAGE


@contextmanager
def case_limits(cpu_seconds: float, memory_bytes: int = CASE_MEMORY_BYTES):
    """Bound one input's CPU time (``RLIMIT_CPU``, kills) and address space (``RLIMIT_AS``, ``MemoryError``)."""
    old_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    old_as = resource.getrlimit(resource.RLIMIT_AS)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    cpu_soft = int(used + cpu_seconds + CPU_MARGIN_SECONDS) + 1
    as_soft = address_space() + memory_bytes
    if old_cpu[1] != resource.RLIM_INFINITY:
        cpu_soft = min(cpu_soft, old_cpu[1])
    if old_as[1] != resource.RLIM_INFINITY:
        as_soft = min(as_soft, old_as[1])
    if old_as[0] != resource.RLIM_INFINITY:
        as_soft = min(as_soft, old_as[0])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_soft, old_cpu[1]))
    resource.setrlimit(resource.RLIMIT_AS, (as_soft, old_as[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old_as)
        resource.setrlimit(resource.RLIMIT_CPU, old_cpu)


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class Progress:
    """Counts of the large run, written to ``path`` at most every ``every`` seconds."""

    def __init__(self, path: str | None, failures_path: str | None, every: float = 5.0) -> None:
        self.path, self.failures_path, self.every = path, failures_path, every
        self.outcomes: dict[str, Counter] = {}
        self.n_failures = 0
        self.started = time.time()
        self.cpu_started = time.process_time()
        self.last = 0.0
        self._current = os.open(f"{path}.current", os.O_WRONLY | os.O_CREAT, 0o644) if path else None

    def start_case(self, strategy: str, raw: bytes) -> None:
        """Record the input about to run (``<progress>.current``)."""
        if self._current is not None:
            os.ftruncate(self._current, 0)
            os.pwrite(self._current, strategy.encode() + b"\n" + raw, 0)

    def end_case(self, strategy: str, outcome: str) -> None:
        self.outcomes.setdefault(strategy, Counter())[outcome] += 1
        now = time.monotonic()
        if self.path and now - self.last >= self.every:
            self.last = now
            self.write()

    def failed(self, strategy: str, raw: bytes, exc: BaseException) -> None:
        """Log a failing input with its traceback; the run goes on."""
        self.n_failures += 1
        self.end_case(strategy, f"FAIL {type(exc).__name__}")
        if self.failures_path:
            record = {"strategy": strategy, "input_b64": base64.b64encode(raw).decode(),
                      "input": raw[:2000].decode("utf-8", "replace"), "error": f"{type(exc).__name__}: {exc}"[:2000],
                      "traceback": traceback.format_exception(exc)[-6:]}
            with open(self.failures_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")

    def write(self) -> None:
        if not self.path:
            return
        total = sum(sum(c.values()) for c in self.outcomes.values())
        state = {"updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "inputs": total,
                 "failures": self.n_failures, "wall_seconds": round(time.time() - self.started, 1),
                 "cpu_seconds": round(time.process_time() - self.cpu_started, 1),
                 "per_strategy": {k: sum(v.values()) for k, v in self.outcomes.items()},
                 "outcomes": {k: dict(v.most_common()) for k, v in self.outcomes.items()}}
        _atomic_write(self.path, json.dumps(state, indent=1) + "\n")


def failures(path: str | None) -> list[dict]:
    """The failures logged so far (an empty list without a log)."""
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
