"""The tracker simulation's summary: what a run did, its rates and steady state, as data and as text.

Purpose: after a run of ``impl.sim.Simulation``, ``summarise(RunFacts)`` gathers everything the
user is shown into one JSON-able dict (``--json`` prints it): the settings, the tracker's
counters, the packets the hardware forwarded, the provider's answers, the device, the rates
(connections per virtual second, UPD ops and batches per sweep, batch sizes), whether the table
reached a steady state, and the anomalies and notes of ``impl.sim_explain`` (each with its cause:
an erratum or an injected fault). ``render`` turns it into the text summary.

Promises:

- the dict holds only str, int, float (finite), bool, None, lists and dicts with str keys, so
  ``json.dumps(..., allow_nan=False)`` never fails; every count in it is the tracker's or the
  provider's own, and the timeline's rows add up to the same sweep counts (``impl.sim_timeline``);
- the text's first line says INTERRUPTED when the run was, its last line is the wall time, and
  every other value depends only on the arguments (the run is deterministic, see ``impl.sim``);
- ``steady_state`` judges the last third of the sweeps (of at least 9): reached when the table
  size drifts by at most a tenth of its mean there; it starts where the table entered, for good,
  a band of 15% around that mean.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import fmean, pstdev
from typing import Any

from impl.layer import OffloadLayer
from impl.sim import SimProgress
from impl.sim_explain import anomalies, notes
from impl.sim_providers import ProviderSetup
from impl.sim_timeline import SweepRow, totals
from impl.sim_traffic import TrafficModel
from impl.tracker import ConnTracker, TrackerConfig
from model.vocab import Profile

__all__ = ["RunFacts", "render", "steady_state", "summarise"]


@dataclass(frozen=True)
class RunFacts:
    """Everything a summary is made of: the settings, the final counters and the run's objects."""

    profile: Profile
    provider: str
    registered: dict[str, int]
    config: TrackerConfig
    traffic: TrafficModel
    seed: int
    conns: int | None
    workers: int
    faults: dict[str, object]
    final: SimProgress
    interrupted: bool
    rows: list[SweepRow]
    setup: ProviderSetup
    tracker: ConnTracker
    layer: OffloadLayer


def _rate(count: float, per: float) -> float:
    return round(count / per, 3) if per > 0 else 0.0


