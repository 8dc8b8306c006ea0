"""Benchmark: the layer's dispatch cost per op against a floor loop with no layer in between.

Purpose: the layer's dispatch cost per op, single and batched, against a floor. The floor loop calls
exactly the provider callbacks the layer would call (can_offload then conn_add for ADD, conn_update
for UPD, conn_del for DEL), in the same order, directly; the layer's cost is reported as a ratio to
it, for the single-op API and for batch submission, with 1 and 4 providers, in every profile.

Promises: every figure comes from the same run; ratios, not absolute times, are the result.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.bench.timing import Section, best_of
from impl.batch import Batch
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.conn import Ctx
from model.vocab import OpType, Profile

N_CONNS = 2_000
GOALS = {"batch": 1.5, "single": 3.0}


class Cheap:
    """A provider whose callbacks do almost nothing, so the layer's own cost shows."""

    def __init__(self) -> None:
        self.count = 0

    def can_offload(self, ctx: Ctx) -> bool:
        return True

    def conn_add(self, ctx: Ctx) -> int:
        self.count += 1
        return 0

    def conn_update(self, ctx: Ctx) -> int:
        return 12345

    def conn_del(self, ctx: Ctx) -> None:
        self.count -= 1


def _classes(n: int) -> list[tuple[Cheap, OffloadClass]]:
    out = []
    for i in range(n):
        p = Cheap()
        out.append(
            (
                p,
                OffloadClass(
                    name=f"cheap{i}",
                    can_offload=p.can_offload,
                    conn_add=p.conn_add,
                    conn_update=p.conn_update,
                    conn_del=p.conn_del,
                ),
            )
        )
    return out


def _floor(providers: list[Cheap], ctxs: list[Ctx]) -> Callable[[], None]:
    def go() -> None:
        for ctx in ctxs:
            for p in providers:
                if p.can_offload(ctx):
                    p.conn_add(ctx)
        for ctx in ctxs:
            for p in providers:
                if p.conn_update(ctx):
                    break
        for ctx in ctxs:
            for p in providers:
                p.conn_del(ctx)

    return go


def _single(layer: OffloadLayer, ctxs: list[Ctx]) -> Callable[[], None]:
    def go() -> None:
        for ctx in ctxs:
            layer.conn_add(ctx)
        for ctx in ctxs:
            layer.conn_update(ctx)
        for ctx in ctxs:
            layer.conn_del(ctx)

    return go


def _batched(layer: OffloadLayer, ctxs: list[Ctx]) -> Callable[[], None]:
    batches = []
    for kind in (OpType.ADD, OpType.UPD, OpType.DEL):
        batch = Batch()
        for ctx in ctxs:
            batch.add(kind, ctx)
        batches.append(batch)

    def go() -> None:
        for batch in batches:
            layer.submit(batch)

    return go


def run() -> Section:
    """Measure floor, single-op and batch for each profile and provider count."""
    ctxs = [Ctx.of(c) for c in range(N_CONNS)]
    table = [
        "| profile | providers | floor µs/op | single µs/op | batch µs/op | single/floor | batch/floor |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for n in (1, 4):
        for profile in Profile:
            pairs = _classes(n)
            layer = OffloadLayer(profile)
            for _, cls in pairs:
                layer.register(cls)
            providers = [p for p, _ in pairs]
            ops = 3 * N_CONNS
            floor = best_of(7, _floor(providers, ctxs)) / ops
            single = best_of(7, _single(layer, ctxs)) / ops
            batch = best_of(7, _batched(layer, ctxs)) / ops
            table.append(
                f"| {profile.value} | {n} | {floor * 1e6:.2f} | {single * 1e6:.2f} | {batch * 1e6:.2f} "
                f"| {single / floor:.2f} | {batch / floor:.2f} |"
            )
            notes.append(
                f"{profile.value}, {n} provider(s): single {single / floor:.2f}x floor (goal <= {GOALS['single']}), "
                f"batch {batch / floor:.2f}x floor (goal <= {GOALS['batch']})"
            )
    return Section(
        title=f"Dispatch cost per op ({N_CONNS} connections: add, update, delete each)", table=table, notes=notes
    )
