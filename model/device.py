"""A pure model of the simulated switchdev device: configuration, state and its devlink surface.

Purpose: docs/switchdev.rst states the device's rules; this module and ``model.device_engine`` state
them executably, so impl's simulated device and the switchdev provider can be checked against
them. Rule ids (D-*, E-*) are those of docs/switchdev.rst.

Promises: every value is frozen; every function is pure (time is an argument); a refusal is an
errno result and leaves the state unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, ConnRef
from model.pmap import HamtMap, PersistentMap
from model.vocab import Errno

U32_MAX = 2**32 - 1
ESWITCH_MODES = ("legacy", "switchdev", "switchdev_inactive")
STEERING_MODES = ("dmfs", "smfs", "hmfs")
REPORTER = "ct_offload"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceConfig:
    """The device's build-time configuration (docs/switchdev.rst, "The simulated device")."""

    ct_entries: int = 65536
    entries_per_conn: int = 2
    queue_size: int = 1024
    num_vfs: int = 4
    t_call_ns: int = 15000
    t_op_ns: int = 1200
    stats_period: int = 1000
    accept_new_udp: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """Injected faults: the next ``fail_next_count`` completions fail with ``fail_next_errno``;
    each completion fails with EIO with probability ``fail_rate``; ``force_full`` refuses every
    INSERT with ENOSPC; ``stuck_queue`` makes push do nothing; ``fail_reload`` makes reload fail."""

    fail_next_count: int = 0
    fail_next_errno: int = Errno.EIO
    fail_rate: float = 0.0
    force_full: bool = False
    stuck_queue: bool = False
    fail_reload: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Params:
    """The devlink params (D-PARAM)."""

    ct_max_offloaded_conns: int = U32_MAX
    ct_action_on_nat_conns: bool = False
    ct_labels_mapping: bool = False
    flow_steering_mode: str = "smfs"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A programmed connection: its cost in entries, whether established, last-used and counters."""

    cost: int
    established: bool
    last_used: int
    packets: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Queued:
    """A queued op: "insert", "update", "remove" or "flush", its connection, tag and reservation."""

    kind: str
    conn: ConnRef | None
    tag: int
    established: bool = False
    cost: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """The ``ct_offload`` health reporter (D-HEALTH)."""

    state: str = "healthy"
    err_count: int = 0
    recover_count: int = 0
    last_errors: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceState:
    """Everything the device holds."""

    config: DeviceConfig = field(default_factory=DeviceConfig)
    eswitch: str = "switchdev"
    params: Params = field(default_factory=Params)
    size: int = -1
    size_new: int = -1
    table: PersistentMap[int, Entry] = field(default_factory=HamtMap)
    queue: tuple[Queued, ...] = ()
    completions: tuple[tuple[int, int], ...] = ()
    cache: PersistentMap[int, Entry] = field(default_factory=HamtMap)
    cache_time: int | None = None
    faults: Faults = field(default_factory=Faults)
    health: Health = field(default_factory=Health)
    busy_ns: int = 0

    @property
    def occupancy(self) -> int:
        """Entries in use (the resource's ``occ``)."""
        return sum(entry.cost for _, entry in self.table.items())

    @property
    def reserved(self) -> int:
        """Entries reserved by queued INSERTs."""
        return sum(q.cost for q in self.queue)


def new_device(config: DeviceConfig | None = None) -> DeviceState:
    """A device fresh from the factory: switchdev mode, default params, ``ct_entries`` entries."""
    config = config or DeviceConfig()
    return DeviceState(config=config, size=config.ct_entries, size_new=config.ct_entries)


def busy(state: DeviceState) -> bool:
    """Whether any connection is programmed or any op queued (what D-ESWITCH and D-RELOAD refuse)."""
    return len(state.table) > 0 or len(state.queue) > 0


def eswitch_set(state: DeviceState, mode: str) -> tuple[DeviceState, int]:
    """Rule D-ESWITCH: EINVAL for an unknown mode; EBUSY to change it while busy; else set."""
    if mode not in ESWITCH_MODES:
        return state, Errno.EINVAL
    if mode == state.eswitch:
        return state, 0
    if busy(state):
        return state, Errno.EBUSY
    return replace(state, eswitch=mode), 0


#: The device's params and the values each accepts (D-PARAM).
PARAM_VALUES: dict[str, Callable[[object], bool]] = {
    "ct_max_offloaded_conns": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= U32_MAX,
    "ct_action_on_nat_conns": lambda v: isinstance(v, bool),
    "ct_labels_mapping": lambda v: isinstance(v, bool),
    "flow_steering_mode": lambda v: isinstance(v, str) and v in STEERING_MODES,
}


def param_set(
    state: DeviceState, name: str, value: int | str | bool, cmode: str = "runtime"
) -> tuple[DeviceState, int]:
    """Rule D-PARAM, checked in this order: EINVAL for an unknown name or an unknown cmode,
    EOPNOTSUPP for a cmode other than runtime, EINVAL for a value of the wrong type or range, EBUSY
    for ``flow_steering_mode`` in a switchdev mode."""
    params = state.params
    valid = PARAM_VALUES.get(name)
    if valid is None or cmode not in ("runtime", "driverinit", "permanent"):
        return state, Errno.EINVAL
    if cmode != "runtime":
        return state, Errno.EOPNOTSUPP
    if not valid(value):
        return state, Errno.EINVAL
    if name == "flow_steering_mode" and state.eswitch != "legacy":
        return state, Errno.EBUSY
    if name == "ct_max_offloaded_conns":
        params = replace(params, ct_max_offloaded_conns=int(value))
    elif name == "ct_action_on_nat_conns":
        params = replace(params, ct_action_on_nat_conns=bool(value))
    elif name == "ct_labels_mapping":
        params = replace(params, ct_labels_mapping=bool(value))
    else:
        params = replace(params, flow_steering_mode=str(value))
    return replace(state, params=params), 0


def resource_set(state: DeviceState, path: str, size: int) -> tuple[DeviceState, int]:
    """Rule D-RESOURCE: ``/ct/entries`` only (ENOENT otherwise), 1 <= size <= 2^32 (EINVAL);
    it sets ``size_new``, which reload applies."""
    if path != "/ct/entries":
        return state, Errno.ENOENT
    if not 1 <= size <= 2**32:
        return state, Errno.EINVAL
    return replace(state, size_new=size), 0


def reload(state: DeviceState) -> tuple[DeviceState, int]:
    """Rule D-RELOAD: EBUSY while busy, else EIO with the fail_reload fault, else
    ``size = size_new``."""
    if busy(state):
        return state, Errno.EBUSY
    if state.faults.fail_reload:
        return state, Errno.EIO
    return replace(state, size=state.size_new), 0


def health_error(state: DeviceState, error: int) -> DeviceState:
    """Rule D-HEALTH: count a failure: ``err_count`` + 1, state error, ``error`` remembered."""
    health = state.health
    last = (*health.last_errors, error)[-8:]
    return replace(state, health=replace(health, state="error", err_count=health.err_count + 1, last_errors=last))


def health_recover(state: DeviceState) -> DeviceState:
    """Rule D-HEALTH: recover: state healthy, ``recover_count`` + 1."""
    health = state.health
    return replace(state, health=replace(health, state="healthy", recover_count=health.recover_count + 1))


def eligible(state: DeviceState, conn: ConnRef, established: bool) -> bool:
    """Rule ENG-ELIGIBLE: TCP once established; UDP (before establishment only with
    ``accept_new_udp``); GRE without NAT; no helper; zone <= 65535; labels below 2^32 unless
    ``ct_labels_mapping``."""
    proto = conn.orig.proto
    if proto == PROTO_TCP:
        ok = established
    elif proto == PROTO_UDP:
        ok = established or state.config.accept_new_udp
    elif proto == PROTO_GRE:
        ok = not conn.nat
    else:
        ok = False
    if conn.helper is not None or conn.zone > 0xFFFF:
        return False
    if conn.labels >= 2**32 and not state.params.ct_labels_mapping:
        return False
    return ok


def cost(state: DeviceState, conn: ConnRef) -> int:
    """ENG-ELIGIBLE: ``entries_per_conn``, plus 2 for a NATed connection with ``ct_action_on_nat_conns``."""
    extra = 2 if conn.nat and state.params.ct_action_on_nat_conns else 0
    return state.config.entries_per_conn + extra