def steady_state(rows: list[SweepRow]) -> dict[str, Any]:
    """Whether the table size settled over the last third of the sweeps, and from when."""
    if len(rows) < 9:
        return {"reached": False, "why": f"too few sweeps to tell ({len(rows)}, at least 9 needed)"}
    tail = rows[len(rows) * 2 // 3 :]
    xs, ys = [row.time / 1000 for row in tail], [float(row.table) for row in tail]
    mean, spread = fmean(ys), pstdev(ys)
    x0 = fmean(xs)
    var = sum((x - x0) ** 2 for x in xs)
    slope = sum((x - x0) * (y - mean) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    drift = slope * (xs[-1] - xs[0])
    facts: dict[str, Any] = {
        "table_mean": round(mean, 1),
        "table_spread": round(spread, 1),
        "trend_per_s": round(slope, 3),
        "over_s": [xs[0], xs[-1]],
    }
    if abs(drift) > max(0.1 * mean, 2.0):
        return {"reached": False, "why": f"the table still moves by {slope:+.2f} connections/s", **facts}
    band = max(0.15 * mean, 2.0)
    start = len(rows)
    while start > 0 and abs(rows[start - 1].table - mean) <= band:
        start -= 1
    return {"reached": True, "from_s": rows[min(start, len(rows) - 1)].time / 1000, **facts}


def _device(facts: RunFacts) -> dict[str, Any] | None:
    device = facts.setup.device
    if device is None:
        return None
    health = device.health()
    diagnosis = device.diagnose()
    on_device = set(device.table())
    return {
        "eswitch_mode": device.eswitch_mode,
        "params": device.params(),
        "size": device.size,
        "entries_per_conn": device.config.entries_per_conn,
        "entries_used": device.occupancy,
        "conns": device.conns,
        "health": {"state": health.state, "errors": health.err_count, "recovered": health.recover_count},
        "last_errors": diagnosis["last_errors"],
        "faults": asdict(device.faults),
        "faults_at_start": facts.setup.faults_at_start,
        "device_time_ms": round(device.busy_ns / 1e6, 3),
        "leaked": len(on_device - set(facts.layer.marks())),
    }


def summarise(facts: RunFacts) -> dict[str, Any]:
    """The summary of a run (the module docstring says what it holds)."""
    final, stats, config = facts.final, facts.final.stats, facts.config
    seconds = (final.now - final.start) / 1000
    sums = totals(facts.rows)
    sweeps = max(stats.sweeps, 1)
    sizes = [row.batch_max for row in facts.rows if row.batch_max is not None]
    upd_ops: int = sums["upd_ops"]
    table = facts.tracker.table()
    marks = facts.layer.marks()
    summary: dict[str, Any] = {
        "interrupted": facts.interrupted,
        "settings": {
            "profile": facts.profile.value,
            "provider": facts.provider,
            "registered": facts.registered,
            "sweep": {"batch": config.batch_sweep, "interval_ms": config.sweep_interval},
            "timeouts_ms": {
                "udp_first": config.udp_first,
                "udp_single": config.udp_single,
                "udp_multiple": config.udp_multiple,
            },
            "traffic": facts.traffic.describe(),
            "seed": facts.seed,
            "conns_limit": facts.conns,
            "workers": facts.workers,
            "faults": facts.faults,
        },
        "virtual_s": seconds,
        "flows": {"opened": final.flows, "active_at_end": final.active},
        "packets": {"total": final.packets, "hardware": final.hw_packets, "software": final.packets - final.hw_packets},
        "tracker": {
            "created": stats.created,
            "refused": stats.refused,
            "offloaded": stats.offloaded,
            "established": stats.established,
            "est_sent": stats.est_sent,
            "refreshed": stats.refreshed,
            "cleaned": dict(sorted(stats.cleaned.items())),
            "cleaned_total": stats.cleaned_total,
            "sweep_errors": dict(sorted(stats.sweep_errors.items())),
            "sweeps": stats.sweeps,
            "batches": stats.batches,
            "updates": stats.updates,
            "upd_ops": upd_ops,
            "removal_retries": stats.removal_retries,
            "removals_pending": len(facts.tracker.removing()),
            "table_size": final.table_size,
            "live": sum(1 for _, expiration, _, _ in table.values() if expiration > final.now),
            "offloaded_now": sum(1 for conn_id in table if conn_id in marks),
            "idle_kept": facts.rows[-1].idle_kept if facts.rows else 0,
        },
        "provider": {
            "occupancy": facts.setup.occupancy(),
            "native_batch": facts.setup.probe.native,
            "answers": facts.setup.probe.totals(),
        },
        "device": _device(facts),
        "rates": {
            "created_per_s": _rate(stats.created, seconds),
            "offloaded_per_s": _rate(stats.offloaded, seconds),
            "cleaned_per_s": _rate(stats.cleaned_total, seconds),
            "upd_ops_per_sweep": _rate(upd_ops, sweeps),
            "batches_per_sweep": _rate(stats.batches, sweeps),
            "batch_size_mean": _rate(upd_ops, stats.batches),
            "batch_size_max": max(sizes) if sizes else None,
            "hardware_share": _rate(final.hw_packets, final.packets),
        },
        "steady_state": steady_state(facts.rows),
        "wall_s": round(final.wall, 3),
    }
    summary["anomalies"] = anomalies(summary)
    summary["notes"] = notes(summary)
    return summary


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}={n}" for name, n in sorted(counts.items())) or "none"


def _seconds(ms: object) -> str:
    return "the whole run" if ms is None else f"{ms:g} s"


def _traffic(traffic: dict[str, Any]) -> str:
    return (
        f"traffic: {traffic['rate_per_s']:g} flows/s (Poisson), mean lifetime {traffic['mean_lifetime_s']:g} s, "
        f"{traffic['long_share']:.0%} long-lived (mean {_seconds(traffic['mean_long_lifetime_s'])}), "
        f"one exchange each way every {traffic['interval_s']:g} s"
    )


def render(summary: dict[str, Any]) -> str:
    """The text summary (one fact per line; see the module docstring)."""
    s, t, r, p = summary["settings"], summary["tracker"], summary["rates"], summary["packets"]
    registered = ", ".join(f"{name}={code}" for name, code in s["registered"].items()) or "none"
    limit = "no limit" if s["conns_limit"] is None else f"limit {s['conns_limit']}"
    lines = [
        *([f"INTERRUPTED (Ctrl-C) at {summary['virtual_s']:g} s virtual: the counts below are partial"]
          if summary["interrupted"] else []),
        f"profile: {s['profile']}; provider: {s['provider']} (registered: {registered}); "
        f"sweep: {'batch' if s['sweep']['batch'] else 'single-op'} every {s['sweep']['interval_ms']} ms",
        f"{_traffic(s['traffic'])}; seed {s['seed']}; {s['workers']} workers",
        f"flows: {summary['flows']['opened']} opened ({limit}), {summary['flows']['active_at_end']} active at the end; "
        f"virtual time: {summary['virtual_s']:g} s; packets: {p['total']} "
        f"({p['hardware']} forwarded in hardware, {r['hardware_share']:.0%})",
        f"connections created: {t['created']} ({r['created_per_s']:.2f}/s)",
        f"offloaded (conn_add answered 0): {t['offloaded']} ({r['offloaded_per_s']:.2f}/s)",
        f"established: {t['established']} (conn_established sent: {t['est_sent']})",
        f"refreshed by sweeps: {t['refreshed']}",
        f"cleaned: {t['cleaned_total']} ({_counts(t['cleaned'])})",
        f"sweep errors: {_counts(t['sweep_errors'])}",
        f"sweeps: {t['sweeps']} (batches submitted: {t['batches']}, single-op updates: {t['updates']})",
        f"per sweep: {r['upd_ops_per_sweep']:.1f} UPD ops in {r['batches_per_sweep']:.1f} batches; batch size mean "
        f"{r['batch_size_mean']:.1f}, max {'n/a' if r['batch_size_max'] is None else r['batch_size_max']}",
        f"removals retried (TRACK-RETRY): {t['removal_retries']}, still pending: {t['removals_pending']}",
        f"provider occupancy: {summary['provider']['occupancy']}",
        *([_device_line(summary["device"])] if summary["device"] is not None else []),
        f"final table size: {t['table_size']} (live: {t['live']}, offloaded: {t['offloaded_now']}, "
        f"kept past their flow's idle timeout: {t['idle_kept']})",
        _steady_line(summary["steady_state"]),
        *(_anomaly_lines(summary["anomalies"])),
        *(f"note: {note}" for note in summary["notes"]),
        f"wall time: {summary['wall_s']:.2f} s",
    ]  # fmt: skip
    return "\n".join(lines)


def _device_line(device: dict[str, Any]) -> str:
    health = device["health"]
    return (
        f"device: {device['conns']} connections, occ {device['entries_used']}/{device['size']} entries, "
        f"device time {device['device_time_ms']:.2f} ms, health {health['state']} (errors: {health['errors']})"
    )


def _steady_line(steady: dict[str, Any]) -> str:
    if not steady["reached"]:
        return f"steady state: not reached: {steady['why']}"
    first, last = steady["over_s"]
    return (
        f"steady state: reached from t={steady['from_s']:g} s: table {steady['table_mean']:g} "
        f"± {steady['table_spread']:g} over {first:g}-{last:g} s"
    )


def _anomaly_lines(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return ["anomalies: none"]
    return [f"anomaly: {item['what']}: {item['cause']}" for item in found]


def is_standard_json(value: object) -> bool:
    """Whether ``value`` is made only of what standard JSON can say (finite numbers, str keys)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if value is None or isinstance(value, str | int | bool):
        return True
    if isinstance(value, list):
        return all(is_standard_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_standard_json(item) for key, item in value.items())
    return False
