"""Named thresholds of every check, with the papers they come from.

The numbers are module constants so that a report, the docs
(docs/diagnostics.md) and the tests all read the same values.  Thresholds
that depend on the run (the number of chains or draws) are built by the
small functions at the end.
"""

from __future__ import annotations

import math

from .checks import Citation, Threshold

__all__ = [
    "VEHTARI_2021", "GELMAN_BDA3", "BETANCOURT_2016", "BETANCOURT_2017", "STAN_WARNINGS", "HOFFMAN_GELMAN_2014",
    "YAO_2018_VI", "VEHTARI_2024_PSIS", "VGG_2017", "WATANABE_2010", "YAO_2018_STACKING", "TALTS_2018",
    "SAILYNOJA_2022", "MAGNUSSON_2019",
    "RHAT_WARN", "RHAT_FAIL", "ESS_PER_CHAIN_MIN", "ESS_TOTAL_MIN", "MCSE_SD_RATIO_MAX", "DIVERGENCE_FAIL_FRACTION",
    "EBFMI_WARN", "EBFMI_FAIL", "DEFAULT_MAX_TREEDEPTH", "KHAT_GOOD_VI", "KHAT_CAP", "KHAT_VERY_BAD",
    "PSIS_MIN_DRAWS", "P_WAIC_MAX", "CALIBRATION_ALPHA_WARN", "CALIBRATION_ALPHA_FAIL",
    "RHAT", "ESS_BULK", "ESS_TAIL", "MCSE", "DIVERGENCES", "TREEDEPTH", "EBFMI", "P_WAIC",
    "ess_threshold", "good_k", "psis_vi_threshold", "loo_k_threshold", "calibration_threshold",
]

# --------------------------------------------------------------------- sources
VEHTARI_2021 = Citation(
    "Vehtari et al. 2021",
    "Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., Bürkner, P.-C. (2021). Rank-normalization, folding, "
    "and localization: an improved R-hat for assessing convergence of MCMC. Bayesian Analysis 16(2), 667-718.",
    "https://doi.org/10.1214/20-BA1221")
GELMAN_BDA3 = Citation(
    "Gelman et al. 2013",
    "Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., Rubin, D. B. (2013). Bayesian Data "
    "Analysis, 3rd ed., section 11.4. CRC Press.")
BETANCOURT_2016 = Citation(
    "Betancourt 2016",
    "Betancourt, M. (2016). Diagnosing suboptimal cotangent disintegrations in Hamiltonian Monte Carlo. "
    "arXiv:1604.00695.", "https://arxiv.org/abs/1604.00695")
BETANCOURT_2017 = Citation(
    "Betancourt 2017",
    "Betancourt, M. (2017). A conceptual introduction to Hamiltonian Monte Carlo, section 6.2. arXiv:1701.02434.",
    "https://arxiv.org/abs/1701.02434")
STAN_WARNINGS = Citation(
    "Stan Development Team",
    "Stan Development Team. How to diagnose and resolve convergence problems (runtime warnings); "
    "rstan::check_energy flags E-BFMI below 0.2.", "https://mc-stan.org/learn-stan/diagnostics-warnings")
HOFFMAN_GELMAN_2014 = Citation(
    "Hoffman & Gelman 2014",
    "Hoffman, M. D., Gelman, A. (2014). The No-U-Turn sampler. Journal of Machine Learning Research 15, "
    "1593-1623.", "https://jmlr.org/papers/v15/hoffman14a.html")
YAO_2018_VI = Citation(
    "Yao et al. 2018",
    "Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Yes, but did it work?: Evaluating variational "
    "inference. Proceedings of the 35th ICML, PMLR 80, 5581-5590.", "https://arxiv.org/abs/1802.02538")
VEHTARI_2024_PSIS = Citation(
    "Vehtari et al. 2024",
    "Vehtari, A., Simpson, D., Gelman, A., Yao, Y., Gabry, J. (2024). Pareto smoothed importance sampling. "
    "Journal of Machine Learning Research 25(72), 1-58.", "https://jmlr.org/papers/v25/19-556.html")
