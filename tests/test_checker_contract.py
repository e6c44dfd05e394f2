"""Contract points of LANGUAGE.md that the golden bad-program suite cannot show: what is accepted.

* Indexing: `a[idx]` gathers with `int`, `count` or `factor` data (and expressions
  of data only, such as `idx - 1`, the fix the 1-based hint suggests) or a
  `Categorical` variable; other discrete variables are numbers, not indices.
* `Truncated(..., upper=)` makes a discrete latent's support finite.
"""

from __future__ import annotations

import pytest

import ppl
from ppl.errors import PplError

HEAD = """\
dim obs
dim group = 3
data g: int[obs]
data c: count[obs]
data f: factor(group)[obs]
data k: count
data y: real[obs]
mu[group] ~ Normal(0, 1)
"""


@pytest.mark.parametrize("index", ["g", "c", "f", "g - 1", "c + k", "k", "2", "size(group) - 1"])
def test_data_indices_are_accepted(index):
    model = ppl.compile(HEAD + f"y ~ Normal(mu[{index}], 1)\n", "m.ppl")
    assert model.ir.node("y").role == "observed"


def test_a_categorical_variable_indexes_the_dim_of_its_p():
    text = HEAD + "w[group] ~ Dirichlet(fill(1, group))\nz[obs] ~ Categorical(w)\ny ~ Normal(mu[z], 1)\n"
    model = ppl.compile(text, "m.ppl", marginalize=False)
    assert model.ir.node("z").index_dim == "group"


@pytest.mark.parametrize("index, code", [
    ("n", "E-index-not-data"),               # a Poisson variable is a number
    ("g + n", "E-index-not-data"),           # so is an expression of it
    ("b", "E-index-type"),                   # bool data are 0/1 numbers
    ("y", "E-index-type"),
])
def test_other_indices_are_refused(index, code):
    text = HEAD.replace("data y", "data b: bool[obs]\ndata y") + f"n ~ Poisson(1)\ny ~ Normal(mu[{index}], 1)\n"
    with pytest.raises(PplError) as info:
        ppl.compile(text, "m.ppl")
    assert info.value.code == code


LATENT = """\
dim obs
data y: count[obs]
n ~ {dist}
y ~ Binomial(n, 0.5)
"""


@pytest.mark.parametrize("dist", [
    "Truncated(Poisson(3), upper=20)",          # a count distribution: upper alone suffices
    "Truncated(Poisson(3), lower=1, upper=20)",
    "Truncated(Geometric(0.5), upper=20)",
    "Truncated(Binomial(10, 0.5), lower=2)",    # finite already
])
def test_truncation_to_a_finite_range_is_a_finite_latent(dist):
    # a finite latent is summed out (or, before marginalization exists, "not supported yet")
    assert _latent_error(dist) in (None, "E-needs-marginalization")


@pytest.mark.parametrize("dist", [
    "Poisson(3)",
    "Truncated(Poisson(3), lower=1)",
    "Truncated(Poisson(3), upper=inf)",
])
def test_unbounded_discrete_latents_stay_infinite(dist):
    assert _latent_error(dist) == "E-infinite-discrete-latent"


def _latent_error(dist: str) -> str | None:
    try:
        ppl.compile(LATENT.format(dist=dist), "m.ppl")
    except PplError as exc:
        return exc.code
    return None
