"""``python -m impl devlink ...``: the devlink command line on the embedded simulated device.

Purpose: let a user see and set what the switchdev provider sees, as ``devlink`` does for a real
NIC: ``dev show``, ``dev eswitch show|set``, ``dev param show|set``, ``resource show|set``,
``dev reload [action driver_reinit|fw_activate]``, ``dev info``, ``port show``, ``health
show|recover|diagnose|dump show|dump clear``, and the device's fault injection, ``dev fault
show|set|clear`` (the syntax of ``impl.switchdev.devlink_cli``, over
``impl.switchdev.sim_devlink_tool.SimDevlinkTool``). The device's configuration, faults included,
persists in the state file of ``impl.switchdev.sim_state_file`` (``--state PATH`` to choose
another), which ``python -m impl simulate --provider switchdev`` loads too.

Promises: the exit status is the devlink CLI's (0 done, 1 refused, 2 usage); a command runs under
the state file's exclusive lock from reading it to writing it, so concurrent commands lose no
update; the file is written only when the command changed the configuration (atomically); a state
file that cannot be read or written gets one line on stderr naming the file and what is wrong
(status 2) and is left as it is; a reader that goes away (``| head``) ends it quietly (status 1).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from impl.switchdev import devlink_cli, sim_state_file
from impl.switchdev.sim_devlink_tool import SimDevlinkTool


def main(argv: Sequence[str]) -> int:
    """Run ``devlink`` arguments ``argv`` against the simulated device."""
    args = list(argv)
    path = sim_state_file.default_path()
    if len(args) >= 2 and args[0] == "--state":
        path = Path(args[1])
        args = args[2:]
    try:
        with sim_state_file.locked(path):
            device = sim_state_file.load(path, clock=lambda: 0)
            before = device.devlink_state()
            status = devlink_cli.main(args, SimDevlinkTool(device))
            if device.devlink_state() != before:
                sim_state_file.save(device, path)
        sys.stdout.flush()  # a closed pipe (| head) shows here, not at exit
    except sim_state_file.StateFileError as exc:
        print(f"devlink: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes at exit
        return 1
    return status
