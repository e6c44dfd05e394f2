"""Running inference on a checked model: MCMC, summed-out latents, generated quantities, provenance."""

from __future__ import annotations

import json
import platform

import numpy as np

from .. import driver
from ..data.bind import BoundData, data_hash
from ..errors import Diagnostic, Interrupted, PplError
from ..semantics import ir
from .interrupt import mark_partial
from .mcmc import MCMCConfig, _has_discrete, check_config, run_mcmc
from .recover import add_discrete_posterior

__all__ = ["sample", "predict", "provenance"]


def provenance(model, bound: BoundData, options: dict) -> dict[str, str]:
    """What is needed to repeat a run: hashes, versions, seed, every option."""
    from importlib.metadata import version

    from .. import __version__

    return {
        "ppl_model": model.name,
        "ppl_model_sha256": driver.source_hash(model.source),
        "ppl_data_sha256": data_hash(bound),
        "ppl_data_ignored": json.dumps(list(bound.ignored)),
        "ppl_options": json.dumps(options, sort_keys=True, default=str),
        "ppl_version": __version__,
        "pymc_version": version("pymc"),
        "pytensor_version": version("pytensor"),
        "python_version": platform.python_version(),
        **_engine_version(options.get("engine")),
    }


def _engine_version(engine: str | None) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    if not engine:
        return {}
    try:
        return {"ppl_engine": engine, "ppl_engine_version": version(engine)}
    except PackageNotFoundError:
        return {"ppl_engine": engine}


def _generated_names(model, bound) -> list[str]:
    ir_model = driver.on_data(model.ir, bound)  # what only depends on summed-out missing entries is drawn too
    return [n.name for n in ir_model.nodes if n.name in ir_model.generated
            and getattr(n, "role", None) in ("generated", "derived")]


def _draw_generated(model, bound, result, seed, progressbar):
    names = _generated_names(model, bound)
    if not names:
        return result
    import pymc as pm

    full = driver.build(model.ir, bound, generated=True).pm_model
    pp = pm.sample_posterior_predictive(result, model=full, var_names=names, random_seed=seed,
                                        progressbar=progressbar)
    posterior = result["posterior"].to_dataset()
    drawn = pp["posterior_predictive"].to_dataset()
    result["posterior"] = posterior.merge(drawn[names])
    return result


def _check_proper_prior(model) -> None:
    """A model with nothing observed is drawn forward from its prior, which must then be proper."""
    from ..backend.numerics import improper_variable

    found = improper_variable(model.ir)
    if found is not None:
        node, name = found
        raise PplError(Diagnostic(
            "E-improper-prior", f"`{node.name}` has an improper prior ({name}) and nothing in the model is "
            "observed or weighted by a potential: there is no distribution to draw it from", node.span,
            f"give `{node.name}` a proper prior, or observe data that depend on it"))


def _prior_only(pm_model, config: MCMCConfig):
    """A model with nothing to infer: everything is drawn forward."""
    import pymc as pm

    prior = pm.sample_prior_predictive(draws=config.draws * config.chains, model=pm_model,
                                       random_seed=config.seed)
    ds = prior["prior"].to_dataset()
    ds = ds.stack(sample=("chain", "draw")).drop_vars(["chain", "draw", "sample"])
    ds = ds.assign_coords(sample=np.arange(ds.sizes["sample"]))
    ds = ds.coarsen(sample=config.draws).construct(sample=("chain", "draw"))
    return prior.__class__.from_dict({"posterior": ds.transpose("chain", "draw", ...)})


def _has_parameters(model) -> bool:
    return any(getattr(n, "role", None) in ("param", "observed") for n in model.ir.nodes
               if n.name not in model.ir.generated)


