"""``python -m conformance``: see conformance.cli (the same commands are ``ct-offload ...``).

A ``model.py`` in the current folder does not shadow the project's ``model`` package
(``impl.cwd_guard``).
"""

import sys

from impl.cwd_guard import drop_shadowing_cwd

drop_shadowing_cwd()

from conformance.cli import main  # noqa: E402  (after the sys.path guard, on purpose)

sys.exit(main())
