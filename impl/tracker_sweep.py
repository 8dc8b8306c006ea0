"""The connection tracker's clean thread: TRACK-SWEEP, TRACK-REFRESH, TRACK-SWEEP-RFC and -STRICT.

Purpose: conntrack's clean thread (``conntrack_clean`` calling ``ct_sweep`` once per expiry list)
as patches 08-11 wire it, and its strict replacement (docs/spec.rst, "The connection tracker").
A sweep walks the expiry lists from where the last one stopped; each list is walked front to back
(newest first), cleaning at once those it need not ask about and collecting the rest into the
list's refresh (TRACK-REFRESH), whose answers are then applied in the same order. It stops early
once it has walked more than a 64th of the table's limit, and the next sweep resumes there.
``impl.tracker.ConnTracker.sweep`` calls ``Sweeper.sweep`` with the tracker's lock held.

Promises:

- per list: the walk's cleans first, in walk order; then the refresh (one batch of UPD ops in walk
  order, or with batching off one ``conn_update`` per connection in that order); then, in that
  order, each answer refreshes or cleans its connection; ``SweepReport`` lists both in the order
  they happened;
- rfc-v1 and rfc-v2 submit every list's batch even when it is empty (E-BATCH-EMPTY), strict only
  when it has ops; the sweep is not gated on offload being enabled (patch 09 says so on purpose);
- a connection is cleaned through the ``clean`` callback the tracker passes (TRACK-CLEAN), and
  every UPD error is counted in ``stats.sweep_errors`` by errno name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from impl.batch import Batch
from impl.layer import OffloadLayer
from impl.tracker_config import TrackerConfig
from impl.tracker_table import N_EXP_LISTS, Conn, ConnTable, TrackerStats
from model.vocab import Errno, OpType, Profile, errno_name

__all__ = ["SweepReport", "Sweeper", "refresh"]

ENODATA = int(Errno.ENODATA)
UPD = OpType.UPD  # read once: an enum member read through its class costs ~100 ns under CPython 3.11

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
    layer: OffloadLayer,
    conns: Sequence[Conn],
    config: TrackerConfig,
    stats: TrackerStats,
    batch: Batch | None = None,
) -> list[tuple[int, int]]:
    """TRACK-REFRESH: ``(error, last_used)`` for each of ``conns``, in order.

    Batching on: one batch of UPD ops for the list (netdev None), submitted even when empty under the rfc
    profiles and only when non-empty under strict; each op's result as the layer wrote it (the rfc
    profiles write no timestamp). Batching off: one ``conn_update`` each, whose timestamp t gives
    (0, t) when it is data (strict: t > 0; rfc: t != 0), else (ENODATA, 0). ``batch``, if
    given, is refilled (``Batch.refill``) rather than a new one built: the sweeper keeps one.
    """
    strict = layer.profile is Profile.STRICT
    if config.batch_sweep:
        batch = refresh_batch(layer, conns, stats, batch)
        return [(entry.error, entry.last_used) for entry in batch.entries]
    # The refresh's ctx of a connection is built once and kept (``Conn.plain``): read it directly.
    ctxs = [conn.plain or conn.ctx() for conn in conns]
    results: list[tuple[int, int]] = []
    update = layer.conn_update
    for ctx in ctxs:
        stamp = update(ctx)
        is_data = stamp > 0 if strict else stamp != 0
        results.append((0, stamp) if is_data else (ENODATA, 0))
    stats.updates += len(ctxs)
    return results


def refresh_batch(layer: OffloadLayer, conns: Sequence[Conn], stats: TrackerStats, batch: Batch | None) -> Batch:
    """TRACK-REFRESH with batching on: ``batch`` (or a new one) refilled with one UPD per
    connection of ``conns`` in order and submitted (under strict only when it has ops); the
    results are in its entries. The ctxs are the table's own (``Conn.plain``), so the batch is
    submitted without the layer's entry check (``OffloadLayer._submit_own``)."""
    if batch is None:
        batch = Batch()
    batch.refill(UPD, [conn.plain or conn.ctx() for conn in conns])
    if conns or layer.profile is not Profile.STRICT:
        layer._submit_own(batch)  # the tracker's own batch: see the docstring
        stats.batches += 1
    return batch


