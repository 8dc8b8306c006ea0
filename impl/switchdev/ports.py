"""The two pluggable parts of the switchdev provider: the devlink side and the offload engine.

Purpose: the interfaces every backend implements, so the provider, the command line and the tests
never depend on which backend is in use. ``DevlinkPort``: the devlink control plane (devices,
ports, eswitch mode, params, resources, reload, info, health reporters); backends are the real
generic-netlink one (``impl.switchdev.devlink_netlink``) and the simulated device's
(``impl.switchdev.sim_devlink``). ``OffloadEngine``: how connections reach the flow table, with the
asynchronous submit / push / poll shape of DPDK's rte_flow async API; backends are the simulated
device's engine (``impl.switchdev.sim_engine``) and the ctnetlink engine
(``impl.switchdev.ctnetlink``). docs/switchdev.rst states the rules.

Promises: values here are frozen; ``DevlinkError`` and ``EngineError`` carry an errno and, for
devlink, the extack message, so a caller can tell what was refused and why.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from model.conn import ConnRef

#: The eswitch modes (``DEVLINK_ESWITCH_MODE_*``): legacy 0, switchdev 1, switchdev_inactive 2.
ESWITCH_MODES: tuple[str, ...] = ("legacy", "switchdev", "switchdev_inactive")

#: Param value types (``DEVLINK_VAR_ATTR_TYPE_*``) the codec knows.
PARAM_TYPES: tuple[str, ...] = ("u8", "u16", "u32", "u64", "string", "bool")

#: Param configuration modes (``DEVLINK_PARAM_CMODE_*``): runtime 0, driverinit 1, permanent 2.
CMODES: tuple[str, ...] = ("runtime", "driverinit", "permanent")


class DevlinkError(OSError):
    """A devlink request the device refused: an errno and the extack message, if any."""

    def __init__(self, errno: int, message: str) -> None:
        """``errno`` (positive) and a message naming what was refused."""
        super().__init__(errno, message)


@dataclass(frozen=True, slots=True)
class DevHandle:
    """A devlink instance: ``bus/dev``, as ``devlink dev show`` prints it."""

    bus: str
    dev: str

    def __str__(self) -> str:
        return f"{self.bus}/{self.dev}"


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One devlink port: index, flavour (physical, pci-pf, pci-vf, ...), netdev name, VF number."""

    index: int
    flavour: str
    netdev: str | None = None
    vf: int | None = None


@dataclass(frozen=True, slots=True)
class ParamValue:
    """One devlink param value: name, type (``PARAM_TYPES``), cmode (``CMODES``), value, and whether
    it is a generic (kernel-defined) param."""

    name: str
    type: str
    cmode: str
    value: int | str | bool
    generic: bool = False


@dataclass(frozen=True, slots=True)
class Resource:
    """One devlink resource and its children: ``size`` in effect, ``size_new`` pending until reload,
    live occupancy ``occ`` (None when the driver reports none), unit ("entry")."""

    name: str
    id: int
    size: int
    size_new: int
    size_valid: bool
    unit: str = "entry"
    occ: int | None = None
    size_min: int = 0
    size_max: int = 2**64 - 1
    size_gran: int = 1
    children: tuple[Resource, ...] = ()


@dataclass(frozen=True, slots=True)
class HealthReporter:
    """One health reporter: its name, state ("healthy" or "error") and counters."""

    name: str
    state: str
    err_count: int
    recover_count: int


@dataclass(frozen=True, slots=True)
class DevInfo:
    """``devlink dev info``: driver name, serial, and version name -> value maps."""

    driver: str
    serial: str | None
    fixed: tuple[tuple[str, str], ...] = ()
    running: tuple[tuple[str, str], ...] = ()
    stored: tuple[tuple[str, str], ...] = ()


class DevlinkPort(Protocol):
    """The devlink control plane of a switchdev device (raises DevlinkError on refusal)."""

    def devices(self) -> list[DevHandle]: ...
    def ports(self, dev: DevHandle) -> list[PortInfo]: ...
    def eswitch_get(self, dev: DevHandle) -> str: ...
    def eswitch_set(self, dev: DevHandle, mode: str) -> None: ...
    def param_get(self, dev: DevHandle, name: str | None = None) -> list[ParamValue]: ...
    def param_set(self, dev: DevHandle, name: str, value: int | str | bool, cmode: str = "runtime") -> None: ...
    def resource_dump(self, dev: DevHandle) -> list[Resource]: ...
    def resource_set(self, dev: DevHandle, path: str, size: int) -> None: ...
    def reload(self, dev: DevHandle) -> None: ...
    def info(self, dev: DevHandle) -> DevInfo: ...
    def health(self, dev: DevHandle) -> list[HealthReporter]: ...
    def health_recover(self, dev: DevHandle, reporter: str) -> None: ...
    def health_diagnose(self, dev: DevHandle, reporter: str) -> dict[str, object]: ...


class EngineOpKind(enum.Enum):
    """What an engine op does to the flow table."""

    INSERT = "insert"  # program a connection (one direction, or both once established)
    UPDATE = "update"  # a programmed connection became established: program both directions
    REMOVE = "remove"  # remove a programmed connection
    FLUSH = "flush"  # remove every programmed connection


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineOp:
    """One op for an engine: its kind, the connection (None for FLUSH), whether the connection is
    established (INSERT), and the tag its result will carry (rte_flow's ``user_data``)."""

    kind: EngineOpKind
    conn: ConnRef | None
    tag: int
    established: bool = False


@dataclass(frozen=True, slots=True)
class EngineResult:
    """The completion of one queued op: its tag and errno (0: done)."""

    tag: int
    error: int


@dataclass(frozen=True, slots=True)
class FlowStats:
    """What the hardware last reported for a connection: last-used time (ms) and counters."""

    last_used: int
    packets: int
    bytes: int


class OffloadEngine(Protocol):
    """The flow table's asynchronous programming interface.

    ``submit`` queues an op (0) or refuses it at once (an errno: EAGAIN queue full, ENOSPC table
    full, EOPNOTSUPP not offloadable, ...), in which case no result will ever come for its tag;
    ``push`` sends everything queued; ``poll`` returns completions (each queued op completes exactly
    once); ``cancel`` withdraws ops still queued (no result will come for the tags it returns);
    ``query`` returns cached stats of programmed connections (unknown ones are absent).
    """

    def submit(self, op: EngineOp) -> int: ...
    def push(self) -> None: ...
    def poll(self, max_results: int | None = None) -> list[EngineResult]: ...
    def cancel(self, tags: Sequence[int]) -> list[int]: ...
    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]: ...
    def capacity(self) -> tuple[int, int]:
        """``(used, size)`` of the table, in the engine's unit (entries for the simulated device,
        connections for the ctnetlink engine)."""
        ...

    def close(self) -> None: ...
