"""Loading and validating data (JSON, CSV, NPZ, mappings, DataFrames, xarray)."""

from .bind import BoundData, bind, data_hash
from .loaders import default_data_path, from_object, load_file, merge_sources

__all__ = ["BoundData", "bind", "data_hash", "default_data_path", "from_object", "load_file", "merge_sources"]
