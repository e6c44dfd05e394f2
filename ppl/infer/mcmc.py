"""MCMC through ``pm.sample``: NUTS engines and PyMC's step methods.

``run_mcmc(pm_model, config) -> DataTree``.  The engine registry names the
optional extra that provides each engine, so a missing one is a clear error.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import asdict, dataclass

from ..errors import Diagnostic, Interrupted, PplError
from .freeze import freeze_data
from .interrupt import catch_interrupt, completed_draws

__all__ = ["MCMCConfig", "run_mcmc", "add_log_likelihood", "ENGINES", "METHODS", "set_thread_defaults",
           "resolve_engine", "check_config", "sample_kwargs"]

# engine -> (module that must import, the pip extra that installs it)
ENGINES = {
    "nutpie": ("nutpie", "ppl[nutpie]"),
    "pymc": ("pymc", "ppl"),
    "numpyro": ("numpyro", "ppl[jax]"),
    "blackjax": ("blackjax", "ppl[jax]"),
}
def _option_error(message: str, hint: str) -> PplError:
    return PplError(Diagnostic("E-option", message, hint=hint))


METHODS = ("nuts", "hmc", "metropolis")
DEFAULT_ENGINE = {"nuts": "nutpie", "hmc": "pymc", "metropolis": "pymc"}


def resolve_engine(engine: str | None, method: str) -> str:
    """The engine for ``method`` when none is given; HMC and Metropolis are PyMC's step methods."""
    if method not in METHODS:
        raise _option_error(f"unknown method `{method}`", f"methods: {', '.join(METHODS)}")
    if engine is None:
        return DEFAULT_ENGINE[method]
    if method != "nuts" and engine != "pymc":
        raise _option_error(f"--method {method} runs on PyMC's step methods, not on `{engine}`",
                            "drop --engine, or give --engine pymc")
    return engine


@dataclass(frozen=True)
class MCMCConfig:
    """Options of one MCMC run (all recorded in the result's provenance)."""

    engine: str = "nutpie"
    method: str = "nuts"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int | None = None
    progressbar: bool = True
    cores: int | None = None
    target_accept: float = 0.8
    device: str = "auto"

    def as_dict(self) -> dict:
        return asdict(self)


