"""Guide-based variational inference: per-variable approximations, amortized local latents
(an encoder network, the VAE), and the score-function gradient estimator.

``Model.fit(approximation={...}, encoder=..., estimator=...)`` runs here
(:func:`fit_guide`); :func:`load_amortized` gives the fitted encoder and the
model's generative side (encode, decode, generate, IWAE).  See docs/vae.md.
"""

from .api import Amortized, fit_guide, load_amortized
from .spec import Spec, resolve_spec

__all__ = ["Amortized", "fit_guide", "load_amortized", "Spec", "resolve_spec"]
