"""The Python API: ``ppl.load``, ``ppl.compile`` and :class:`Model`.

>>> import ppl
>>> model = ppl.load("models/eight_schools_noncentered.ppl")   # doctest: +SKIP
>>> result = model.sample(draws=500, seed=1)                     # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import driver
from .errors import PplError, SourceFile
from .semantics import ir
from .semantics.checker import CheckOptions

__all__ = ["load", "compile", "Model"]


def load(path: str | os.PathLike, *, marginalize: bool = True) -> "Model":
    """Read, parse and check a model file."""
    source = driver.read_source(path)
    return Model(source, driver.compile_source(source, CheckOptions(marginalize)), Path(path))


def compile(text: str, name: str | None = None, *, marginalize: bool = True) -> "Model":  # noqa: A001
    """Parse and check model text."""
    source = SourceFile(name or "<string>", text)
    return Model(source, driver.compile_source(source, CheckOptions(marginalize)), None)


@dataclass
class Model:
    """A checked model; builds PyMC models on data and runs inference."""

    source: SourceFile
    ir: ir.Model
    path: Path | None = None
    levels: dict[str, list] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ir.name or (self.path.stem if self.path else "model")

    # ----------------------------------------------------------------- data
    def _sources(self, data: Any) -> list:
        if data is None:
            from .data import default_data_path

            default = default_data_path(self.path)
            return [] if default is None else [default]
        return list(data) if isinstance(data, (list, tuple)) else [data]

    def bind(self, data: Any = None, *, allow_left_out: bool = False):
        """Validate data (a path, mapping, DataFrame, xarray, or a list of them)."""
        bound = driver.bind_data(self.ir, self._sources(data), self.levels or None, allow_left_out)
        if not self.levels:
            self.levels = dict(bound.levels)
        return bound

    def build(self, data: Any = None, *, generated: bool = False):
        """The PyMC model on ``data`` (the model's default data when ``None``)."""
        return driver.build(self.ir, self.bind(data), generated=generated).pm_model

    def set_data(self, pm_model, data: Any) -> list:
        """Re-bind a PyMC model built by :meth:`build` to new ``data`` of the same shapes, in place.

        Every data container (covariates, observed data, factor codes) takes the
        new values; the model and the functions already compiled from it (logp,
        gradient) see them without rebuilding or recompiling.  Dims keep their
        sizes and coordinates, factors their fit-time levels.  Returns the
        warnings about the new data; raises :class:`~ppl.PplError` (the model
        keeps its data) when a size differs, values are missing, an observed
        variable is left out, or an index is out of range.  See
        :func:`ppl.backend.rebind.set_data`.
        """
        from .backend.rebind import set_data

        return set_data(pm_model, self.bind(data))

    # ------------------------------------------------------------ inference
    def sample(self, data: Any = None, *, engine: str | None = None, method: str = "nuts", draws: int = 1000,
               tune: int = 1000, chains: int = 4, seed: int | None = None, progressbar: bool = True,
               target_accept: float = 0.8, device: str = "auto"):
        """Sample the posterior with MCMC; return an xarray DataTree.

        ``engine``: ``nutpie`` (default for NUTS), ``pymc``, ``numpyro`` or
        ``blackjax`` (a compiled program cached across processes); ``method``:
        ``nuts``, ``hmc`` or ``metropolis`` (PyMC's step methods); ``device``
        (JAX engines): ``auto`` (a GPU when JAX sees one), ``cpu`` or ``gpu``.
        """
        from .infer.mcmc import MCMCConfig, resolve_engine
        from .infer.run import sample

        config = MCMCConfig(engine=resolve_engine(engine, method), method=method, draws=draws, tune=tune,
                            chains=chains, seed=seed, progressbar=progressbar, target_accept=target_accept,
                            device=device)
        bound = self.bind(data)
        try:
            result = sample(self, bound, config)
        except (RuntimeError, PplError) as exc:  # a sampler that cannot start: say which line causes it
            if isinstance(exc, PplError) and exc.code != "E-engine-failed":
                raise
            error = self._start_error(bound)
            if error is None:
                raise
            raise error from None
        return _with_draw_warnings(result, self.ir)

    def _start_error(self, bound):
        """A located error if the log density is not finite at the start (``None``: not that, or unknown)."""
        from .backend.numerics import start_error

        try:
            return start_error(self.ir, driver.build(self.ir, bound).pm_model)
        except Exception:  # noqa: BLE001 - the diagnosis must never hide the original error
            return None

    def predict(self, result, data: Any, *, seed: int | None = None, progressbar: bool = False):
        """Re-bind to new ``data`` and draw generated quantities and left-out observations per draw."""
        from .infer.run import predict

        return predict(self, result, self.bind(data, allow_left_out=True), seed=seed, progressbar=progressbar)

    def fit(self, data: Any = None, *, method: str = "advi", batch_size: int | None = None,
            batch_dim: str | None = None, steps: int = 20_000, learning_rate: float = 0.05, draws: int = 1000,
            seed: int | None = None, progressbar: bool = True, **options):
        """Fit a Gaussian approximation with ADVI (``"advi"`` mean-field or ``"fullrank"``).

        ``batch_size`` subsamples the rows of ``batch_dim`` (minibatch ADVI).
        Further options (``window``, ``patience``, ``tol_elbo``, ``tol_params``,
        ``grad_samples``, ``stop_early``, ...) are the fields of
        :class:`ppl.vi.VIConfig`; among them ``approximation`` (per variable:
        ``meanfield``, ``fullrank``, ``point`` or ``amortized``, a mapping or
        ``"z=amortized,W=point"``), ``encoder`` (hidden sizes), ``activation`` and
        ``estimator`` (``reparam`` or ``score``) (see docs/vae.md).  Returns a DataTree: draws from q in
        ``posterior``, ``log_p``/``log_q`` in ``sample_stats``, the optimisation
        in ``vi`` (see docs/inference.md).
        """
        from .vi import VIConfig, fit
        from .vi.config import normalize_approximation

        if "approximation" in options:
            options["approximation"] = normalize_approximation(options["approximation"])
        if "encoder" in options:
            options["encoder"] = tuple(options["encoder"])
        config = VIConfig(method=method, batch_size=batch_size, batch_dim=batch_dim, steps=steps,
                          learning_rate=learning_rate, draws=draws, seed=seed, progressbar=progressbar, **options)
        return fit(self, self.bind(data), config)


def _with_draw_warnings(result, model: ir.Model):
    """Add a warning per variable with NaN or infinite draws to the result's ``ppl_warnings``."""
    import json

    from .backend.numerics import nonfinite_draws

    found = nonfinite_draws(model, result)
    if found:
        earlier = json.loads(result.attrs.get("ppl_warnings", "[]"))
        result.attrs["ppl_warnings"] = json.dumps(earlier + [w.render() for w in found])
    return result
