"""The tracker simulation's timeline: one row per sweep, and its CSV file.

Purpose: ``Timeline.record`` is the simulation's ``on_sweep`` hook: after each sweep it reads what
the sweep did (its ``SweepReport``: connections cleaned by reason and refreshed), the tracker's
counters since the previous sweep (UPD errors by errno, batches, removal retries, connections
created and offloaded), the provider probe (UPD ops asked, native batch sizes), the table, the
layer's marks, the provider's occupancy and the device's entries, and the simulation's packets and
flows; ``idle_kept`` counts the connections of flows idle for longer than the longest UDP timeout
plus two sweep intervals (correct expiry has cleaned those: what is left was kept alive by a
provider's answers); ``write_csv`` writes the rows (``--timeline FILE.csv``), ``totals`` adds them up.

Promises:

- ``record`` runs in the sweeper thread, at a virtual instant when no worker acts (see
  ``impl.sim``), so a row is a consistent picture of one moment; it changes nothing it reads;
- every count of a row is of its own sweep or of the interval since the previous one (sizes are
  at the sweep), so the columns that only sweeps change (cleaned, refreshed, errors, batches,
  UPD ops, removal retries) add up over the rows to the run's totals;
- the CSV has a header row, then one row per sweep; ``time_s`` is virtual seconds since the
  start; reasons and errnos seen anywhere in the run get a column each (``cleaned_expired``,
  ``cleaned_stale``, ``cleaned_forced`` always, then ``cleaned_<ERRNO>``; ``errors_<ERRNO>``),
  zero where a sweep had none; ``batch_max`` is empty when the provider takes no native batch.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from impl.layer import OffloadLayer
from impl.sim_providers import ProviderSetup
from impl.tracker import ConnTracker, SweepReport
from impl.tracker_table import StatsSnapshot

__all__ = ["BASE_REASONS", "SweepRow", "Timeline", "columns"]

#: The clean reasons every timeline has a column for (errno reasons are added as they occur).
BASE_REASONS = ("expired", "stale", "forced")


class _Counters(Protocol):
    """What the timeline reads of the simulation (``impl.sim.Simulation`` has it)."""

    @property
    def packets(self) -> int: ...
    @property
    def hw_packets(self) -> int: ...
    @property
    def flows(self) -> int: ...
    @property
    def active(self) -> int: ...
    def idle_flows(self) -> dict[int, int]: ...


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One sweep: when (ms since the start), the sizes at that moment, and what changed since the
    previous sweep (``batch_max`` None: the provider takes no native batch)."""

    time: int
    table: int
    offloaded: int
    removing: int
    occupancy: int
    device_entries: int | None
    active_flows: int
    idle_kept: int
    flows: int
    created: int
    offloaded_new: int
    cleaned: dict[str, int]
    refreshed: int
    errors: dict[str, int]
    batches: int
    upd_ops: int
    batch_max: int | None
    removal_retries: int
    sw_packets: int
    hw_packets: int

    @property
    def batch_mean(self) -> float:
        """UPD ops per batch submitted (0 without a batch)."""
        return self.upd_ops / self.batches if self.batches else 0.0


