"""Shared pieces of the benchmark scripts: timing, medians, ESS, writing BENCHMARKS.md.

Every script answers one question, runs its contenders side by side in one
process (or one script driving subprocesses), repeats each measurement,
reports medians and ratios computed within the same run, and replaces its own
section of ``BENCHMARKS.md`` (between ``<!-- bench:NAME -->`` markers) with
the table, the machine and the command that produced it.

Threads: scripts set ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``
before NumPy loads (samplers use one core per chain; BLAS threads fighting
them cost 2-3x on 2 cores), and say so in their section.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"

__all__ = ["ROOT", "timed", "median", "min_bulk_ess", "machine", "write_section", "table", "command_line"]


def timed(fn, *args, **kwargs):
    """``(result, seconds)`` of one call, wall clock."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def median(values) -> float:
    return float(statistics.median(values))


def min_bulk_ess(posterior, var_names=None) -> float:
    """The smallest bulk ESS over all scalar components of ``var_names`` (all variables if None)."""
    from arviz_stats import ess

    ds = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    if var_names is not None:
        ds = ds[list(var_names)]
    values = ess(ds, method="bulk")
    return float(min(float(values[v].min()) for v in values.data_vars))


def _ver(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def machine() -> str:
    libs = ", ".join(f"{n} {_ver(n)}" for n in ("pymc", "pytensor", "nutpie", "jax", "numpyro", "blackjax", "pystan"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {libs}; "
            f"load average at start {load:.2f}; BLAS/OpenMP threads 1")


def command_line() -> str:
    return "python " + " ".join([str(Path(sys.argv[0]).resolve().relative_to(ROOT))] + sys.argv[1:])


def table(header: list[str], rows: list[list]) -> str:
    def fmt(x):
        if isinstance(x, float):
            return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def benchmarks_md() -> Path:
    """``$PPL_BENCHMARKS_MD`` (``benchmarks/gpu.py`` gathers sections from a scratch file), else BENCHMARKS.md."""
    return Path(os.environ.get("PPL_BENCHMARKS_MD") or BENCHMARKS_MD)


def write_section(name: str, title: str, body: str) -> None:
    """Replace section ``name`` of BENCHMARKS.md (atomically), or append it."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = (f"{start}\n## {title}\n\nCommand: `{command_line()}` ({stamp})\n\nMachine: {machine()}\n\n"
               f"{body.strip()}\n{end}")
    target = benchmarks_md()
    text = target.read_text() if target.exists() else "# Benchmarks\n\nEach section is written by the script named in it; rerun the command to refresh it.\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".BENCHMARKS-")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, target)
