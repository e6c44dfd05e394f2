"""Reading data sources into one mapping of name -> raw value.

JSON (Stan-style data JSON works), CSV (one column per name), NPZ (never with
pickles), and through the API a mapping, a pandas DataFrame or xarray
objects.  Nothing here knows the model; :mod:`ppl.data.bind` validates.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import Diagnostic, PplError, SourceFile, Span

__all__ = ["load_file", "from_object", "merge_sources", "MAX_DATA_FILE_BYTES", "MAX_TEXT_FILE_BYTES",
           "default_data_path"]

MAX_DATA_FILE_BYTES = 2 * 1024**3  # an NPZ file larger than this is refused, not read
MAX_TEXT_FILE_BYTES = 256 * 1024**2  # a JSON or CSV file larger than this is refused, not read: parsed text
# takes ~10x its size in memory, and 10^8 numbers (MAX_ELEMENTS) need less than this as NPZ


def _file_error(path: str, message: str, hint: str | None = None, line: int = 0, col: int = 0,
                text: str = "") -> PplError:
    span = Span(SourceFile(path, text), line, col, line, col + 1)
    return PplError(Diagnostic("E-data-file", message, span, hint))


def _check_size(path: Path, limit: int, hint: str) -> None:
    if not path.is_file():
        raise _file_error(str(path), "no such data file" if not path.exists() else "the data path is not a file",
                          "check the path given with --data")
    size = path.stat().st_size
    if size > limit:
        raise _file_error(str(path), f"the data file has {size:,} bytes; the limit is {limit:,}", hint)


def _read_text(path: Path) -> str:
    _check_size(path, MAX_TEXT_FILE_BYTES, "is this the right file? Large arrays load faster and smaller as NPZ")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _file_error(str(path), f"the data file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                          "JSON and CSV data must be UTF-8 text") from None


def _load_json(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    if not text.strip():
        raise _file_error(str(path), "the data file is empty", "give a JSON object of name -> value")
    try:
        obj = json.loads(text, parse_constant=lambda c: float(c))
    except json.JSONDecodeError as exc:
        raise _file_error(str(path), f"invalid JSON: {exc.msg}", None, exc.lineno, exc.colno, text) from None
    except RecursionError:
        raise _file_error(str(path), "the JSON data are nested too deeply", "arrays have at most a few dims",
                          1, 1, text) from None
    except ValueError:  # an integer longer than Python's limit for int(str) (4300 digits)
        raise _file_error(str(path), "the JSON data hold an integer too long to read (thousands of digits)",
                          "is this the right file?", 1, 1, text) from None
    if not isinstance(obj, dict):
        raise _file_error(str(path), "the JSON data must be an object of name -> value", None, 1, 1, text)
    return obj


def _csv_cell(cell: str) -> Any:
    cell = cell.strip()
    if cell == "" or cell.upper() in ("NA", "NAN"):
        return None
    for cast in (int, float):
        try:
            return cast(cell)
        except ValueError:
            pass
    return cell


def _load_csv(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(rows[0]):
        raise _file_error(str(path), "the CSV file is empty", "the first row names the columns")
    header = [h.strip() for h in rows[0]]
    _check_header(path, header, text)
    columns: dict[str, list] = {h: [] for h in header}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise _file_error(str(path), f"row {number} has {len(row)} cells but the header has {len(header)}",
                              None, number, 1, text)
        for name, cell in zip(header, row):
            columns[name].append(_csv_cell(cell))
    if not any(columns.values()):
        raise _file_error(str(path), "the CSV file has a header but no rows", "is this the right file?", 1, 1, text)
    return columns


def _check_header(path: Path, header: list[str], text: str) -> None:
    for i, name in enumerate(header):
        if not name:
            raise _file_error(str(path), f"column {i + 1} of the CSV header has no name", None, 1, 1, text)
        if name in header[:i]:
            raise _file_error(str(path), f"the column `{name}` appears twice in the CSV header",
                              "each column names one data variable", 1, 1, text)


def _load_npz(path: Path) -> dict[str, Any]:
    _check_size(path, MAX_DATA_FILE_BYTES, "is this the right file?")
    try:
        _check_npz_members(path)
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as exc:  # object arrays need pickles, which we never load
        raise _file_error(str(path), f"cannot read the NPZ file: {exc}",
                          "save plain numeric arrays (object arrays need pickles, which ppl never loads)") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _file_error(str(path), f"cannot read the NPZ file: {exc}") from None


def _check_npz_members(path: Path) -> None:
    """Refuse an array whose header declares more than MAX_ELEMENTS, before decompressing it."""
    from .bind import MAX_ELEMENTS

    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as fh:
                shape = _npy_shape(fh)
            n = int(np.prod(shape, dtype=object)) if shape else 1
            if n > MAX_ELEMENTS:
                name = info.filename.removesuffix(".npy")
                raise _file_error(str(path), f"the array `{name}` has {n:,} elements; the limit is {MAX_ELEMENTS:,}",
                                  "is this the right file?")


def _npy_shape(fh) -> tuple[int, ...]:
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    return read(fh)[0]


_LOADERS = {".json": _load_json, ".csv": _load_csv, ".npz": _load_npz}


def load_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read one data file (by its extension) into a raw mapping."""
    p = Path(path)
    loader = _LOADERS.get(p.suffix.lower())
    if loader is None:
        raise _file_error(str(p), f"unknown data file type `{p.suffix}`", "use .json, .csv or .npz")
    return loader(p)


def from_object(obj: Any) -> dict[str, Any]:
    """A mapping, a pandas DataFrame, or an xarray Dataset/DataArray -> raw mapping."""
    if hasattr(obj, "data_vars"):  # xarray Dataset
        return {name: obj[name] for name in obj.data_vars} | {d: list(obj[d].values) for d in obj.coords}
    if hasattr(obj, "dims") and hasattr(obj, "name") and hasattr(obj, "values"):  # DataArray
        return {obj.name: obj}
    if hasattr(obj, "columns") and hasattr(obj, "to_numpy"):  # DataFrame
        return {str(c): obj[c].to_list() for c in obj.columns}
    if isinstance(obj, Mapping):
        return dict(obj)
    raise PplError(Diagnostic("E-data-object", f"cannot use a {type(obj).__name__} as data",
                              hint="give a dict, a pandas DataFrame, an xarray Dataset, or a file path"))


def merge_sources(sources) -> dict[str, Any]:
    """Merge several sources; later sources win."""
    merged: dict[str, Any] = {}
    for source in sources:
        if isinstance(source, (str, os.PathLike)):
            merged.update(load_file(source))
        else:
            merged.update(from_object(source))
    return merged


def default_data_path(model_path: str | os.PathLike | None) -> Path | None:
    """``models/X.json`` (preferred) or ``models/X.csv`` beside ``models/X.ppl``."""
    if model_path is None:
        return None
    base = Path(model_path)
    for suffix in (".json", ".csv", ".npz"):
        candidate = base.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None
