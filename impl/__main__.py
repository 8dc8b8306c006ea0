"""``python -m impl``: the implementation's command line.

Purpose: ``python -m impl simulate ...`` runs the threaded tracker simulation (``impl.sim_cli``);
``python -m impl devlink ...`` is the devlink command line of the embedded simulated device
(``impl.devlink_main``). Promises: the exit status is the command's.
"""

from __future__ import annotations

import sys

from impl import devlink_main
from impl.sim_cli import main

if len(sys.argv) > 1 and sys.argv[1] == "devlink":
    raise SystemExit(devlink_main.main(sys.argv[2:]))
raise SystemExit(main())
