"""Guide-based VI from the outside: ``fit_guide`` (what ``Model.fit`` calls with an
``approximation`` or the score estimator) and :class:`Amortized`, the fitted
encoder/decoder (``load_amortized``: from a result tree or a result file).

>>> result = model.fit(approximation={"z": "amortized", "W": "point"}, encoder=(64,))  # doctest: +SKIP
>>> vae = ppl.vi.load_amortized(result)                                             # doctest: +SKIP
>>> mean, sd = vae.encode(new_data)                                                 # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from ...errors import PplError
from .. import messages as msg
from .engine import compile_engine
from .spec import resolve_spec

__all__ = ["fit_guide", "Amortized", "load_amortized"]


def _engine(model, bound, config, seed: int):
    spec = resolve_spec(model.ir, config.approximation, config.method, config.batch_size is not None,
                        config.batch_dim)
    return compile_engine(model, bound, config, spec, seed)


def fit_guide(model, bound, config, seed: int):
    """Fit q with per-variable approximations; return ``(result tree, engine, fit)``."""
    import jax

    from ..progress import fit_progress
    from .evaluate import draws
    from .result import build_guide_result

    engine = _engine(model, bound, config, seed)
    k_fit, k_draw = jax.random.split(jax.random.PRNGKey(seed % 2**32))
    with fit_progress(config.steps, config.progressbar) as progress:
        fit = engine.fit(k_fit, progress=progress)
    if fit.stop_reason == "diverged":
        lr = float(fit.windows["lr"][-1]) if fit.windows.get("lr", np.array([])).size else config.learning_rate
        raise PplError(msg.diverged(fit.diverged_step + 1, config.steps, lr, config.method))
    evaluated = draws(engine, fit.params, k_draw, config.draws)
    return build_guide_result(engine, fit, evaluated, model, bound), engine, fit


class Amortized:
    """A fitted amortized approximation and the model's generative side.

    ``encode(data)``: q(z | x) of each row (mean, sd); ``decode(z)``: the model's
    values along the row dim at latent points; ``generate(n)``: latent points
    from the prior, decoded, and draws of the observed variables; ``iwae(data, k)``:
    the importance-weighted bound of ``log p(x_n)`` per row.  Globals are at
    q's location (point values, Gaussian means).
    """

    def __init__(self, engine, params):
        self.engine = engine
        self.params = params

    # -------------------------------------------------------------- helpers
    @property
    def latents(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self.engine.guide.locals)

    def _latent(self, var: str | None) -> str:
        names = self.latents
        if var is None:
            return names[0]
        if var not in names:
            raise ValueError(f"`{var}` is not amortized (amortized: {', '.join(names)})")
        return var

    def _data(self, data):
        """Data inputs of all rows of ``data`` (mapping or anything ``Model.bind`` takes)."""
        from .engine import full_data

        if data is None:
            return self.engine.data
        bound = self.engine.model.bind(data)
        return full_data(self.engine.objective, bound.values)

    def _shape(self, var: str) -> tuple[int, ...]:
        return next(shape for name, _, shape in self.engine.guide.locals if name == var)[1:]

    # ------------------------------------------------------------------ API
    def encode(self, data=None, var: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd of q(z_n | x_n) for every row of ``data`` (default: the training data)."""
        from .evaluate import standardized_rows

        var = self._latent(var)
        rows = standardized_rows(self.engine, self._data(data))
        mean, log_sd = self.engine.guide.encode(self.params, rows)[var]
        shape = (rows.shape[0],) + self._shape(var)
        return np.asarray(mean).reshape(shape), np.exp(np.asarray(log_sd)).reshape(shape)

    def decode(self, z, var: str | None = None) -> dict[str, np.ndarray]:
        """The model's values along the row dim (e.g. a derived ``p[obs, pixel]``) at latent points ``z``."""
        from .evaluate import decode

        var = self._latent(var)
        z = np.asarray(z, dtype=float)
        if len(self.latents) > 1:
            raise ValueError("decode with several amortized variables: not supported yet")
        return decode(self.engine, self.params, {var: z.reshape(z.shape[0], -1)})

    def prior_latents(self, n: int, seed: int = 0, var: str | None = None) -> np.ndarray:
        """``n`` draws of the latent from its prior (the model's own distribution, globals at q's location)."""
        import pymc as pm
        import pytensor.tensor as pt
        from pytensor.graph.replace import graph_replace

        var = self._latent(var)
        pm_model = self.engine.pm_model
        rv = pm_model[self.engine.objective.rv_of[var]]
        replace = {other: pt.constant(value) for other, value in self._global_values().items()
                   if other is not rv}
        graph = graph_replace(rv, replace, strict=False)
        R = self.engine.objective.rows
        out = np.asarray(pm.draw(graph, draws=-(-n // R), random_seed=seed)).reshape((-1,) + self._shape(var))
        return out[:n]

    def _global_values(self) -> dict:
        """The global free variables (PyMC RVs) at q's location, on the constrained scale."""
        from .evaluate import block_data

        pm_model, obj = self.engine.pm_model, self.engine.objective
        flat = np.asarray(self.engine.guide.location(self.params))
        _, values = obj.outputs(flat, *block_data(self.engine, self.engine.data, 0) if obj.dim else self.engine.data)
        named = dict(zip(obj.value_names, values))
        local = {obj.rv_of[n] for n in self.latents}
        return {rv: np.asarray(named[rv.name]) for rv in pm_model.free_RVs
                if rv.name in named and rv.name not in local}

    def generate(self, n: int, seed: int = 0, var: str | None = None) -> dict[str, np.ndarray]:
        """``n`` new rows: latent points from the prior (``var``), their decoded values and
        one draw of each observed variable given them."""
        import pymc as pm
        import pytensor.tensor as pt
        from pytensor.graph.replace import graph_replace

        var = self._latent(var)
        z = self.prior_latents(n, seed, var)
        out = {var: z, **self.decode(z, var)}
        pm_model, R = self.engine.pm_model, self.engine.objective.rows
        rv = pm_model[self.engine.objective.rv_of[var]]
        fixed = self._global_values()
        draws = {o.name: [] for o in pm_model.observed_RVs}
        for i, start in enumerate(range(0, n, R)):
            part = z[start:start + R]
            block = np.concatenate([part, np.zeros((R - len(part),) + part.shape[1:])])
            replace = {k: pt.constant(v) for k, v in fixed.items()} | {rv: pt.constant(block)}
            graphs = graph_replace(list(pm_model.observed_RVs), replace, strict=False)
            for o, drawn in zip(pm_model.observed_RVs, pm.draw(graphs, random_seed=seed + 1 + i)):
                draws[o.name].append(np.asarray(drawn)[:len(part)])
        out.update({k: np.concatenate(v) for k, v in draws.items()})
        return out

    def iwae(self, data=None, k: int = 1000, seed: int = 0) -> np.ndarray:
        """The IWAE bound (Burda et al. 2016) of ``log p(x_n)`` for each row of ``data``, ``k`` samples."""
        import jax

        from .evaluate import iwae

        return iwae(self.engine, self.params, self._data(data), k, jax.random.PRNGKey(seed))


def load_amortized(source) -> Amortized:
    """The :class:`Amortized` of a guide-based fit: a result DataTree or a result file path.

    The model is re-parsed from the source text kept in the result and rebuilt on
    the data kept with it (compiled again: seconds); the parameters are the saved arrays.
    """
    import xarray as xr

    from ... import api
    from ..config import VIConfig
    from .result import DATA_GROUP, ENCODER_GROUP, params_from_tree

    tree = source if isinstance(source, xr.DataTree) else xr.open_datatree(source, engine="h5netcdf")
    if ENCODER_GROUP not in tree.children:
        raise ValueError("the result has no `vi_encoder` group: it is not a guide-based fit")
    attrs = tree[ENCODER_GROUP].attrs
    model = api.compile(attrs["model_source"], attrs["model_name"])
    options = json.loads(attrs["options"])
    config = VIConfig(**{k: _tupled(k, v) for k, v in options.items() if k in VIConfig.__dataclass_fields__})
    data = {k: v.values for k, v in tree[DATA_GROUP].to_dataset().data_vars.items()}
    bound = model.bind(data)
    engine = _engine(model, bound, replace(config, progressbar=False), int(config.seed or 0))
    return Amortized(engine, params_from_tree(tree))


def _tupled(key: str, value):
    if key == "approximation" and value is not None:
        return tuple(tuple(pair) for pair in value)
    if key == "encoder":
        return tuple(value)
    return value
