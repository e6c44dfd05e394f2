"""``python -m ppl.cli``."""

import sys

from . import main

sys.exit(main())
