"""The engine/method support matrix: which (model, engine-method) cell is shown to sample which model.

One place for it: ``tests/infer/test_engines.py`` runs every cell marked
``HERE`` against nutpie's posterior, ``tests/infer/test_jax_posterior.py`` runs
the ``JAX`` cells against PyMC's own NUTS (itself shown against nutpie here),
and ``docs/engines.md`` prints the same table.  A model added to ``models/``
is covered by every cell unless it is listed in :data:`EXCLUDED` with a reason.

What "supported" means: the cell reaches R-hat < 1.05 and posterior means
within 5 combined MCSE of nutpie's, with 2 chains and the draw budget of its
method (:data:`BUDGET`).  PyMC's step methods run on every model (PyMC never
refuses them); a cell excluded below runs, but is not supported in that sense.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CELLS", "HERE", "JAX", "BUDGET", "COMPARED", "EXCLUDED", "MODEL_NAMES", "status", "supported", "excluded"]

MODELS = Path(__file__).resolve().parent.parent.parent / "models"
MODEL_NAMES = [p.stem for p in sorted(MODELS.glob("*.ppl"))]

HERE = ("pymc-nuts", "pymc-hmc", "pymc-metropolis")  # against nutpie, in test_engines.py
JAX = ("numpyro-nuts", "blackjax-nuts")  # against PyMC's NUTS, in test_jax_posterior.py
CELLS = HERE + JAX

# (tune, draws) per chain, 2 chains.  nutpie's reference: 500 tuning steps and 1000 draws.
BUDGET = {"nuts": (500, 500), "hmc": (500, 500), "metropolis": (2000, 4000)}

# Parameters identified only up to symmetry: compare the ones every mode shares.
COMPARED = {
    "bnn": ["b2", "sigma"],  # hidden units flip sign and permute between chains
    "ppca": ["mu", "sigma"],  # z and W are identified only up to a rotation of the latent space
}

_VAE = ("about 10^4 parameters without an identified posterior (latent rotations, hidden-unit "
        "permutations); the model is fit by amortized VI (docs/vae.md), not compared by MCMC")
_SLOW = "{} does not reach R-hat < 1.05 in its budget ({}); it runs, but is not supported"
_METROPOLIS = "random-walk Metropolis on {} unconstrained dimensions"

# (model, cell) -> why the cell is not shown; cell "*" = every cell.  The PyMC cells excluded here
# still run under -m slow as strict expected failures (tests/infer/test_engines.py): a reason that
# stops being true fails the suite.  Measured R-hat with the seeds of test_engines.py in brackets.
EXCLUDED: dict[tuple[str, str], str] = {
    ("vae_digits", "*"): _VAE,
    ("bnn", "pymc-metropolis"): _SLOW.format(_METROPOLIS.format("about 20 multimodal"), "R-hat >= 1.05"),
    ("varying_slopes_lkj", "pymc-metropolis"): _SLOW.format(_METROPOLIS.format("about 250"), "R-hat >= 1.05"),
    ("eight_schools_centered", "pymc-metropolis"): _SLOW.format("random-walk Metropolis in the funnel",
                                                                "R-hat 1.10 for mu"),
    ("eight_schools_centered", "pymc-hmc"): _SLOW.format("HMC with a fixed path length in the funnel",
                                                         "R-hat 1.055 for tau"),
    ("old_faithful", "pymc-metropolis"): _SLOW.format(_METROPOLIS.format("5 correlated (mixture)"),
                                                      "R-hat 1.10 for mu[1]"),
    ("three_gaussians", "pymc-metropolis"): _SLOW.format(_METROPOLIS.format("4 correlated (mixture)"),
                                                         "R-hat 1.19 for mu[1]"),
    ("bnn", "pymc-hmc"): _SLOW.format("HMC with a fixed path length between the network's modes",
                                      "R-hat 1.051 for b2"),
    ("ppca", "pymc-hmc"): _SLOW.format("HMC with a fixed path length on about 1000 dimensions",
                                       "R-hat 1.26 for mu[4]"),
    ("varying_slopes_lkj", "pymc-hmc"): _SLOW.format("HMC with a fixed path length on about 250 dimensions",
                                                     "R-hat 1.08 for mu_b[0]"),
}


def status(model: str, cell: str) -> str | None:
    """``None`` when ``cell`` is supported on ``model``, else the reason it is not."""
    return EXCLUDED.get((model, "*")) or EXCLUDED.get((model, cell))


def supported(cells=CELLS) -> list[tuple[str, str]]:
    """Every supported ``(model, cell)`` among ``cells``."""
    return [(m, c) for m in MODEL_NAMES for c in cells if status(m, c) is None]


def excluded(cells=CELLS) -> list[tuple[str, str, str]]:
    """Every ``(model, cell, reason)`` among ``cells`` excluded for that cell alone (not ``"*"``)."""
    return [(m, c, EXCLUDED[(m, c)]) for m in MODEL_NAMES for c in cells if (m, c) in EXCLUDED]
