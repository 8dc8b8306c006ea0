"""``python -m impl devlink ...``: the devlink command line on the embedded simulated device.

Purpose: let a user see and set what the switchdev provider sees, as ``devlink`` does for a real
NIC: ``dev show``, ``dev eswitch show|set``, ``dev param show|set``, ``resource show|set``,
``dev reload``, ``dev info``, ``port show``, ``health show|recover|diagnose`` (the syntax of
``impl.switchdev.devlink_cli``). The device's configuration persists in the state file of
``impl.switchdev.sim_state_file`` (``--state PATH`` to choose another), which
``python -m impl simulate --provider switchdev`` loads too.

Promises: the exit status is the devlink CLI's (0 done, 1 refused, 2 usage); the state file is
written only when the command changed the configuration; an unreadable state file is reported
(status 2) and left as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from impl.switchdev import devlink_cli, sim_state_file
from impl.switchdev.sim_devlink import SimDevlink


def main(argv: Sequence[str]) -> int:
    """Run ``devlink`` arguments ``argv`` against the simulated device."""
    args = list(argv)
    path = sim_state_file.default_path()
    if len(args) >= 2 and args[0] == "--state":
        path = Path(args[1])
        args = args[2:]
    try:
        device = sim_state_file.load(path, clock=lambda: 0)
    except ValueError as exc:
        print(f"devlink: {exc}", file=sys.stderr)
        return 2
    before = device.devlink_state()
    status = devlink_cli.main(args, SimDevlink(device))
    if device.devlink_state() != before:
        sim_state_file.save(device, path)
    return status
