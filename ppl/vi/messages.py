"""The catalogue of variational-inference messages: one constructor per kind.

Option and minibatch mistakes point at the line of the variable concerned
when there is one; a diverged fit says where and what to try.
"""

from __future__ import annotations

from ..errors import NO_SPAN, Diagnostic, Span, did_you_mean

__all__ = ["diverged", "not_converged", "not_converged_elbo", "discrete_parameter", "no_parameters", "refit_missing_data", "refit_shape", "unknown_batch_dim", "ambiguous_batch_dim",
           "batch_dim_not_observed", "local_parameter", "batched_missing", "batched_potential",
           "derived_batch_dim"]


def diverged(step: int, steps: int, lr: float, method: str) -> Diagnostic:
    tries = [f"lower the learning rate (--learning-rate {lr / 10:g}; now {lr:g})",
             "check that the priors are proper and the data are on a sensible scale"]
    if method == "fullrank":
        tries.append("try --method advi (mean-field) first")
    return Diagnostic("E-vi-diverged",
                      f"the variational fit diverged: the ELBO or its gradient became NaN or infinite at step "
                      f"{step} of {steps}", NO_SPAN, "; ".join(tries))


def not_converged(steps: int, last_change: float, lr: float) -> Diagnostic:
    return Diagnostic("W-vi-not-converged",
                      f"the variational fit did not converge in {steps} steps (last window: q moved by "
                      f"{last_change:.3g} posterior sds; learning rate {lr:.3g})", NO_SPAN,
                      "run more --steps, or lower --learning-rate; the draws come from the last iterate average",
                      severity="warning")


def not_converged_elbo(steps: int, lr: float) -> Diagnostic:
    return Diagnostic("W-vi-not-converged",
                      f"the variational fit did not converge in {steps} steps (the ELBO was still changing; "
                      f"learning rate {lr:.3g})", NO_SPAN,
                      "run more --steps, or lower --learning-rate; the answer is the last window's average",
                      severity="warning")


def discrete_parameter(span: Span, name: str) -> Diagnostic:
    return Diagnostic("E-vi-discrete", f"`{name}` is a discrete parameter; ADVI fits continuous parameters only",
                      span, "let ppl marginalize it (drop --no-marginalize), or sample with `ppl sample`")


def no_parameters() -> Diagnostic:
    return Diagnostic("E-vi-nothing-to-fit", "the model has no parameters to fit: every random variable is "
                      "observed or generated", NO_SPAN, "there is no posterior to approximate; "
                      "`ppl sample` draws the generated quantities")


def refit_missing_data(name: str) -> Diagnostic:
    return Diagnostic("E-vi-data", f"re-fitting needs the data `{name}`", NO_SPAN,
                      "give every data input the program was compiled with")


def refit_shape(name: str, want, got) -> Diagnostic:
    return Diagnostic("E-vi-data", f"re-fitting needs `{name}` of shape {list(want)} (the compiled shape), got "
                      f"{list(got)}", NO_SPAN, "data of another shape need a new program (compile_program)")


def unknown_batch_dim(dim: str, dims) -> Diagnostic:
    return Diagnostic("E-option", f"--batch-dim `{dim}` is not a dim of the model", NO_SPAN,
                      did_you_mean(dim, dims) or f"dims: {', '.join(dims)}")


def ambiguous_batch_dim(candidates) -> Diagnostic:
    return Diagnostic("E-option", "minibatching needs one dim to subsample, but the observed variables start with "
                      f"different dims ({', '.join(candidates)})", NO_SPAN,
                      "name it with --batch-dim (API: batch_dim=)")


def batch_dim_not_observed(dim: str) -> Diagnostic:
    return Diagnostic("E-option", f"no observed variable has the dim `{dim}`, so minibatching it saves nothing",
                      NO_SPAN, "minibatch the dim of the observations")


def local_parameter(span: Span, name: str, dim: str) -> Diagnostic:
    return Diagnostic("E-vi-minibatch", f"`{name}` is a parameter along the minibatch dim `{dim}`; minibatch "
                      "ADVI subsamples data rows, so every parameter must be global", span,
                      "fit without --batch-dim/--batch-size, or give this variable an amortized approximation")


def batched_missing(span: Span, name: str, dim: str) -> Diagnostic:
    return Diagnostic("E-vi-minibatch", f"`{name}` has missing values along the minibatch dim `{dim}`; the imputed "
                      "values are parameters along that dim", span, "fit without a minibatch")


def batched_potential(span: Span, name: str, dim: str) -> Diagnostic:
    return Diagnostic("E-vi-minibatch", f"the potential `{name}` sums over the minibatch dim `{dim}`, so it cannot "
                      "be subsampled row by row", span, "write the term as an observed `~` statement, or fit "
                      "without a minibatch")


def derived_batch_dim(span: Span, name: str, dim: str) -> Diagnostic:
    return Diagnostic("E-vi-minibatch", f"the dim `{name}` takes its size from the minibatch dim `{dim}`", span,
                      "minibatch another dim, or fit without a minibatch")
