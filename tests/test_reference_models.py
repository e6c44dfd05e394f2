"""Quick checks of the model corpus and its hand-written PyMC references.

For every model ``models/NAME.ppl``:

* its data file holds exactly the declared ``data`` names, with values that fit
  their types and with one size per dim;
* its reference model builds, has the variables the model file declares
  (parameters free, likelihoods observed, ``=`` deterministic, generated
  quantities absent) with the dims written in the file, and a finite logp and
  gradient at its initial point;
* its truth file (simulated data sets) names model variables, with their shapes;
  so does ``NAME.sim.truth.json`` for a second, simulated data set
  ``NAME.sim.json`` (the recovery test's data for models whose default data
  are real), which holds exactly the declared data names.

The model files are read here with a few regular expressions over the
statement heads (``dim``, ``data``, ``NAME[...] ~``, ``NAME[...] =``); this
is a test helper, not the language's parser.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pytensor
import pytest

from conftest import MODELS as MODELS_DIR
from reference_models import REFERENCES

__all__: list[str] = []

NAMES = sorted(REFERENCES)

# Random variables that nothing observed depends on: drawn after inference,
# so absent from the reference models.
GENERATED = {"linear_regression_predict": {"y_new"}}

# Discrete latents that are summed out, and the `=` quantities computed from
# their recovered draws after inference: absent from the (marginal) references.
MARGINALIZED = {"old_faithful": {"z"}, "three_gaussians": {"z"}, "zip_latent": {"z"},
                "capture_recapture": {"z", "N"}}

_DIM = re.compile(r"^dim\s+(\w+)(?:\s*=\s*(\w+))?$")
_DATA = re.compile(r"^data\s+(\w+)\s*:\s*(\w+)(?:\((\w+)\))?\s*(?:\[([^\]]*)\])?$")
_STATEMENT = re.compile(r"^(let\s+)?(\w+)\s*(?::\s*ordered\s*)?(?:\[([^\]]*)\])?\s*(~|=)(?!=)")


@dataclass
class Declarations:
    """What a model file declares, by statement kind."""

    dims: dict[str, str | None] = field(default_factory=dict)  # name -> fixed size or twin
    data: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # type, dims
    lets: set[str] = field(default_factory=set)
    sampled: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # `~` lhs -> dims
    derived: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # `=` lhs -> dims


def _split_dims(text: str | None) -> tuple[str, ...] | None:
    """Split ``"obs, coef"`` into ``("obs", "coef")``; ``None`` when no dims were written."""
    return None if text is None else tuple(d.strip() for d in text.split(","))


def _record(decl: Declarations, line: str) -> None:
    """Add the declaration on one statement line to ``decl``."""
    if m := _DIM.match(line):
        decl.dims[m[1]] = m[2]
    elif m := _DATA.match(line):
        decl.data[m[1]] = (m[2], _split_dims(m[4]) or ())
    elif m := _STATEMENT.match(line):
        if m[1]:
            decl.lets.add(m[2])
        elif m[4] == "~":
            decl.sampled[m[2]] = _split_dims(m[3])
        else:
            decl.derived[m[2]] = _split_dims(m[3])


def read_declarations(name: str) -> Declarations:
    """Scan ``models/NAME.ppl`` for its declarations (one statement per line)."""
    decl = Declarations()
    for raw in (MODELS_DIR / f"{name}.ppl").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            _record(decl, line)
    return decl


def load_json(name: str) -> dict:
    """Load ``models/NAME.json`` (or another JSON file beside the models)."""
    return json.loads((MODELS_DIR / name).read_text())


def _shape(value) -> tuple[int, ...]:
    """Shape of a nested list (rectangularity is checked by numpy)."""
    return np.array(value, dtype=object).shape


def _missing(data: dict) -> set[str]:
    """Names of data entries holding at least one ``null``."""
    return {k for k, v in data.items() if None in np.ravel(np.array(v, dtype=object))}


@cache
def _build(name: str):
    """Build the reference model of ``name`` on its default data, once, without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the imputation warning of regression_missing
        return REFERENCES[name](load_json(f"{name}.json"))


@pytest.fixture(autouse=True)
def _fast_compile() -> Iterator[None]:
    """Compile with few rewrites, so that a cold PyTensor cache stays quick.

    (The scan inside ``LKJCorr``'s random graph, compiled for the initial
    point, still builds some C code once: about 15 s on a cold cache.)
    """
    with pytensor.config.change_flags(mode="FAST_COMPILE"):
        yield


# --------------------------------------------------------------------------- data files


