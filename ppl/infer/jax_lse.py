"""Log-sum-exp on the JAX path, fenced off from XLA's fusion.

PyTensor's ``LogSumExp`` is a symbolic op that its rewrites inline as
``log(sum(exp(x - m))) + m`` with ``m = max(x)`` (0 where the maximum is
``-inf``).  On ``models/zip_latent.ppl`` (a Bernoulli latent summed out of a
Poisson likelihood, so ``x`` holds ``-inf`` for every positive count under
``z = 0``) the gradient of that inlined graph, jitted by XLA on the CPU, was
NaN at about half of the random points tried, while the same function
evaluated op by op (``jax.disable_jit``) or with XLA's fusion pass disabled
was finite and equal to PyTensor's C backend.  NumPyro's NUTS on that
gradient sampled a wrong posterior (R-hat ~ 3).

:func:`fence_logsumexp` swaps every ``LogSumExp`` node of a graph for
:class:`FencedLogSumExp` before PyTensor's JAX rewrites; its JAX code is the
same shifted sum, with the shift held out of the gradient (its exact
derivative is zero) and ``jax.lax.optimization_barrier`` on its input and
output, so XLA neither fuses nor re-associates across it.  The C backend is
untouched.

References
----------
N. J. Higham (2002), *Accuracy and Stability of Numerical Algorithms*, 2nd
ed., SIAM (shifted log-sum-exp).
"""

from __future__ import annotations

import numpy as np
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.jax.dispatch import jax_funcify
from pytensor.tensor.special import LogSumExp
from pytensor.tensor.type import TensorType

__all__ = ["FencedLogSumExp", "fence_logsumexp", "jax_logsumexp"]


class FencedLogSumExp(Op):
    """``logsumexp(x, axis)`` for the JAX backend only (``perform`` is NumPy, for checks)."""

    __props__ = ("axis",)

    def __init__(self, axis: tuple[int, ...]):
        self.axis = tuple(axis)

    def make_node(self, x):
        keep = [s for i, s in enumerate(x.type.shape) if i not in self.axis]
        return Apply(self, [x], [TensorType(x.type.dtype, shape=tuple(keep))()])

    def perform(self, node, inputs, outputs):
        (x,) = inputs
        m = np.max(x, axis=self.axis, keepdims=True)
        m = np.where(np.isinf(m), 0.0, m)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        outputs[0][0] = np.asarray(np.squeeze(out, axis=self.axis), dtype=node.outputs[0].dtype)


def jax_logsumexp(x, axis: tuple[int, ...]):
    """The fenced, shifted log-sum-exp in JAX."""
    import jax
    import jax.numpy as jnp

    x = jax.lax.optimization_barrier(x)
    m = jnp.max(x, axis=axis, keepdims=True)
    m = jax.lax.stop_gradient(jnp.where(jnp.isinf(m), 0.0, m))
    out = jnp.log(jnp.sum(jnp.exp(x - m), axis=axis, keepdims=True)) + m
    return jax.lax.optimization_barrier(jnp.squeeze(out, axis=axis))


@jax_funcify.register(FencedLogSumExp)
def _jax_funcify_fenced(op, **kwargs):
    axis = op.axis

    def fenced_logsumexp(x):
        return jax_logsumexp(x, axis)

    return fenced_logsumexp


def fence_logsumexp(fgraph) -> int:
    """Replace every ``LogSumExp`` node of ``fgraph`` (in place); return how many were replaced."""
    nodes = [n for n in fgraph.toposort() if isinstance(n.op, LogSumExp)]
    for node in nodes:
        fenced = FencedLogSumExp(node.op.axis)(node.inputs[0])
        fgraph.replace(node.outputs[0], fenced, reason="fence_logsumexp", import_missing=True)
    return len(nodes)
