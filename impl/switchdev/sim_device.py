"""The embedded simulated switchdev device: devlink instance ``sim/ctoffload0`` and its flow table.

Purpose: the whole device of docs/switchdev.rst ("The simulated device") behind one lock: the
eswitch mode and ports (D-ESWITCH), the params (D-PARAM), the ``/ct`` and ``/ct/entries``
resources (D-RESOURCE, D-RELOAD), the health reporter ``ct_offload`` (D-HEALTH), the flow table
with its submit queue, completions and stats cache (ENG-*, in ``impl.switchdev.sim_table``),
traffic injection (``hit``, ENG-TRAFFIC), the fault knobs (``set_faults``) and a device-time
counter (``busy_ns``). ``SimDevlink`` and ``SimEngine`` are thin views of it.

Promises:

- thread-safe: every public method runs under the device's one lock (the clock is read under it);
- a devlink request the device refuses raises ``DevlinkError(errno, message)`` and changes nothing;
- ``fail_rate`` draws come from a ``random.Random(seed)`` the device owns, drawn only for ops that
  ``fail_next`` does not fail and only while ``fail_rate`` is positive, so a run is reproducible;
- ``devlink_state`` / ``apply_devlink_state`` save and restore the devlink-visible configuration
  (``impl.switchdev.sim_state``), never the flow table.
"""

from __future__ import annotations

import errno
import random
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from impl.switchdev.ports import (
    CMODES,
    ESWITCH_MODES,
    DevlinkError,
    EngineOp,
    EngineOpKind,
    EngineResult,
    FlowStats,
    HealthReporter,
    PortInfo,
)
from impl.switchdev.sim_config import PARAMS, DeviceConfig, Faults, check_param, param_spec
from impl.switchdev.sim_state import ENTRIES_PATH, decode, encode
from impl.switchdev.sim_table import Admission, FlowTable, TableEntry

__all__ = ["HEALTH_REPORTER", "LAST_ERRORS", "SimDevice", "TableEntry"]

#: The device's health reporter.
HEALTH_REPORTER = "ct_offload"

#: How many errno values ``diagnose`` keeps.
LAST_ERRORS = 8

_SWITCHDEV_MODES = ("switchdev", "switchdev_inactive")


