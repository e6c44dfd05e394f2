"""The function registry (check side): names, arity and kind of each function.

Kinds: ``elementwise`` (aligned by dim name), ``reduce`` (optional dim
argument), ``scan`` (shape-keeping along one dim), and the special forms
``size``, ``dot``, ``where``, ``clip``, ``fill``.  Lowering has the matching
table in :mod:`ppl.backend.functions`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FunctionSpec", "FUNCTIONS", "ALIASES", "CONSTANTS", "INT_PRESERVING"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    kind: str
    arity: tuple[int, int]  # min, max number of arguments
    usage: str


FUNCTIONS: dict[str, FunctionSpec] = {}


def _fn(name: str, kind: str, arity: tuple[int, int], usage: str) -> None:
    FUNCTIONS[name] = FunctionSpec(name, kind, arity, usage)


for _name in ("exp log log1p expm1 sqrt square abs sign sin cos tan tanh sigmoid logit "
              "softplus relu erf Phi lgamma").split():
    _fn(_name, "elementwise", (1, 1), f"{_name}(x)")
for _name in ("sum", "mean", "prod", "min", "max", "logsumexp"):
    _fn(_name, "reduce", (1, 2), f"{_name}(x) or {_name}(x, dim)")
for _name in ("softmax", "log_softmax", "cumsum"):
    _fn(_name, "scan", (1, 2), f"{_name}(x, dim)")
_fn("size", "size", (1, 1), "size(dim)")
_fn("dot", "dot", (3, 3), "dot(x, y, dim)")
_fn("where", "where", (3, 3), "where(cond, a, b)")
_fn("clip", "clip", (3, 3), "clip(x, lo, hi)")
_fn("fill", "fill", (2, 64), "fill(value, dim, ...)")
del _name

ALIASES = {"inv_logit": "sigmoid"}
CONSTANTS = {"inf": float("inf"), "pi": 3.141592653589793}
INT_PRESERVING = {"abs", "square", "sign", "sum", "prod", "min", "max", "cumsum"}
