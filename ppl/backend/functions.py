"""Lowering table for operators and functions (the check side is
:mod:`ppl.semantics.functions`)."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.special import log_softmax, softmax

__all__ = ["ELEMENTWISE", "REDUCE", "SCAN"]


def _phi(x):
    return 0.5 * (1.0 + pt.erf(x / np.sqrt(2.0)))


def _int(op):
    """A comparison or logical operator whose 0/1 result is int64, not PyTensor's bool.

    Bools act as 0/1 in arithmetic, but PyTensor refuses them in negation and
    in distribution parameters (``-(x > 0)``, ``HalfNormal(x > 0)``: TypeError),
    and ``exp`` of a bool is computed in float32.  Found by the lowering fuzz.
    """
    return lambda *args: pt.cast(op(*args), "int64")


# `^` is real (the checker's type): an int64 power raised NumPy's ValueError for a negative exponent
# (`2 ^ -2`) and wrapped around past 2^63 (found by the lowering fuzz, ROBUSTNESS.md #36).
ELEMENTWISE = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: pt.true_div(pt.cast(a, "float64"), b), "pow": lambda a, b: pt.cast(a, "float64") ** b,
    "neg": lambda a: -a,
    "<": _int(pt.lt), "<=": _int(pt.le), ">": _int(pt.gt), ">=": _int(pt.ge), "==": _int(pt.eq),
    "!=": _int(pt.neq),
    "and": _int(lambda a, b: pt.and_(pt.neq(a, 0), pt.neq(b, 0))),
    "or": _int(lambda a, b: pt.or_(pt.neq(a, 0), pt.neq(b, 0))),
    "not": _int(lambda a: pt.eq(a, 0)),
    "exp": pt.exp, "log": pt.log, "log1p": pt.log1p, "expm1": pt.expm1, "sqrt": pt.sqrt,
    "square": pt.sqr, "abs": pt.abs, "sign": pt.sign, "sin": pt.sin, "cos": pt.cos, "tan": pt.tan,
    "tanh": pt.tanh, "sigmoid": pt.sigmoid, "logit": lambda x: pt.log(x) - pt.log1p(-x),
    "softplus": pt.softplus, "relu": lambda x: pt.maximum(x, 0), "erf": pt.erf, "Phi": _phi,
    "lgamma": pt.gammaln,
    "where": lambda c, a, b: pt.switch(pt.neq(c, 0), a, b),
    "clip": lambda x, lo, hi: pt.clip(x, lo, hi),
}

REDUCE = {
    "sum": pt.sum, "mean": pt.mean, "prod": pt.prod, "min": pt.min, "max": pt.max,
    "logsumexp": pt.logsumexp,
}

SCAN = {
    "softmax": lambda x, axis: softmax(x, axis=axis),
    "log_softmax": lambda x, axis: log_softmax(x, axis=axis),
    "cumsum": lambda x, axis: pt.cumsum(x, axis=axis),
}
