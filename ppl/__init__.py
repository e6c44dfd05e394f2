"""ppl: Bayesian models as short declarative files, compiled to PyMC.

The API is re-exported here; importing ``ppl`` does not import PyMC.
"""

__version__ = "0.1.0"

from .api import Model, compile, load  # noqa: E402
from .errors import InternalError, Interrupted, PplError  # noqa: E402

__all__ = ["load", "compile", "Model", "PplError", "InternalError", "Interrupted", "__version__"]
