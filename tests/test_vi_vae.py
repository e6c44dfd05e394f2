"""The VAE of models/vae_digits.ppl (slow: trains for about a minute on CPU)."""

from __future__ import annotations

import numpy as np
import pytest

import ppl
from tests.conftest import MODELS

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

OPTIONS = dict(approximation="z=amortized,W1=point,b1=point,W2=point,b2=point", encoder=(128,), batch_size=128,
               stop_early=False, learning_rate=0.005, draws=20, progressbar=False)


@pytest.fixture(scope="module")
def fitted():
    model = ppl.load(MODELS / "vae_digits.ppl")
    return model.fit(steps=6000, seed=1, **OPTIONS)


def test_vae_trains_and_its_held_out_iwae_is_a_tightening_bound(fitted):
    vae = ppl.vi.load_amortized(fitted)
    held = MODELS / "vae_digits.heldout.json"
    k1, k100 = vae.iwae(held, k=1, seed=2), vae.iwae(held, k=100, seed=2)
    assert k1.shape == (300,)
    # K = 1 is the ELBO per row; the bound tightens with K (Burda et al. 2016, theorem 1)
    assert k100.mean() > k1.mean() + 0.2
    # 64 binary pixels: log p(x) >= -64 log 2 = -44 for any sensible model; a fitted 2-D VAE does much better
    assert -25 < k100.mean() < -10
    # the held-out bound is close to the training rows' (no gross overfitting of the decoder)
    assert abs(vae.iwae(None, k=100, seed=3).mean() - k100.mean()) < 2


def test_latent_space_separates_the_digits(fitted):
    """The labels are not in the model; a 5-nearest-neighbour vote in the 2-D latent space recovers most."""
    vae = ppl.vi.load_amortized(fitted)
    mean, sd = vae.encode()
    labels = fitted["vi_data"]["label"].values
    d = ((mean[:, None, :] - mean[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :5]
    votes = np.array([np.bincount(labels[row], minlength=10).argmax() for row in nearest])
    assert (votes == labels).mean() > 0.7
    assert np.all(sd > 0) and np.median(sd) < 0.5  # q(z | x) is much narrower than the prior


def test_report_pictures(fitted):
    from ppl.report.plots_amortized import amortized_extras

    figures, notes = amortized_extras(fitted, str(MODELS / "vae_digits.heldout.json"), "vae", seed=1)
    assert [f.key for f in figures] == ["vae_latent", "vae_grid", "vae_recon"]
    assert all(f.data.startswith(b"\x89PNG") for f in figures)
    assert any("held-out IWAE" in n for n in notes)
