"""The catalogue of check-time error messages: one constructor per kind.

Every constructor returns a :class:`~ppl.errors.Diagnostic` whose ``code``
has a golden bad-program test in ``tests/golden/bad/``.  The checker never
formats messages itself.
"""

from __future__ import annotations

from ..errors import Diagnostic, Span, did_you_mean



def _fmt_dims(dims) -> str:
    from .ir import dim_label

    return "[" + ", ".join(dim_label(d) for d in dims) + "]"


def _d(code: str, message: str, span: Span, hint: str | None = None, **kw) -> Diagnostic:
    return Diagnostic(code, message, span, hint, **kw)


# names and scopes -----------------------------------------------------------
def undefined_name(span: Span, name: str, candidates) -> Diagnostic:
    return _d("E-undefined-name", f"`{name}` is not defined", span, did_you_mean(name, candidates))


def used_before_definition(span: Span, name: str, line: int) -> Diagnostic:
    return _d("E-use-before-definition", f"`{name}` is used before it is defined (on line {line})", span,
              "a name must be defined above the line that uses it")


def redefinition(span: Span, name: str, first: Span) -> Diagnostic:
    return _d("E-redefinition", f"`{name}` is already defined", span,
              "every name is defined once; pick another name", notes=((first, "first defined here"),))


def reserved_name(span: Span, name: str, why: str) -> Diagnostic:
    return _d("E-reserved-name", f"`{name}` cannot be used as a name: {why}", span, "rename it")


def dim_as_value(span: Span, name: str) -> Diagnostic:
    return _d("E-dim-as-value", f"`{name}` is a dim, not a value", span,
              f"write `size({name})` for its size, or index with a data variable")


def function_as_value(span: Span, name: str) -> Diagnostic:
    return _d("E-function-as-value", f"`{name}` is a function; call it with arguments", span,
              f"write `{name}(x)`")


def dist_as_value(span: Span, name: str) -> Diagnostic:
    return _d("E-dist-in-expression", f"`{name}` is a distribution; it can only stand right of `~`", span,
              "declare a variable `x ~ " + name + "(...)` and use `x`")


def unknown_function(span: Span, name: str, candidates) -> Diagnostic:
    return _d("E-unknown-function", f"there is no function `{name}`", span,
              did_you_mean(name, candidates) or "see the list of functions in docs/language.md")


def unknown_distribution(span: Span, name: str, candidates) -> Diagnostic:
    return _d("E-unknown-distribution", f"there is no distribution `{name}`", span,
              did_you_mean(name, candidates) or "see the table of distributions in docs/language.md")


def not_a_distribution(span: Span, what: str) -> Diagnostic:
    return _d("E-not-a-distribution", f"the right side of `~` must be a distribution, not {what}", span,
              "write `NAME ~ Normal(mu, sigma)`; for a derived quantity use `=`")


def undefined_dim(span: Span, name: str, candidates) -> Diagnostic:
    return _d("E-undefined-dim", f"`{name}` is not a declared dim", span,
              did_you_mean(name, candidates) or f"declare it first: `dim {name}`")


def dim_name_clash(span: Span, name: str) -> Diagnostic:
    return _d("E-dim-name-clash", f"`{name}` is already a dim and cannot also name a variable", span,
              "dims and variables need different names (only a `factor` defines both)")


def duplicate_dim(span: Span, name: str) -> Diagnostic:
    return _d("E-duplicate-dim", f"dim `{name}` appears twice", span,
              f"a square matrix needs a twin dim: `dim {name}2 = {name}`")


# statements -----------------------------------------------------------------
def model_not_first(span: Span) -> Diagnostic:
    return _d("E-model-not-first", "`model NAME` must be the first statement", span,
              "move it to the top (after the leading comment)")


def bad_dim_size(span: Span) -> Diagnostic:
    return _d("E-bad-dim-size", "a dim's size must be an integer literal, a scalar `count` datum or another dim",
              span, "write `dim k = 3`, `dim k = K` (with `data K: count`) or `dim k2 = k`")


def unknown_type(span: Span, name: str, candidates) -> Diagnostic:
    return _d("E-unknown-type", f"there is no data type `{name}`", span,
              did_you_mean(name, candidates) or "types: real, positive, unit, int, count, bool, factor")


def factor_needs_dims(span: Span) -> Diagnostic:
    return _d("E-factor-dims", "a `factor` datum needs exactly one dim, the rows it labels", span,
              "write `data county: factor[obs]`")


def type_arg_not_factor(span: Span) -> Diagnostic:
    return _d("E-type-argument", "only `factor` takes a dim argument", span, "write `factor(team)[game]`")


