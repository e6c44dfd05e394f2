"""Variational inference on a checked model: compile, fit, draw, build the result.

``fit(model, bound, config) -> DataTree`` is what ``Model.fit`` and
``ppl fit`` call; :func:`compile_program` gives the reusable
:class:`~ppl.vi.program.VIProgram` that calibration checks re-fit on many
data sets.
"""

from __future__ import annotations

import json

import numpy as np

from .. import driver
from ..data.bind import BoundData
from ..errors import NO_SPAN, PplError
from . import messages as msg
from .config import VIConfig, check_config, uses_guide_engine
from .minibatch import batch_bound, check_minibatch, resolve_batch_dim

__all__ = ["compile_program", "fit", "resolve_seed"]


def resolve_seed(seed: int | None) -> int:
    """The seed to use and record: ``seed``, or fresh entropy."""
    return int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else int(seed)


def _check_continuous(model, pm_model) -> None:
    if not pm_model.free_RVs:
        raise PplError(msg.no_parameters())
    for rv in pm_model.free_RVs:
        if rv.dtype.startswith("int"):
            node = next((n for n in model.ir.nodes if n.name == rv.name), None)
            raise PplError(msg.discrete_parameter(node.span if node else NO_SPAN, rv.name))


def _batch_dim(model, bound: BoundData, config: VIConfig) -> str | None:
    if config.batch_size is None:
        return None
    dim = resolve_batch_dim(model.ir, config.batch_dim)
    check_minibatch(model.ir, bound, dim)
    return dim if config.batch_size < bound.sizes[dim] else None  # a batch of all rows is a full batch


def compile_program(model, bound: BoundData, config: VIConfig, pm_model=None):
    """Compile ``model`` on data shaped like ``bound`` for VI (see :class:`VIProgram`).

    ``pm_model`` is the inference model already built on ``bound`` (built here if not given).
    """
    from .objective import build_objective
    from .program import VIProgram, data_inputs

    check_config(config)
    dim = _batch_dim(model, bound, config)
    if pm_model is None or dim is not None:
        shaped = bound if dim is None else batch_bound(model.ir, bound, dim, config.batch_size)
        pm_model = driver.build(model.ir, shaped).pm_model
    _check_continuous(model, pm_model)
    data_dims = {d.name: d.dims for d in model.ir.data}
    total = bound.sizes[dim] if dim is not None else None
    ordered = frozenset(n.name for n in model.ir.nodes if getattr(n, "ordered", False))
    objective = build_objective(pm_model, data_dims, dim, total, ordered, config.gradient)
    return VIProgram(objective, config, data_inputs(objective, bound.values))


def _recover_marginalized(model, lowered, result, seed: int):
    """Summed-out discrete latents per draw of q, as after MCMC (the one place VI does so).

    :func:`ppl.infer.recover.add_discrete_posterior` adds ``<z>_probs`` and one
    draw of ``z`` per draw, from the continuous parameters' draws; it uses its
    own random stream, apart from the fit's (the same as ``sample`` does).
    """
    if not lowered.marginals:
        return result
    from ..infer.recover import add_discrete_posterior
    from ..infer.run import _latent_seed

    return add_discrete_posterior(lowered, result, seed=_latent_seed(seed))


def _generated(model, bound: BoundData, result, seed: int, progressbar: bool):
    from ..infer.run import _draw_generated

    return _draw_generated(model, bound, result, seed, progressbar)


def _warnings(fit, lowered_warnings) -> list[str]:
    out = [w.render() for w in lowered_warnings]
    if fit.stop_reason == "max_steps" and "param_change" not in fit.windows:
        lr = fit.windows.get("lr", np.array([np.nan]))
        out.append(msg.not_converged_elbo(fit.steps, float(lr[-1]) if lr.size else np.nan).render())
    elif fit.stop_reason == "max_steps":
        moved = fit.windows.get("param_change", np.array([np.nan]))
        lr = fit.windows.get("lr", np.array([np.nan]))
        out.append(msg.not_converged(fit.steps, float(moved[-1]) if moved.size else np.nan,
                                     float(lr[-1]) if lr.size else np.nan).render())
    return out


def _prior_only(model, bound, config: VIConfig, seed: int):
    from ..infer.mcmc import MCMCConfig
    from ..infer.run import _prior_only

    full = driver.build(model.ir, bound, generated=True).pm_model
    return _prior_only(full, MCMCConfig(draws=config.draws, chains=1, seed=seed))


def _run(model, bound: BoundData, config: VIConfig, seed: int, pm_model):
    """Fit; return the result tree and the fit."""
    import jax

    from .progress import fit_progress
    from .result import build_result

    program = compile_program(model, bound, config, pm_model)
    k_fit, k_draw = jax.random.split(jax.random.PRNGKey(seed % 2**32))
    with fit_progress(config.steps, config.progressbar) as progress:
        vifit = program.fit(key=k_fit, progress=progress)
    if vifit.stop_reason == "diverged":
        lr = float(vifit.windows["lr"][-1]) if vifit.windows.get("lr", np.array([])).size else config.learning_rate
        raise PplError(msg.diverged(vifit.diverged_step + 1, config.steps, lr, config.method))
    draws = program.draw(vifit, config.draws, key=k_draw)
    return build_result(pm_model, program, vifit, draws), vifit


def fit(model, bound: BoundData, config: VIConfig):
    """Fit ``model`` on ``bound`` with ADVI; return the result DataTree (see :mod:`ppl.vi.result`)."""
    from ..infer.run import provenance

    check_config(config)
    seed = resolve_seed(config.seed)
    lowered = driver.build(model.ir, bound)
    if not lowered.pm_model.free_RVs and not lowered.pm_model.observed_RVs:
        result, vifit, warns = _prior_only(model, bound, config, seed), None, []
    elif uses_guide_engine(config):
        from .amortized import fit_guide

        result, _, vifit = fit_guide(model, bound, config, seed)
        warns = lowered.warnings
    else:
        result, vifit = _run(model, bound, config, seed, lowered.pm_model)
        warns = lowered.warnings
        result = _recover_marginalized(model, lowered, result, seed)
        result = _generated(model, bound, result, seed, config.progressbar)
    result.attrs.update(provenance(model, bound, {**config.as_dict(), "seed": seed, "inference": "vi"}))
    result.attrs["ppl_warnings"] = json.dumps(_warnings(vifit, warns) if vifit is not None else [])
    return result
