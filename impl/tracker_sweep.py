"""The connection tracker's expiry sweep: TRACK-REFRESH, TRACK-SWEEP-RFC and TRACK-SWEEP-STRICT.

Purpose: conntrack's clean thread (``ct_sweep``) as patches 08-11 wire it, and its strict
replacement (docs/spec.rst, "The connection tracker"). A sweep walks the connections that are
due in (expiry, id) order, cleans those it need not ask about at once, asks the layer for the
last-used times of the rest (TRACK-REFRESH), then applies each answer in the same order.
``impl.tracker.ConnTracker.sweep`` calls ``Sweeper.sweep`` with the tracker's lock held.

Promises:

- the walk's cleans come first, in walk order; then the refresh (one batch of UPD ops in walk order,
  or with batching off one ``conn_update`` per connection in that order); then, in that order, each
  answer refreshes or cleans its connection; ``SweepReport`` lists both in the order they happened;
- rfc-v1 and rfc-v2 submit the batch even when it is empty (E-BATCH-EMPTY), strict only when it
  has ops; the sweep is not gated on offload being enabled (patch 09 says so on purpose);
- a connection is cleaned through the ``clean`` callback the tracker passes (TRACK-CLEAN), and
  every UPD error is counted in ``stats.sweep_errors`` by errno name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from impl.batch import Batch
from impl.layer import OffloadLayer
from impl.tracker_config import TrackerConfig
from impl.tracker_table import Conn, ConnTable, TrackerStats
from model.vocab import Errno, OpType, Profile, errno_name

__all__ = ["SweepReport", "Sweeper", "refresh"]

ENODATA = int(Errno.ENODATA)

#: ``clean(conn, reason)``: TRACK-CLEAN, counted under ``reason``.
Clean = Callable[[Conn, str], None]


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one sweep did (``model.tracker.SweepReport``'s fields).

    ``cleaned``: (conn id, reason) in the order cleaned, reason "expired", "forced", "stale" or the
    name of the UPD error that cleaned it ("ENODATA"); ``refreshed``: (conn id, new expiry) in order.
    """

    cleaned: tuple[tuple[int, str], ...] = ()
    refreshed: tuple[tuple[int, int], ...] = ()


def refresh(
    layer: OffloadLayer, conns: Sequence[Conn], config: TrackerConfig, stats: TrackerStats
) -> list[tuple[int, int]]:
    """TRACK-REFRESH: ``(error, last_used)`` for each of ``conns``, in order.

    Batching on: one batch of UPD ops (netdev None), submitted even when empty under the rfc
    profiles and only when non-empty under strict; each op's result as the layer wrote it (the rfc
    profiles write no timestamp). Batching off: one ``conn_update`` each, whose timestamp t gives
    (0, t) when it is data (strict: t > 0; rfc: t != 0), else (ENODATA, 0).
    """
    strict = layer.profile is Profile.STRICT
    if config.batch_sweep:
        batch = Batch()
        for conn in conns:
            batch.add(OpType.UPD, conn.ctx())
        if conns or not strict:
            layer.submit(batch)
            stats.batches += 1
        return [(entry.error, entry.last_used) for entry in batch.entries]
    results: list[tuple[int, int]] = []
    for conn in conns:
        stamp = layer.conn_update(conn.ctx())
        stats.updates += 1
        is_data = stamp > 0 if strict else stamp != 0
        results.append((0, stamp) if is_data else (ENODATA, 0))
    return results


@dataclass(frozen=True, slots=True)
class Sweeper:
    """What a sweep works on: the tracker's layer, table, knobs and counters, and its TRACK-CLEAN."""

    layer: OffloadLayer
    table: ConnTable
    config: TrackerConfig
    stats: TrackerStats
    clean: Clean

    def sweep(self, now: int) -> SweepReport:
        """One sweep at ``now``: TRACK-SWEEP-STRICT under strict, else TRACK-SWEEP-RFC."""
        self.stats.sweeps += 1
        if self.layer.profile is Profile.STRICT:
            return self._sweep_strict(now)
        return self._sweep_rfc(now)

    def _refresh(self, conns: Sequence[Conn]) -> list[tuple[int, int]]:
        return refresh(self.layer, conns, self.config, self.stats)

    def _clean(self, conn: Conn, reason: str, cleaned: list[tuple[int, str]]) -> None:
        self.clean(conn, reason)
        cleaned.append((conn.id, reason))

    def _sweep_rfc(self, now: int) -> SweepReport:
        """TRACK-SWEEP-RFC: the expired connections; any success extends by one sweep interval."""
        cleaned: list[tuple[int, str]] = []
        refreshed: list[tuple[int, int]] = []
        asked: list[Conn] = []
        for conn in self.table.due(now):
            if self.layer.is_offloaded(conn.id):
                asked.append(conn)
            else:
                self._clean(conn, "expired", cleaned)
        for conn, (error, _) in zip(asked, self._refresh(asked), strict=True):
            if error:
                reason = errno_name(error)
                self.stats.sweep_errors[reason] += 1
                self._clean(conn, reason, cleaned)
            else:
                # The timestamp is not used (E-TRACK-STALE), even for a forced connection (E-TRACK-FORCE).
                conn.expiration = now + self.config.sweep_interval
                self.stats.refreshed += 1
                refreshed.append((conn.id, conn.expiration))
        return SweepReport(cleaned=tuple(cleaned), refreshed=tuple(refreshed))

    def _sweep_strict(self, now: int) -> SweepReport:
        """TRACK-SWEEP-STRICT: everything due within one interval; the timestamp decides the expiry."""
        cleaned: list[tuple[int, str]] = []
        refreshed: list[tuple[int, int]] = []
        asked: list[Conn] = []
        for conn in self.table.due(now + self.config.sweep_interval):
            if conn.forced:
                self._clean(conn, "forced", cleaned)
            elif self.layer.is_offloaded(conn.id):
                asked.append(conn)
            elif conn.expiration <= now:
                self._clean(conn, "expired", cleaned)
            # else: not offloaded and not yet expired; a later sweep sees it.
        for conn, (error, last_used) in zip(asked, self._refresh(asked), strict=True):
            if error:
                reason = errno_name(error)
                self.stats.sweep_errors[reason] += 1
                if conn.expiration <= now:  # an error cleans only an expired connection
                    self._clean(conn, reason, cleaned)
                continue
            timeout = self.config.timeout_established if conn.established else self.config.timeout_new
            expiration = max(conn.expiration, last_used + timeout)
            if expiration <= now:
                self._clean(conn, "stale", cleaned)
            elif expiration != conn.expiration:  # "refreshed" means the expiry moved
                conn.expiration = expiration
                self.stats.refreshed += 1
                refreshed.append((conn.id, expiration))
        return SweepReport(cleaned=tuple(cleaned), refreshed=tuple(refreshed))
