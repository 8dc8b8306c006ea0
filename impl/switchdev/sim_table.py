"""The simulated device's flow table, submit queue, completions and stats cache (ENG-* rules).

Purpose: the data path of ``impl.switchdev.sim_device.SimDevice``, apart from its lock, its devlink
configuration and its faults: ENG-SUBMIT (the checks, in their order, and the reservations),
ENG-PUSH (completion in queue order), ENG-POLL, ENG-CANCEL, ENG-QUERY (the cached counters) and
ENG-TRAFFIC. The device passes what the rules depend on (``Admission`` at submit, the time, a
failure draw at push), so this module has no clock, no lock and no randomness of its own.

Promises:

- ``used`` is always the sum of the programmed connections' costs and ``reserved`` the sum of the
  queued INSERTs' costs; every queued op completes exactly once (``push``) or is cancelled
  (``cancel``), never both; a failed op changes nothing but the INSERT's reservation;
- ``TableEntry`` values are frozen, so ``entries()`` is a safe snapshot;
- callers hold the device's lock: nothing here is thread-safe on its own.
"""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from impl.switchdev.eligibility import conn_cost, eligible
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult, FlowStats

__all__ = ["Admission", "FlowTable", "TableEntry"]


@dataclass(frozen=True, slots=True)
class TableEntry:
    """A programmed connection: the entries it costs, whether it is programmed as established,
    its last-used time (ms) and its counters."""

    cost: int
    established: bool
    last_used: int
    packets: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class Admission:
    """What ENG-SUBMIT checks an INSERT against: the device's settings when it is submitted."""

    mode: str
    size: int
    max_conns: int
    entries_per_conn: int
    nat_action: bool
    accept_new_udp: bool
    labels_mapping: bool
    force_full: bool


