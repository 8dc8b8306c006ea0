"""Benchmark: the linearizability checker's time on histories of 4 threads x 50 operations.

Purpose: what checking a threaded history costs (layer 2 of the suite, docs/conformance.rst). Four real threads run
50 operations each on impl's layer (two providers, one native-batch) with a tiny switch interval,
so calls overlap; the recorded histories are then checked against the model. Three workloads:
operations spread over 16 connections (the per-connection partition helps), all on 2 connections
(heavy overlap within a partition), and the spread workload with a flush every 25 operations
(barriers).

Promises: the same seeded workloads every run; times are per history (median and worst of
``HISTORIES``), with the verdicts counted, so a slow "ok" and a fast "unknown" are not confused;
a "fail" verdict is a failure of the bench (the history is printed as swim lanes).
"""

from __future__ import annotations

import statistics
import time

from conformance.bench.timing import Section
from conformance.concurrent import OPS, THREADS, real_thread_history
from conformance.history import Operation
from conformance.linearizability import check, swim_lanes
from model.vocab import Profile

HISTORIES = 12
WORKLOADS = {"16 connections": (16, 0), "2 connections": (2, 0), "16 connections, flush every 25": (16, 25)}


def overlapping(history: tuple[Operation, ...]) -> float:
    """The share of operations that overlap an operation of another thread (real concurrency)."""

    def ends(o: Operation) -> int:
        return o.ret if o.ret is not None else max(p.call for p in history) + 1

    hit = sum(any(p.thread != o.thread and p.call < ends(o) and o.call < ends(p) for p in history) for o in history)
    return hit / len(history)


def run() -> Section:
    """Check ``HISTORIES`` histories per workload and profile; per-history times."""
    table = [
        "| profile | workload | ops | overlapping ops | median ms | worst ms | verdicts |",
        "|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    failures: list[str] = []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        for name, (conns, flush_every) in WORKLOADS.items():
            times, verdicts, overlap = [], [], []
            for seed in range(HISTORIES):
                history, model = real_thread_history(profile, seed, conns, flush_every)
                overlap.append(overlapping(history))
                began = time.perf_counter()
                verdict = check(history, model.state)
                times.append((time.perf_counter() - began) * 1000)
                verdicts.append(verdict.status)
                if verdict.status == "fail":  # impl broke linearizability: the bench fails
                    failures.append(f"{profile.value}, {name}, seed {seed}:\n{swim_lanes(history, verdict)}")
            counted = ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts)))
            median, worst = statistics.median(times), max(times)
            share = f"{statistics.mean(overlap):.0%}"
            table.append(
                f"| {profile.value} | {name} | {THREADS}x{OPS} | {share} | {median:.1f} | {worst:.1f} | {counted} |"
            )
            notes.append(
                f"checker, {profile.value}, {name}: {median:.1f} ms median, {worst:.1f} ms worst per "
                f"{THREADS}x{OPS} history, {share} of operations overlapping ({counted})"
            )
    title = f"Linearizability checker on {THREADS} threads x {OPS} operations"
    return Section(title=title, table=table, notes=notes, failures=failures)
