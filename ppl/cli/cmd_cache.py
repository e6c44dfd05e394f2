"""``ppl cache info|clear``: the compiled-program cache of the blackjax engine."""

from __future__ import annotations

__all__ = ["HELP", "add_arguments", "run"]

HELP = "show or clear the cache of compiled sampling programs"


def add_arguments(p) -> None:
    p.add_argument("action", choices=["info", "clear"])


def run(args) -> int:
    from ..infer.cache import cache_dir, clear

    root = cache_dir()
    if args.action == "clear":
        print(f"deleted {clear()} compiled programs from {root}")
        return 0
    entries = sorted((root / "programs").glob("*.ppx"))
    size = sum(p.stat().st_size for p in entries)
    print(f"{root}: {len(entries)} compiled programs, {size / 1e6:.1f} MB (set PPL_CACHE_DIR to move it)")
    return 0
