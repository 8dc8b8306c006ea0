"""The simulated device as ``python -m impl devlink`` sees it: ``SimDevlink`` plus the command
line's extras (``impl.switchdev.devlink_cli_extras.PortExtras``).

Purpose: ``SimDevlinkTool`` adds to the simulated device's devlink port what the kernel's devlink
and netdevsim's debugfs offer a user beyond ``DevlinkPort``: reload actions (``dev reload DEV
action driver_reinit|fw_activate``), the ``ct_offload`` health reporter's dump (``health dump
show|clear``) and fault injection (``dev fault show|set|clear``: the knobs of
``SimDevice.set_faults``, which the state file keeps with the rest of the configuration).

Promises:

- every method checks the handle first (ENODEV) and the reporter where one is named (EINVAL), as
  ``SimDevlink`` does; a refusal is a ``DevlinkError`` and then nothing has changed;
- ``fw_activate`` is a device reset that reloads the driver too, as mlx5 does (EBUSY while
  anything is offloaded or queued, EIO with the ``fail_reload`` fault; the actions performed are
  ``driver_reinit fw_activate``): the firmware has no pending image, so it stays 1.0.0; a reload
  limit (``no_reset``) is EOPNOTSUPP, as for a driver that declares none;
- the dump is taken when asked (the device keeps none between commands, so ``dump clear`` has
  nothing to drop and succeeds): the diagnosis, the fault knobs, and every programmed connection
  with its counters;
- a bad fault knob or value is EINVAL naming it (``SimDevice.set_faults``' message).
"""

from __future__ import annotations

import errno
from dataclasses import asdict
from typing import Any

from impl.switchdev.ports import DevHandle, DevlinkError
from impl.switchdev.sim_devlink import SimDevlink

__all__ = ["SimDevlinkTool"]


class SimDevlinkTool(SimDevlink):
    """``SimDevlink`` with reload actions, health dumps and fault injection."""

    def reload_action(self, dev: DevHandle, action: str, limit: str | None) -> list[str]:
        """Reload with ``action``; the actions performed (see the module docstring)."""
        device = self._check(dev)
        if limit is not None:
            raise DevlinkError(errno.EOPNOTSUPP, "Requested limit is not supported by the driver")
        if action not in ("driver_reinit", "fw_activate"):
            raise DevlinkError(errno.EOPNOTSUPP, "Requested reload action is not supported by the driver")
        device.reload()
        return ["driver_reinit"] if action == "driver_reinit" else ["driver_reinit", "fw_activate"]

    def health_dump(self, dev: DevHandle, reporter: str) -> dict[str, object]:
        """A dump of the ``ct_offload`` reporter taken now."""
        device = self._reporter(dev, reporter)
        entries = [
            {"conn": conn_id, **asdict(entry)} for conn_id, entry in sorted(device.table().items())
        ]  # fmt: skip
        return {**device.diagnose(), "faults": asdict(device.faults), "entries": entries}

    def health_dump_clear(self, dev: DevHandle, reporter: str) -> None:
        """Drop the stored dump (there is none to drop)."""
        self._reporter(dev, reporter)

    def faults(self, dev: DevHandle) -> dict[str, int | float | bool]:
        """The fault knobs and their values, in ``Faults`` order."""
        return dict(asdict(self._check(dev).faults))

    def set_faults(self, dev: DevHandle, changes: dict[str, int | float | bool]) -> None:
        """Set these knobs (EINVAL naming a bad one; then nothing changed)."""
        device = self._check(dev)
        knobs: dict[str, Any] = dict(changes)  # checked by SimDevice.set_faults
        try:
            device.set_faults(**knobs)
        except (TypeError, ValueError) as exc:
            raise DevlinkError(errno.EINVAL, str(exc)) from None