def observe_non_data(span: Span, name: str, role: str) -> Diagnostic:
    return _d("E-observe-non-data", f"`{name}` is a {role}; only data can be observed with `~`", span,
              "to add a term to the log density use `potential`")


def observed_twice(span: Span, name: str) -> Diagnostic:
    return _d("E-observed-twice", f"`{name}` is already observed", span,
              "each datum is observed by one `~` statement")


def observed_dims_mismatch(span: Span, name: str, written, data_dims) -> Diagnostic:
    return _d("E-observed-dims", f"`{name}` is data with dims {_fmt_dims(data_dims)} but {_fmt_dims(written)} "
              "is written here", span, f"write `{name}{_fmt_dims(data_dims)} ~ ...` or leave the dims out")


def support_mismatch(span: Span, name: str, vtype, dist: str, support, suggest) -> Diagnostic:
    hint = f"declare it `{suggest}`" if suggest else None
    return _d("E-support", f"`{name}` is declared `{vtype}` but {dist} puts mass on {support.value}", span, hint)


# discrete latents that are summed out ---------------------------------------
_OFF = "turn marginalization off (CLI `--no-marginalize`, API `marginalize=False`) to sample it with PyMC's discrete steps"


def _declared(z_span: Span | None, z: str) -> tuple:
    return ((z_span, f"`{z}` is declared here"),) if z_span is not None else ()


def infinite_support(span: Span, name: str, dist: str) -> Diagnostic:
    return _d("E-infinite-discrete-latent",
              f"`{name}` is a discrete latent ({dist}) with infinite support that observed data depend on, "
              "so it cannot be summed out", span,
              f"bound it with `Truncated(..., upper=N)` (then it is summed out), or {_OFF}")


def not_enumerable(span: Span, name: str, what: str) -> Diagnostic:
    return _d("E-not-enumerable", f"`{name}` is a discrete latent that observed data depend on, but {what} "
              "cannot be summed out in version 1", span, f"write it as a `Categorical` over the cases, or {_OFF}")


def support_not_data(span: Span, name: str, dist: str, param: str) -> Diagnostic:
    return _d("E-support-not-data", f"cannot sum out `{name}`: the values it can take depend on `{param}` of "
              f"{dist}, which is not data", span,
              f"the values of a summed-out variable must be known before sampling: make `{param}` data or a "
              f"literal, or {_OFF}")


def support_too_large(span: Span, name: str, size: int, limit: int) -> Diagnostic:
    return _d("E-support-too-large", f"cannot sum out `{name}`: it takes {size} values, more than the limit of "
              f"{limit}", span,
              "each value costs one evaluation of everything that depends on it; bound it more tightly "
              f"(`Truncated(..., upper=N)`), or {_OFF}")


def support_empty(span: Span, name: str, lower: int, upper: int) -> Diagnostic:
    return _d("E-support-empty", f"cannot sum out `{name}`: it can take no value (its smallest value {lower} is "
              f"above its largest {upper})", span, "check the bounds in the data")


def marginal_not_elementwise(span: Span, z: str, reason: str, zdims, z_span: Span | None = None) -> Diagnostic:
    return _d("E-marginal-not-elementwise", f"cannot sum out `{z}`: {reason}", span,
              f"to be summed out, `{z}` must be used elementwise along {_fmt_dims(zdims)}: each observed value "
              f"depends on its own element of `{z}`; compute other uses with `=` (they run after inference), or "
              f"{_OFF}", notes=_declared(z_span, z))


def marginal_gather(span: Span, z: str, dim: str, z_span: Span | None = None) -> Diagnostic:
    return _d("E-marginal-gather", f"cannot sum out `{z}`: this indexes it by data along its dim `{dim}`, "
              f"so one element of `{z}` would enter several observations", span,
              f"use the wide layout: give the observed variable the dim `{dim}` (e.g. `y[{dim}, visit]`) "
              f"instead of indexing `{z}[...]`, or {_OFF}", notes=_declared(z_span, z))


def marginal_several(span: Span, name: str, first: str, second: str) -> Diagnostic:
    return _d("E-marginal-several", f"`{name}` depends on two discrete latents that are summed out, "
              f"`{first}` and `{second}`", span,
              "version 1 sums out at most one discrete latent per observed variable or potential: combine "
              f"them into one `Categorical` over their joint values, or {_OFF}")


def marginal_latent_dependent(span: Span, name: str, z: str, discrete: bool, z_span: Span | None = None
                              ) -> Diagnostic:
    what = f"the discrete latent `{name}`" if discrete else f"the parameter `{name}`"
    return _d("E-marginal-latent-dependent", f"cannot sum out `{z}`: {what} depends on it", span,
              "in version 1 only observed variables and potentials may depend on a summed-out variable "
              f"(through `let` and `=`); for a mixture prior write `{name} ~ NormalMixture(w, mu, sigma)`, "
              f"or {_OFF}", notes=_declared(z_span, z))