VGG_2017 = Citation(
    "Vehtari, Gelman & Gabry 2017",
    "Vehtari, A., Gelman, A., Gabry, J. (2017). Practical Bayesian model evaluation using leave-one-out "
    "cross-validation and WAIC. Statistics and Computing 27(5), 1413-1432.",
    "https://doi.org/10.1007/s11222-016-9696-4")
WATANABE_2010 = Citation(
    "Watanabe 2010",
    "Watanabe, S. (2010). Asymptotic equivalence of Bayes cross validation and widely applicable information "
    "criterion in singular learning theory. Journal of Machine Learning Research 11, 3571-3594.",
    "https://jmlr.org/papers/v11/watanabe10a.html")
YAO_2018_STACKING = Citation(
    "Yao et al. 2018 (stacking)",
    "Yao, Y., Vehtari, A., Simpson, D., Gelman, A. (2018). Using stacking to average Bayesian predictive "
    "distributions. Bayesian Analysis 13(3), 917-1007.", "https://doi.org/10.1214/17-BA1091")
TALTS_2018 = Citation(
    "Talts et al. 2018",
    "Talts, S., Betancourt, M., Simpson, D., Vehtari, A., Gelman, A. (2018). Validating Bayesian inference "
    "algorithms with simulation-based calibration. arXiv:1804.06788.", "https://arxiv.org/abs/1804.06788")
SAILYNOJA_2022 = Citation(
    "Säilynoja et al. 2022",
    "Säilynoja, T., Bürkner, P.-C., Vehtari, A. (2022). Graphical test for discrete uniformity and its "
    "applications in goodness-of-fit evaluation and multiple sample comparison. Statistics and Computing 32, 32.",
    "https://doi.org/10.1007/s11222-022-10090-6")
MAGNUSSON_2019 = Citation(
    "Magnusson et al. 2019",
    "Magnusson, M., Andersen, M. R., Jonasson, J., Vehtari, A. (2019). Bayesian leave-one-out cross-validation "
    "for large data. Proceedings of the 36th ICML, PMLR 97, 4244-4253.", "https://arxiv.org/abs/1904.10679")

# --------------------------------------------------------------------- numbers
RHAT_WARN = 1.01                 # Vehtari et al. 2021, section 4
RHAT_FAIL = 1.1                  # the classic BDA3 threshold, shown too lenient by Vehtari et al. 2021
ESS_PER_CHAIN_MIN = 100          # bulk and tail ESS per chain, Vehtari et al. 2021, section 4
ESS_TOTAL_MIN = 100              # fewer effective draws in total: R-hat and ESS themselves are unreliable
MCSE_SD_RATIO_MAX = 0.1          # MCSE of the mean at most a tenth of the posterior sd (ESS >= 100)
DIVERGENCE_FAIL_FRACTION = 0.01  # any divergence warns (Betancourt 2017); ppl fails above 1% of draws
EBFMI_WARN = 0.3                 # Betancourt 2016 (also ArviZ's default)
EBFMI_FAIL = 0.2                 # rstan::check_energy, Stan's runtime-warnings guide
DEFAULT_MAX_TREEDEPTH = 10       # PyMC, nutpie and NumPyro default
KHAT_GOOD_VI = 0.5               # Yao et al. 2018: below it the VI approximation itself is close
KHAT_CAP = 0.7                   # Vehtari et al. 2024: cap of the sample-size dependent threshold
KHAT_VERY_BAD = 1.0              # Vehtari et al. 2024: the importance ratios have no finite mean
PSIS_MIN_DRAWS = 10_000          # k-hat of one set of draws is noisy: report it from >= 10^4 draws
P_WAIC_MAX = 0.4                 # Vehtari, Gelman & Gabry 2017, section 2.3 (use PSIS-LOO instead)
CALIBRATION_ALPHA_WARN = 0.05    # SBC / VSBC: Bonferroni-adjusted p-value below it warns
CALIBRATION_ALPHA_FAIL = 0.01    # ... and below it fails

# ------------------------------------------------------------------ thresholds
RHAT = Threshold(
    "RHAT", "above", RHAT_WARN, RHAT_FAIL,
    f"rank-normalized split R-hat above {RHAT_WARN} warns, above {RHAT_FAIL} fails",
    (VEHTARI_2021, GELMAN_BDA3))