def set_thread_defaults() -> None:
    """One BLAS/OpenMP thread per process unless the user set it.

    Sampler processes (one per chain) already use the cores; BLAS threads
    fighting them made models 2-3x slower on a 2-core machine.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def check_config(config: MCMCConfig) -> None:
    if config.engine not in ENGINES:
        raise _option_error(f"unknown engine `{config.engine}`", f"engines: {', '.join(ENGINES)}")
    if config.method not in METHODS:
        raise _option_error(f"unknown method `{config.method}`", f"methods: {', '.join(METHODS)}")
    module, extra = ENGINES[config.engine]
    if importlib.util.find_spec(module) is None:
        raise _option_error(f"the engine `{config.engine}` is not installed",
                            f"pip install '{extra}', or use --engine pymc")
    if not 0 < config.target_accept < 1:
        raise _option_error("--target-accept must be between 0 and 1", f"got {config.target_accept}")
    for name in ("draws", "chains"):
        if getattr(config, name) < 1:
            raise _option_error(f"--{name} must be at least 1", f"got {getattr(config, name)}")
    if config.tune < 0:
        raise _option_error("--tune must be >= 0", f"got {config.tune}")


def _step(method: str, pm_model):
    import pymc as pm

    if method == "hmc":
        return pm.HamiltonianMC(model=pm_model)
    if method == "metropolis":
        return pm.Metropolis(model=pm_model)
    return None


def sample_kwargs(pm_model, config: MCMCConfig) -> dict:
    """The arguments of ppl's ``pm.sample`` call for ``config``, the model included.

    For NUTS on nutpie or PyMC the model is :func:`~ppl.infer.freeze.freeze_data`'s
    copy with every data tensor a constant: nutpie compiles each shared variable
    into its Numba callback, which doubled compile time (most of a small model's
    wall time) against the same model written with NumPy constants; PyMC's C
    backend spares a shape check and a broadcast of the data per gradient.  The outputs
    (observed and constant data groups) are the same; so are the draws at a seed.
    """
    step = _step(config.method, pm_model) if config.method != "nuts" else None
    kwargs = dict(draws=config.draws, tune=config.tune, chains=config.chains, random_seed=config.seed,
                  progressbar=config.progressbar, model=pm_model, compute_convergence_checks=False)
    if step is None:
        kwargs["target_accept"] = config.target_accept
    if config.cores is not None:
        kwargs["cores"] = config.cores
    if step is not None or _has_discrete(pm_model):
        kwargs["step"] = step
    else:
        kwargs["nuts_sampler"] = config.engine
        if config.engine in ("nutpie", "pymc"):
            kwargs["model"] = freeze_data(pm_model)
        if config.engine == "numpyro":
            from .device import select_device

            select_device(config.device)
            kwargs["nuts_sampler_kwargs"] = {"chain_method": "vectorized"}
    return kwargs


def run_mcmc(pm_model, config: MCMCConfig):
    """Sample ``pm_model``; return a DataTree with ``log_likelihood``."""
    import pymc as pm

    check_config(config)
    set_thread_defaults()
    kwargs = sample_kwargs(pm_model, config)
    with warnings.catch_warnings(), _one_blas_thread(), catch_interrupt() as sigint:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*ImputationWarning.*")
        if kwargs.get("nuts_sampler", "pymc") == "pymc":  # PyMC's own sampler: stop every chain on Ctrl-C
            kwargs["callback"] = sigint.stop_callback
        try:
            result = pm.sample(**kwargs)
        except (PplError, MemoryError):
            raise
        except KeyboardInterrupt:  # before or between the sampling loops: no draws to keep
            raise Interrupted() from None
        except Exception as exc:  # noqa: BLE001 - an engine that fails on a model gets a clear message
            if sigint.interrupted:  # e.g. PyMC: "not enough samples" after Ctrl-C in tuning
                raise Interrupted() from None
            raise _engine_failed(config, exc) from exc
    if sigint.interrupted:  # the engine swallowed Ctrl-C and returned what it had
        raise Interrupted(completed_draws(result, [rv.name for rv in pm_model.free_RVs]))
    return add_log_likelihood(pm_model, result)


def add_log_likelihood(pm_model, result):
    """The pointwise log-likelihood of every observed variable, for LOO.

    PyMC refuses to convert a model whose variables carry initial values
    (``ordered`` parameters do) to the graph it evaluates the
    log-likelihood on, so ``pm.sample(idata_kwargs={"log_likelihood": True})``
    fails on them; the initial values are not used there, so they are set
    aside meanwhile.
    """
    import pymc as pm

    if not pm_model.observed_RVs:
        return result
    saved = dict(pm_model.rvs_to_initial_values)
    try:
        for rv in saved:
            pm_model.rvs_to_initial_values[rv] = None
        return pm.compute_log_likelihood(result, model=pm_model, progressbar=False)
    finally:
        pm_model.rvs_to_initial_values.update(saved)


def _engine_failed(config: MCMCConfig, exc: Exception) -> PplError:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    others = [e for e in ("nutpie", "pymc", "numpyro", "blackjax") if e != config.engine]
    return PplError(Diagnostic("E-engine-failed", f"the `{config.engine}` engine failed on this model: "
                               f"{type(exc).__name__}: {first}", None,
                               f"try another engine (--engine {' / '.join(others)}); if the initial point "
                               "failed, check priors and data for impossible values"))


def _one_blas_thread():
    """Limit BLAS/OpenMP pools of already-loaded libraries to one thread per sampler process."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scipy's stack
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _has_discrete(pm_model) -> bool:
    return any(rv.dtype.startswith("int") for rv in pm_model.free_RVs)
