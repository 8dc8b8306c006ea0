"""Benchmark: impl's expiry sweep at 10,000 and 100,000 connections, batched and one UPD at a time.

Purpose: the batch API exists for this sweep (issue 16, item 1: batching pays everywhere). Each
measurement builds a tracker whose connections are all offloaded (to the dummy provider) and all
due, then times the sweeps it takes to refresh every one of them: with one batch of UPD ops per
expiry list, and with one single-op UPD each. The sweep limit is in force (a sweep stops once it
has walked more than n_conn_limit / 64 = 46,875 connections, TRACK-SWEEP), so at 100,000
connections a round takes several sweeps.

Promises: both modes are measured in the same run on identical tables, interleaved, in every
profile, each the best of ``NOISY_REPEATS`` rounds (the table is built before timing); the report gives
the sweeps a round took, UPDs per second and the batch/single ratio (goal: at least 1.2x).
``workloads`` hands ``--cprofile`` the same rounds at 100,000 connections, built the same way.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from functools import partial

from conformance.bench.profiling import Workload
from conformance.bench.timing import Goal, Ratio, Section, interleaved, ratio_goal, spread_text
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile

SIZES = (10_000, 100_000)
#: When every connection committed at 0 has expired (UDP_FIRST is 60 s) and the dummy's clock.
DUE, CLOCK = 60_000, 50_000
GOAL = 1.2
#: A round at 10,000 connections lasts about 20 ms, as long as a burst of another process's work:
#: more repetitions than the minimum, so that the best of them is an undisturbed one.
NOISY_REPEATS = 9


def _tracker(profile: Profile, size: int, *, batch: bool) -> ConnTracker:
    """A tracker of ``size`` connections committed at 0, offloaded to the dummy provider."""
    layer = OffloadLayer(profile)
    config = TrackerConfig(batch_sweep=batch, requested=("dummy",))
    register_providers(layer, [DummyProvider(clock=lambda: CLOCK).offload_class()], config)
    tracker = ConnTracker(layer, config)
    for flow in range(size):
        tracker.commit(flow, 0)
    return tracker


def _sweep_all(tracker: ConnTracker, size: int) -> tuple[int, int]:
    """Sweep at ``DUE`` until ``size`` connections are refreshed (at most 10 sweeps): the
    connections refreshed and the sweeps it took."""
    refreshed = sweeps = 0
    while refreshed < size and sweeps < 10:
        refreshed += len(tracker.sweep(DUE).refreshed)
        sweeps += 1
    return refreshed, sweeps


def one_round(profile: Profile, size: int, *, batch: bool) -> tuple[float, int]:
    """Seconds for the sweeps that refresh ``size`` due, offloaded connections, and how many
    sweeps that took."""
    tracker = _tracker(profile, size, batch=batch)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        refreshed, sweeps = _sweep_all(tracker, size)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    if refreshed != size:
        raise RuntimeError(f"{refreshed} of {size} connections refreshed in {sweeps} sweeps")
    return elapsed, sweeps


def workloads(size: int = SIZES[-1], profiles: Iterable[Profile] = Profile) -> Iterator[Workload]:
    """For ``--cprofile``: a round batched and a round one UPD at a time at ``size`` connections,
    per profile (each tracker built before it is handed over)."""
    for profile in profiles:
        for batch in (True, False):
            mode = "batched sweep" if batch else "one UPD at a time"
            tracker = _tracker(profile, size, batch=batch)
            yield Workload(f"{profile.value}, {size:,} connections, {mode}", partial(_sweep_all, tracker, size))


def run() -> Section:
    """Measure both modes at both sizes in every profile."""
    table = [
        "| profile | connections | sweeps per round | batch UPD/s | single UPD/s | batch/single | repetitions, spread "
        "|",
        "|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    goals: list[Goal] = []
    for profile in Profile:
        for size in SIZES:
            sweeps: list[int] = []

            def mode(batch: bool, size: int = size, profile: Profile = profile, sweeps: list[int] = sweeps) -> float:
                elapsed, count = one_round(profile, size, batch=batch)
                sweeps.append(count)
                return elapsed

            figures = interleaved({"batch": lambda: mode(True), "single": lambda: mode(False)}, NOISY_REPEATS)
            ratio = Ratio(figures["single"], figures["batch"])
            spread = spread_text(ratio.spread, ratio.repeats)
            table.append(
                f"| {profile.value} | {size:,} | {max(sweeps)} | {figures['batch'].rate(size):,.0f} "
                f"| {figures['single'].rate(size):,.0f} | {ratio.value:.2f}x | {spread} |"
            )
            goals.append(
                ratio_goal(
                    1, f"sweep batch / single-UPD throughput, {profile.value}, {size:,}", ratio, GOAL, at_least=True
                )
            )
            notes.append(
                f"sweep {profile.value} {size:,}: {max(sweeps)} sweep(s) per round, batch "
                f"{figures['batch'].rate(size):,.0f} UPD/s, {ratio.value:.2f}x one UPD at a time ({spread})"
            )
    return Section(
        title="Expiry sweep with every connection due (impl tracker, dummy provider, sweep limit in force)",
        table=table,
        notes=notes,
        goals=goals,
    )
