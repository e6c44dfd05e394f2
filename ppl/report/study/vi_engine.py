"""The variational engine, seen from a study: is it there?

VI fits go through ``Model.fit(method=...)`` (``ppl.vi``).  When that engine
is not installed in this build, :func:`vi_available` says why and the study
reports a "VI engine not available" section instead of failing.

The VSBC engine of a study is :class:`ppl.vi.calibrate.VIEngine` (the
replications fitted at once, vmapped).
"""

from __future__ import annotations

import importlib.util

__all__ = ["vi_available", "UNAVAILABLE_HINT"]

UNAVAILABLE_HINT = ("variational inference (ADVI) comes with the `ppl.vi` engine (Model.fit); install a ppl build "
                    "that has it, or compare with NUTS runs only")


def vi_available(model) -> tuple[bool, str]:
    """Whether ``model`` can be fitted with VI here, and if not, why."""
    if not hasattr(model, "fit"):
        return False, "VI engine not available: this build of ppl has no Model.fit"
    if importlib.util.find_spec("ppl.vi") is None:
        return False, "VI engine not available: the package ppl.vi is missing"
    return True, ""
