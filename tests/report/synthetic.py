"""A report built from seeded synthetic results (no sampling): for golden and browser tests.

The draws are made with NumPy from fixed seeds, so every number in the
report is reproducible; the builders and checks that run on them are the
real ones (:mod:`ppl.report.build_runs`, :mod:`ppl.diagnostics`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

import ppl
from ppl.diagnostics.sbc import SBCReplication, sbc_result
from ppl.diagnostics.vsbc import VSBCReplication, vsbc_result
from ppl.report.build import assemble, data_section, model_section
from ppl.report.build_runs import RunInfo, comparison_section, mcmc_section, sbc_section, vi_section, vsbc_section
from ppl.report.headline import run_verdict
from ppl.report.model import FigureSection, UnavailableSection
from ppl.report.plots_checks import khat_plot

__all__ = ["MODEL_TEXT", "synthetic_report", "masked", "XSS"]

XSS = "<script>alert(1)</script>"

MODEL_TEXT = """\
# Three schools (a small synthetic example). Comments are model text too:
# <img src=x onerror="window.__xss_ran = true"> & "quotes" | pipes `ticks`
model three_schools

dim school
data y: real[school]
data sigma: positive[school]

mu ~ Normal(0, 5)
tau ~ HalfNormal(5)
theta[school] ~ Normal(mu, tau)
y ~ Normal(theta, sigma)
"""

DATA = {"y": [28.0, 8.0, -3.0], "sigma": [15.0, 10.0, 16.0]}
SCHOOLS = ["A", "B", "<b>C</b>"]


def _posterior(rng, chains: int, draws: int, shift: float = 0.0) -> xr.Dataset:
    mu = rng.normal(4.0, 3.0, (chains, draws)) + shift * np.arange(chains)[:, None]
    tau = np.abs(rng.normal(3.0, 2.0, (chains, draws)))
    theta = mu[..., None] + tau[..., None] * rng.normal(size=(chains, draws, 3))
    coords = {"chain": np.arange(chains), "draw": np.arange(draws), "school": SCHOOLS}
    return xr.Dataset({"mu": (("chain", "draw"), mu), "tau": (("chain", "draw"), tau),
                       "theta": (("chain", "draw", "school"), theta)}, coords=coords)


def _log_lik(post: xr.Dataset) -> xr.Dataset:
    y, sigma = np.array(DATA["y"]), np.array(DATA["sigma"])
    theta = post["theta"].values
    ll = -0.5 * ((y - theta) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    return xr.Dataset({"y": (("chain", "draw", "school"), ll)}, coords=post["theta"].coords)


def _energy(rng, sticky: bool) -> np.ndarray:
    """Independent energies (E-BFMI near 2) or a slow random walk (E-BFMI near 0)."""
    noise = rng.normal(0, 3, (4, 250))
    return 20 + (noise.cumsum(axis=1) * 0.05 if sticky else noise)


def mcmc_tree(seed: int, shift: float = 0.0, divergent: int = 0) -> xr.DataTree:
    rng = np.random.default_rng(seed)
    post = _posterior(rng, 4, 250, shift)
    diverging = np.zeros((4, 250), bool)
    diverging.flat[rng.choice(diverging.size, divergent, replace=False)] = True
    stats = xr.Dataset({"diverging": (("chain", "draw"), diverging),
                        "energy": (("chain", "draw"), _energy(rng, sticky=divergent > 0)),
                        "tree_depth": (("chain", "draw"), np.full((4, 250), 3)),
                        "reached_max_treedepth": (("chain", "draw"), np.zeros((4, 250), bool))},
                       coords={"chain": post.chain, "draw": post.draw})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats, "log_likelihood": _log_lik(post)})


def vi_tree(seed: int, scale: float) -> xr.DataTree:
    """Draws from a normal q; ``log_p`` a wider normal, so k-hat grows with the scale mismatch."""
    rng = np.random.default_rng(seed)
    post = _posterior(rng, 1, 2000)
    z = rng.normal(size=2000)
    log_q = -0.5 * z ** 2
    log_p = -0.5 * (z / scale) ** 2 - np.log(scale)
    stats = xr.Dataset({"log_p": (("chain", "draw"), log_p[None]), "log_q": (("chain", "draw"), log_q[None])},
                       coords={"chain": [0], "draw": np.arange(2000)})
    elbo = xr.Dataset({"elbo": (("step",), -50 + 40 * np.exp(-np.arange(600) / 80) * -1 + rng.normal(0, 1, 600))})
    elbo.attrs.update({"method": "advi", "stop_reason": "converged", "steps": 600})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats, "log_likelihood": _log_lik(post),
                                  "vi": elbo})


def _calibration():
    rng = np.random.default_rng(7)
    labels = ("mu", "tau")
    sbc_reps = [SBCReplication(j, j, rng.integers(0, 100, 2), rng.uniform(size=2), 99, 150.0, 0) for j in range(40)]
    sbc = sbc_result("nutpie", 40, labels, sbc_reps, (), False)
    p = np.column_stack([rng.uniform(size=40), rng.beta(5, 1, size=40)])  # tau: q underestimates
    vsbc = vsbc_result("advi", 40, labels, [VSBCReplication(j, j, p[j]) for j in range(40)], (), False)
    return sbc, vsbc


def synthetic_report(title: str = "Synthetic report", description: str = "Seeded draws, real checks.",
                     model_name: str = "three schools"):
    model = ppl.compile(MODEL_TEXT, name="three_schools.ppl")
    bound = model.bind(DATA)
    good, good_loo = mcmc_section(mcmc_tree(1), RunInfo("good NUTS", model_name, "nuts", "synthetic",
                                                        (("chains", "4"), ("draws", "250"))))
    bad, bad_loo = mcmc_section(mcmc_tree(2, shift=2.0, divergent=30),
                                RunInfo("bad NUTS", model_name, "nuts", "synthetic", (("chains", "4"),)))
    vi, _, khat = vi_section(vi_tree(3, scale=3.0), RunInfo("ADVI", model_name, "advi", "synthetic"))
    sbc, vsbc = _calibration()
    sections = [
        replace(model_section(model), name=model_name, path="three_schools.ppl"),
        data_section(model, bound, "(given in the test)"),
        good, bad, vi,
        FigureSection("PSIS k-hat of the VI fits", "", (khat_plot([("ADVI", khat, vi.checks[0].threshold.fail)]),)),
        sbc_section(sbc, "SBC of good NUTS", "good NUTS"),
        vsbc_section(vsbc, "VSBC of ADVI", "ADVI", "advi"),
        comparison_section("good vs bad", {"good NUTS": good_loo, "bad NUTS": bad_loo}, "stacking",
                           {"bad NUTS": run_verdict("bad NUTS", "nuts", bad.checks).trust}),
        UnavailableSection("full-rank ADVI", "VI engine not available: this build of ppl has no Model.fit",
                           "install a ppl build with ppl.vi"),
    ]
    return assemble(title, description, "synthetic", sections, ("a note",))


def masked(report):
    """The report with its volatile fields (time, versions, durations) fixed."""
    sections = tuple(replace(s, seconds=None) if hasattr(s, "seconds") else s for s in report.sections)
    return replace(report, created="<created>", versions=(("ppl", "<version>"),), sections=sections)
