"""The switchdev ct-offload provider: every callback and a native ``batch_submit`` over an engine.

Purpose: ``SwitchdevProvider`` maps the ct-offload callbacks onto an ``OffloadEngine`` (and reads
the device's eswitch mode and ``ct_labels_mapping`` param through an optional ``DevlinkPort``),
following docs/switchdev.rst, "The provider": P-CAN, P-ADD, P-EST, P-UPD, P-DEL, P-FLUSH,
P-POLICY and P-BATCH. ``offload_class()`` is what a layer registers. ``simulated`` builds one on
the embedded simulated device (``SimDevice`` + ``SimEngine`` + ``SimDevlink``).

Promises:

- the per-op callbacks are batches of one through ``batch_submit``'s code, so the provider is
  coherent by construction; every op of a batch gets exactly one answer written into its entry
  (``error``, and ``last_used`` for a UPD, 0 otherwise); an op of invalid type answers EINVAL;
- the provider's view of what is programmed (``programmed()``) equals the device's table after
  every call, faults, refusals (EAGAIN, ENOSPC, ...) and timeouts (ETIMEDOUT, the op cancelled)
  included: a REMOVE or FLUSH that fails or times out leaves the connections on the device, so
  the provider keeps them too (P-DEL, P-FLUSH; a later DEL or FLUSH retries);
- thread-safe: one lock per provider, held for a whole batch; eligibility uses the eswitch mode
  and ``ct_labels_mapping`` read through the devlink port at ``init`` (or ``refresh``), and the
  defaults (switchdev, false) without a port.
"""

from __future__ import annotations

import errno
import itertools
import math
import threading
from collections.abc import Callable

from impl.batch import BatchEntry
from impl.provider import OffloadClass
from impl.switchdev.eligibility import at_establishment, eligible
from impl.switchdev.ports import DevHandle, DevlinkError, DevlinkPort, EngineOpKind, OffloadEngine
from impl.switchdev.provider_run import BatchRun, InFlight
from impl.switchdev.sim_config import DeviceConfig
from impl.switchdev.sim_device import SimDevice
from impl.switchdev.sim_devlink import SIM_HANDLE, SimDevlink
from impl.switchdev.sim_engine import SimEngine
from model.conn import ConnRef, Ctx
from model.vocab import OpType

__all__ = ["SwitchdevProvider"]