class FlowTable:
    """Programmed connections by id, the submit queue, the completions and the stats cache."""

    def __init__(self, queue_size: int, now: int) -> None:
        """An empty table whose queue holds ``queue_size`` ops; the cache has never been refreshed
        (``now`` is kept for the caller's records only)."""
        self.queue_size = queue_size
        self._entries: dict[int, TableEntry] = {}
        self._queue: list[EngineOp] = []
        self._reservations: dict[int, int] = {}  # conn id -> cost of its queued INSERT
        self._completions: deque[EngineResult] = deque()
        self._cache: dict[int, FlowStats] = {}
        self._refreshed_at: int | None = None
        self.used = 0
        self.reserved = 0

    # Reading.

    def __len__(self) -> int:
        """How many connections are programmed."""
        return len(self._entries)

    def __contains__(self, conn_id: object) -> bool:
        """Whether ``conn_id`` is programmed."""
        return conn_id in self._entries

    @property
    def queue_depth(self) -> int:
        """How many ops are queued."""
        return len(self._queue)

    @property
    def busy(self) -> bool:
        """Whether any connection is programmed or any op queued (D-ESWITCH, D-RELOAD: EBUSY)."""
        return bool(self._entries or self._queue)

    def entries(self) -> dict[int, TableEntry]:
        """Every programmed connection (a copy of frozen values)."""
        return dict(self._entries)

    def queued(self) -> tuple[EngineOp, ...]:
        """The queued ops, in queue order."""
        return tuple(self._queue)

    # ENG-SUBMIT.

    def submit(self, op: EngineOp, adm: Admission) -> int:
        """ENG-SUBMIT: 0 and ``op`` is queued, or the errno of the first check that applies."""
        if len(self._queue) >= self.queue_size:
            return errno.EAGAIN
        conn = op.conn
        if op.kind is EngineOpKind.INSERT and conn is not None:
            ok = adm.mode != "legacy" and eligible(
                conn, established=op.established, accept_new_udp=adm.accept_new_udp, labels_mapping=adm.labels_mapping
            )
            if not ok:
                return errno.EOPNOTSUPP
            if conn.id in self._entries or conn.id in self._reservations:
                return errno.EEXIST
            cost = conn_cost(conn, entries_per_conn=adm.entries_per_conn, nat_action=adm.nat_action)
            conns = len(self._entries) + len(self._reservations)
            if adm.force_full or self.used + self.reserved + cost > adm.size or conns >= adm.max_conns:
                return errno.ENOSPC
            self._reservations[conn.id] = cost
            self.reserved += cost
        elif op.kind is EngineOpKind.UPDATE and conn is not None:
            if conn.id not in self._entries and conn.id not in self._reservations:
                return errno.ENOENT
        elif op.kind is EngineOpKind.REMOVE and conn is not None:
            if conn.id in self._reservations:
                return errno.EBUSY
            if conn.id not in self._entries:
                return errno.ENOENT
        self._queue.append(op)
        return 0

    # ENG-PUSH, ENG-POLL, ENG-CANCEL.

    def complete_all(self, now: int, failure: Callable[[], int]) -> list[int]:
        """ENG-PUSH (not stuck): every queued op completes in queue order; ``failure()`` is drawn
        once per op (0, or the errno it fails with). The errnos of the ops that failed, in order."""
        failed: list[int] = []
        queue, self._queue = self._queue, []
        for op in queue:
            error = failure()
            cost = self._release(op)
            if not error:
                error = self._apply(op, cost, now)
            if error:
                failed.append(error)
            self._completions.append(EngineResult(tag=op.tag, error=error))
        return failed

    def _release(self, op: EngineOp) -> int:
        if op.kind is not EngineOpKind.INSERT or op.conn is None:
            return 0
        cost = self._reservations.pop(op.conn.id)
        self.reserved -= cost
        return cost

    def _apply(self, op: EngineOp, cost: int, now: int) -> int:
        if op.kind is EngineOpKind.FLUSH:
            self._entries.clear()
            self._cache.clear()
            self.used = 0
            return 0
        assert op.conn is not None  # submit refused it otherwise
        conn_id = op.conn.id
        if op.kind is EngineOpKind.INSERT:
            self._entries[conn_id] = TableEntry(cost=cost, established=op.established, last_used=now)
            self._cache[conn_id] = FlowStats(last_used=now, packets=0, bytes=0)  # a new counter reads its birth
            self.used += cost
            return 0
        entry = self._entries.get(conn_id)
        if entry is None:  # removed since it was submitted (a REMOVE or a FLUSH ahead of it)
            return errno.ENOENT
        if op.kind is EngineOpKind.UPDATE:
            self._entries[conn_id] = replace(entry, established=True)
        else:
            del self._entries[conn_id]
            self._cache.pop(conn_id, None)
            self.used -= entry.cost
        return 0

    def poll(self, max_results: int | None) -> list[EngineResult]:
        """ENG-POLL: the oldest completions, at most ``max_results`` (None: all)."""
        count = len(self._completions) if max_results is None else min(max_results, len(self._completions))
        return [self._completions.popleft() for _ in range(count)]

    def cancel(self, tags: Iterable[int]) -> list[int]:
        """ENG-CANCEL: remove the queued ops with these tags; their tags, in queue order."""
        wanted = set(tags)
        removed = [op for op in self._queue if op.tag in wanted]
        if removed:
            self._queue = [op for op in self._queue if op.tag not in wanted]
            for op in removed:
                self._release(op)
        return [op.tag for op in removed]

    # ENG-QUERY, ENG-TRAFFIC.

    def query(self, conn_ids: Sequence[int], now: int, period: int) -> dict[int, FlowStats]:
        """ENG-QUERY: refresh the cache if it never was or ``period`` ms have passed since then, then
        the cached stats of those of ``conn_ids`` that are still programmed."""
        if self._refreshed_at is None or now - self._refreshed_at >= period:
            self._cache = {
                conn_id: FlowStats(last_used=e.last_used, packets=e.packets, bytes=e.bytes)
                for conn_id, e in self._entries.items()
            }
            self._refreshed_at = now
        cache, entries = self._cache, self._entries
        return {conn_id: cache[conn_id] for conn_id in conn_ids if conn_id in cache and conn_id in entries}

    def hit(self, conn_id: int, packets: int, nbytes: int, now: int) -> bool:
        """ENG-TRAFFIC (the caller checks the mode): whether ``conn_id`` is programmed and counted."""
        entry = self._entries.get(conn_id)
        if entry is None:
            return False
        self._entries[conn_id] = TableEntry(
            cost=entry.cost,
            established=entry.established,
            last_used=now,
            packets=entry.packets + packets,
            bytes=entry.bytes + nbytes,
        )
        return True