MCSE = Threshold(
    "MCSE_SD_RATIO", "above", MCSE_SD_RATIO_MAX, None,
    f"Monte Carlo standard error of the mean above {MCSE_SD_RATIO_MAX} posterior sd warns",
    (VEHTARI_2021,))
DIVERGENCES = Threshold(
    "DIVERGENCES", "above", 0.0, DIVERGENCE_FAIL_FRACTION,
    f"any divergent transition warns; more than {DIVERGENCE_FAIL_FRACTION:.0%} of draws fails",
    (BETANCOURT_2017, STAN_WARNINGS))
TREEDEPTH = Threshold(
    "TREEDEPTH", "above", 0.0, None,
    "any transition that hit the maximum tree depth warns (an efficiency problem, not a validity one)",
    (HOFFMAN_GELMAN_2014, STAN_WARNINGS))
EBFMI = Threshold(
    "EBFMI", "below", EBFMI_WARN, EBFMI_FAIL,
    f"E-BFMI of a chain below {EBFMI_WARN} warns, below {EBFMI_FAIL} fails",
    (BETANCOURT_2016, STAN_WARNINGS))
P_WAIC = Threshold(
    "P_WAIC", "above", P_WAIC_MAX, None,
    f"a pointwise p_waic above {P_WAIC_MAX} warns: WAIC is unreliable, use PSIS-LOO",
    (VGG_2017,))


def ess_threshold(chains: int, kind: str) -> Threshold:
    """Bulk or tail ESS: warn below 100 per chain, fail below 100 in total."""
    warn = float(ESS_PER_CHAIN_MIN * max(chains, 1))
    return Threshold(
        f"ESS_{kind.upper()}", "below", warn, float(ESS_TOTAL_MIN),
        f"{kind} ESS below {ESS_PER_CHAIN_MIN} per chain ({warn:.0f} for {chains} chains) warns, "
        f"below {ESS_TOTAL_MIN} in total fails", (VEHTARI_2021,))


ESS_BULK = ess_threshold(4, "bulk")   # for 4 chains, the documented default
ESS_TAIL = ess_threshold(4, "tail")


def good_k(n_draws: int) -> float:
    """The sample-size dependent Pareto k threshold ``min(1 - 1/log10(S), 0.7)`` (Vehtari et al. 2024)."""
    if n_draws <= 10:
        return 0.0
    return min(1.0 - 1.0 / math.log10(n_draws), KHAT_CAP)


def psis_vi_threshold(n_draws: int) -> Threshold:
    """Joint k-hat of a VI fit: above 0.5 warns, above ``good_k(S)`` fails."""
    limit = good_k(n_draws)
    return Threshold(
        "KHAT_VI", "above", min(KHAT_GOOD_VI, limit), limit,
        f"k-hat above {KHAT_GOOD_VI} warns (use the PSIS-corrected estimates); above "
        f"min(1 - 1/log10(S), 0.7) = {limit:.2f} for S = {n_draws} fails", (YAO_2018_VI, VEHTARI_2024_PSIS))


def loo_k_threshold(n_draws: int) -> Threshold:
    """Pointwise LOO Pareto k: above ``good_k(S)`` warns, above 1 fails."""
    limit = good_k(n_draws)
    return Threshold(
        "KHAT_LOO", "above", limit, KHAT_VERY_BAD,
        f"a pointwise Pareto k above min(1 - 1/log10(S), 0.7) = {limit:.2f} warns, above {KHAT_VERY_BAD} fails",
        (VEHTARI_2024_PSIS, VGG_2017))


def calibration_threshold(kind: str, n_tests: int, citations) -> Threshold:
    """SBC / VSBC: the smallest p-value, Bonferroni-adjusted over ``n_tests`` tests."""
    return Threshold(
        kind, "below", CALIBRATION_ALPHA_WARN, CALIBRATION_ALPHA_FAIL,
        f"the smallest p-value times the number of tests ({n_tests}) below {CALIBRATION_ALPHA_WARN} warns, "
        f"below {CALIBRATION_ALPHA_FAIL} fails", tuple(citations))