def sample(model, bound: BoundData, config: MCMCConfig):
    """Run MCMC on the inference model, then draw generated quantities per draw.

    The ``blackjax`` engine runs a compiled program, from the cache when it can
    (no PyMC graph is built then); ``numpyro`` runs NumPyro's NUTS on ppl's JAX
    graph (:mod:`.jax_numpyro`); the other engines go through ``pm.sample``.
    """
    check_config(config)
    warnings, lowered = [], None
    try:
        if not _has_parameters(model):
            _check_proper_prior(model)
            result = _prior_only(driver.build(model.ir, bound, generated=True).pm_model, config)
        elif config.engine == "blackjax" and config.method == "nuts":
            from .jax_nuts import sample_blackjax

            result = sample_blackjax(model, bound, config)
            warnings = list(result.attrs.pop("ppl_lowering_warnings", []))
        else:
            lowered = driver.build(model.ir, bound)
            warnings = [w.render() for w in lowered.warnings]
            result = _run_built(model, bound, lowered, config)
    except Interrupted as exc:
        raise _partial(exc.partial, model, bound, config, warnings) from None
    except KeyboardInterrupt:
        raise Interrupted() from None
    try:
        if driver.on_data(model.ir, bound).marginals:
            built = lowered if lowered is not None else driver.build(model.ir, bound)
            result = add_discrete_posterior(built, result, seed=_latent_seed(config.seed))
        result = _draw_generated(model, bound, result, config.seed, config.progressbar)
    except KeyboardInterrupt:  # the draws are complete; what is missing is drawn per draw afterwards
        raise _partial(result, model, bound, config, warnings,
                       "interrupted (SIGINT) after sampling: no generated quantities or summed-out latents")
    result.attrs.update(provenance(model, bound, config.as_dict()))
    ran = _engine_that_ran(config, lowered)
    if ran != config.engine:
        result.attrs.update(_engine_version(ran), ppl_engine_requested=config.engine)
        warnings.append(f"warning: the `{config.engine}` engine cannot sample discrete parameters; PyMC's "
                        "compound step (NUTS + discrete steps) ran instead (recorded as ppl_engine)")
    result.attrs["ppl_warnings"] = json.dumps(warnings)
    return result


def _engine_that_ran(config: MCMCConfig, lowered) -> str:
    """``pm.sample`` runs PyMC's own compound step whenever a parameter is discrete, whatever engine was asked."""
    if lowered is not None and config.engine != "pymc" and _has_discrete(lowered.pm_model):
        return "pymc"
    return config.engine


def _partial(result, model, bound, config, warnings, reason="interrupted (SIGINT) while sampling") -> Interrupted:
    """:class:`Interrupted` carrying the draws done so far, marked partial, with the run's provenance."""
    if result is None:
        return Interrupted()
    result = mark_partial(result, reason)
    result.attrs.update(provenance(model, bound, config.as_dict()))
    result.attrs["ppl_warnings"] = json.dumps(warnings)
    return Interrupted(result)


def _run_built(model, bound, lowered, config: MCMCConfig):
    """NumPyro's NUTS on ppl's JAX graph when every parameter is continuous, else ``pm.sample``."""
    if config.engine == "numpyro" and config.method == "nuts" and not _has_discrete(lowered.pm_model):
        from .jax_numpyro import sample_numpyro

        return sample_numpyro(model, bound, lowered, config)
    return run_mcmc(lowered.pm_model, config)


def _latent_seed(seed):
    """A stream for the draws of summed-out latents, apart from the sampler's."""
    return None if seed is None else np.random.default_rng([seed, 0x6D6978])


def predict(model, result, bound: BoundData, *, seed=None, progressbar=False):
    """Draw left-out observed variables, generated and derived quantities on new data."""
    import pymc as pm

    full = driver.build(model.ir, bound, generated=True).pm_model
    names = list(bound.left_out) + [n.name for n in model.ir.nodes
                                    if n.name in model.ir.generated or getattr(n, "role", None) == "derived"]
    names += [m.name for m in model.ir.marginals]
    names = [n for n in dict.fromkeys(names) if n in full.named_vars]
    # drawn afresh even where the fit's posterior holds them (generated quantities are merged into it):
    # PyMC otherwise copies trace values, of the fit-time shapes; summed-out latents too (from their
    # distribution given the parameters, not conditioned on new observations)
    drawn = [n for n in names if n in bound.left_out or isinstance(model.ir.node(n), ir.RandomVar)]
    out = pm.sample_posterior_predictive(result, model=full, var_names=names, sample_vars=drawn,
                                         random_seed=seed, progressbar=progressbar, predictions=True)
    out.attrs.update(provenance(model, bound, {"predict": True, "seed": seed}))
    return out

