"""Benchmark: the ctnetlink engine, batched, against pyroute2's one-message-per-call conntrack API.

Purpose: docs/switchdev.rst, "The ctnetlink engine": batching (one buffer per push, one
acknowledgement) and template patching should make programming a real kernel conntrack table
much faster than one acknowledged request per connection. In one run, inside the engine's private
namespace, the same UDP connections (``ConnRef.synthetic``) are added then deleted: through the
engine with pushes of 1, 64, 1024 and 8192 ops (submit, push, poll; every result checked), and
through ``pyroute2.Conntrack().entry("add" | "del", ...)``, one call per connection, on a socket
opened inside the same namespace. Each side's input is built before timing (the engine's
``EngineOp`` values, pyroute2's ``NFCTAttrTuple`` pairs); the garbage collector is paused while
timing; each engine cell is the best of 5 rounds, pyroute2 runs once over its first 2048
connections (it is slow).

Promises: the report gives connections per second for add and for delete and the ratio to
pyroute2, and says whether the goals (batched >= 50x pyroute2, >= 300,000 connections per second)
are met; if ``impl.switchdev.ctnetlink.probe`` fails, the section says the benchmark was skipped
and why. The host's conntrack table is never touched.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from pyroute2 import Conntrack
from pyroute2.netlink.nfnetlink.nfctsocket import IPS_CONFIRMED, NFCTAttrTuple

from conformance.bench.timing import Section
from impl.switchdev.ctnetlink import CtnetlinkEngine, probe
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult
from model.conn import ConnRef

BATCHES = (1, 64, 1024, 8192)
CONNS = 8192
PYROUTE2_CONNS = 2048
ROUNDS = 5
GOAL_RATIO = 50.0
GOAL_RATE = 300_000.0
TITLE = "ctnetlink engine: batched programming of a real conntrack table vs pyroute2"


def _timed(func: Callable[[], None]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        func()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _engine_phase(engine: CtnetlinkEngine, ops: list[EngineOp], batch: int) -> float:
    """Seconds to submit, push and poll ``ops`` in batches of ``batch``; every result must be 0."""
    results: list[EngineResult] = []

    def run() -> None:
        submit, push, poll = engine.submit, engine.push, engine.poll
        for start in range(0, len(ops), batch):
            for op in ops[start : start + batch]:
                submit(op)
            push()
            results.extend(poll())

    elapsed = _timed(run)
    errors = sorted({result.error for result in results} - {0})
    if len(results) != len(ops) or errors:
        raise RuntimeError(f"engine batch {batch}: {len(results)} results for {len(ops)} ops, errors {errors}")
    return elapsed


def _engine_rates(engine: CtnetlinkEngine, conns: list[ConnRef], batch: int) -> tuple[float, float]:
    """Best add and delete rates (connections per second) over ``ROUNDS`` rounds."""
    adds = [EngineOp(kind=EngineOpKind.INSERT, conn=conn, tag=conn.id) for conn in conns]
    dels = [EngineOp(kind=EngineOpKind.REMOVE, conn=conn, tag=conn.id) for conn in conns]
    add_s = del_s = float("inf")
    for _ in range(ROUNDS):
        add_s = min(add_s, _engine_phase(engine, adds, batch))
        del_s = min(del_s, _engine_phase(engine, dels, batch))
    return len(conns) / add_s, len(conns) / del_s


def _pyroute2_rates(namespace: str, conns: list[ConnRef]) -> tuple[float, float]:
    """Add and delete rates of ``pyroute2.Conntrack().entry`` on a socket inside ``namespace``."""

    def attr(conn: ConnRef, reply: bool) -> object:
        t = conn.reply if reply else conn.orig
        return NFCTAttrTuple(saddr=t.src, daddr=t.dst, proto=t.proto, sport=t.sport, dport=t.dport)

    pairs = [(attr(conn, False), attr(conn, True)) for conn in conns]
    ct = Conntrack(netns=namespace)
    try:

        def add() -> None:
            for orig, reply in pairs:
                ct.entry("add", tuple_orig=orig, tuple_reply=reply, timeout=3600, status=IPS_CONFIRMED)

        def delete() -> None:
            for orig, _ in pairs:
                ct.entry("del", tuple_orig=orig)

        return len(conns) / _timed(add), len(conns) / _timed(delete)
    finally:
        ct.close()


def run() -> Section:
    """Measure pyroute2 and the engine at every batch size; a skipped section if the probe fails."""
    ok, reason = probe()
    if not ok:
        return Section(title=TITLE, table=[], notes=[f"skipped: {reason}"])
    conns = [ConnRef.synthetic(i) for i in range(CONNS)]
    with CtnetlinkEngine.open(max_conns=CONNS, queue_size=max(BATCHES)) as engine:
        p_add, p_del = _pyroute2_rates(engine.namespace, conns[:PYROUTE2_CONNS])
        if engine.kernel_count() != 0:
            raise RuntimeError("pyroute2's deletes left entries behind")
        rates = {batch: _engine_rates(engine, conns, batch) for batch in BATCHES}
    table = [
        "| API | ops per push | connections | add conns/s | delete conns/s | add vs pyroute2 | delete vs pyroute2 |",
        "|---|---|---|---|---|---|---|",
        f"| pyroute2 `Conntrack().entry` | 1 (ACK each) | {PYROUTE2_CONNS:,} | {p_add:,.0f} | {p_del:,.0f} "
        "| 1.0x | 1.0x |",
    ]
    for batch, (e_add, e_del) in rates.items():
        table.append(
            f"| CtnetlinkEngine | {batch:,} | {CONNS:,} | {e_add:,.0f} | {e_del:,.0f} "
            f"| {e_add / p_add:,.1f}x | {e_del / p_del:,.1f}x |"
        )
    best_batch = max(rates, key=lambda b: min(rates[b]))
    best = min(rates[best_batch])  # the slower of add and delete at the best batch size
    ratio = min(rates[best_batch][0] / p_add, rates[best_batch][1] / p_del)
    notes = [
        f"best batch size {best_batch:,}: add {rates[best_batch][0]:,.0f}/s, delete {rates[best_batch][1]:,.0f}/s",
        f"goal batched >= {GOAL_RATIO:.0f}x pyroute2: {'met' if ratio >= GOAL_RATIO else 'NOT met'} ({ratio:,.1f}x, "
        "the smaller of the add and delete ratios)",
        f"goal >= {GOAL_RATE:,.0f} connections/s: {'met' if best >= GOAL_RATE else 'NOT met'} "
        f"({best:,.0f}/s, the slower of add and delete)",
        "engine time includes submit (encoding), push (one send, replies read) and poll; "
        "inputs are built before timing",
    ]
    return Section(title=TITLE, table=table, notes=notes)
