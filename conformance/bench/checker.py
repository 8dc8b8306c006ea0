"""Benchmark: the linearizability checker's time on histories of 4 threads x 50 operations.

Purpose: what checking a threaded history costs (layer 2 of the suite, docs/conformance.rst). Four real threads run
50 operations each on impl's layer (two providers, one native-batch) with a tiny switch interval,
so calls overlap; the recorded histories are then checked against the model. Three workloads:
operations spread over 16 connections (the per-connection partition helps), all on 2 connections
(heavy overlap within a partition), and the spread workload with a flush every 25 operations
(barriers).

Promises: the same seeded workloads every run; times are per history (median and worst of
``HISTORIES``), with the verdicts counted, so a slow "ok" and a fast "unknown" are not confused.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from conformance.bench.timing import Section
from conformance.concurrent import prepared, run_threads
from conformance.history import Operation
from conformance.linearizability import check
from conformance.scenario import parse_scenario
from model.conn import Ctx
from model.ops import Add, BatchOp, Delete, Established, Flush, LayerOp, QueryMark, SubmitBatch, Update
from model.vocab import OpType, Profile

THREADS, OPS, HISTORIES = 4, 50, 12
PROVIDERS = parse_scenario(
    {"providers": [{"name": "a", "upd": {"1": 9, "2": 4}}, {"name": "b", "callbacks": ["add", "del", "est", "batch"]}]}
).providers
WORKLOADS = {"16 connections": (16, 0), "2 connections": (2, 0), "16 connections, flush every 25": (16, 25)}


def _op(rng: random.Random, conns: int) -> LayerOp:
    conn = rng.randrange(1, conns + 1)
    kind = rng.choice(["add", "add", "upd", "est", "del", "mark", "batch"])
    if kind == "batch":
        kinds = [rng.choice([OpType.ADD, OpType.UPD, OpType.DEL]) for _ in range(rng.randint(1, 3))]
        return SubmitBatch(ops=tuple(BatchOp(kind=k, ctx=Ctx.of(rng.randrange(1, conns + 1))) for k in kinds))
    if kind == "mark":
        return QueryMark(conn=conn)
    single: dict[str, type[Add | Update | Established | Delete]] = {
        "add": Add,
        "upd": Update,
        "est": Established,
        "del": Delete,
    }
    return single[kind](ctx=Ctx.of(conn))


def overlapping(history: tuple[Operation, ...]) -> float:
    """The share of operations that overlap an operation of another thread (real concurrency)."""

    def ends(o: Operation) -> int:
        return o.ret if o.ret is not None else max(p.call for p in history) + 1

    hit = sum(any(p.thread != o.thread and p.call < ends(o) and o.call < ends(p) for p in history) for o in history)
    return hit / len(history)


def _threads(seed: int, conns: int, flush_every: int) -> list[list[LayerOp]]:
    rng = random.Random(seed)
    out: list[list[LayerOp]] = []
    for t in range(THREADS):
        ops = [_op(rng, conns) for _ in range(OPS)]
        if flush_every:
            ops = [Flush() if (i + 1) % flush_every == 0 and t == 0 else op for i, op in enumerate(ops)]
        out.append(ops)
    return out


def _history(profile: Profile, seed: int, conns: int, flush_every: int) -> tuple[tuple[Operation, ...], object]:
    impl, model = prepared(PROVIDERS, profile)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        history = run_threads(impl, _threads(seed, conns, flush_every))
    finally:
        sys.setswitchinterval(interval)
    return history, model.state


def run() -> Section:
    """Check ``HISTORIES`` histories per workload and profile; per-history times."""
    table = [
        "| profile | workload | ops | overlapping ops | median ms | worst ms | verdicts |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        for name, (conns, flush_every) in WORKLOADS.items():
            times, verdicts, overlap = [], [], []
            for seed in range(HISTORIES):
                history, start = _history(profile, seed, conns, flush_every)
                overlap.append(overlapping(history))
                began = time.perf_counter()
                verdict = check(history, start)  # type: ignore[arg-type]
                times.append((time.perf_counter() - began) * 1000)
                verdicts.append(verdict.status)
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
    return Section(title=f"Linearizability checker on {THREADS} threads x {OPS} operations", table=table, notes=notes)
