"""Benchmark: impl's expiry sweep at 10,000 and 100,000 connections, batched and one UPD at a time.

Purpose: the batch API exists for this sweep (issue 4). Each measurement builds a tracker whose
connections are all offloaded (to the dummy provider) and all due, then times one sweep that
refreshes every one of them: with one batch of UPD ops, and with one single-op UPD each.

Promises: both modes are measured in the same run on identical tables; the report gives sweeps
per second, UPDs per second and the batch/single ratio.
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


def one_sweep(profile: Profile, size: int, *, batch: bool) -> float:
    """Seconds for one sweep refreshing ``size`` due, offloaded connections."""
    layer = OffloadLayer(profile)
    config = TrackerConfig(batch_sweep=batch, requested=("dummy",))
    register_providers(layer, [DummyProvider(clock=lambda: 50_000).offload_class()], config)
    tracker = ConnTracker(layer, config)
    for flow in range(size):
        tracker.commit(flow, 0)
    gc.collect()
    start = time.perf_counter()
    report = tracker.sweep(40_000)
    elapsed = time.perf_counter() - start
    assert len(report.refreshed) == size, "every connection should have been refreshed"
    return elapsed


def run() -> Section:
    """Measure both modes at both sizes for rfc-v1 and strict (best of 2 each)."""
    table = [
        "| profile | connections | batch sweeps/s | single sweeps/s | batch UPD/s | single UPD/s | batch/single |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        for size in SIZES:
            batched = min(one_sweep(profile, size, batch=True) for _ in range(2))
            single = min(one_sweep(profile, size, batch=False) for _ in range(2))
            table.append(
                f"| {profile.value} | {size:,} | {1 / batched:.2f} | {1 / single:.2f} | {size / batched:,.0f} "
                f"| {size / single:,.0f} | {single / batched:.2f}x |"
            )
            notes.append(
                f"sweep {profile.value} {size:,}: batch {size / batched:,.0f} UPD/s, "
                f"{single / batched:.2f}x one UPD at a time"
            )
    return Section(
        title="Expiry sweep with every connection due (impl tracker, dummy provider)", table=table, notes=notes
    )
