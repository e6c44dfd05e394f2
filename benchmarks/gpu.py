"""The JAX-path benchmarks of the GPU issue on one device, in one command.

    python benchmarks/gpu.py                  # on the GPU if JAX sees one, else on the CPU (says so)
    python benchmarks/gpu.py --device gpu     # the GPU or a clear error (exit 2), never the CPU
    python benchmarks/gpu.py --quick          # reduced sizes, to check that everything runs

Runs, each as a subprocess with JAX pointed at the chosen device:

* ``vsbc``: VSBC with M=100 replications of ADVI, batched by ``jax.vmap``
  against the sequential path (``benchmarks/vsbc_speed.py``; skipped with a
  message when that script is not in this checkout);
* ``advi``: ADVI on the JAX path against ``pm.fit`` (``benchmarks/vi_speed.py``);
* ``nuts``: NUTS on a logistic regression with 10^5 rows, NumPyro and
  BlackJAX on JAX against nutpie (``benchmarks/logistic_1e5.py``).

Each script writes its tables into a scratch copy; this script gathers them
into one section of ``BENCHMARKS.md``, ``bench:device_gpu`` (or
``bench:device_cpu`` when there is no GPU), headed by the device's name, so a
GPU run never overwrites the CPU numbers of the scripts' own sections.

A GPU needs a CUDA build of JAX: ``pip install 'ppl[gpu]'`` (see
``docs/engines.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NO_GPU = ("JAX sees no GPU on this machine (jax.devices('gpu') is empty or JAX has no CUDA backend); "
          "install the GPU extra, pip install 'ppl[gpu]', on a machine with an NVIDIA GPU")


# name -> (script, arguments of a full run, arguments of a --quick run)
BENCHES = {
    "vsbc": ("vsbc_speed.py", [], ["--quick"]),
    "advi": ("vi_speed.py", [], ["--quick"]),
    "nuts": ("logistic_1e5.py", [], ["--quick"]),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["auto", "gpu", "cpu"], default="auto",
                   help="auto (default): the GPU if JAX sees one, else the CPU; gpu: the GPU or exit 2")
    p.add_argument("--only", default=",".join(BENCHES),
                   help=f"comma-separated subset of {', '.join(BENCHES)} (default: all)")
    p.add_argument("--quick", action="store_true", help="reduced sizes (checks that it runs; not for the numbers)")
    p.add_argument("--no-write", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    args = p.parse_args(argv)
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in args.only if b not in BENCHES]
    if unknown or not args.only:
        p.error(f"--only: unknown benchmark(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(BENCHES)}")
    return args


def gpu_names() -> list[str]:
    """Names of the GPUs JAX sees (empty without a GPU or a CUDA build of JAX)."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # leave the GPU's memory to the benchmarks
    import jax

    try:
        return [getattr(d, "device_kind", str(d)) for d in jax.devices("gpu")]
    except RuntimeError:
        return []


def choose_device(requested: str, gpus: list[str]) -> tuple[str, str]:
    """``(platform, message)``; raises ``SystemExit(2)`` when a GPU was asked for and there is none."""
    if requested == "gpu" and not gpus:
        print(f"error: --device gpu: {NO_GPU}; or run with --device cpu", file=sys.stderr)
        raise SystemExit(2)
    if requested == "cpu":
        return "cpu", "running on the CPU (--device cpu)"
    if gpus:
        return "gpu", f"running on the GPU: {gpus[0]}" + (f" (JAX sees {len(gpus)})" if len(gpus) > 1 else "")
    return "cpu", f"NO GPU: {NO_GPU}. Running on the CPU instead."


def device_env(platform: str) -> dict:
    """Environment of the sub-benchmarks: JAX restricted to the chosen platform."""
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu" if platform == "cpu" else "cuda,cpu"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def command(name: str, quick: bool, platform: str, scratch: Path) -> list[str] | None:
    """The sub-benchmark's command line, or None when its script is not in this checkout."""
    script, full, reduced = BENCHES[name]
    path = HERE / script
    if not path.exists():
        return None
    cmd = [sys.executable, str(path), *(reduced if quick else full)]
    if name == "advi":
        cmd += ["--out", str(scratch)]
    if name == "nuts":
        cmd += ["--device", platform]
    return cmd


def _embedded(text: str) -> str:
    """A sub-benchmark's sections: markers and the file's preamble removed, headings two levels down."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("<!--")), 0)  # the file's own preamble before
    lines = [ln for ln in lines[start:] if not re.fullmatch(r"\s*<!--.*-->\s*", ln)]
    lines = ["##" + ln if ln.startswith("##") else ln for ln in lines]
    return "\n".join(lines).strip()


def run_one(name: str, args, platform: str) -> tuple[str, str]:
    """``(status, body)`` of one sub-benchmark."""
    with tempfile.TemporaryDirectory(prefix="ppl-gpu-bench-") as tmp:
        scratch = Path(tmp) / "BENCHMARKS.md"
        cmd = command(name, args.quick, platform, scratch)
        if cmd is None:
            script = BENCHES[name][0]
            return "skipped", (f"`benchmarks/{script}` is not in this checkout (it comes with the batched "
                               "calibration work); skipped.")
        env = {**device_env(platform), "PPL_BENCHMARKS_MD": str(scratch)}
        print(f"[gpu.py] {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            return "failed", f"exit code {proc.returncode} after {seconds:.0f} s:\n\n```\n{tail}\n```"
        body = _embedded(scratch.read_text()) if scratch.exists() else proc.stdout.strip()
        return f"ok ({seconds:.0f} s)", body


def main(argv=None) -> int:
    args = parse_args(argv)
    platform, message = choose_device(args.device, gpu_names())
    print(f"[gpu.py] {message}", file=sys.stderr, flush=True)
    parts, statuses = [], []
    for name in args.only:
        status, body = run_one(name, args, platform)
        statuses.append(f"{name}: {status}")
        print(f"[gpu.py] {name}: {status}", file=sys.stderr, flush=True)
        parts.append(f"### {name}\n\n{body}")
    head = (f"Device: **{message.rstrip('.')}**. Sub-benchmarks run with `JAX_PLATFORMS="
            f"{device_env(platform)['JAX_PLATFORMS']}`: {'; '.join(statuses)}.")
    if args.quick:
        head += "\n\n**Reduced run (--quick): shows that the scripts run, not the speed.**"
    body = head + "\n\n" + "\n\n".join(parts)
    print(body)
    if not args.no_write:
        sys.path.insert(0, str(HERE))
        from harness import write_section

        title = "JAX path on the GPU" if platform == "gpu" else "JAX path on the CPU (no GPU used)"
        write_section(f"device_{platform}", title, body)
    return 0 if all("failed" not in s for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