def marginal_missing(span: Span, name: str, z: str) -> Diagnostic:
    return _d("E-marginal-missing", f"`{name}` has missing values and depends on the summed-out `{z}`", span,
              f"leave the rows with missing `{name}` out of the data, or {_OFF}")


def discrete_missing(span: Span, name: str, dist: str, why: str = "its support is infinite") -> Diagnostic:
    return _d("E-discrete-missing", f"`{name}` is discrete ({dist}) and has missing values, which are summed out "
              f"only for a finite support, and {why}", span,
              f"bound it with `Truncated(..., upper=N)` (then its missing values are summed out), leave the rows "
              f"with missing `{name}` out of the data, or turn marginalization off (CLI `--no-marginalize`, API "
              f"`marginalize=False`): PyMC then imputes them with its discrete steps")


# expressions and dims -------------------------------------------------------
def dims_mismatch(span: Span, what: str, have, name: str, want, hint: str | None = None) -> Diagnostic:
    return _d("E-dims-mismatch", f"{what} has dims {_fmt_dims(have)} but `{name}` has dims {_fmt_dims(want)}",
              span, hint)


def unnamed_dim_ambiguous(span: Span, candidates) -> Diagnostic:
    return _d("E-unnamed-dim", "an unnamed dim could match several dims: " + _fmt_dims(candidates), span,
              "name it by stating dims: `let v[d] = ...`")


def unnamed_dim_unmatched(span: Span, others) -> Diagnostic:
    return _d("E-unnamed-dim", f"an unnamed dim matches none of the dims {_fmt_dims(others)}", span,
              "name it by stating dims: `let v[d] = ...`")


def unnamed_dim_kept(span: Span, name: str) -> Diagnostic:
    return _d("E-unnamed-dim-kept", f"`{name}` would keep an unnamed dim", span,
              f"name it by stating dims, e.g. `let {name}[step] = ...` with `dim step`")


def factor_arithmetic(span: Span, name: str) -> Diagnostic:
    return _d("E-factor-arithmetic", f"`{name}` is a factor; it can only be used as an index", span,
              f"index with it: `a[{name}]`")


def bad_index_type(span: Span, vtype) -> Diagnostic:
    return _d("E-index-type", f"an index must be `int`, `count` or `factor` data or a `Categorical` variable, "
              f"not `{vtype}`",
              span, "declare the index data `int`, `count` or `factor`")


def index_not_data(span: Span, name: str | None) -> Diagnostic:
    what = f"`{name}` is a random variable" if name else "this index depends on random variables"
    return _d("E-index-not-data", f"{what}, so it cannot index", span, "index with `int`, `count` or `factor` data (or expressions of data only) or a `Categorical` "
              "variable; other discrete variables are numbers, not indices")


def too_many_indices(span: Span, name: str, dims, count: int) -> Diagnostic:
    return _d("E-too-many-indices", f"{name} has {len(dims)} dim{'s' if len(dims) != 1 else ''} {_fmt_dims(dims)} but {count} indices are given",
              span, None)


def factor_index_dim(span: Span, factor: str, dim: str, dims) -> Diagnostic:
    return _d("E-factor-index", f"factor `{factor}` indexes dim `{dim}`, which this array does not have "
              f"(its dims are {_fmt_dims(dims)})", span, f"index an array that has the dim `{dim}`")


def slice_bound(span: Span) -> Diagnostic:
    return _d("E-slice-bound", "slice bounds must be integer literals", span, "write `y[1:]` or `y[:-1]`")


def no_shared_dim(span: Span, left, right, several: bool) -> Diagnostic:
    what = "several dims" if several else "no dim"
    return _d("E-matmul-dims", f"`@` needs exactly one shared dim, but {_fmt_dims(left)} and {_fmt_dims(right)} "
              f"share {what}", span, "write `dot(x, y, dim)` to name the dim to sum over")


def reduce_needs_dim(span: Span, fn: str, dims) -> Diagnostic:
    return _d("E-reduce-dim", f"`{fn}` needs the dim to work along: its operand has dims {_fmt_dims(dims)}", span,
              f"write `{fn}(x, {next((d for d in dims if isinstance(d, str)), 'dim')})`")


def reduce_variable(span: Span, fn: str, name: str) -> Diagnostic:
    return _d("E-reduce-dim", f"the second argument of `{fn}` must be a dim, and `{name}` is a variable", span,
              f"write `{fn}(x, d)` with a dim `d`; to sum a product use `{fn}(x * {name})`")


def dim_not_in(span: Span, dim: str, what: str, dims) -> Diagnostic:
    return _d("E-dim-not-present", f"{what} has no dim `{dim}`; its dims are {_fmt_dims(dims)}", span, None)