class SimDevice:
    """The simulated switchdev device (one devlink instance, one flow table)."""

    def __init__(self, config: DeviceConfig | None = None, *, clock: Callable[[], int], seed: int = 0) -> None:
        """A device in switchdev mode with default params, an empty table, no fault, healthy.

        ``clock()`` gives the time in ms (last-used times, the stats period); ``seed`` seeds the
        random draws of the ``fail_rate`` fault."""
        config = DeviceConfig() if config is None else config
        if not isinstance(config, DeviceConfig):
            raise TypeError(f"SimDevice: config must be a DeviceConfig, got {type(config).__name__}")
        if not callable(clock):
            raise TypeError("SimDevice: clock must be callable (returning ms)")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"SimDevice: seed must be an int, got {type(seed).__name__}")
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._mode = "switchdev"
        self._params: dict[str, int | str | bool] = {spec.name: spec.default for spec in PARAMS}
        self._size = self._size_new = config.ct_entries
        self._faults = Faults()
        self._table = FlowTable(config.queue_size, clock())
        self._health_state = "healthy"
        self._err_count = 0
        self._recover_count = 0
        self._last_errors: deque[int] = deque(maxlen=LAST_ERRORS)
        self._busy_ns = 0

    def __repr__(self) -> str:
        """``SimDevice(sim/ctoffload0, switchdev, conns=3, occ=6/65536)``."""
        with self._lock:
            return (
                f"SimDevice(sim/ctoffload0, {self._mode}, conns={len(self._table)}, "
                f"occ={self._table.used}/{self._size})"
            )

    @property
    def config(self) -> DeviceConfig:
        """What the device was built with."""
        return self._config

    # Health (D-HEALTH).

    def _record_error(self, error: int) -> None:
        self._err_count += 1
        self._health_state = "error"
        self._last_errors.append(error)

    def health(self) -> HealthReporter:
        """The ``ct_offload`` reporter: state and counters."""
        with self._lock:
            return HealthReporter(HEALTH_REPORTER, self._health_state, self._err_count, self._recover_count)

    def recover(self) -> None:
        """``health recover``: state healthy, one more in ``recover_count``."""
        with self._lock:
            self._health_state = "healthy"
            self._recover_count += 1

    def diagnose(self) -> dict[str, object]:
        """``health diagnose``: size, occupancy, conns, queue depth, the last 8 errnos (oldest first)."""
        with self._lock:
            return {
                "size": self._size,
                "occupancy": self._table.used,
                "conns": len(self._table),
                "queue_depth": self._table.queue_depth,
                "last_errors": list(self._last_errors),
            }

    # Eswitch and ports (D-ESWITCH).

    @property
    def eswitch_mode(self) -> str:
        """``legacy``, ``switchdev`` or ``switchdev_inactive``."""
        return self._mode

    def set_eswitch_mode(self, mode: str) -> None:
        """D-ESWITCH: EINVAL for an unknown mode; EBUSY for a change while anything is programmed
        or queued; setting the current mode is a no-op."""
        with self._lock:
            if mode not in ESWITCH_MODES:
                raise DevlinkError(errno.EINVAL, f"Unknown eswitch mode {mode!r} (known: {', '.join(ESWITCH_MODES)})")
            if mode == self._mode:
                return
            if self._table.busy:
                raise DevlinkError(
                    errno.EBUSY,
                    f"Can't change eswitch mode while {len(self._table)} connections are offloaded "
                    f"and {self._table.queue_depth} ops are queued",
                )
            self._mode = mode

    def ports(self) -> list[PortInfo]:
        """The physical port 0, the PF port 1 and, in the switchdev modes, one VF port per VF."""
        ports = [PortInfo(0, "physical", "ctoff0p0"), PortInfo(1, "pci-pf", "ctoff0pf0")]
        with self._lock:
            mode = self._mode
        if mode in _SWITCHDEV_MODES:
            ports += [PortInfo(2 + n, "pci-vf", f"ctoff0pf0vf{n}", vf=n) for n in range(self._config.num_vfs)]
        return ports

    # Params (D-PARAM).

    def params(self) -> dict[str, int | str | bool]:
        """Every param and its value, in ``PARAMS`` order."""
        with self._lock:
            return dict(self._params)

    def param(self, name: str) -> int | str | bool:
        """One param's value (EINVAL for an unknown name)."""
        spec = param_spec(name)
        with self._lock:
            return self._params[spec.name]

    def set_param(self, name: str, value: int | str | bool, cmode: str = "runtime") -> None:
        """D-PARAM: EINVAL (unknown name or cmode, wrong type, out of range), then EOPNOTSUPP (a cmode
        other than runtime), then EBUSY (``flow_steering_mode`` in a switchdev mode)."""
        spec = param_spec(name)
        if cmode not in CMODES:
            raise DevlinkError(errno.EINVAL, f"Unknown configuration mode {cmode!r} (known: {', '.join(CMODES)})")
        if cmode != "runtime":
            raise DevlinkError(errno.EOPNOTSUPP, f"{spec.name}: configuration mode {cmode} is not supported")
        value = check_param(spec.name, value)
        with self._lock:
            if spec.name == "flow_steering_mode" and self._mode in _SWITCHDEV_MODES:
                raise DevlinkError(errno.EBUSY, "E-Switch must either disabled or non switchdev mode")
            self._params[spec.name] = value

    # Resources and reload (D-RESOURCE, D-RELOAD).

    @property
    def size(self) -> int:
        """The ``/ct/entries`` size in effect."""
        return self._size

    @property
    def size_new(self) -> int:
        """The ``/ct/entries`` size pending until reload."""
        return self._size_new

    @property
    def occupancy(self) -> int:
        """Entries in use (``occ``)."""
        return self._table.used

    def set_resource_size(self, path: str, size: int) -> None:
        """D-RESOURCE: ``size_new`` of ``/ct/entries`` (ENOENT for another path, EINVAL out of range)."""
        if path != ENTRIES_PATH:
            raise DevlinkError(errno.ENOENT, f"Resource {path!r} not found, or its size can't be set")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 2**32:
            raise DevlinkError(errno.EINVAL, f"Size of {path} must be between 1 and {2**32}, got {size!r}")
        with self._lock:
            self._size_new = size

    def reload(self) -> None:
        """D-RELOAD: apply ``size_new``; EBUSY while anything is programmed or queued; EIO with
        the ``fail_reload`` fault."""
        with self._lock:
            if self._table.busy:
                raise DevlinkError(
                    errno.EBUSY,
                    f"Can't reload while {len(self._table)} connections are offloaded "
                    f"and {self._table.queue_depth} ops are queued",
                )
            if self._faults.fail_reload:
                raise DevlinkError(errno.EIO, "Reload failed (fail_reload fault)")
            self._size = self._size_new

    # Faults.

    @property
    def faults(self) -> Faults:
        """The fault knobs now (``fail_next_count`` goes down as injected failures are used)."""
        return self._faults

    def set_faults(self, *, seed: int | None = None, **changes: object) -> Faults:
        """Change some fault knobs (``Faults`` field names); ``seed`` reseeds the ``fail_rate`` draws.
        An unknown knob is a TypeError, a bad value a TypeError or ValueError; nothing then changes."""
        unknown = sorted(set(changes) - set(Faults.names()))
        if unknown:
            raise TypeError(f"SimDevice.set_faults: unknown fault {unknown[0]!r} (known: {', '.join(Faults.names())})")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"SimDevice.set_faults: seed must be an int, got {type(seed).__name__}")
        with self._lock:
            faults = replace(self._faults, **changes)  # type: ignore[arg-type]  # Faults checks the values
            self._faults = faults
            if seed is not None:
                self._rng.seed(seed)
            return faults

    def _failure(self) -> int:
        faults = self._faults
        if faults.fail_next_count:
            self._faults = replace(faults, fail_next_count=faults.fail_next_count - 1)
            return faults.fail_next_errno
        if faults.fail_rate > 0 and self._rng.random() < faults.fail_rate:
            return errno.EIO
        return 0

    # The engine side (ENG-SUBMIT, -PUSH, -POLL, -CANCEL, -QUERY).

    def submit(self, op: EngineOp) -> int:
        """ENG-SUBMIT: 0 (queued) or the errno refusing ``op`` (no completion will follow). An op
        that is not an ``EngineOp`` is a TypeError; an op other than FLUSH without a connection EINVAL."""
        if not isinstance(op, EngineOp):
            raise TypeError(f"SimDevice.submit: expected an EngineOp, got {type(op).__name__}")
        if op.conn is None and op.kind is not EngineOpKind.FLUSH:
            return errno.EINVAL
        with self._lock:
            adm = Admission(
                mode=self._mode,
                size=self._size,
                max_conns=int(self._params["ct_max_offloaded_conns"]),
                entries_per_conn=self._config.entries_per_conn,
                nat_action=bool(self._params["ct_action_on_nat_conns"]),
                accept_new_udp=self._config.accept_new_udp,
                labels_mapping=bool(self._params["ct_labels_mapping"]),
                force_full=self._faults.force_full,
            )
            error = self._table.submit(op, adm)
            if error == errno.ENOSPC:
                self._record_error(error)
            return error

    def push(self) -> None:
        """ENG-PUSH: complete every queued op (nothing with the ``stuck_queue`` fault)."""
        with self._lock:
            if self._faults.stuck_queue:
                return
            depth = self._table.queue_depth
            for error in self._table.complete_all(self._clock(), self._failure):
                self._record_error(error)
            self._busy_ns += self._config.t_call_ns + depth * self._config.t_op_ns

    def poll(self, max_results: int | None = None) -> list[EngineResult]:
        """ENG-POLL: completions in completion order, at most ``max_results`` (None: all)."""
        if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)):
            raise TypeError(f"SimDevice.poll: max_results must be an int or None, got {type(max_results).__name__}")
        with self._lock:
            return self._table.poll(None if max_results is None else max(max_results, 0))

    def cancel(self, tags: Sequence[int]) -> list[int]:
        """ENG-CANCEL: withdraw the queued ops with these tags; the tags withdrawn."""
        with self._lock:
            return self._table.cancel(tags)

    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]:
        """ENG-QUERY: the cached stats of the programmed ones of ``conn_ids``."""
        with self._lock:
            return self._table.query(conn_ids, self._clock(), self._config.stats_period)

    def capacity(self) -> tuple[int, int]:
        """``(entries in use, size)`` of ``/ct/entries``."""
        with self._lock:
            return self._table.used, self._size

    # Traffic (ENG-TRAFFIC) and inspection.

    def hit(self, conn_id: int, packets: int = 1, bytes: int = 64) -> bool:
        """ENG-TRAFFIC: traffic the hardware forwarded for ``conn_id``; whether it was counted (a
        programmed connection, in switchdev mode)."""
        if isinstance(packets, bool) or not isinstance(packets, int) or packets < 0:
            raise ValueError(f"SimDevice.hit: packets must be a non-negative int, got {packets!r}")
        if isinstance(bytes, bool) or not isinstance(bytes, int) or bytes < 0:
            raise ValueError(f"SimDevice.hit: bytes must be a non-negative int, got {bytes!r}")
        with self._lock:
            if self._mode != "switchdev":
                return False
            return self._table.hit(conn_id, packets, bytes, self._clock())

    def table(self) -> dict[int, TableEntry]:
        """Every programmed connection by id (a snapshot)."""
        with self._lock:
            return self._table.entries()

    def queued(self) -> tuple[EngineOp, ...]:
        """The queued ops, in queue order."""
        with self._lock:
            return self._table.queued()

    @property
    def conns(self) -> int:
        """How many connections are programmed."""
        return len(self._table)

    @property
    def queue_depth(self) -> int:
        """How many ops are queued."""
        return self._table.queue_depth

    @property
    def busy_ns(self) -> int:
        """Device time spent on pushes so far (ns)."""
        return self._busy_ns

    # Saving and restoring the devlink configuration.

    def devlink_state(self) -> dict[str, object]:
        """The devlink-visible configuration as JSON-able data (``impl.switchdev.sim_state``)."""
        with self._lock:
            return encode(self._mode, self._params, self._size, self._size_new, self._faults)

    def apply_devlink_state(self, data: object) -> None:
        """Restore a state ``devlink_state`` gave (parts may be missing: they stay as they are).
        ValueError naming what is malformed; DevlinkError(EBUSY) if it would change the eswitch
        mode or the size while anything is programmed or queued. All or nothing."""
        update = decode(data)
        with self._lock:
            changes_mode = update.eswitch_mode is not None and update.eswitch_mode != self._mode
            changes_size = update.size is not None and update.size != self._size
            if (changes_mode or changes_size) and self._table.busy:
                raise DevlinkError(
                    errno.EBUSY, "Can't restore the eswitch mode or size while connections are offloaded"
                )
            faults = self._faults if update.faults is None else replace(self._faults, **update.faults)  # type: ignore[arg-type]
            if update.eswitch_mode is not None:
                self._mode = update.eswitch_mode
            if update.params is not None:
                self._params.update(update.params)
            if update.size is not None:
                self._size = update.size
            if update.size_new is not None:
                self._size_new = update.size_new
            self._faults = faults