class Sweeper:
    """What a sweep works on (the tracker's layer, table, knobs, counters and TRACK-CLEAN), and the
    expiry list the next sweep starts at (``ct->next_sweep``)."""

    def __init__(
        self,
        layer: OffloadLayer,
        table: ConnTable,
        config: TrackerConfig,
        stats: TrackerStats,
        clean: Clean,
        *,
        retry: Callable[[], None],
    ) -> None:
        """A sweeper whose first sweep starts at expiry list 0; ``retry`` is TRACK-RETRY."""
        self.layer = layer
        self.table = table
        self.config = config
        self.stats = stats
        self.clean = clean
        self.retry = retry
        self.next_sweep = 0
        # One batch, refilled for every list: its entries are reused (``Batch.refill``), which
        # halves what adding an op costs (issue 16); the results are read before the next list.
        self._batch = Batch()

    def sweep(self, now: int) -> SweepReport:
        """One run of the clean thread at ``now`` (``conntrack_clean``): the lists from
        ``next_sweep`` on, each by TRACK-SWEEP-STRICT under strict, else TRACK-SWEEP-RFC, until all
        are done or more than ``n_conn_limit // 64`` connections have been walked; first, the
        removals providers failed are retried (TRACK-RETRY, strict only)."""
        self.stats.sweeps += 1
        strict = self.layer.profile is Profile.STRICT
        sweep_list = self._sweep_list_strict if strict else self._sweep_list_rfc
        self.retry()
        budget = self.config.n_conn_limit // 64
        cleaned: list[tuple[int, str]] = []
        refreshed: list[tuple[int, int]] = []
        walked = 0
        index = self.next_sweep
        while index < N_EXP_LISTS:
            if walked > budget:
                break
            members = self.table.walk(index)
            index += 1
            if not members:
                # An empty list: its refresh alone, which is an empty batch the rfc profiles still
                # submit when the sweep batches (E-BATCH-EMPTY), and nothing under strict. Most
                # lists of a small table are empty (issue 16).
                if self.config.batch_sweep:
                    refresh_batch(self.layer, (), self.stats, self._batch)
                continue
            walked += len(members)
            sweep_list(members, now, cleaned, refreshed)
        self.next_sweep = index % N_EXP_LISTS
        return SweepReport(cleaned=tuple(cleaned), refreshed=tuple(refreshed))

    def _refresh(self, conns: Sequence[Conn]) -> list[tuple[int, int]]:
        return refresh(self.layer, conns, self.config, self.stats, self._batch)

    def _clean(self, conn: Conn, reason: str, cleaned: list[tuple[int, str]]) -> None:
        self.clean(conn, reason)
        cleaned.append((conn.id, reason))

    def _sweep_list_rfc(
        self, members: list[Conn], now: int, cleaned: list[tuple[int, str]], refreshed: list[tuple[int, int]]
    ) -> None:
        """TRACK-SWEEP-RFC (``ct_sweep``): the list's expired connections; any success extends by
        one sweep interval."""
        asked: list[Conn] = []
        offloaded = self.layer.is_offloaded
        for conn in members:
            if conn.expiration > now:
                continue
            if offloaded(conn.id):
                asked.append(conn)
            else:
                self._clean(conn, "expired", cleaned)
        extended = now + self.config.sweep_interval
        kept = len(refreshed)
        # Only the errors are read (the timestamp is not used, E-TRACK-STALE): with batching on,
        # straight from the batch's entries, without a result tuple per op (issue 16).
        if self.config.batch_sweep:
            errors = refresh_batch(self.layer, asked, self.stats, self._batch).errors()
        else:
            errors = [error for error, _ in self._refresh(asked)]
        for conn, error in zip(asked, errors, strict=True):
            if error:
                reason = errno_name(error)
                self.stats.sweep_errors[reason] += 1
                self._clean(conn, reason, cleaned)
                continue
            # The timestamp is not used (E-TRACK-STALE), even for a forced connection (E-TRACK-FORCE).
            if extended > conn.expiration:  # noqa: PLR1730 - max() is a call per connection
                conn.expiration = extended
            refreshed.append((conn.id, conn.expiration))
        self.stats.refreshed += len(refreshed) - kept

    def _sweep_list_strict(
        self, members: list[Conn], now: int, cleaned: list[tuple[int, str]], refreshed: list[tuple[int, int]]
    ) -> None:
        """TRACK-SWEEP-STRICT: the list's connections due within one interval; the timestamp decides
        the expiry."""
        asked: list[Conn] = []
        horizon = now + self.config.sweep_interval
        offloaded = self.layer.is_offloaded
        for conn in members:
            if conn.forced:
                self._clean(conn, "forced", cleaned)
            elif offloaded(conn.id):
                if conn.expiration <= horizon:
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
            expiration = max(conn.expiration, last_used + self.config.timeout(conn.state))
            if expiration <= now:
                self._clean(conn, "stale", cleaned)
            elif expiration != conn.expiration:  # "refreshed" means the expiry moved
                conn.expiration = expiration
                self.stats.refreshed += 1
                refreshed.append((conn.id, expiration))
