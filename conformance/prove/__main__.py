"""``python -m conformance.prove``: the same as ``python -m conformance prove``."""

from __future__ import annotations

import sys

from conformance.prove.run import main

sys.exit(main())