@dataclass
class Timeline:
    """The rows of one run, recorded by ``record`` (the simulation's ``on_sweep``)."""

    tracker: ConnTracker
    layer: OffloadLayer
    setup: ProviderSetup
    start: int = 0
    rows: list[SweepRow] = field(default_factory=list)
    _last: StatsSnapshot = field(default_factory=StatsSnapshot)
    _packets: tuple[int, int] = (0, 0)

    def record(self, sim: _Counters, now: int, report: SweepReport) -> None:
        """Add the row of the sweep at ``now`` that gave ``report``."""
        stats = self.tracker.stats()
        last, self._last = self._last, stats
        marks = self.layer.marks()
        table = self.tracker.table()
        config = self.tracker.config
        horizon = now - max(config.udp_first, config.udp_single, config.udp_multiple) - 2 * config.sweep_interval
        idle = sim.idle_flows()
        upd_ops, sizes = self.setup.probe.take_batches()
        device = self.setup.device
        packets, hw_packets = sim.packets, sim.hw_packets
        (last_packets, last_hw), self._packets = self._packets, (packets, hw_packets)
        self.rows.append(
            SweepRow(
                time=now - self.start,
                table=len(table),
                offloaded=sum(1 for conn_id in table if conn_id in marks),
                removing=len(self.tracker.removing()),
                occupancy=self.setup.occupancy(),
                device_entries=None if device is None else device.occupancy,
                active_flows=sim.active,
                idle_kept=sum(1 for flow, _, _, _ in table.values() if idle.get(flow, horizon + 1) <= horizon),
                flows=sim.flows,
                created=stats.created - last.created,
                offloaded_new=stats.offloaded - last.offloaded,
                cleaned=dict(Counter(reason for _, reason in report.cleaned)),
                refreshed=len(report.refreshed),
                errors=_delta(stats.sweep_errors, last.sweep_errors),
                batches=stats.batches - last.batches,
                upd_ops=upd_ops,
                batch_max=max(sizes, default=0) if self.setup.probe.native else None,
                removal_retries=stats.removal_retries - last.removal_retries,
                sw_packets=(packets - hw_packets) - (last_packets - last_hw),
                hw_packets=hw_packets - last_hw,
            )
        )

    def totals(self) -> dict[str, Any]:
        """The rows added up: cleaned and errors by name, and the other counts of sweeps."""
        return totals(self.rows)

    def write_csv(self, path: Path) -> None:
        """Write the rows to ``path`` as CSV (OSError if it cannot be written)."""
        path.write_text(to_csv(self.rows), encoding="utf-8")


def _delta(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in sorted(now.items()) if n != before.get(name, 0)}


def totals(rows: Iterable[SweepRow]) -> dict[str, Any]:
    """``rows`` added up: ``cleaned`` and ``errors`` by name; ``refreshed``, ``batches``,
    ``upd_ops``, ``removal_retries``, ``created``; and ``sweeps``, the number of rows."""
    cleaned: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    sums = dict.fromkeys(("refreshed", "batches", "upd_ops", "removal_retries", "created"), 0)
    sweeps = 0
    for row in rows:
        sweeps += 1
        cleaned.update(row.cleaned)
        errors.update(row.errors)
        for name in sums:
            sums[name] += getattr(row, name)
    return {"sweeps": sweeps, "cleaned": dict(sorted(cleaned.items())), "errors": dict(sorted(errors.items())), **sums}


def _names(rows: list[SweepRow], of: Callable[[SweepRow], dict[str, int]], base: tuple[str, ...]) -> list[str]:
    seen = sorted({name for row in rows for name in of(row)} - set(base))
    return [*base, *seen]


def columns(rows: list[SweepRow]) -> tuple[list[str], list[str], list[str]]:
    """The CSV header of ``rows``, and the clean reasons and errnos that have a column."""
    reasons = _names(rows, lambda row: row.cleaned, BASE_REASONS)
    errnos = _names(rows, lambda row: row.errors, ())
    header = [
        "time_s", "table_size", "offloaded", "removing", "device_occupancy", "device_entries",
        "active_flows", "idle_kept", "flows_opened", "created", "offloaded_new",
        *(f"cleaned_{reason}" for reason in reasons), "refreshed", *(f"errors_{name}" for name in errnos),
        "batches", "upd_ops", "batch_mean", "batch_max", "removal_retries", "sw_packets", "hw_packets",
    ]  # fmt: skip
    return header, reasons, errnos


def to_csv(rows: list[SweepRow]) -> str:
    """The CSV text of ``rows`` (see the module docstring)."""
    header, reasons, errnos = columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                f"{row.time / 1000:g}", row.table, row.offloaded, row.removing, row.occupancy,
                "" if row.device_entries is None else row.device_entries, row.active_flows, row.idle_kept, row.flows,
                row.created, row.offloaded_new, *(row.cleaned.get(reason, 0) for reason in reasons),
                row.refreshed, *(row.errors.get(name, 0) for name in errnos), row.batches, row.upd_ops,
                f"{row.batch_mean:.2f}", "" if row.batch_max is None else row.batch_max, row.removal_retries,
                row.sw_packets, row.hw_packets,
            ]
        )  # fmt: skip
    return out.getvalue()
