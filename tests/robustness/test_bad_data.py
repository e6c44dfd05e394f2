"""Bad data: each mistake is a clear error naming the variable (or the file) and the first bad index.

Complements tests/test_data_errors.py (negative counts, fractional counts,
a missing value, inf, a wrong size, wrong dims, a ragged list, a missing
entry, ignored entries, 1-based indices, unknown factor labels).
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np
import pytest

import ppl
from ppl import driver
from ppl.data.loaders import MAX_TEXT_FILE_BYTES, load_file
from ppl.errors import PplError

MODEL = """\
dim obs
dim feature
data x: real[obs]
data X: real[obs, feature]
data n: count[obs]
data flag: bool[obs]
data y: real[obs]
b ~ Normal(0, 1)
w[feature] ~ Normal(0, 1)
y ~ Normal(b * x + X @ w + n + flag, 1)
"""
GOOD = {"x": [0.1, 0.2, 0.3], "X": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.5]], "n": [1, 2, 3], "flag": [0, 1, 0],
        "y": [1.0, 2.0, 3.0]}


def _error(data, model=MODEL) -> str:
    with pytest.raises(PplError) as info:
        ppl.compile(model, "m.ppl").bind(data)
    text = str(info.value)
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("changes, needles", [
    ({"x": [0.1, "abc", 0.3]}, ["data `x`", "x[1] = 'abc' is not a number"]),
    ({"x": [0.1, {"a": 1}, 0.3]}, ["x[1] = {'a': 1} is not a number"]),
    ({"x": [0.1, float("nan"), 0.3]}, ["missing value at x[1]"]),
    ({"x": [0.1, 0.2, float("-inf")]}, ["x[2] = -inf"]),
    ({"X": [[1.0, 2.0], [3.0, float("inf")], [5.0, 6.0]]}, ["X[1, 1] = inf"]),
    ({"X": [[1.0, 2.0], [3.0, 4.0, 5.0], [5.0, 6.0]]}, ["data `X`", "X[1] has 3 entries but X[0] has 2"]),
    ({"X": [[1.0, 2.0], 3.0, [5.0, 6.0]]}, ["X[1] is a number where the other entries are lists"]),
    ({"X": [[1.0, 2.0], [3.0, "4,5"], [5.0, 6.0]]}, ["X[1, 1] = '4,5' is not a number"]),
    ({"n": [1, 2, 10**30]}, ["data `n`", "n[2] = 1e+30 is too large to be an exact integer"]),
    ({"n": [1, 2, 10**400]}, ["n[2] = 1000", "too large for a 64-bit float"]),
    ({"flag": [0, 2, 1]}, ["data `flag` is declared `bool`", "flag[1] = 2"]),
    ({"flag": [True, False, None]}, ["missing value at flag[2]"]),
    ({"x": 3.0}, ["data `x` has 0 dims"]),
    ({"x": [[0.1], [0.2], [0.3]]}, ["data `x` has 2 dims"]),
])
def test_bad_values_name_the_variable_and_first_index(changes, needles):
    text = _error(dict(GOOD) | changes)
    assert text.startswith("m.ppl:")
    for needle in needles:
        assert needle in text, text


def test_missing_variable_suggests_the_close_name():
    data = dict(GOOD)
    data["N"] = data.pop("n")
    text = _error(data)
    assert "the data have no entry `n`" in text and "did you mean `N`?" in text


def test_missing_variable_lists_what_the_data_have():
    data = dict(GOOD)
    del data["flag"]
    assert "the data have `x`, `X`, `n`, `y`" in _error(data)


def test_extra_entries_are_a_warning_that_reaches_the_lowered_model():
    model = ppl.compile(MODEL, "m.ppl")
    bound = model.bind(dict(GOOD) | {"xx": [1, 2, 3], "N": 3})
    assert bound.ignored == ("N", "xx")
    codes = [(w.code, w.severity) for w in bound.warnings]
    assert codes == [("W-data-ignored", "warning")]
    assert "`xx`" in bound.warnings[0].message and "`N`" not in bound.warnings[0].message  # N is a Stan size
    lowered = driver.build(model.ir, bound)
    assert "W-data-ignored" in [w.code for w in lowered.warnings]


# ---------------------------------------------------------------- files
def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


@pytest.mark.parametrize("name, content, needle", [
    ("d.json", "", "the data file is empty"),
    ("d.json", "   \n", "the data file is empty"),
    ("d.json", "[1, 2]", "must be an object"),
    ("d.json", '{"x": [1, 2,, 3]}', "invalid JSON"),
    ("d.json", '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ("d.json", '{"x": ' + "9" * 5000 + "}", "integer too long"),
    ("d.json", b'{"x": "caf\xe9"}', "not UTF-8"),
    ("d.csv", "", "the CSV file is empty"),
    ("d.csv", "x,y\n", "a header but no rows"),
    ("d.csv", "x,y,x\n1,2,3\n", "the column `x` appears twice"),
    ("d.csv", "x,,y\n1,2,3\n", "column 2 of the CSV header has no name"),
    ("d.csv", "x,y\n1,2\n3\n", "row 3 has 1 cells but the header has 2"),
    ("d.npz", b"", "cannot read the NPZ file"),
    ("d.npz", b"PK\x03\x04 not really a zip", "cannot read the NPZ file"),
    ("d.txt", "x=1", "unknown data file type"),
])
def test_bad_files_are_located_errors(tmp_path, name, content, needle):
    path = _write(tmp_path, name, content)
    with pytest.raises(PplError) as info:
        load_file(path)
    text = str(info.value)
    assert text.startswith(str(path)) and needle in text, text


def test_a_directory_is_not_a_data_file(tmp_path):
    (tmp_path / "d.json").mkdir()
    with pytest.raises(PplError, match="not a file"):
        load_file(tmp_path / "d.json")


def test_json_nan_and_infinity_constants_are_checked(tmp_path):
    path = _write(tmp_path, "d.json", json.dumps(dict(GOOD) | {"x": [0.1, float("nan"), 0.3]}))
    assert "missing value at x[1]" in _error(str(path))
    path = _write(tmp_path, "d.json", json.dumps(dict(GOOD) | {"y": [1.0, float("inf"), 2.0],
                                                               "x": [0.1, 0.2, float("-inf")]}))
    assert "x[2] = -inf" in _error(str(path))


def test_csv_text_cell_names_the_column_and_row(tmp_path):
    model = "dim obs\ndata x: real[obs]\ndata y: real[obs]\nb ~ Normal(0, 1)\ny ~ Normal(b * x, 1)\n"
    path = _write(tmp_path, "d.csv", "x,y\n1.0,2.0\n2.0,oops\n")
    assert "y[1] = 'oops' is not a number" in _error(str(path), model)
    path = _write(tmp_path, "d.csv", "x,Y\n1.0,2.0\n")
    assert "did you mean `Y`?" in _error(str(path), model)


@pytest.mark.parametrize("name", ["huge.json", "huge.csv"])
def test_a_1gb_text_file_is_refused_unread(tmp_path, name):
    """A 1 GB file given by mistake (a sparse file: no disk space, no memory) is refused from its size."""
    path = tmp_path / name
    with open(path, "wb") as fh:
        fh.truncate(1024**3)
    start = time.perf_counter()
    with pytest.raises(PplError) as info:
        load_file(path)
    assert time.perf_counter() - start < 1
    assert f"1,073,741,824 bytes; the limit is {MAX_TEXT_FILE_BYTES:,}" in str(info.value)


def test_a_3gb_npz_is_refused_unread(tmp_path):
    path = tmp_path / "huge.npz"
    with open(path, "wb") as fh:
        fh.truncate(3 * 1024**3)
    with pytest.raises(PplError, match="3,221,225,472 bytes"):
        load_file(path)


def test_an_npz_whose_header_claims_a_huge_array_is_refused_before_reading(tmp_path):
    """A small compressed file can declare 10^10 elements (a zip bomb): refused from the .npy header."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**5, 10**5)})
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", header.getvalue() + bytes(10_000))
    with pytest.raises(PplError, match="the array `x` has 10,000,000,000 elements"):
        load_file(path)


def test_npz_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(PplError, match="pickles"):
        load_file(path)
