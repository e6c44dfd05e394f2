"""VI on a model with a summed-out discrete latent (Old Faithful, two components):
the fit finds the two clusters (it once started at PyMC's ordered initval and fell into
the degenerate optimum), and the recovered memberships per draw of q agree with an
independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import softmax

import ppl
from conftest import MODELS


@pytest.fixture(scope="module")
def faithful():
    model = ppl.load(MODELS / "old_faithful.ppl")
    return model, model.fit(method="fullrank", draws=200, seed=3, progressbar=False)


def test_two_clusters_are_found(faithful):
    _, res = faithful
    assert res["vi"].attrs["stop_reason"] == "converged"
    mu = res["posterior"]["mu"].mean(("chain", "draw")).values
    w = res["posterior"]["w"].mean(("chain", "draw")).values
    # NUTS on these data (and the literature): means near 54.6 and 80.1 minutes, weights 0.36 / 0.64
    np.testing.assert_allclose(mu, [54.6, 80.1], atol=1.5)
    np.testing.assert_allclose(w, [0.36, 0.64], atol=0.05)


def test_memberships_per_draw_match_scipy(faithful):
    _, res = faithful
    post = res["posterior"]
    y = res["observed_data"]["waiting"].values
    w, mu, sigma = (post[k].values[0] for k in ("w", "mu", "sigma"))
    log_joint = np.log(w)[:, None, :] + stats.norm.logpdf(y[None, :, None], mu[:, None, :], sigma[:, None, :])
    np.testing.assert_allclose(post["z_probs"].values[0], softmax(log_joint, axis=-1), rtol=1e-8, atol=1e-12)
    z = post["z"].values[0]
    assert set(np.unique(z)) <= {0, 1}
    # the drawn memberships follow their probabilities (a clear-cut row is almost always its cluster)
    p1 = post["z_probs"].values[0][..., 1]
    assert np.mean(z[p1 > 0.99] == 1) > 0.97 and np.mean(z[p1 < 0.01] == 0) > 0.97
