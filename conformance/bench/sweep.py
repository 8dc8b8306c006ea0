"""Benchmark: impl's expiry sweep at 10,000 and 100,000 connections, batched and one UPD at a time.

Purpose: the batch API exists for this sweep. Each measurement builds a tracker whose connections
are all offloaded (to the dummy provider) and all due, then times the sweeps it takes to refresh
every one of them: with one batch of UPD ops per expiry list, and with one single-op UPD each.
The sweep limit is in force (a sweep stops once it has walked more than n_conn_limit / 64 =
46,875 connections, TRACK-SWEEP), so at 100,000 connections a round takes several sweeps.

Promises: both modes are measured in the same run on identical tables; the report gives the
sweeps a round took, UPDs per second and the batch/single ratio.
"""

from __future__ import annotations

import gc
import time

from conformance.bench.timing import Section
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile

SIZES = (10_000, 100_000)
#: When every connection committed at 0 has expired (UDP_FIRST is 60 s) and the dummy's clock.
DUE, CLOCK = 60_000, 50_000


def one_round(profile: Profile, size: int, *, batch: bool) -> tuple[float, int]:
    """Seconds for the sweeps that refresh ``size`` due, offloaded connections, and how many
    sweeps that took."""
    layer = OffloadLayer(profile)
    config = TrackerConfig(batch_sweep=batch, requested=("dummy",))
    register_providers(layer, [DummyProvider(clock=lambda: CLOCK).offload_class()], config)
    tracker = ConnTracker(layer, config)
    for flow in range(size):
        tracker.commit(flow, 0)
    gc.collect()
    refreshed = sweeps = 0
    start = time.perf_counter()
    while refreshed < size and sweeps < 10:
        refreshed += len(tracker.sweep(DUE).refreshed)
        sweeps += 1
    elapsed = time.perf_counter() - start
    assert refreshed == size, f"{refreshed} of {size} connections refreshed in {sweeps} sweeps"
    return elapsed, sweeps


def run() -> Section:
    """Measure both modes at both sizes for rfc-v1 and strict (best of 2 each)."""
    table = [
        "| profile | connections | sweeps per round | batch UPD/s | single UPD/s | batch/single |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        for size in SIZES:
            batched, sweeps = min(one_round(profile, size, batch=True) for _ in range(2))
            single, _ = min(one_round(profile, size, batch=False) for _ in range(2))
            table.append(
                f"| {profile.value} | {size:,} | {sweeps} | {size / batched:,.0f} "
                f"| {size / single:,.0f} | {single / batched:.2f}x |"
            )
            notes.append(
                f"sweep {profile.value} {size:,}: {sweeps} sweep(s) per round, batch {size / batched:,.0f} UPD/s, "
                f"{single / batched:.2f}x one UPD at a time"
            )
    return Section(
        title="Expiry sweep with every connection due (impl tracker, dummy provider, sweep limit in force)",
        table=table,
        notes=notes,
    )
