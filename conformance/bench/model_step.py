"""Benchmark: the model's step cost at 100 and at 100,000 connections.

Purpose: show that the pure model stays nearly flat as its connection table grows (persistent
maps, not copies), per profile, with the stateful dummy provider registered so that its own table
grows too.

Promises: the same op mix at both sizes, measured in one run; the ratio large/small is reported.
"""

from __future__ import annotations

from conformance.bench.timing import Section, best_of
from model.conn import Ctx
from model.ops import Add, BatchOp, Delete, Established, LayerOp, Register, SubmitBatch, Update
from model.provider import dummy_spec
from model.state import LayerState, initial_state
from model.step import step
from model.vocab import OpType, Profile

SIZES = (100, 100_000)
MIX = 2_000


def populated(profile: Profile, size: int) -> LayerState:
    """A layer with the dummy registered and ``size`` connections added and established."""
    state, _ = step(initial_state(profile, (dummy_spec(),)), Register(provider=0))
    ops = tuple(BatchOp(kind=OpType.ADD, ctx=Ctx.of(c)) for c in range(size))
    state, _ = step(state, SubmitBatch(ops=ops), 1)
    return state


def mix(size: int) -> list[LayerOp]:
    """The measured ops: add, establish, refresh and delete fresh connections, and refresh old ones."""
    ops: list[LayerOp] = []
    for i in range(MIX // 5):
        fresh = Ctx.of(size + i)
        old = Ctx.of((i * 7919) % size)
        ops += [Add(ctx=fresh), Established(ctx=fresh), Update(ctx=fresh), Update(ctx=old), Delete(ctx=fresh)]
    return ops


def per_step(state: LayerState, ops: list[LayerOp]) -> float:
    """Best-of-5 seconds per step of ``ops`` applied from ``state``."""

    def go() -> None:
        s = state
        for op in ops:
            s, _ = step(s, op, 5)

    return best_of(15, go) / len(ops)


def run() -> Section:
    """Measure every profile at both sizes."""
    table = ["| profile | µs/step at 100 | µs/step at 100,000 | ratio |", "|---|---|---|---|"]
    notes = []
    for profile in Profile:
        small, large = (per_step(populated(profile, n), mix(n)) for n in SIZES)
        table.append(f"| {profile.value} | {small * 1e6:.1f} | {large * 1e6:.1f} | {large / small:.2f} |")
        notes.append(f"model step {profile.value}: 100,000 vs 100 connections = {large / small:.2f}x")
    return Section(
        title=f"Model step cost ({MIX} ops: add, est, 2x upd, del; dummy provider)", table=table, notes=notes
    )
