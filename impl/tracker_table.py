"""The connection tracker's table and counters (no locking: ``impl.tracker.ConnTracker`` locks).

Purpose: ``ConnTable`` is conntrack's connection table reduced to what the ct-offload layer sees:
each ``Conn`` has an id (allocated 1, 2, 3, ... in creation order), the flow it belongs to, its
expiry, whether it has seen a reply and whether it was forced to expire (strict). A flow may own
several connections at once (an expired one not yet swept, or under the RFC a resurrected
duplicate), so the table keeps each flow's connection ids in creation order. ``TrackerStats`` is
what the tracker counts.

Promises:

- ``live`` is TRACK-LOOKUP: the newest connection of the flow whose expiry is after ``now``;
- ``due`` lists the connections with expiry at or before a horizon in (expiry, id) order, and
  ``in_id_order`` every connection in id order, each a list the caller may clean from freely;
- ``remove`` drops a connection from the table and from its flow's list; ids are never reused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from model.conn import ConnRef, Ctx

__all__ = ["Conn", "ConnTable", "StatsSnapshot", "TrackerStats"]


@dataclass(slots=True, eq=False)
class Conn:
    """One connection of the table; ``ref`` is the ``ConnRef`` the layer is handed."""

    id: int
    flow: int
    ref: ConnRef
    expiration: int
    established: bool = False
    forced: bool = False
    plain: Ctx | None = None

    def ctx(self, netdev_in: str | None = None) -> Ctx:
        """The ctx of an event of this connection (``netdev_in`` None for del and update; that one
        is built once and kept, as the sweep hands it to the layer at every refresh)."""
        if netdev_in is not None:
            return Ctx(conn=self.ref, netdev_in=netdev_in)
        if self.plain is None:
            self.plain = Ctx(conn=self.ref)
        return self.plain

    def row(self) -> tuple[int, int, bool, bool]:
        """``(flow, expiration, established, forced)``, as ``ConnTracker.table`` reports it."""
        return (self.flow, self.expiration, self.established, self.forced)


class ConnTable:
    """The connections by id, and each flow's connection ids in creation order."""

    __slots__ = ("_by_flow", "_conns", "_next_id")

    def __init__(self) -> None:
        """An empty table whose first connection will get id 1."""
        self._conns: dict[int, Conn] = {}
        self._by_flow: dict[int, list[int]] = {}
        self._next_id = 1

    def __len__(self) -> int:
        """How many connections the table holds."""
        return len(self._conns)

    def get(self, conn_id: int) -> Conn | None:
        """The connection ``conn_id``, if it is in the table."""
        return self._conns.get(conn_id)

    def create(self, flow: int, expiration: int) -> Conn:
        """A new connection of ``flow`` with the next id, added to the table.

        Its ``ref`` is ``ConnRef.synthetic(flow)`` (the flow's zone and tuples) with the new id.
        """
        conn_id = self._next_id
        self._next_id += 1
        conn = Conn(id=conn_id, flow=flow, ref=replace(ConnRef.synthetic(flow), id=conn_id), expiration=expiration)
        self._conns[conn_id] = conn
        self._by_flow.setdefault(flow, []).append(conn_id)
        return conn

    def remove(self, conn: Conn) -> None:
        """Drop ``conn`` from the table (a connection not in it is ignored)."""
        if self._conns.pop(conn.id, None) is None:
            return
        ids = self._by_flow[conn.flow]
        ids.remove(conn.id)
        if not ids:
            del self._by_flow[conn.flow]

    def live(self, flow: int, now: int) -> Conn | None:
        """TRACK-LOOKUP: the newest connection of ``flow`` whose expiry is after ``now``."""
        for conn_id in reversed(self._by_flow.get(flow, ())):
            conn = self._conns[conn_id]
            if conn.expiration > now:
                return conn
        return None

    def due(self, horizon: int) -> list[Conn]:
        """The connections with expiry <= ``horizon``, in (expiry, id) order."""
        found = [conn for conn in self._conns.values() if conn.expiration <= horizon]
        found.sort(key=lambda conn: (conn.expiration, conn.id))
        return found

    def in_id_order(self) -> list[Conn]:
        """Every connection, in id order (ids are inserted in increasing order)."""
        return list(self._conns.values())

    def rows(self) -> dict[int, tuple[int, int, bool, bool]]:
        """Conn id -> ``(flow, expiration, established, forced)`` for every connection, in id order."""
        return {conn_id: conn.row() for conn_id, conn in self._conns.items()}


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """The tracker's counters at one moment (``ConnTracker.stats``).

    ``created``: connections created; ``offloaded``: ``conn_add`` calls that answered 0;
    ``established``: connections that saw their first reply; ``est_sent``: ``conn_established``
    calls; ``refreshed``: sweep refreshes that kept a connection; ``cleaned``: connections cleaned,
    by reason ("expired", "forced", "stale", an errno's name, or "flushed"); ``sweep_errors``: UPD
    results of sweeps that carried an error, by errno name (whether or not they cleaned);
    ``sweeps``, ``batches``, ``updates``: sweeps run, batches submitted, single-op UPDs sent.
    """

    created: int = 0
    offloaded: int = 0
    established: int = 0
    est_sent: int = 0
    refreshed: int = 0
    cleaned: dict[str, int] = field(default_factory=dict)
    sweep_errors: dict[str, int] = field(default_factory=dict)
    sweeps: int = 0
    batches: int = 0
    updates: int = 0

    @property
    def cleaned_total(self) -> int:
        """Connections cleaned for any reason."""
        return sum(self.cleaned.values())


@dataclass(slots=True)
class TrackerStats:
    """The mutable counters behind ``StatsSnapshot`` (updated under the tracker's lock)."""

    created: int = 0
    offloaded: int = 0
    established: int = 0
    est_sent: int = 0
    refreshed: int = 0
    cleaned: Counter[str] = field(default_factory=Counter)
    sweep_errors: Counter[str] = field(default_factory=Counter)
    sweeps: int = 0
    batches: int = 0
    updates: int = 0

    def snapshot(self) -> StatsSnapshot:
        """A frozen copy (its dicts are copies too)."""
        return StatsSnapshot(
            created=self.created,
            offloaded=self.offloaded,
            established=self.established,
            est_sent=self.est_sent,
            refreshed=self.refreshed,
            cleaned=dict(self.cleaned),
            sweep_errors=dict(self.sweep_errors),
            sweeps=self.sweeps,
            batches=self.batches,
            updates=self.updates,
        )
