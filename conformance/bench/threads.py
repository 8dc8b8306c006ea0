"""Benchmark: throughput of the layer with 1, 2, 4 and 8 threads, and the count of lost operations.

Purpose: throughput with 1, 2, 4 and 8 threads, and lost operations. Each thread adds, refreshes and deletes its own
connections through one layer with the dummy provider registered; afterwards the dummy's counters
and the layer's marks must account for every operation (a lost or duplicated op shows as a
difference).

Promises: throughput ratios are relative to one thread in the same run; "lost" counts operations
the provider or the marks do not account for (the goal is 0).
"""

from __future__ import annotations

import threading
import time

from conformance.bench.timing import Section
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from model.conn import Ctx
from model.vocab import Mark, Profile

OPS_PER_THREAD = 24_000


def _worker(layer: OffloadLayer, base: int, count: int, start: threading.Barrier) -> None:
    start.wait()
    for i in range(count // 3):
        ctx = Ctx.of(base + i)
        layer.conn_add(ctx)
        layer.conn_update(ctx)
        if i % 2:
            layer.conn_del(ctx)


def measure(threads: int, profile: Profile) -> tuple[float, int]:
    """Operations per second with ``threads`` threads sharing ``OPS_PER_THREAD * 4`` ops, and the
    number of operations the dummy provider and the marks do not account for."""
    total = OPS_PER_THREAD * 4
    per_thread = total // threads
    dummy = DummyProvider(clock=lambda: 1)
    layer = OffloadLayer(profile)
    layer.register(dummy.offload_class())
    barrier = threading.Barrier(threads + 1)
    workers = [
        threading.Thread(target=_worker, args=(layer, t * 10_000_000, per_thread, barrier)) for t in range(threads)
    ]
    for w in workers:
        w.start()
    barrier.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    cycles = per_thread // 3
    deleted = cycles // 2
    expected = {
        "added": threads * cycles,
        "updated": threads * cycles,
        "deleted": threads * deleted,
        "marked": threads * (cycles - deleted),
    }
    marked = sum(layer.mark(t * 10_000_000 + i) is Mark.ADDED for t in range(threads) for i in range(cycles))
    seen = {"added": dummy.n_added, "updated": dummy.n_updated, "deleted": dummy.n_deleted, "marked": marked}
    lost = sum(abs(expected[k] - seen[k]) for k in expected)
    operations = threads * (2 * cycles + deleted)
    return operations / elapsed, lost


def run() -> Section:
    """Measure 1, 2, 4 and 8 threads in the rfc-v1 and strict profiles."""
    table = ["| profile | threads | ops/s | vs 1 thread | lost ops |", "|---|---|---|---|---|"]
    notes = []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        base = 0.0
        for threads in (1, 2, 4, 8):
            rate, lost = max((measure(threads, profile) for _ in range(3)), key=lambda r: r[0])
            base = base or rate
            table.append(f"| {profile.value} | {threads} | {rate:,.0f} | {rate / base:.2f} | {lost} |")
            if threads == 4:
                notes.append(f"{profile.value}: 4 threads at {rate / base:.2f}x one thread (goal >= 0.8); lost {lost}")
    return Section(
        title="Threads: add/update/delete through one layer with the dummy provider", table=table, notes=notes
    )
