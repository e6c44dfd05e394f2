"""The distribution signature registry: one entry per distribution.

A signature lists PyMC's parameterizations (the first is positional, in
PyMC's order; the others are keyword-only), each parameter's *kind* (how its
dims relate to the variable's dims) and the support.  Adding a distribution
is one :func:`_register` call here and one entry in
:mod:`ppl.backend.distributions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import Support

__all__ = ["Signature", "DISTRIBUTIONS", "signature", "ELEM", "EVENT", "MATRIX", "CONSUMED",
           "STATIC", "WEIGHTS", "MIX_PARAM", "FINITE_SUPPORT_LIMIT"]

# parameter kinds
ELEM = "elem"  # elementwise: dims within the variable's dims, broadcast up
EVENT = "event"  # like ELEM, but may carry the event dim (MvNormal mu, Dirichlet a)
MATRIX = "matrix"  # the event dim and its twin (MvNormal cov / chol / tau)
CONSUMED = "consumed"  # carries one consumed dim (Categorical p): the category dim
WEIGHTS = "weights"  # mixture weights: carries the component dim
MIX_PARAM = "mix_param"  # a mixture component parameter: may carry the component dim
STATIC = "static"  # a constant integer option (LKJCorr n, n_zerosum_axes)

FINITE_SUPPORT_LIMIT = 1000  # largest finite support enumerated when marginalizing


@dataclass(frozen=True, slots=True)
class Signature:
    """How a distribution is called.

    ``parameterizations`` are tuples of names; a trailing ``?`` marks an
    optional parameter (PyMC has a default for it).
    """

    name: str
    parameterizations: tuple[tuple[str, ...], ...]
    support: Support
    kinds: dict[str, str] = field(default_factory=dict)
    event_ndim: int = 0
    family: str = "continuous"  # continuous | discrete | multivariate | mixture | wrapper
    doc: str = ""

    def kind(self, param: str) -> str:
        return self.kinds.get(param, ELEM)

    @property
    def positional(self) -> tuple[str, ...]:
        return tuple(p.rstrip("?") for p in self.parameterizations[0])

    @property
    def all_params(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for group in self.parameterizations:
            for p in group:
                seen.setdefault(p.rstrip("?"), None)
        return tuple(seen)

    def usage(self) -> str:
        """``Normal(mu, sigma)`` or ``Normal(mu, sigma) / Normal(mu, tau=)``."""
        first = f"{self.name}({', '.join(self.positional)})"
        others = [
            f"{self.name}({', '.join(p.rstrip('?') + '=' for p in g)})"
            for g in self.parameterizations[1:]
        ]
        return " or ".join([first] + others)


DISTRIBUTIONS: dict[str, Signature] = {}


def _register(name, params, support, *, kinds=None, event_ndim=0, family=None, doc=""):
    if family is None:
        family = "discrete" if support.discrete else "continuous"
    groups = tuple(tuple(g.split()) for g in params)
    DISTRIBUTIONS[name] = Signature(name, groups, support, kinds or {}, event_ndim, family, doc)


S = Support
# continuous ---------------------------------------------------------------
_register("Flat", [""], S.REAL, doc="improper uniform on the real line")
_register("HalfFlat", [""], S.POSITIVE, doc="improper uniform on (0, inf)")
_register("Normal", ["mu? sigma?", "mu? tau"], S.REAL)
_register("HalfNormal", ["sigma?", "tau"], S.POSITIVE)
_register("StudentT", ["nu mu? sigma?", "nu mu? lam"], S.REAL)
_register("HalfStudentT", ["nu sigma?", "nu lam"], S.POSITIVE)  # PyMC 6.4 requires nu
_register("Cauchy", ["alpha beta"], S.REAL, doc="alpha is the location, beta the scale")
_register("HalfCauchy", ["beta"], S.POSITIVE, doc="beta is the scale")
_register("Exponential", ["lam", "scale"], S.POSITIVE, doc="lam is the rate")
_register("Gamma", ["alpha beta", "mu sigma"], S.POSITIVE, doc="alpha shape, beta rate")
_register("InverseGamma", ["alpha beta", "mu sigma"], S.POSITIVE)
_register("Beta", ["alpha beta", "mu sigma", "mu nu"], S.UNIT)
_register("Uniform", ["lower? upper?"], S.BOUNDED)
_register("LogNormal", ["mu? sigma?", "mu? tau"], S.POSITIVE)
_register("Laplace", ["mu b"], S.REAL)
_register("Logistic", ["mu? s?"], S.REAL)
_register("Weibull", ["alpha beta"], S.POSITIVE)
_register("SkewNormal", ["mu? sigma? alpha?", "mu? tau alpha?"], S.REAL)
_register("VonMises", ["mu? kappa?"], S.BOUNDED, doc="support [-pi, pi]")
# multivariate -------------------------------------------------------------
_register("MvNormal", ["mu cov", "mu chol", "mu tau"], S.REAL, event_ndim=1, family="multivariate",
          kinds={"mu": EVENT, "cov": MATRIX, "chol": MATRIX, "tau": MATRIX})
_register("Dirichlet", ["a"], S.SIMPLEX, event_ndim=1, family="multivariate", kinds={"a": EVENT})
_register("ZeroSumNormal", ["sigma? n_zerosum_axes?"], S.ZERO_SUM, event_ndim=-1,
          family="multivariate", kinds={"n_zerosum_axes": STATIC},
          doc="sum to zero over the last n_zerosum_axes dims written (default 1)")
_register("LKJCorr", ["n eta"], S.CORR_CHOL, event_ndim=2, family="multivariate",
          kinds={"n": STATIC}, doc="value: the lower Cholesky factor over a dim and its twin")
# discrete -----------------------------------------------------------------
_register("Bernoulli", ["p", "logit_p"], S.BOOL)
_register("Binomial", ["n p", "n logit_p"], S.COUNT)
_register("Poisson", ["mu"], S.COUNT)
_register("NegativeBinomial", ["mu alpha", "p n"], S.COUNT)
_register("Categorical", ["p", "logit_p"], S.COUNT, kinds={"p": CONSUMED, "logit_p": CONSUMED},
          doc="values 0..K-1: positions along the category dim of p")
_register("DiscreteUniform", ["lower upper"], S.INT)
_register("Geometric", ["p"], S.POSITIVE_INT)
_register("BetaBinomial", ["alpha beta n"], S.COUNT)
_register("ZeroInflatedPoisson", ["psi mu"], S.COUNT, doc="psi is the probability of the Poisson component")
_register("ZeroInflatedBinomial", ["psi n p"], S.COUNT)
_register("ZeroInflatedNegativeBinomial", ["psi mu alpha", "psi p n"], S.COUNT)
# mixtures and wrappers ----------------------------------------------------
_register("NormalMixture", ["w mu sigma?", "w mu tau"], S.REAL, family="mixture",
          kinds={"w": WEIGHTS, "mu": MIX_PARAM, "sigma": MIX_PARAM, "tau": MIX_PARAM})
_register("Mixture", ["w comp_dists"], S.REAL, family="mixture", kinds={"w": WEIGHTS})
_register("Truncated", ["dist lower? upper?"], S.REAL, family="wrapper")
_register("Censored", ["dist lower? upper?"], S.REAL, family="wrapper")
del S


def signature(name: str) -> Signature | None:
    return DISTRIBUTIONS.get(name)
