"""Which device the JAX engines run on: ``--device auto|cpu|gpu``.

``auto`` (the default) uses a GPU when JAX sees one, else the CPU.  ``gpu``
without a GPU (or with a JAX built without CUDA) is an error that says how to
get one; ppl never falls back to the CPU silently when a GPU was asked for.
"""

from __future__ import annotations

from ..errors import Diagnostic, PplError

__all__ = ["DEVICES", "select_device"]

DEVICES = ("auto", "cpu", "gpu")


def _gpus():
    import jax

    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


def select_device(device: str) -> str:
    """Make ``device`` JAX's default device; return the platform used (``cpu`` or ``gpu``)."""
    import jax

    if device not in DEVICES:
        raise PplError(Diagnostic("E-option", f"unknown device `{device}`", None, "devices: auto, cpu, gpu"))
    gpus = [] if device == "cpu" else _gpus()
    if device == "gpu" and not gpus:
        raise PplError(Diagnostic("E-no-gpu", "JAX sees no GPU on this machine", None,
                                  "install the GPU extra (pip install 'ppl[gpu]', a CUDA build of JAX) on a "
                                  "machine with an NVIDIA GPU, or run with --device cpu"))
    target = gpus[0] if gpus else jax.devices("cpu")[0]
    jax.config.update("jax_default_device", target)
    return "gpu" if gpus else "cpu"
