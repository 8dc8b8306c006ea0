"""Benchmark: the model's step cost at 100 and at 100,000 connections.

Purpose: show that the pure model stays nearly flat as its connection table grows (persistent
maps, not copies), per profile, with the stateful dummy provider registered so that its own table
grows too.

Promises: the same op mix at both sizes, measured interleaved in one run, each the best of 15
repetitions; the ratio large/small is reported with its spread. ``workloads`` hands
``--cprofile`` the mix at 100,000 connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from conformance.bench.profiling import Workload
from conformance.bench.timing import Figure, Ratio, Section, interleaved, spread_text, timed
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


def stepping(state: LayerState, ops: list[LayerOp]) -> Callable[[], None]:
    """Apply ``ops`` from ``state`` (the state is immutable: every call does the same work)."""

    def go() -> None:
        s = state
        for op in ops:
            s, _ = step(s, op, 5)

    return go


def workloads(size: int = SIZES[-1]) -> Iterator[Workload]:
    """For ``--cprofile``: the op mix at ``size`` connections, per profile."""
    for profile in Profile:
        yield Workload(
            f"{profile.value}, {MIX:,} ops at {size:,} connections", stepping(populated(profile, size), mix(size))
        )


def run() -> Section:
    """Measure every profile at both sizes."""
    table = [
        "| profile | µs/step at 100 | µs/step at 100,000 | ratio | repetitions, spread |",
        "|---|---|---|---|---|",
    ]
    notes = []
    for profile in Profile:
        figures: dict[str, Figure] = interleaved(
            {str(n): timed(stepping(populated(profile, n), mix(n))) for n in SIZES}, 15
        )
        small, large = figures[str(SIZES[0])], figures[str(SIZES[1])]
        ratio = Ratio(large, small)
        per = [figure.best / MIX * 1e6 for figure in (small, large)]
        spread = spread_text(ratio.spread, ratio.repeats)
        table.append(f"| {profile.value} | {per[0]:.1f} | {per[1]:.1f} | {ratio.value:.2f} | {spread} |")
        notes.append(f"model step {profile.value}: 100,000 vs 100 connections = {ratio.value:.2f}x ({spread})")
    return Section(
        title=f"Model step cost ({MIX} ops: add, est, 2x upd, del; dummy provider)", table=table, notes=notes
    )