class SwitchdevProvider:
    """A ct-offload provider for one switchdev device, through its engine (and devlink port)."""

    def __init__(
        self,
        engine: OffloadEngine,
        *,
        devlink: DevlinkPort | None = None,
        dev: DevHandle | None = None,
        accept_new_udp: bool = True,
        timeout: float = 1.0,
        name: str = "switchdev",
    ) -> None:
        """A provider programming ``engine``. ``devlink`` (and ``dev``, default its first device)
        is read for the eswitch mode and ``ct_labels_mapping``; ``accept_new_udp`` must match the
        device's; ``timeout`` is how long (wall seconds) a batch waits for completions."""
        if dev is not None and not isinstance(dev, DevHandle):
            raise TypeError(f"SwitchdevProvider: dev must be a DevHandle, got {type(dev).__name__}")
        if not isinstance(accept_new_udp, bool):
            raise TypeError(f"SwitchdevProvider: accept_new_udp must be a bool, got {type(accept_new_udp).__name__}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise TypeError(f"SwitchdevProvider: timeout must be a number, got {type(timeout).__name__}")
        if not (math.isfinite(timeout) and timeout >= 0):
            raise ValueError(f"SwitchdevProvider: timeout must be a non-negative number of seconds, got {timeout!r}")
        self._engine = engine
        self._devlink = devlink
        self._dev = dev
        self._accept_new_udp = accept_new_udp
        self._timeout = float(timeout)
        self._lock = threading.Lock()
        self._waiting: set[int] = set()
        self._programmed: dict[int, bool] = {}  # conn id -> programmed as established
        self._late: dict[int, InFlight] = {}
        self._tags = itertools.count(1)
        self._mode = "switchdev"
        self._labels_mapping = False
        self._class = OffloadClass(
            name,
            init=self.init,
            batch_submit=self.batch_submit,
            conn_add=self.conn_add,
            conn_del=self.conn_del,
            conn_update=self.conn_update,
            conn_established=self.conn_established,
            can_offload=self.can_offload,
            flush=self.flush,
        )

    @classmethod
    def simulated(
        cls,
        config: DeviceConfig | None = None,
        *,
        clock: Callable[[], int],
        seed: int = 0,
        timeout: float = 1.0,
        name: str = "switchdev",
    ) -> tuple[SwitchdevProvider, SimDevice]:
        """A provider on a new simulated device (its engine and devlink port), and the device."""
        device = SimDevice(config, clock=clock, seed=seed)
        provider = cls(
            SimEngine(device),
            devlink=SimDevlink(device),
            dev=SIM_HANDLE,
            accept_new_udp=device.config.accept_new_udp,
            timeout=timeout,
            name=name,
        )
        return provider, device

    def offload_class(self) -> OffloadClass:
        """The provider's class, with every callback (the same object on every call)."""
        return self._class

    @property
    def name(self) -> str:
        """The class name."""
        return self._class.name

    @property
    def engine(self) -> OffloadEngine:
        """The engine the provider programs."""
        return self._engine

    def __repr__(self) -> str:
        """``SwitchdevProvider('switchdev', programmed=3, waiting=1)``."""
        return f"SwitchdevProvider({self.name!r}, programmed={len(self._programmed)}, waiting={len(self._waiting)})"

    # What the provider holds.

    def programmed(self) -> dict[int, bool]:
        """The connections the provider has programmed: id -> programmed as established."""
        with self._lock:
            return dict(self._programmed)

    def waiting(self) -> frozenset[int]:
        """The connections accepted, to be programmed at establishment."""
        with self._lock:
            return frozenset(self._waiting)

    # The device's configuration (eligibility needs it).

    def refresh(self) -> int:
        """Read the eswitch mode and ``ct_labels_mapping`` through the devlink port: 0, or the
        errno of a devlink refusal (a device without the param keeps the default, false)."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> int:
        if self._devlink is None:
            return 0
        try:
            if self._dev is None:
                devices = self._devlink.devices()
                if not devices:
                    return errno.ENODEV
                self._dev = devices[0]
            self._mode = self._devlink.eswitch_get(self._dev)
        except DevlinkError as exc:
            return exc.errno or errno.EIO
        try:
            values = self._devlink.param_get(self._dev, "ct_labels_mapping")
        except DevlinkError:
            values = []
        self._labels_mapping = any(v.value is True for v in values)
        return 0

    def _can(self, conn: ConnRef | None) -> bool:
        """P-CAN: eligible as if established; never in legacy mode."""
        if conn is None or self._mode == "legacy":
            return False
        return eligible(
            conn, established=True, accept_new_udp=self._accept_new_udp, labels_mapping=self._labels_mapping
        )

    # The callbacks.

    def init(self) -> int:
        """Registration: read the device's configuration (0, or a devlink errno)."""
        return self.refresh()

    def batch_submit(self, entries: list[BatchEntry]) -> None:
        """P-BATCH: answer every entry (``error``; ``last_used`` for a UPD)."""
        with self._lock:
            run = BatchRun(self._engine, self._apply, self._late, self._tags, self._timeout)
            for entry in entries:
                self._plan(entry, run)
            run.drain()

    def _plan(self, entry: BatchEntry, run: BatchRun) -> None:
        """Decide one op: answer it now, or hand ``run`` a device op or a deferred UPD."""
        entry.error = entry.last_used = 0
        kind = entry.kind
        if not isinstance(kind, OpType):
            entry.error = errno.EINVAL
            return
        conn = entry.ctx.conn
        if conn is None and kind is not OpType.FLUSH:  # P-BATCH: naming no connection is invalid
            entry.error = errno.EINVAL
            return
        if run.conflicts(kind is OpType.FLUSH, None if conn is None else conn.id):
            run.drain()
        if kind is OpType.FLUSH:  # P-FLUSH
            run.submit(entry, EngineOpKind.FLUSH, None)
        elif conn is None:
            raise AssertionError("unreachable: only FLUSH names no connection here")
        elif kind is OpType.POLICY:  # P-POLICY
            entry.error = 0 if self._can(conn) else errno.EPERM
        elif kind is OpType.ADD:  # P-ADD
            if conn.id in self._waiting or conn.id in self._programmed:
                entry.error = errno.EEXIST
            elif not self._can(conn):
                entry.error = errno.EOPNOTSUPP
            elif at_establishment(conn, accept_new_udp=self._accept_new_udp):
                self._waiting.add(conn.id)
            else:
                run.submit(entry, EngineOpKind.INSERT, conn)
        elif kind is OpType.EST:  # P-EST
            if conn.id in self._waiting:  # programmed on success; on failure it stays waiting
                run.submit(entry, EngineOpKind.INSERT, conn, established=True)
            elif self._programmed.get(conn.id) is False:
                run.submit(entry, EngineOpKind.UPDATE, conn)
        elif kind is OpType.UPD:  # P-UPD
            if conn.id in self._programmed:
                run.query_later(entry, conn.id)
            else:
                entry.error = errno.ENODATA
        elif kind is OpType.DEL:  # P-DEL
            if conn.id in self._programmed:
                run.submit(entry, EngineOpKind.REMOVE, conn)
            else:
                self._waiting.discard(conn.id)

    def _apply(self, op: InFlight, error: int) -> None:
        """A device op was refused or completed: answer its entry and follow the device's table.
        A failed op changed nothing, but a REMOVE that found nothing means the device has not got
        the connection (P-DEL: forgotten on 0 or ENOENT); a FLUSH forgets everything on 0 only."""
        if op.entry is not None:
            op.entry.error = error
        conn_id = op.conn_id
        if op.kind is EngineOpKind.FLUSH:
            if not error:
                self._programmed.clear()
                self._waiting.clear()
        elif conn_id is None:
            return
        elif op.kind is EngineOpKind.REMOVE:
            if error in (0, errno.ENOENT):
                self._programmed.pop(conn_id, None)
        elif error:
            return
        elif op.kind is EngineOpKind.INSERT:
            self._programmed[conn_id] = op.established
            self._waiting.discard(conn_id)
        elif conn_id in self._programmed:  # an UPDATE
            self._programmed[conn_id] = True

    def _one(self, kind: OpType, ctx: Ctx) -> BatchEntry:
        entry = BatchEntry(kind=kind, ctx=ctx, index=-1)
        self.batch_submit([entry])
        return entry

    def conn_add(self, ctx: Ctx) -> int:
        """P-ADD: 0, EEXIST, EOPNOTSUPP, or the INSERT's errno."""
        return self._one(OpType.ADD, ctx).error

    def conn_established(self, ctx: Ctx) -> int:
        """P-EST: 0 or the device's errno (void in C; the strict layer counts the answer)."""
        return self._one(OpType.EST, ctx).error

    def conn_update(self, ctx: Ctx) -> int:
        """P-UPD: the cached last-used time (ms) of a programmed connection, else 0."""
        return self._one(OpType.UPD, ctx).last_used

    def conn_del(self, ctx: Ctx) -> int:
        """P-DEL: 0 or the REMOVE's errno (counted by the strict layer)."""
        return self._one(OpType.DEL, ctx).error

    def can_offload(self, ctx: Ctx) -> bool:
        """P-CAN."""
        return self._one(OpType.POLICY, ctx).error == 0

    def flush(self) -> int:
        """P-FLUSH: 0 or the FLUSH's errno (counted by the strict layer)."""
        return self._one(OpType.FLUSH, Ctx(conn=None)).error
