"""The connection tracker's table, its expiry lists and counters (no locking: ``ConnTracker`` locks).

Purpose: ``ConnTable`` is conntrack's connection table reduced to what the ct-offload layer sees:
each ``Conn`` has an id (allocated 1, 2, 3, ... in creation order), the flow it belongs to, its
expiry, its UDP-like state ("FIRST", "MULTIPLE" or "BIDIR": lib/conntrack-other.c) and whether it
was forced to expire (strict). A flow may own several connections at once (an expired one not yet
swept, or under the RFC a resurrected duplicate), so the table keeps each flow's connection ids in
creation order. Like ``struct conntrack``, it spreads new connections round robin over
``N_EXP_LISTS`` expiry lists, each pushed at the front, which the sweep walks.
``TrackerStats`` is what the tracker counts.

Promises:

- ``live`` is TRACK-LOOKUP: the newest connection of the flow whose expiry is after ``now``;
- ``walk(i)`` lists expiry list ``i`` front to back (newest first), ``in_id_order`` every
  connection in id order, each a list the caller may clean from freely;
- ``remove`` drops a connection from the table, its flow's list and its expiry list; ids are
  never reused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from model.conn import ConnRef, Ctx

__all__ = ["N_EXP_LISTS", "Conn", "ConnTable", "StatsSnapshot", "TrackerStats"]

#: lib/conntrack.c's N_EXP_LISTS.
N_EXP_LISTS = 100


@dataclass(slots=True, eq=False)
class Conn:
    """One connection of the table; ``ref`` is the ``ConnRef`` the layer is handed."""

    id: int
    flow: int
    ref: ConnRef
    exp_list: int
    expiration: int
    state: str = "FIRST"
    forced: bool = False
    plain: Ctx | None = None

    @property
    def established(self) -> bool:
        """Whether the connection has seen a reply."""
        return self.state == "BIDIR"

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
    """The connections by id, each flow's connection ids in creation order, and the expiry lists."""

    __slots__ = ("_by_flow", "_conns", "_lists", "_next_id", "_next_list")

    def __init__(self) -> None:
        """An empty table whose first connection will get id 1 and join expiry list 0."""
        self._conns: dict[int, Conn] = {}
        self._by_flow: dict[int, list[int]] = {}
        # Each expiry list in insertion order (oldest first); its front is its newest member.
        self._lists: list[dict[int, Conn]] = [{} for _ in range(N_EXP_LISTS)]
        self._next_id = 1
        self._next_list = 0

    def __len__(self) -> int:
        """How many connections the table holds."""
        return len(self._conns)

    def get(self, conn_id: int) -> Conn | None:
        """The connection ``conn_id``, if it is in the table."""
        return self._conns.get(conn_id)

    def create(self, flow: int, expiration: int) -> Conn:
        """A new connection of ``flow`` with the next id, added to the table and pushed at the front
        of the next expiry list (``conn_expire_push_front``).

        Its ``ref`` is ``ConnRef.synthetic(flow)`` (the flow's zone and tuples) with the new id.
        """
        conn_id = self._next_id
        self._next_id += 1
        base = ConnRef.synthetic(flow)  # the constructor, not dataclasses.replace: a third of the cost
        ref = ConnRef(
            id=conn_id, zone=base.zone, orig=base.orig, reply=base.reply, helper=base.helper, labels=base.labels
        )
        conn = Conn(id=conn_id, flow=flow, ref=ref, exp_list=self._next_list, expiration=expiration)
        self._next_list = (self._next_list + 1) % N_EXP_LISTS
        self._conns[conn_id] = conn
        self._by_flow.setdefault(flow, []).append(conn_id)
        self._lists[conn.exp_list][conn_id] = conn
        return conn

    def remove(self, conn: Conn) -> None:
        """Drop ``conn`` from the table (a connection not in it is ignored)."""
        if self._conns.pop(conn.id, None) is None:
            return
        del self._lists[conn.exp_list][conn.id]
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

    def walk(self, index: int) -> list[Conn]:
        """Expiry list ``index`` from its front: newest first."""
        return list(reversed(self._lists[index].values()))

    def in_id_order(self) -> list[Conn]:
        """Every connection, in id order (ids are inserted in increasing order)."""
        return list(self._conns.values())

    def rows(self) -> dict[int, tuple[int, int, bool, bool]]:
        """Conn id -> ``(flow, expiration, established, forced)`` for every connection, in id order."""
        return {conn_id: conn.row() for conn_id, conn in self._conns.items()}


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """The tracker's counters at one moment (``ConnTracker.stats``).

    ``created``: connections created; ``refused``: commits refused at the table's size limit;
    ``offloaded``: ``conn_add`` calls that answered 0;
    ``established``: connections that saw their first reply; ``est_sent``: ``conn_established``
    calls; ``refreshed``: sweep refreshes that kept a connection; ``cleaned``: connections cleaned,
    by reason ("expired", "forced", "stale", an errno's name, or "flushed"); ``sweep_errors``: UPD
    results of sweeps that carried an error, by errno name (whether or not they cleaned);
    ``sweeps``, ``batches``, ``updates``: sweeps run, batches submitted, single-op UPDs sent;
    ``removal_retries``: ``conn_del`` calls retrying a failed removal (strict, TRACK-RETRY).
    """

    created: int = 0
    refused: int = 0
    offloaded: int = 0
    established: int = 0
    est_sent: int = 0
    refreshed: int = 0
    cleaned: dict[str, int] = field(default_factory=dict)
    sweep_errors: dict[str, int] = field(default_factory=dict)
    sweeps: int = 0
    batches: int = 0
    updates: int = 0
    removal_retries: int = 0

    @property
    def cleaned_total(self) -> int:
        """Connections cleaned for any reason."""
        return sum(self.cleaned.values())


@dataclass(slots=True)
class TrackerStats:
    """The mutable counters behind ``StatsSnapshot`` (updated under the tracker's lock)."""

    created: int = 0
    refused: int = 0
    offloaded: int = 0
    established: int = 0
    est_sent: int = 0
    refreshed: int = 0
    cleaned: Counter[str] = field(default_factory=Counter)
    sweep_errors: Counter[str] = field(default_factory=Counter)
    sweeps: int = 0
    batches: int = 0
    updates: int = 0
    removal_retries: int = 0

    def snapshot(self) -> StatsSnapshot:
        """A frozen copy (its dicts are copies too)."""
        return StatsSnapshot(
            created=self.created,
            refused=self.refused,
            offloaded=self.offloaded,
            established=self.established,
            est_sent=self.est_sent,
            refreshed=self.refreshed,
            cleaned=dict(self.cleaned),
            sweep_errors=dict(self.sweep_errors),
            sweeps=self.sweeps,
            batches=self.batches,
            updates=self.updates,
            removal_retries=self.removal_retries,
        )