def arity(span: Span, name: str, usage: str, given: int) -> Diagnostic:
    return _d("E-arity", f"`{name}` takes different arguments ({given} given)", span, f"usage: {usage}")


def keyword_in_function(span: Span, name: str) -> Diagnostic:
    return _d("E-function-keyword", f"`{name}` takes no keyword arguments", span, None)


def vector_dims(span: Span) -> Diagnostic:
    return _d("E-vector-dims", "the elements of a vector must have the same dims", span,
              "every element `[a, b]` needs equal dims")


def empty_vector(span: Span) -> Diagnostic:
    return _d("E-empty-vector", "a vector needs at least one element", span, None)


def bool_operand(span: Span, op: str) -> Diagnostic:
    return _d("E-logic-operand", f"`{op}` needs 0/1 values (comparisons or bool data)", span, None)


# distribution calls ---------------------------------------------------------
def too_many_args(span: Span, sig, given: int) -> Diagnostic:
    n = len(sig.positional)
    return _d("E-dist-arity", f"{sig.name} takes at most {n} positional argument{'s' if n != 1 else ''} "
              f"({', '.join(sig.positional)}), {given} given", span, f"usage: {sig.usage()}")


def unknown_param(span: Span, sig, name: str) -> Diagnostic:
    hint = did_you_mean(name, sig.all_params)
    params = ", ".join(sig.all_params) or "none"
    return _d("E-dist-keyword", f"{sig.name} has no parameter `{name}`; its parameters are {params}", span,
              hint or f"usage: {sig.usage()}")


def duplicate_param(span: Span, sig, name: str) -> Diagnostic:
    return _d("E-dist-keyword", f"{sig.name}'s parameter `{name}` is given twice", span, f"usage: {sig.usage()}")


def missing_param(span: Span, sig, missing) -> Diagnostic:
    names = ", ".join(f"`{m}`" for m in missing)
    return _d("E-dist-arity", f"{sig.name} needs {names}", span, f"usage: {sig.usage()}")


def wrapper_needs_bound(span: Span, sig) -> Diagnostic:
    return _d("E-dist-arity", f"{sig.name} needs `lower` or `upper` (or both)", span,
              f"write `{sig.name}(Normal(0, 1), lower=0)`")


def mixed_parameterization(span: Span, sig, names) -> Diagnostic:
    return _d("E-dist-keyword", f"{sig.name} cannot take {', '.join(f'`{n}`' for n in names)} together", span,
              f"usage: {sig.usage()}")


def param_dims(span: Span, dist: str, param: str, have, name: str, want, extra) -> Diagnostic:
    extra_s = ", ".join(f"`{d}`" for d in extra)
    hint = f"index the parameter so its dims fit, e.g. `{param}[{extra[0]}]` with a {extra[0]}-valued index" \
        if extra else None
    return _d("E-dims-mismatch", f"the {param} of {dist} has dims {_fmt_dims(have)} but `{name}` has dims "
              f"{_fmt_dims(want)} (extra: {extra_s})", span, hint)


def consumed_dim(span: Span, dist: str, param: str, detail: str) -> Diagnostic:
    return _d("E-consumed-dim", f"the {param} of {dist} {detail}", span,
              "the category / component dim must be the one extra dim of that argument")


def event_dims(span: Span, dist: str, detail: str) -> Diagnostic:
    return _d("E-event-dims", f"{dist} {detail}", span, None)


def static_param(span: Span, dist: str, param: str) -> Diagnostic:
    return _d("E-static-param", f"the `{param}` of {dist} must be an integer literal or `size(dim)`", span, None)


def nested_dist(span: Span, wrapper: str, what: str) -> Diagnostic:
    return _d("E-wrapper-argument", f"{wrapper} takes a univariate distribution call, not {what}", span,
              f"write `{wrapper}(Normal(0, 1), lower=0)`")


def ordered_needs_dims(span: Span, name: str) -> Diagnostic:
    return _d("E-ordered", f"`{name}` is ordered along its last dim, so it needs dims", span,
              f"write `{name}: ordered[k] ~ ...`")


def ordered_discrete(span: Span, name: str) -> Diagnostic:
    return _d("E-ordered", f"`{name}`: `ordered` applies to continuous parameters only", span, None)


def ordered_multivariate(span: Span, name: str, dist: str) -> Diagnostic:
    return _d("E-ordered", f"`{name}`: `ordered` applies to univariate distributions, not {dist}", span,
              "order the elements of a univariate prior, e.g. `mu: ordered[k] ~ Normal(0, 5)`")


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations", "Diagnostic",
                                                                                 "Span", "did_you_mean")]
