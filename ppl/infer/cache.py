"""A cross-process cache of compiled sampling programs.

An entry is one file ``<cache>/programs/<key>.ppx``: a magic line, one JSON
header line (the key, the payload's SHA-256 and length of each part, and the
metadata needed to label the outputs), then the payload: JAX ``Exported``
programs serialized as StableHLO flatbuffers (``jax.export``; no pickle, no
Python code).  The XLA executables compiled from them are kept by JAX's own
persistent compilation cache in ``<cache>/xla``.

Keys hash everything a program depends on: the model source, the data shapes
and dtypes (the data values are program inputs), the sampler options that
shape the program, the versions of ppl, PyMC, PyTensor, JAX and
BlackJAX, and a hash of ppl's own source files (so a changed compiler never
reuses a program built by the old one, even at the same version number).  A file whose magic, key or checksum does not match, or that does
not deserialize, is deleted and rebuilt: never trusted.  Entries are written
atomically (temp file, then rename), so concurrent runs never see half a file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["cache_dir", "cache_key", "source_fingerprint", "load_entry", "save_entry", "enable_xla_cache", "clear"]

MAGIC = b"PPL-PROGRAM-1\n"
_VERSIONED = ("ppl", "pymc", "pytensor", "jax", "jaxlib", "blackjax")


def cache_dir() -> Path:
    """``$PPL_CACHE_DIR``, else ``$XDG_CACHE_HOME/ppl``, else ``~/.cache/ppl``."""
    if os.environ.get("PPL_CACHE_DIR"):
        return Path(os.environ["PPL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ppl"


@functools.cache
def source_fingerprint() -> str:
    """The :func:`tree_fingerprint` of the installed ``ppl`` package."""
    return tree_fingerprint(Path(__file__).resolve().parents[1])


def tree_fingerprint(root: Path) -> str:
    """SHA-256 of the ``.py`` and ``.lark`` files under ``root`` (relative paths and contents, sorted)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "machine": platform.machine(),
           "ppl-source": source_fingerprint()}
    for name in _VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "none"
    return out


def cache_key(parts: dict) -> str:
    """SHA-256 of the canonical JSON of ``parts`` plus the library versions."""
    blob = json.dumps({"parts": parts, "versions": _versions()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / "programs" / f"{key}.ppx"


def load_entry(key: str) -> tuple[dict, list[bytes]] | None:
    """The header metadata and payload parts of entry ``key``; ``None`` if absent or invalid."""
    path = _path(key)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    entry = _parse(raw, key)
    if entry is None:
        discard(key)
    return entry


def _parse(raw: bytes, key: str):
    if not raw.startswith(MAGIC):
        return None
    head_end = raw.find(b"\n", len(MAGIC))
    try:
        header = json.loads(raw[len(MAGIC):head_end])
    except (ValueError, UnicodeDecodeError):
        return None
    payload = raw[head_end + 1:]
    if header.get("key") != key or hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        return None
    parts, start = [], 0
    for n in header.get("lengths", []):
        parts.append(payload[start:start + n])
        start += n
    return (header.get("meta", {}), parts) if start == len(payload) else None


def save_entry(key: str, meta: dict, parts: list[bytes]) -> None:
    """Write an entry atomically; a cache that can't be written is skipped silently."""
    payload = b"".join(parts)
    header = {"key": key, "sha256": hashlib.sha256(payload).hexdigest(), "lengths": [len(p) for p in parts],
              "meta": meta}
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        return


def discard(key: str) -> None:
    try:
        _path(key).unlink()
    except OSError:
        pass


def clear() -> int:
    """Delete every entry; return how many were deleted."""
    n = 0
    for p in (cache_dir() / "programs").glob("*.ppx"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def enable_xla_cache() -> None:
    """Let JAX keep compiled executables in ``<cache>/xla`` (its own keyed, versioned cache)."""
    import jax

    jax.config.update("jax_compilation_cache_dir", str(cache_dir() / "xla"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
