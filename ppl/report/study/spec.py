"""A diagnostic study as frozen data: which models, which runs, which checks.

Parsed and validated from a TOML file by :mod:`.parse`; run by
:mod:`.runner`.  Paths are absolute (resolved against the study file).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = ["ModelSpec", "RunSpec", "SBCSpec", "VSBCSpec", "CompareSpec", "CheckSpec", "Study", "Limits",
           "MCMC_METHODS", "VI_METHODS", "QUICK"]

MCMC_METHODS = ("nuts", "hmc", "metropolis")
VI_METHODS = ("advi", "fullrank")


@dataclass(frozen=True)
class ModelSpec:
    """A model file and its data files (none: the data file beside the model)."""

    name: str
    file: str
    data: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSpec:
    """One inference run of a model: MCMC (``nuts``, ``hmc``, ``metropolis``) or VI (``advi``, ``fullrank``).

    ``draws`` are draws per chain for MCMC and draws from q for VI (k-hat
    needs 10^4 or more); ``steps`` and ``learning_rate`` are VI options, and
    ``options`` the options of guide-based VI (``approximation``, ``encoder``,
    ``activation``, ``estimator``, ``batch_size``, ``stop_early``, ``window``;
    ``heldout``: a data file on which an amortized fit's IWAE is reported).
    """

    name: str
    model: str
    method: str = "nuts"
    engine: str | None = None
    draws: int | None = None
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.8
    steps: int = 20_000
    learning_rate: float = 0.05
    seed: int | None = None
    options: tuple[tuple[str, object], ...] = ()  # guide-based VI options (approximation, encoder, ...)

    @property
    def is_vi(self) -> bool:
        return self.method in VI_METHODS

    @property
    def n_draws(self) -> int:
        return self.draws if self.draws is not None else (10_000 if self.is_vi else 1000)


@dataclass(frozen=True)
class SBCSpec:
    """SBC of an MCMC run's engine and model: ``reps`` replications of ``draws`` x ``chains`` each.

    ``parameters``: the variables to calibrate (default: every parameter and derived quantity).
    """

    run: str
    reps: int = 100
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    name: str = ""
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class VSBCSpec:
    """VSBC of a VI run's method and model: ``reps`` fits, ``draws`` draws of q each."""

    run: str
    reps: int = 100
    draws: int = 1000
    name: str = ""
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompareSpec:
    """LOO comparison of several runs fitted to the same observations."""

    runs: tuple[str, ...]
    method: str = "stacking"
    name: str = ""


@dataclass(frozen=True)
class CheckSpec:
    convergence: bool = True
    khat: bool = True
    loo: bool = True
    ppc: bool = True
    sbc: tuple[SBCSpec, ...] = ()
    vsbc: tuple[VSBCSpec, ...] = ()
    compare: tuple[CompareSpec, ...] = ()


@dataclass(frozen=True)
class Limits:
    """Caps applied to a study for a quick look (``ppl report --quick``); ``None`` leaves a number alone."""

    draws: int | None = None
    tune: int | None = None
    chains: int | None = None
    vi_draws: int | None = None
    steps: int | None = None
    reps: int | None = None
    rep_draws: int | None = None


QUICK = Limits(draws=300, tune=300, vi_draws=2000, steps=5000, reps=20, rep_draws=200)


def _cap(value, limit):
    return value if limit is None or value is None else min(value, limit)


@dataclass(frozen=True)
class Study:
    """A whole study: title, models, runs and checks; ``path`` is the study file."""

    title: str
    path: str
    models: tuple[ModelSpec, ...]
    runs: tuple[RunSpec, ...]
    checks: CheckSpec = field(default_factory=CheckSpec)
    description: str = ""
    seed: int | None = None
    workers: int = 1
    notes: tuple[str, ...] = ()

    def model(self, name: str) -> ModelSpec:
        return next(m for m in self.models if m.name == name)

    def run(self, name: str) -> RunSpec:
        return next(r for r in self.runs if r.name == name)

    def limited(self, limits: Limits, why: str) -> "Study":
        """The study with every number capped by ``limits`` (and a note saying so)."""
        runs = tuple(replace(r, draws=_cap(r.n_draws, limits.vi_draws if r.is_vi else limits.draws),
                             tune=_cap(r.tune, limits.tune), chains=_cap(r.chains, limits.chains),
                             steps=_cap(r.steps, limits.steps)) for r in self.runs)
        checks = replace(
            self.checks,
            sbc=tuple(replace(s, reps=_cap(s.reps, limits.reps), draws=_cap(s.draws, limits.rep_draws),
                              tune=_cap(s.tune, limits.rep_draws)) for s in self.checks.sbc),
            vsbc=tuple(replace(s, reps=_cap(s.reps, limits.reps), draws=_cap(s.draws, limits.rep_draws))
                       for s in self.checks.vsbc))
        return replace(self, runs=runs, checks=checks, notes=self.notes + (why,))
