"""Options of one variational fit, and their validation.

:class:`VIConfig` is frozen and complete: every option is recorded in the
result's provenance.  Bad values are user errors (``E-option``, exit 2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import Diagnostic, PplError

__all__ = ["VIConfig", "METHODS", "GRADIENTS", "KINDS", "ESTIMATORS", "ACTIVATIONS", "check_config",
           "uses_guide_engine", "normalize_approximation"]

METHODS = ("advi", "fullrank")
GRADIENTS = ("auto", "jax", "pytensor")
KINDS = ("meanfield", "fullrank", "point", "amortized")  # per-variable approximations (ppl.vi.amortized)
ESTIMATORS = ("reparam", "score")
ACTIVATIONS = ("tanh", "relu", "softplus", "elu", "sigmoid")


@dataclass(frozen=True)
class VIConfig:
    """Options of one ADVI fit.

    Parameters
    ----------
    method : ``"advi"`` (mean-field Gaussian) or ``"fullrank"`` (Gaussian with a
        dense covariance), both on the unconstrained space (Kucukelbir et al. 2017).
    steps : the largest number of optimisation steps.
    learning_rate : Adam's initial step size.
    draws : draws from the fitted approximation kept in the result.
    batch_size : rows of ``batch_dim`` per step (minibatch ADVI); ``None`` uses all rows.
    batch_dim : the dim that is subsampled; ``None``: the one dim every observed
        variable starts with.
    grad_samples : Monte Carlo draws per gradient estimate.
    window : steps per convergence check; the ELBO and the variational
        parameters are averaged over each window.
    windows_per_call : windows run by one compiled call (Python runs between
        calls only: progress bar and stopping).
    patience : consecutive windows on which every criterion must pass.
    tol_elbo : relative change of the window-mean ELBO counted as flat.
    tol_params : change of the window-mean location (in approximate posterior
        sds) and log-scale counted as stable.
    lr_decay : factor applied to the learning rate when the ELBO is flat but the
        parameters still move (1 disables it).
    min_lr_ratio : the learning rate never drops below ``learning_rate * min_lr_ratio``.
    stop_early : stop when converged; ``False`` runs exactly ``steps`` steps with
        a constant learning rate (benchmarks), still recording the criteria.
    init_scale : standard deviation of q at the start, on the unconstrained space.
    gradient : ``"jax"`` (JAX's autodiff of the log density, faster), ``"pytensor"``
        (PyTensor's symbolic gradient, as PyMC's samplers), or ``"auto"``:
        JAX's unless it is not finite near the start of q (a summed-out
        latent's impossible branch), then PyTensor's.
    seed : the random seed (``None``: fresh entropy, recorded in the result).
    approximation : per-variable approximations, ``((name, kind), ...)`` with kind
        ``meanfield``, ``fullrank``, ``point`` or ``amortized`` (an encoder network
        q(z_n | x_n) for a local latent whose first dim is the observation dim);
        variables not named get ``method``'s family.  Given (or with
        ``estimator="score"``), the fit runs in :mod:`ppl.vi.amortized`.
    encoder : hidden layer sizes of the encoder MLP of amortized variables.
    activation : the encoder's activation (``tanh``, ``relu``, ``softplus``, ``elu``, ``sigmoid``).
    estimator : ``reparam`` (reparameterization gradient) or ``score`` (the
        score-function / REINFORCE estimator).
    baseline : subtract a running mean of the ELBO in the score-function estimator.
    """

    method: str = "advi"
    steps: int = 20_000
    learning_rate: float = 0.05
    draws: int = 1000
    batch_size: int | None = None
    batch_dim: str | None = None
    grad_samples: int = 1
    window: int = 100
    windows_per_call: int = 10
    patience: int = 3
    tol_elbo: float = 1e-3
    tol_params: float = 0.05
    lr_decay: float = 0.5
    min_lr_ratio: float = 1e-3
    stop_early: bool = True
    init_scale: float = 0.1
    gradient: str = "auto"
    seed: int | None = None
    progressbar: bool = True
    approximation: tuple[tuple[str, str], ...] | None = None
    encoder: tuple[int, ...] = (64,)
    activation: str = "tanh"
    estimator: str = "reparam"
    baseline: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def _option_error(message: str, hint: str | None = None) -> PplError:
    return PplError(Diagnostic("E-option", message, hint=hint))


_POSITIVE_INTS = ("steps", "draws", "grad_samples", "window", "windows_per_call", "patience")
_POSITIVE_FLOATS = ("learning_rate", "tol_elbo", "tol_params", "init_scale", "min_lr_ratio")


def check_config(config: VIConfig) -> None:
    """Refuse bad options before any compilation."""
    if config.method not in METHODS:
        raise _option_error(f"unknown VI method `{config.method}`", f"methods: {', '.join(METHODS)}")
    if config.gradient not in GRADIENTS:
        raise _option_error(f"unknown gradient `{config.gradient}`", f"gradients: {', '.join(GRADIENTS)}")
    if config.estimator not in ESTIMATORS:
        raise _option_error(f"unknown gradient estimator `{config.estimator}`", f"estimators: {', '.join(ESTIMATORS)}")
    if config.activation not in ACTIVATIONS:
        raise _option_error(f"unknown activation `{config.activation}`", f"activations: {', '.join(ACTIVATIONS)}")
    if not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in config.encoder):
        raise _option_error("encoder layer sizes must be integers >= 1", f"got {config.encoder!r}")
    for name, kind in config.approximation or ():
        if kind not in KINDS:
            raise _option_error(f"unknown approximation `{kind}` for `{name}`", f"approximations: {', '.join(KINDS)}")
    for name in _POSITIVE_INTS:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _option_error(f"--{name.replace('_', '-')} must be an integer >= 1", f"got {value!r}")
    for name in _POSITIVE_FLOATS:
        value = getattr(config, name)
        if not (isinstance(value, (int, float)) and value > 0 and value == value and value != float("inf")):
            raise _option_error(f"--{name.replace('_', '-')} must be a finite number > 0", f"got {value!r}")
    if not 0 < config.lr_decay <= 1:
        raise _option_error("lr_decay must be in (0, 1]", f"got {config.lr_decay!r}")
    if config.batch_size is not None and (not isinstance(config.batch_size, int) or config.batch_size < 1):
        raise _option_error("--batch-size must be an integer >= 1", f"got {config.batch_size!r}")


def uses_guide_engine(config: VIConfig) -> bool:
    """Whether the fit runs in :mod:`ppl.vi.amortized` (per-variable approximations or the
    score-function estimator) rather than the ADVI loop of :mod:`ppl.vi.optimize`."""
    return config.approximation is not None or config.estimator != "reparam"


def normalize_approximation(approximation) -> tuple[tuple[str, str], ...] | None:
    """``{"z": "amortized"}`` or ``[("z", "amortized")]`` or ``"z=amortized,W=point"`` as sorted pairs."""
    if approximation is None:
        return None
    if isinstance(approximation, str):
        pairs = []
        for part in filter(None, (p.strip() for p in approximation.split(","))):
            name, sep, kind = part.partition("=")
            if not sep:
                raise _option_error(f"approximation `{part}` is not NAME=KIND", "e.g. --approximation z=amortized,W=point")
            pairs.append((name.strip(), kind.strip()))
        approximation = pairs
    items = approximation.items() if isinstance(approximation, dict) else approximation
    return tuple(sorted((str(k), str(v)) for k, v in items))