def test_every_model_file_has_a_reference():
    assert sorted(p.stem for p in MODELS_DIR.glob("*.ppl")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_model_file_and_data_exist(name):
    assert (MODELS_DIR / f"{name}.ppl").is_file()
    assert (MODELS_DIR / f"{name}.json").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_data_entries_are_the_declared_ones(name):
    decl, data = read_declarations(name), load_json(f"{name}.json")
    assert set(decl.data) <= set(data), "a declared data name is missing"
    assert set(data) <= set(decl.data) | set(decl.dims), "an entry the model does not declare"


@pytest.mark.parametrize("name", NAMES)
def test_data_dims_have_one_size(name):
    decl, data = read_declarations(name), load_json(f"{name}.json")
    sizes: dict[str, int] = {}
    for var, (_, dims) in decl.data.items():
        shape = _shape(data[var])
        assert len(shape) == len(dims), f"{var}: {len(shape)} dims, declared {dims}"
        for dim, size in zip(dims, shape):
            assert sizes.setdefault(dim, size) == size, f"{var}: dim {dim} has two sizes"
    for dim, fixed in decl.dims.items():
        if fixed is not None and fixed.isdigit() and dim in sizes:
            assert sizes[dim] == int(fixed)


_TYPE_CHECKS = {
    "real": lambda v: isinstance(v, (int, float)),
    "positive": lambda v: isinstance(v, (int, float)) and v > 0,
    "unit": lambda v: isinstance(v, (int, float)) and 0 <= v <= 1,
    "int": lambda v: isinstance(v, int),
    "count": lambda v: isinstance(v, int) and v >= 0,
    "bool": lambda v: v in (0, 1, True, False),
    "factor": lambda v: isinstance(v, (str, int)),
}


@pytest.mark.parametrize("name", NAMES)
def test_data_values_fit_their_types(name):
    decl, data = read_declarations(name), load_json(f"{name}.json")
    observed = set(decl.sampled)
    for var, (type_, _) in decl.data.items():
        values = np.ravel(np.array(data[var], dtype=object))
        present = [v for v in values if v is not None]
        assert len(present) == len(values) or var in observed, f"{var}: null but not observed"
        bad = [v for v in present if not _TYPE_CHECKS[type_](v)]
        assert not bad, f"{var}: {bad[0]!r} is not {type_}"


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("name", NAMES)
def test_reference_variables_match_the_model_file(name):
    decl, model = read_declarations(name), _build(name)
    imputed = _missing(load_json(f"{name}.json")) & set(decl.data)
    observed = {v for v in decl.sampled if v in decl.data or v in decl.lets}
    absent = GENERATED.get(name, set()) | MARGINALIZED.get(name, set())
    params = set(decl.sampled) - observed - absent
    assert {rv.name for rv in model.free_RVs} == params | {f"{v}_unobserved" for v in imputed}
    expected_obs = (observed - imputed) | {f"{v}_observed" for v in imputed}
    assert {rv.name for rv in model.observed_RVs} == expected_obs
    assert {d.name for d in model.deterministics} == (set(decl.derived) - absent) | imputed


@pytest.mark.parametrize("name", NAMES)
def test_reference_dims_match_the_model_file(name):
    decl, model = read_declarations(name), _build(name)
    written = {**decl.sampled, **decl.derived}
    for var, dims in written.items():
        if dims is not None and var in model.named_vars:
            assert model.named_vars_to_dims.get(var, ()) == dims, var
    for var, (type_, dims) in decl.data.items():
        if var in model.named_vars and type_ != "factor":
            assert model.named_vars_to_dims.get(var, ()) == dims, var


@pytest.mark.parametrize("name", NAMES)
def test_reference_logp_finite_at_initial_point(name):
    model = _build(name)
    point = model.initial_point()
    logp = model.compile_logp()(point)
    dlogp = model.compile_dlogp()(point)
    assert np.isfinite(logp)
    assert dlogp.shape == (sum(v.size for v in point.values()),)
    assert np.all(np.isfinite(dlogp))


# --------------------------------------------------------------------------- truth files


@pytest.mark.parametrize("name", NAMES)
def test_truth_names_and_shapes(name):
    path = MODELS_DIR / f"{name}.truth.json"
    if not path.exists():
        pytest.skip("real data: no true values")
    _check_truth(name, _build(name), load_json(path.name))


SIM_NAMES = sorted(p.name.removesuffix(".sim.truth.json") for p in MODELS_DIR.glob("*.sim.truth.json"))


@pytest.mark.parametrize("name", SIM_NAMES)
def test_simulated_recovery_set_has_the_declared_data_and_truth_shapes(name):
    """``NAME.sim.json`` (a second, simulated data set for the recovery test) and its truths."""
    data = load_json(f"{name}.sim.json")
    assert set(data) == set(read_declarations(name).data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = REFERENCES[name](data)
    _check_truth(name, model, load_json(f"{name}.sim.truth.json"))


def _check_truth(name: str, model, truth: dict) -> None:
    decl = read_declarations(name)
    assert set(truth) <= set(decl.sampled) | set(decl.derived)
    for var, value in truth.items():
        dims = model.named_vars_to_dims.get(var, ())
        assert _shape(value) == tuple(len(model.coords[d]) for d in dims), var
        assert np.all(np.isfinite(np.array(value, dtype=float))), var
