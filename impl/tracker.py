"""A threaded connection tracker driving the ct-offload layer, as OVS's userspace conntrack does.

Purpose: ``ConnTracker`` is lib/conntrack.c after patches 08-11, reduced to what the layer sees
(docs/spec.rst, "The connection tracker", rules TRACK-*): packets commit connections of flows
(``commit``, ``reply``), connections expire and the clean thread sweeps them (``sweep``, in
``impl.tracker_sweep``), and flushes clean them. It is derived from the specification text alone.
The profile is the layer's. ``TrackerConfig`` and ``register_providers`` (TRACK-INIT) live in
``impl.tracker_config``, the table in ``impl.tracker_table``; all are re-exported here.

Promises:

- times are ints in ms given by the caller; connection ids are 1, 2, 3, ... in creation order; the
  layer is handed ``Ctx(conn=ConnRef.synthetic(flow) with the id, netdev_in=...)``, netdev None
  for del and update;
- every public method checks its arguments first (TypeError / ValueError naming the bad one, and
  then nothing has changed), then runs under the tracker's one lock. The layer is called with it
  held, so the lock order is tracker -> layer -> provider: a provider callback must not call the
  tracker (it gets ``TrackerReentryError``, not a deadlock, when it does so from the calling thread);
- one tracker per layer: the layer's marks are keyed by connection id, which the tracker allocates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from impl.layer import OffloadLayer
from impl.tracker_config import TrackerConfig, check_flow, check_netdev, check_time, register_providers
from impl.tracker_sweep import Sweeper, SweepReport
from impl.tracker_table import Conn, ConnTable, StatsSnapshot, TrackerStats
from model.vocab import Mark, Profile

__all__ = [
    "ConnTracker",
    "StatsSnapshot",
    "SweepReport",
    "TrackerConfig",
    "TrackerReentryError",
    "register_providers",
]


class TrackerReentryError(RuntimeError):
    """A provider callback called the tracker whose operation is calling it."""

    def __init__(self, method: str) -> None:
        """The error for a re-entrant call of ``ConnTracker.<method>``."""
        super().__init__(
            f"ConnTracker.{method}() was called while this thread already holds the tracker's lock "
            "(from a provider callback?): the lock order is tracker -> layer -> provider"
        )
        self.method = method


class ConnTracker:
    """A connection table over one ``OffloadLayer``, following the layer's profile."""

    def __init__(self, layer: OffloadLayer, config: TrackerConfig | None = None) -> None:
        """An empty tracker; ``config`` defaults to ``TrackerConfig()``. Registers nothing:
        ``register_providers`` is TRACK-INIT."""
        if not isinstance(layer, OffloadLayer):
            raise TypeError(f"ConnTracker: layer must be an impl.layer.OffloadLayer, got {type(layer).__name__}")
        if config is None:
            config = TrackerConfig()
        if not isinstance(config, TrackerConfig):
            raise TypeError(f"ConnTracker: config must be a TrackerConfig, got {type(config).__name__}")
        self._layer = layer
        self._config = config
        self._profile = layer.profile
        self._table = ConnTable()
        self._stats = TrackerStats()
        self._lock = threading.Lock()
        self._owner: int | None = None
        # Strict: cleaned connections a provider failed to remove, retried by every sweep and flush.
        self._removing: dict[int, Conn] = {}
        self._sweeper = Sweeper(layer, self._table, config, self._stats, self._clean, retry=self._retry_removals)

    @property
    def layer(self) -> OffloadLayer:
        """The layer this tracker drives."""
        return self._layer

    @property
    def config(self) -> TrackerConfig:
        """The tracker's knobs."""
        return self._config

    @property
    def profile(self) -> Profile:
        """The layer's profile, which this tracker follows."""
        return self._profile

    def __repr__(self) -> str:
        """``ConnTracker(strict, conns=3)``."""
        return f"ConnTracker({self._profile.value}, conns={len(self._table)})"

    @contextmanager
    def _locked(self, method: str) -> Iterator[None]:
        # Only the owning thread writes its own id into _owner, under the lock: the check cannot race.
        me = threading.get_ident()
        if self._owner == me:
            raise TrackerReentryError(method)
        with self._lock:
            self._owner = me
            try:
                yield
            finally:
                self._owner = None

    def _clean(self, conn: Conn, reason: str) -> None:
        """TRACK-CLEAN: out of the table; ``conn_del`` for it: rfc-v1 whenever offload is enabled,
        rfc-v2 and strict when it is offloaded."""
        self._table.remove(conn)
        self._stats.cleaned[reason] += 1
        if self._profile is Profile.RFC_V1 and self._config.enabled:
            self._layer.conn_del(conn.ctx())
        elif self._profile is not Profile.RFC_V1 and self._layer.is_offloaded(conn.id):
            self._remove(conn)

    def _remove(self, conn: Conn) -> None:
        """``conn_del``; under strict a connection some provider still holds afterwards (its removal
        failed, STRICT-KEEP) is kept for TRACK-RETRY, and forgotten once none does."""
        self._layer.conn_del(conn.ctx())
        if self._profile is Profile.STRICT:
            if self._layer.is_offloaded(conn.id):
                self._removing[conn.id] = conn
            else:
                self._removing.pop(conn.id, None)

    def _retry_removals(self) -> None:
        """TRACK-RETRY: ``conn_del`` again for every connection whose removal failed, in id order."""
        for conn_id in sorted(self._removing):
            self._stats.removal_retries += 1
            self._remove(self._removing[conn_id])

    # Packets (TRACK-COMMIT, TRACK-REPLY, TRACK-LOOKUP).

    def commit(self, flow: int, now: int, netdev: str | None = None) -> int | None:
        """TRACK-COMMIT: a packet of ``flow`` committed at ``now`` from ``netdev``; the conn's id.

        A live connection is updated as ``other_conn_update`` does for the original direction
        (FIRST becomes MULTIPLE) and gets expiry now + its state's timeout; nothing is called.
        Otherwise, unless the table already holds ``n_conn_limit`` connections (then nothing
        happens and the result is None), a new one is created in state FIRST (expiry now +
        udp_first) and, if offload is enabled, handed to ``conn_add`` with ``netdev`` at once (the
        result only counts in ``stats().offloaded``).
        """
        flow = check_flow("commit", flow)
        now = check_time("commit", now)
        netdev = check_netdev("commit", netdev)
        with self._locked("commit"):
            conn = self._table.live(flow, now)
            if conn is not None:
                if conn.state == "FIRST":
                    conn.state = "MULTIPLE"
                conn.expiration = now + self._config.timeout(conn.state)
                return conn.id
            if len(self._table) >= self._config.n_conn_limit:
                self._stats.refused += 1
                return None
            conn = self._table.create(flow, now + self._config.udp_first)
            self._stats.created += 1
            if self._config.enabled and self._layer.conn_add(conn.ctx(netdev)) == 0:
                self._stats.offloaded += 1
            return conn.id

    def reply(self, flow: int, now: int, netdev: str | None = None) -> int | None:
        """TRACK-REPLY: a reply packet of ``flow``; the id of the live conn it establishes, or None.

        The connection becomes BIDIR and its expiry now + udp_multiple; if offload is enabled and
        its mark is ADDED, the layer gets ``conn_established`` with ``netdev``.
        """
        flow = check_flow("reply", flow)
        now = check_time("reply", now)
        netdev = check_netdev("reply", netdev)
        with self._locked("reply"):
            conn = self._table.live(flow, now)
            if conn is None:
                return None
            if not conn.established:
                conn.state = "BIDIR"
                self._stats.established += 1
            conn.expiration = now + self._config.timeout(conn.state)
            if self._config.enabled and self._layer.mark(conn.id) is Mark.ADDED:
                self._layer.conn_established(conn.ctx(netdev))
                self._stats.est_sent += 1
            return conn.id

    def lookup(self, flow: int, now: int) -> int | None:
        """TRACK-LOOKUP: the id of the newest connection of ``flow`` still live at ``now``, or None."""
        flow = check_flow("lookup", flow)
        now = check_time("lookup", now)
        with self._locked("lookup"):
            conn = self._table.live(flow, now)
            return None if conn is None else conn.id

    # Forced expiry and flushes (TRACK-FORCE, TRACK-FLUSH, TRACK-FLUSH-FLOW).

    def force_expire(self, flow: int, now: int) -> int | None:
        """TRACK-FORCE: the connection ``flow`` finds gets expiry 0 (strict: and is marked forced);
        it stays in the table until the sweep. Its id, or None."""
        flow = check_flow("force_expire", flow)
        now = check_time("force_expire", now)
        with self._locked("force_expire"):
            conn = self._table.live(flow, now)
            if conn is None:
                return None
            conn.expiration = 0
            if self._profile is Profile.STRICT:
                conn.forced = True
            return conn.id

    def flush_flow(self, flow: int, now: int) -> int | None:
        """TRACK-FLUSH-FLOW: clean the connection ``flow`` finds at ``now``; its id, or None."""
        flow = check_flow("flush_flow", flow)
        now = check_time("flush_flow", now)
        with self._locked("flush_flow"):
            conn = self._table.live(flow, now)
            if conn is None:
                return None
            self._clean(conn, "flushed")
            return conn.id

    def flush_all(self, now: int) -> int:
        """TRACK-FLUSH: clean every connection, expired ones included; how many. OVS walks a hash
        map, so the order is unspecified; this tracker cleans in id order. Under strict the
        removals providers failed are retried first (TRACK-RETRY)."""
        now = check_time("flush_all", now)
        with self._locked("flush_all"):
            self._retry_removals()
            conns = self._table.in_id_order()
            for conn in conns:
                self._clean(conn, "flushed")
            return len(conns)

    # The clean thread (TRACK-SWEEP-RFC, TRACK-SWEEP-STRICT).

    def sweep(self, now: int) -> SweepReport:
        """One expiry sweep at ``now`` (``impl.tracker_sweep``); what it cleaned and refreshed."""
        now = check_time("sweep", now)
        with self._locked("sweep"):
            return self._sweeper.sweep(now)

    # Queries.

    def table(self) -> dict[int, tuple[int, int, bool, bool]]:
        """Conn id -> ``(flow, expiration, established, forced)``, in id order (a copy)."""
        with self._locked("table"):
            return self._table.rows()

    def __len__(self) -> int:
        """How many connections the table holds (swept or not)."""
        return len(self._table)

    def removing(self) -> tuple[int, ...]:
        """Strict: the cleaned connections a provider has not removed yet, in id order."""
        with self._locked("removing"):
            return tuple(sorted(self._removing))

    def sequence_checked(self, conn_id: int) -> bool:
        """Whether TCP sequence checking applies to ``conn_id``: not for an offloaded connection
        (patch 07's ``tcp_bypass_seq_chk``); read from the layer's mark without the lock."""
        if isinstance(conn_id, bool) or not isinstance(conn_id, int):
            raise TypeError(f"ConnTracker.sequence_checked: conn_id must be an int, got {type(conn_id).__name__}")
        return not self._layer.is_offloaded(conn_id)

    def stats(self) -> StatsSnapshot:
        """The counters so far (a frozen copy)."""
        with self._locked("stats"):
            return self._stats.snapshot()
