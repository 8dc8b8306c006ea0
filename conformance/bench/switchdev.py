"""Benchmark: the switchdev provider on the simulated device, batched vs one op at a time.

Purpose: the switchdev provider on the simulated device, batch against single op. For batch sizes 1
to 1024, the same connections are added, refreshed and deleted through the provider's native
``batch_submit`` and through its per-op callbacks, on fresh simulated devices; the device's own cost
model (``t_call_ns`` per push, ``t_op_ns`` per op) gives the device time, and the wall clock gives
the Python cost.

Promises: both modes run in the same run on identical devices, each figure the best of
``REPEATS`` runs with its spread; ratios are single/batch.
"""

from __future__ import annotations

import time

from conformance.bench.timing import REPEATS, Figure, Section, spread_text
from impl.batch import BatchEntry
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_device import SimDevice
from model.conn import Ctx
from model.vocab import OpType

SIZES = (1, 4, 16, 64, 256, 1024)
TOTAL = 4096


def _fresh() -> tuple[SwitchdevProvider, SimDevice]:
    return SwitchdevProvider.simulated(clock=lambda: 1000)


def batched(size: int) -> tuple[float, int]:
    """(wall seconds, device ns) for TOTAL connections added, refreshed and deleted in batches."""
    provider, device = _fresh()
    ctxs = [Ctx.of(c) for c in range(TOTAL)]
    start = time.perf_counter()
    for kind in (OpType.ADD, OpType.UPD, OpType.DEL):
        for lo in range(0, TOTAL, size):
            provider.batch_submit(
                [BatchEntry(kind=kind, ctx=ctx, index=i) for i, ctx in enumerate(ctxs[lo : lo + size])]
            )
    return time.perf_counter() - start, device.busy_ns


def single() -> tuple[float, int]:
    """(wall seconds, device ns) for the same work through the per-op callbacks."""
    provider, device = _fresh()
    ctxs = [Ctx.of(c) for c in range(TOTAL)]
    start = time.perf_counter()
    for ctx in ctxs:
        provider.conn_add(ctx)
    for ctx in ctxs:
        provider.conn_update(ctx)
    for ctx in ctxs:
        provider.conn_del(ctx)
    return time.perf_counter() - start, device.busy_ns


def run() -> Section:
    """Measure every batch size against one op at a time (each the best of ``REPEATS`` runs)."""
    singles = [single() for _ in range(REPEATS)]
    one_wall, one_dev = min(singles, key=lambda r: r[0])
    ops = 3 * TOTAL
    table = [
        "| batch size | device µs/op | wall µs/op | device time vs single | wall time vs single "
        "| repetitions, wall spread (both sides) |",
        "|---|---|---|---|---|---|",
        f"| single op | {one_dev / ops / 1000:.2f} | {one_wall / ops * 1e6:.2f} | 1.00x | 1.00x | best of {REPEATS} |",
    ]
    notes = []
    for size in SIZES:
        runs = [batched(size) for _ in range(REPEATS)]
        wall, dev = min(runs, key=lambda r: r[0])
        dev_gain, wall_gain = one_dev / dev, one_wall / wall
        per_op = f"{dev / ops / 1000:.2f} | {wall / ops * 1e6:.2f}"
        spread = Figure(tuple(r[0] for r in runs)).spread + Figure(tuple(r[0] for r in singles)).spread
        table.append(
            f"| {size} | {per_op} | {dev_gain:.1f}x faster | {wall_gain:.2f}x faster | {spread_text(spread, REPEATS)} |"
        )
        if size in (64, 1024):
            notes.append(
                f"switchdev batch of {size}: device time {dev_gain:.1f}x, "
                f"wall time {wall_gain:.2f}x lower than one op at a time"
            )
    title = f"Switchdev provider on the simulated device ({TOTAL} connections added, refreshed, deleted)"
    return Section(title=title, table=table, notes=notes)
