"""The DataTree of a guide-based fit, and how it is read back.

The groups of an ADVI result (``posterior``, ``log_likelihood``,
``sample_stats`` with ``log_p``/``log_q``, ``observed_data``,
``constant_data``, ``vi``: see :mod:`ppl.vi.result`), plus, as plain arrays
(no pickle: a result file is data only):

- ``vi_location``: q's global parameters, raw (``mf_mu``, ``mf_log_sd``,
  ``fr_mu``, ``fr_off``, ``fr_log_diag``, ``point``) over coordinates labelled
  like ``vi.mu`` (``mf_coord``, ``fr_coord``, ``point_coord``);
- ``vi_encoder``: each amortized variable's layers (``<var>__W<i>``,
  ``<var>__b<i>``) and the input standardisation (``shift``, ``scale``); its
  attrs hold the architecture (hidden sizes, activation), the layout of the
  locals, the options, and the model's source text (re-parsed by
  :func:`ppl.vi.load_amortized`, never executed);
- ``vi_data``: the data the model was fitted on (what a reload binds).
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["build_guide_result", "params_from_tree", "ENCODER_GROUP", "LOCATION_GROUP", "DATA_GROUP"]

ENCODER_GROUP, LOCATION_GROUP, DATA_GROUP = "vi_encoder", "vi_location", "vi_data"


def _labels(engine, kind: str) -> list[str]:
    labels = engine.objective.layout.labels()
    return [labels[i] for i in engine.guide.idx[kind]]


def _location(engine, params):
    import xarray as xr

    data, coords = {}, {}
    for kind, key in (("mf", "mf_coord"), ("fr", "fr_coord"), ("point", "point_coord")):
        if engine.guide.idx[kind].size:
            coords[key] = _labels(engine, kind)
    if "mf" in params:
        data["mf_mu"] = (("mf_coord",), params["mf"]["mu"])
        data["mf_log_sd"] = (("mf_coord",), params["mf"]["log_sd"])
    if "fr" in params:
        data["fr_mu"] = (("fr_coord",), params["fr"]["mu"])
        data["fr_off"] = (("fr_off",), params["fr"]["off"])
        data["fr_log_diag"] = (("fr_coord",), params["fr"]["log_diag"])
    if "point" in params:
        data["point"] = (("point_coord",), params["point"])
    return xr.Dataset(data, coords=coords)


def _encoder(engine, params, model, config):
    import xarray as xr

    data = {"shift": (("enc_input",), engine.shift), "scale": (("enc_input",), engine.scale)}
    for name, layers in params.get("enc", {}).items():
        for i, layer in enumerate(layers):
            data[f"{name}__W{i}"] = ((f"{name}__in{i}", f"{name}__out{i}"), np.asarray(layer["W"]))
            data[f"{name}__b{i}"] = ((f"{name}__out{i}",), np.asarray(layer["b"]))
    ds = xr.Dataset(data)
    ds.attrs.update({
        "hidden": json.dumps(list(engine.guide.hidden)), "activation": engine.guide.activation,
        "locals": json.dumps([[n, s, list(sh)] for n, s, sh in engine.guide.locals]),
        "row_dim": engine.objective.dim or "", "kinds": json.dumps(engine.spec.kinds, sort_keys=True),
        "options": json.dumps(config.as_dict(), default=str, sort_keys=True),
        "model_source": model.source.text, "model_name": model.source.name,
    })
    return ds


def _data_group(model, bound):
    import xarray as xr

    data = {}
    for name, value in bound.values.items():
        decl = model.ir.data_decl(name)
        data[name] = (tuple(decl.dims), np.asarray(value))
    return xr.Dataset(data)


def _vi(engine, fit, log_p, log_q):
    import xarray as xr

    ratio = log_p - log_q
    ends = (np.arange(len(fit.windows.get("elbo", []))) + 1) * engine.config.window
    data = {"elbo": (("step",), fit.elbo)}
    for key, values in fit.windows.items():
        data[f"window_{key}"] = (("window",), np.asarray(values, dtype=float))
    ds = xr.Dataset(data, coords={"step": np.arange(fit.elbo.size), "window": ends})
    se = float(np.std(ratio, ddof=1) / np.sqrt(ratio.size)) if ratio.size > 1 else np.nan
    ds.attrs.update({"method": "guide", "estimator": engine.config.estimator, "stop_reason": fit.stop_reason,
                     "converged": int(fit.converged), "steps": fit.steps, "final_elbo": float(np.mean(ratio)),
                     "final_elbo_se": se, "draws": int(ratio.size), "skipped": ""})
    return ds


def build_guide_result(engine, fit, evaluated, model, bound):
    """The DataTree of a guide-based fit; ``evaluated`` is :func:`.evaluate.draws`' output."""
    from arviz_base import from_dict
    from pymc.backends.arviz import coords_and_dims_for_inferencedata, find_constants, find_observations
    from xarray import DataTree

    log_p, log_q, logliks, values, skipped = evaluated
    full = _full_model(model, bound, engine)
    coords, dims = coords_and_dims_for_inferencedata(full)
    groups = {"posterior": {k: v[None] for k, v in values.items()},
              "sample_stats": {"log_p": log_p[None], "log_q": log_q[None]}}
    if logliks:
        groups["log_likelihood"] = {k: v[None] for k, v in logliks.items()}
    for name, found in (("observed_data", find_observations(full)), ("constant_data", find_constants(full))):
        if found:
            groups[name] = found
    tree = from_dict(groups, coords=coords, dims=dims, sample_dims=["chain", "draw"])
    vi = _vi(engine, fit, log_p, log_q)
    vi.attrs["skipped"] = ",".join(skipped)
    tree["vi"] = DataTree(vi)
    tree[LOCATION_GROUP] = DataTree(_location(engine, fit.params))
    tree[ENCODER_GROUP] = DataTree(_encoder(engine, fit.params, model, engine.config))
    tree[DATA_GROUP] = DataTree(_data_group(model, bound))
    return tree


def _full_model(model, bound, engine):
    """The PyMC model on all rows (for dims, coords and the data groups)."""
    from ... import driver

    if engine.batch is None:
        return engine.pm_model
    return driver.build(model.ir, bound).pm_model


def params_from_tree(tree) -> dict:
    """q's parameters from the ``vi_location`` and ``vi_encoder`` groups."""
    loc, encoder = tree[LOCATION_GROUP].to_dataset(), tree[ENCODER_GROUP].to_dataset()
    params = {}
    if "mf_mu" in loc:
        params["mf"] = {"mu": loc["mf_mu"].values, "log_sd": loc["mf_log_sd"].values}
    if "fr_mu" in loc:
        params["fr"] = {"mu": loc["fr_mu"].values, "off": loc["fr_off"].values, "log_diag": loc["fr_log_diag"].values}
    if "point" in loc:
        params["point"] = loc["point"].values
    hidden = json.loads(encoder.attrs["hidden"])
    enc = {}
    for name, _, _ in json.loads(encoder.attrs["locals"]):
        enc[name] = [{"W": encoder[f"{name}__W{i}"].values, "b": encoder[f"{name}__b{i}"].values}
                     for i in range(len(hidden) + 1)]
    if enc:
        params["enc"] = enc
    return params
