"""A cheaper Bernoulli log-likelihood with logits on the JAX path.

PyMC writes ``Bernoulli(logit_p=x)`` as
``switch(y < 0 | y > 1, -inf, switch(y, -softplus(-x), -softplus(x)))``:
both branches are computed for every row, two ``softplus`` (an ``exp`` and a
``log1p`` each) and, under autodiff, both their derivatives.  Inside the range
guard ``y`` is 0 or 1, where ``switch(y, -softplus(-x), -softplus(x))`` equals
``y * x - softplus(x)`` (as ``-softplus(-x) = x - softplus(x)``): one
``softplus``, the form NumPyro's ``Bernoulli(logits=...)`` uses.  The rewrite
matches only the guarded pattern, so values outside {0, 1} still give
``-inf``.  On a 5000-row logistic regression the ADVI step on JAX spent most
of its time here (``benchmarks/vi_speed.py``).  The C backend is untouched.

PyTensor's JAX code for ``softplus`` is a ``where`` over ``exp(x)`` and
``log1p(exp(x))`` branches; the untaken branch overflows for ``|x|`` above
about 710 and its derivative, ``inf * 0``, made the gradient NaN there (the C
backend is finite). :func:`stable_softplus` replaces every ``softplus`` of a
JAX-bound graph by a two-sided form whose branches never overflow.

Numerics: for large positive ``x`` with ``y = 1`` the result is ``x -
softplus(x)``, whose rounding error is a few ulp of ``x`` (about ``1e-16 |x|``
absolute) where the true value ``-softplus(-x)`` is tinier than that; the
gradient ``y - sigmoid(x)`` has the same absolute accuracy.  Against a log
density summed over rows this is far below any tolerance that matters
(``tests/infer/test_jax_logit.py``).
"""

from __future__ import annotations

import pytensor.scalar as ps
import pytensor.tensor as pt
from pytensor.scalar.math import Softplus
from pytensor.tensor.elemwise import Elemwise

__all__ = ["simplify_binary_logit", "stable_softplus"]


def _is(var, scalar_op) -> bool:
    node = var.owner
    return node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, scalar_op)


def _constant(var):
    try:
        return float(pt.get_underlying_scalar_constant_value(var))
    except Exception:  # noqa: BLE001 - not a constant
        return None


def _logit_branches(switch):
    """``(c, x)`` if ``switch`` is ``switch(c, -softplus(-x), -softplus(x))``, else None."""
    c, yes, no = switch.owner.inputs
    if not (_is(yes, ps.Neg) and _is(no, ps.Neg)):
        return None
    soft_yes, soft_no = yes.owner.inputs[0], no.owner.inputs[0]
    if not (_is(soft_yes, Softplus) and _is(soft_no, Softplus)):
        return None
    neg_x, x = soft_yes.owner.inputs[0], soft_no.owner.inputs[0]
    if not (_is(neg_x, ps.Neg) and neg_x.owner.inputs[0] is x):
        return None
    return c, x


def _guards_zero_one(cond, c) -> bool:
    """``cond`` is ``(c < 0) | (c > 1)``."""
    if not _is(cond, ps.OR):
        return False
    low, high = cond.owner.inputs
    return (_is(low, ps.LT) and _is(high, ps.GT) and low.owner.inputs[0] is c and high.owner.inputs[0] is c
            and _constant(low.owner.inputs[1]) == 0.0 and _constant(high.owner.inputs[1]) == 1.0)


def simplify_binary_logit(fgraph) -> int:
    """Rewrite every guarded Bernoulli-logit switch of ``fgraph`` in place; return how many."""
    count = 0
    for node in list(fgraph.toposort()):
        if not (isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, ps.Switch)):
            continue
        cond, _, inner = node.inputs
        if not _is(inner, ps.Switch) or inner not in fgraph.variables:
            continue
        found = _logit_branches(inner)
        if found is None or not _guards_zero_one(cond, found[0]):
            continue
        c, x = found
        fgraph.replace(inner, pt.cast(c, x.dtype) * x - _softplus(x), reason="simplify_binary_logit",
                       import_missing=True)
        count += 1
    return count


def _softplus(x):
    """``log(1 + exp(x))`` as ``relu(x) + log1p(exp(-|x|))``: the exponent is never positive, so
    neither the value nor the gradient overflows; ``relu`` and ``-|x|`` are switches on ``x > 0``,
    which makes the gradient at 0 exactly 1/2 (one ``exp`` and one ``log1p`` per element)."""
    positive = pt.gt(x, 0)
    return pt.switch(positive, x, 0) + pt.log1p(pt.exp(pt.switch(positive, -x, x)))


def stable_softplus(fgraph) -> int:
    """Replace every ``softplus`` node of ``fgraph`` by :func:`_softplus` (in place); return how many."""
    nodes = [n for n in fgraph.toposort() if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Softplus)]
    for node in nodes:
        fgraph.replace(node.outputs[0], _softplus(node.inputs[0]), reason="stable_softplus", import_missing=True)
    return len(nodes)
