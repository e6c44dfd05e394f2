"""Figures and notes of an amortized (VAE-style) fit: the latent space, decoded images, reconstructions.

:func:`amortized_extras` reads a guide-based result (``vi_encoder`` group),
rebuilds its encoder and decoder (:func:`ppl.vi.load_amortized`) and draws:

- the latent space: each training row's encoder mean (2-D latents), coloured
  by an integer data column along the row dim that the model does not observe
  (e.g. the digit ``label``), if there is one;
- a grid of decoded images: latent points on a grid of prior quantiles
  (2.5% to 97.5%) decoded; the image is the first value along the row dim
  whose other dim has a square size (``p[obs, pixel]`` with 64 pixels: 8x8);
- reconstructions: observed rows beside their decoding at the encoder mean.

Notes give the ELBO per row and, with a held-out data file, the IWAE estimate
of log p(x) per held-out row (Burda et al. 2016, K = ``IWAE_K``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .plots import figure, new_figure

__all__ = ["amortized_extras", "per_row_summary_dropped", "IWAE_K"]

IWAE_K = 1000
_GRID = 12
_RECON = 10


def _image_value(decoded: dict) -> tuple[str, int] | None:
    for name, value in decoded.items():
        if value.ndim == 2 and math.isqrt(value.shape[1]) ** 2 == value.shape[1] and value.shape[1] > 1:
            return name, math.isqrt(value.shape[1])
    return None


def _labels(tree, row_dim: str, observed: set[str]):
    data = tree["vi_data"].to_dataset()
    for name, da in data.data_vars.items():
        if name not in observed and da.dims == (row_dim,) and np.issubdtype(da.dtype, np.integer):
            return name, da.values
    return None


def _latent_plot(mean, labels, key: str):
    fig = new_figure(6, 5)
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(mean[:, 0], mean[:, 1], s=4, alpha=0.6)
    else:
        name, values = labels
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 10:  # one tab10 colour per value, ticks at the middle of each colour
            points = ax.scatter(mean[:, 0], mean[:, 1], c=values, cmap="tab10", vmin=lo - 0.5, vmax=lo + 9.5, s=5,
                                alpha=0.8)
            bar = fig.colorbar(points, ax=ax, label=name, ticks=range(lo, hi + 1))
            bar.ax.set_ylim(lo - 0.5, hi + 0.5)
        else:
            points = ax.scatter(mean[:, 0], mean[:, 1], c=values, cmap="viridis", s=5, alpha=0.8)
            fig.colorbar(points, ax=ax, label=name)
    ax.set_xlabel("latent 0 (encoder mean)")
    ax.set_ylabel("latent 1")
    caption = "Each training row's q(z | x) mean" + (f", coloured by `{labels[0]}` (not used by the model)."
                                                     if labels else ".")
    return figure(key, "Latent space", caption, fig)


def _grid_plot(vae, var: str, image: tuple[str, int], key: str):
    from scipy.stats import norm

    side = image[1]
    q = norm.ppf(np.linspace(0.025, 0.975, _GRID))
    points = np.array([[a, b] for b in q[::-1] for a in q])
    pics = vae.decode(points, var)[image[0]].reshape(_GRID, _GRID, side, side)
    pics = np.pad(pics, ((0, 0), (0, 0), (0, 1), (0, 1)))  # a blank line between images
    mosaic = pics.transpose(0, 2, 1, 3).reshape(_GRID * (side + 1), _GRID * (side + 1))
    fig = new_figure(6, 6)
    ax = fig.add_subplot()
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    caption = (f"`{image[0]}` decoded at a {_GRID} x {_GRID} grid of latent points (prior quantiles 2.5%-97.5% "
               "in each latent dim).")
    return figure(key, "Decoded latent grid", caption, fig)


def _recon_plot(vae, var: str, image: tuple[str, int], observed: np.ndarray, key: str):
    side = image[1]
    mean, _ = vae.encode(None, var)
    rows = np.linspace(0, len(mean) - 1, _RECON).astype(int)
    decoded = vae.decode(mean[rows], var)[image[0]]
    fig = new_figure(_RECON * 0.8, 1.9)
    for j, row in enumerate(rows):
        for i, pic in enumerate((observed[row], decoded[j])):
            ax = fig.add_subplot(2, _RECON, i * _RECON + j + 1)
            ax.imshow(np.asarray(pic, dtype=float).reshape(side, side), cmap="gray_r", vmin=0, vmax=1,
                      interpolation="nearest")
            ax.set_axis_off()
    caption = f"Top: observed rows; bottom: `{image[0]}` decoded at each row's encoder mean."
    return figure(key, "Reconstructions", caption, fig)


def per_row_summary_dropped(table, result):
    """``(table, note)``: the summary ``table`` without the variables along the fit's row dim.

    An amortized fit has a latent (and often a deterministic) per data row:
    thousands of rows of summary that nobody reads and that made report.json
    tens of megabytes; the latent-space plot shows them instead.
    """
    row_dim = result["vi_encoder"].attrs["row_dim"]
    posterior = result["posterior"]
    per_row = sorted(n for n, da in posterior.data_vars.items() if row_dim in da.dims)
    if not per_row:
        return table, None
    kept = tuple(r for r in table.rows if str(r[0]).split("[", 1)[0] not in per_row)
    note = (f"per-row variables ({', '.join(per_row)}: one per `{row_dim}`, {posterior.sizes[row_dim]} rows) are "
            f"left out of the summary ({len(table.rows) - len(kept)} scalars); the latent-space plot shows them")
    return replace(table, rows=kept), note


def amortized_extras(result, heldout: str | None, key: str, seed: int = 0) -> tuple[tuple, tuple[str, ...]]:
    """``(figures, notes)`` of an amortized fit (see the module docstring)."""
    import json

    from ..vi import load_amortized

    vae = load_amortized(result)
    attrs = result["vi_encoder"].attrs
    row_dim = attrs["row_dim"]
    var = vae.latents[0]
    observed = set(result["observed_data"].data_vars) if "observed_data" in result.children else set()
    notes = []
    n_rows = vae.engine.total_rows
    elbo = float(result["vi"].attrs["final_elbo"])
    train = vae.iwae(None, k=1, seed=seed)
    notes.append(f"ELBO {elbo:.6g} over {n_rows} rows ({elbo / n_rows:.4g} per row), which includes the log prior "
                 f"density of the point-estimated globals (positive when their prior is narrow); without it, "
                 f"the ELBO of the training rows is {train.mean():.4g} per row (K = 1), comparable with the "
                 "held-out IWAE.")
    if heldout:
        bound = vae.iwae(heldout, k=IWAE_K, seed=seed)
        notes.append(f"held-out IWAE (K = {IWAE_K}): log p(x) >= {bound.mean():.4g} per row on {bound.size} rows "
                     f"(total {bound.sum():.6g}).")
    figures = []
    mean, _ = vae.encode(None, var)
    if mean.ndim == 2 and mean.shape[1] == 2:
        figures.append(_latent_plot(mean, _labels(result, row_dim, observed), f"{key}_latent"))
    decoded = vae.decode(mean[:1], var)
    image = _image_value(decoded)
    if image is not None and mean.ndim == 2 and mean.shape[1] == 2:
        figures.append(_grid_plot(vae, var, image, f"{key}_grid"))
    obs_name = next((n for n in observed if result["observed_data"][n].ndim == 2), None)
    if image is not None and obs_name is not None:
        figures.append(_recon_plot(vae, var, image, result["observed_data"][obs_name].values, f"{key}_recon"))
    notes.append(f"amortized: {', '.join(vae.latents)} (encoder {json.loads(attrs['hidden'])}, "
                 f"{attrs['activation']}); kinds {attrs['kinds']}.")
    return tuple(figures), tuple(notes)
