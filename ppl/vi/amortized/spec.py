"""Which approximation each variable gets, checked against the model.

``approximation`` maps parameter names to ``meanfield``, ``fullrank``,
``point`` or ``amortized``; parameters not named get the family of
``method`` (``advi``: meanfield, ``fullrank``: fullrank).  An amortized
variable is a *local* latent: its first dim is the dim of the observation
rows (the first dim of an observed variable), and q(z_n | x_n) is a Normal
whose mean and log-sd an encoder network computes from row ``n`` of the
observed data.  All amortized variables share that dim.  Mistakes (an unknown
name, amortizing a global, a parameter along the minibatch dim that is not
amortized) are ``E-option`` errors at the variable's line.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import NO_SPAN, Diagnostic, PplError, did_you_mean
from ...semantics import ir

__all__ = ["Spec", "resolve_spec"]

_DEFAULT_KIND = {"advi": "meanfield", "fullrank": "fullrank"}


@dataclass(frozen=True)
class Spec:
    """The resolved approximation: ``kinds`` maps each parameter to its kind;
    ``local_dim`` is the dim of the amortized variables (``None``: none)."""

    kinds: dict[str, str]
    local_dim: str | None

    def names(self, kind: str) -> tuple[str, ...]:
        return tuple(n for n, k in self.kinds.items() if k == kind)


def _error(message: str, span=NO_SPAN, hint: str | None = None) -> PplError:
    return PplError(Diagnostic("E-option", message, span, hint))


def _observed_first_dims(model: ir.Model) -> set[str]:
    return {n.dims[0] for n in model.observed if n.dims}


def resolve_spec(model: ir.Model, approximation, method: str, batch: bool, batch_dim: str | None) -> Spec:
    """Check ``approximation`` (pairs of name and kind) against ``model`` and resolve every parameter's kind.

    ``batch``: a minibatch is asked for; ``batch_dim`` the dim the user named for it, if any.
    """
    params = {n.name: n for n in model.params if model.marginal(n.name) is None}
    given = dict(approximation or ())
    for name in given:
        if name not in params:
            raise _error(f"`{name}` in the approximation is not a parameter of the model",
                         hint=did_you_mean(name, params) or f"parameters: {', '.join(params)}")
    kinds = {name: given.get(name, _DEFAULT_KIND[method]) for name in params}
    amortized = [n for n, k in kinds.items() if k == "amortized"]
    row_dims = _observed_first_dims(model)
    local_dims = set()
    for name in amortized:
        node = params[name]
        if not node.dims or node.dims[0] not in row_dims:
            where = f"its first dim is `{node.dims[0]}`" if node.dims else "it has no dims"
            raise _error(f"`{name}` cannot be amortized: {where}, not the dim of the observation rows", node.span,
                         "amortize local latents (one value per observed row, e.g. z[obs, latent]); "
                         "give globals meanfield, fullrank or point")
        local_dims.add(node.dims[0])
    if len(local_dims) > 1:
        raise _error(f"amortized variables must share their row dim, got {', '.join(sorted(local_dims))}")
    local_dim = next(iter(local_dims), None)
    if batch_dim is not None and local_dim is not None and batch_dim != local_dim:
        raise _error(f"--batch-dim `{batch_dim}` is not the dim of the amortized variables (`{local_dim}`)")
    if batch:
        from ..minibatch import resolve_batch_dim

        dim = local_dim or resolve_batch_dim(model, batch_dim)
        for name, node in params.items():
            if dim is not None and dim in node.dims and kinds[name] != "amortized":
                raise _error(f"`{name}` is a parameter along the minibatch dim `{dim}` but is not amortized",
                             node.span, f"give it an amortized approximation ({name}=amortized), or fit "
                             "without a minibatch")
    return Spec(kinds, local_dim)
