"""The simulated device's devlink side: ``DevlinkPort`` for the instance ``sim/ctoffload0``.

Purpose: ``SimDevlink`` answers the devlink control plane (``impl.switchdev.ports.DevlinkPort``)
from a ``SimDevice``, shaped as the real generic-netlink backend answers it, so the provider, the
command line and the tests cannot tell the two apart: one device, ``DevHandle("sim",
"ctoffload0")``, driver ``sim_switchdev``, serial ``CTOFF0000``, running ``fw.version`` 1.0.0; its
ports, eswitch mode, params (types ``u32``, ``bool``, ``string``; cmode runtime), the resource tree
``/ct`` > ``/ct/entries`` with occupancy, reload, and the health reporter ``ct_offload``.

Promises: every method checks the handle first (``DevlinkError(ENODEV)`` for any other); a refusal
is a ``DevlinkError`` with the errno of docs/switchdev.rst (D-*) and an extack-like message, and
then nothing has changed. A health reporter other than ``ct_offload`` is EINVAL, as the kernel
answers.
"""

from __future__ import annotations

import errno

from impl.switchdev.ports import (
    DevHandle,
    DevInfo,
    DevlinkError,
    HealthReporter,
    ParamValue,
    PortInfo,
    Resource,
)
from impl.switchdev.sim_config import MAX_SIZE, PARAMS, param_spec
from impl.switchdev.sim_device import HEALTH_REPORTER, SimDevice

__all__ = ["DRIVER", "FW_VERSION", "SERIAL", "SIM_HANDLE", "SimDevlink"]

#: The simulated device's devlink handle.
SIM_HANDLE = DevHandle("sim", "ctoffload0")

DRIVER = "sim_switchdev"
SERIAL = "CTOFF0000"
FW_VERSION = "1.0.0"

#: Resource ids (D-RESOURCE).
CT_ID = 1
ENTRIES_ID = 2


class SimDevlink:
    """``DevlinkPort`` over one ``SimDevice``."""

    def __init__(self, device: SimDevice) -> None:
        """The devlink side of ``device``."""
        if not isinstance(device, SimDevice):
            raise TypeError(f"SimDevlink: device must be a SimDevice, got {type(device).__name__}")
        self._device = device

    @property
    def device(self) -> SimDevice:
        """The device behind this port."""
        return self._device

    def _check(self, dev: DevHandle) -> SimDevice:
        if dev != SIM_HANDLE:
            raise DevlinkError(errno.ENODEV, f"No devlink instance {dev} (this simulator has only {SIM_HANDLE})")
        return self._device

    def devices(self) -> list[DevHandle]:
        """The one simulated instance."""
        return [SIM_HANDLE]

    def ports(self, dev: DevHandle) -> list[PortInfo]:
        """D-ESWITCH: physical 0, pci-pf 1, and in the switchdev modes pci-vf 2 + n."""
        return self._check(dev).ports()

    def eswitch_get(self, dev: DevHandle) -> str:
        """The eswitch mode."""
        return self._check(dev).eswitch_mode

    def eswitch_set(self, dev: DevHandle, mode: str) -> None:
        """D-ESWITCH: EINVAL for an unknown mode, EBUSY while anything is offloaded or queued."""
        self._check(dev).set_eswitch_mode(mode)

    def param_get(self, dev: DevHandle, name: str | None = None) -> list[ParamValue]:
        """Every param (``name`` None) or the one named (EINVAL if unknown)."""
        device = self._check(dev)
        specs = PARAMS if name is None else (param_spec(name),)
        values = device.params()
        return [ParamValue(spec.name, spec.type, "runtime", values[spec.name]) for spec in specs]

    def param_set(self, dev: DevHandle, name: str, value: int | str | bool, cmode: str = "runtime") -> None:
        """D-PARAM: EINVAL, EOPNOTSUPP (cmode) or EBUSY (``flow_steering_mode`` in switchdev)."""
        self._check(dev).set_param(name, value, cmode)

    def resource_dump(self, dev: DevHandle) -> list[Resource]:
        """D-RESOURCE: ``/ct`` (id 1), sized as its one child ``/ct/entries`` (id 2), with ``occ``."""
        device = self._check(dev)
        size, size_new = device.size, device.size_new
        occ, _ = device.capacity()
        entries = Resource("entries", ENTRIES_ID, size, size_new, True, occ=occ, size_min=1, size_max=MAX_SIZE)
        ct = Resource("ct", CT_ID, size, size_new, True, occ=occ, size_min=1, size_max=MAX_SIZE, children=(entries,))
        return [ct]

    def resource_set(self, dev: DevHandle, path: str, size: int) -> None:
        """D-RESOURCE: ``size_new`` of ``/ct/entries`` (ENOENT for another path, EINVAL out of range)."""
        self._check(dev).set_resource_size(path, size)

    def reload(self, dev: DevHandle) -> None:
        """D-RELOAD: EBUSY while anything is offloaded or queued, EIO with ``fail_reload``."""
        self._check(dev).reload()

    def info(self, dev: DevHandle) -> DevInfo:
        """Driver, serial and running firmware version."""
        self._check(dev)
        return DevInfo(driver=DRIVER, serial=SERIAL, running=(("fw.version", FW_VERSION),))

    def health(self, dev: DevHandle) -> list[HealthReporter]:
        """The ``ct_offload`` reporter."""
        return [self._check(dev).health()]

    def _reporter(self, dev: DevHandle, reporter: str) -> SimDevice:
        device = self._check(dev)
        if reporter != HEALTH_REPORTER:
            raise DevlinkError(errno.EINVAL, f"No health reporter {reporter!r} (known: {HEALTH_REPORTER})")
        return device

    def health_recover(self, dev: DevHandle, reporter: str) -> None:
        """D-HEALTH: state healthy, ``recover_count`` + 1."""
        self._reporter(dev, reporter).recover()

    def health_diagnose(self, dev: DevHandle, reporter: str) -> dict[str, object]:
        """D-HEALTH: size, occupancy, conns, queue_depth, last_errors."""
        return self._reporter(dev, reporter).diagnose()
