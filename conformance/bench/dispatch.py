"""Benchmark: the layer's dispatch cost per op, single and batched, against calling providers directly.

Purpose: what the layer adds to its providers' own work (issue 16, items 1 and 2). For each profile
and 1 and 4 providers, 5,000 connections are added, refreshed and deleted (15,000 ops):

- with the RFC's dummy provider: through the single-op API, through three batches (one per kind),
  and by a floor loop calling the same dummy callbacks directly, the ones the layer would call in
  that profile, in the same order (ADD: ``can_offload`` then ``conn_add`` of each provider; UPD:
  rfc stops at the first timestamp, strict asks every holder; DEL: every ``conn_del``);
- with bare scripted callbacks that do almost nothing (the harsher floor, where nearly all the
  time is the layer's): through the single-op API and by the same floor loop.

Promises: every figure is the best of ``REPEATS`` repetitions, all the runs of one configuration
interleaved; the goals are single/floor <= 3 (rfc) and <= 4 (strict) with the dummy, and
batch/single <= 0.8, with the dummy and with the bare scripted callbacks (where the providers'
own work does not hide the layer's); each round leaves the layer and the providers empty, so
every repetition does the same work. ``workloads`` hands ``--cprofile`` the single-op and the
batched rounds with 4 dummy providers, built the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from conformance.bench.profiling import Workload
from conformance.bench.timing import Goal, Ratio, Section, interleaved, ratio_goal, spread_text, timed
from impl.batch import Batch
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.conn import Ctx
from model.vocab import OpType, Profile

N_CONNS = 5_000
CLOCK = 50_000
SINGLE_GOAL = {Profile.RFC_V1: 3.0, Profile.RFC_V2: 3.0, Profile.STRICT: 4.0}
BATCH_GOAL = 0.8


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

    def offload_class(self, name: str) -> OffloadClass:
        return OffloadClass(
            name,
            can_offload=self.can_offload,
            conn_add=self.conn_add,
            conn_update=self.conn_update,
            conn_del=self.conn_del,
        )


Provider = Cheap | DummyProvider


def _floor(profile: Profile, providers: Sequence[Provider], ctxs: list[Ctx]) -> Callable[[], None]:
    """The callbacks the layer would call for the round, called directly."""
    adds = [(p.can_offload, p.conn_add) for p in providers]
    updates = [p.conn_update for p in providers]
    deletes = [p.conn_del for p in providers]
    every_holder = profile is Profile.STRICT

    def go() -> None:
        for ctx in ctxs:
            for can, add in adds:
                if can(ctx):
                    add(ctx)
        for ctx in ctxs:
            for update in updates:
                if update(ctx) and not every_holder:
                    break
        for ctx in ctxs:
            for delete in deletes:
                delete(ctx)

    return go


def _single(layer: OffloadLayer, ctxs: list[Ctx]) -> Callable[[], None]:
    def go() -> None:
        add, update, delete = layer.conn_add, layer.conn_update, layer.conn_del
        for ctx in ctxs:
            add(ctx)
        for ctx in ctxs:
            update(ctx)
        for ctx in ctxs:
            delete(ctx)

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


def _layer(profile: Profile, providers: Sequence[Provider]) -> OffloadLayer:
    layer = OffloadLayer(profile)
    for i, provider in enumerate(providers):
        layer.register(provider.offload_class(f"p{i}"))
    return layer


def _dummies(n: int) -> list[DummyProvider]:
    return [DummyProvider(clock=lambda: CLOCK) for _ in range(n)]


def workloads(providers: int = 4, conns: int = N_CONNS) -> Iterator[Workload]:
    """For ``--cprofile``: the single-op and the batched rounds with ``providers`` dummy providers
    (4: the configuration whose batch goal is not met), in every profile."""
    ctxs = [Ctx.of(c) for c in range(conns)]
    for profile in Profile:
        where = f"{profile.value}, {providers} dummy providers, {conns:,} connections added, refreshed, deleted"
        yield Workload(f"{where}, single-op API", _single(_layer(profile, _dummies(providers)), ctxs))
        yield Workload(f"{where}, three batches", _batched(_layer(profile, _dummies(providers)), ctxs))


def run() -> Section:
    """Measure every profile with 1 and 4 providers."""
    ctxs = [Ctx.of(c) for c in range(N_CONNS)]
    ops = 3 * N_CONNS
    table = [
        "| profile | providers | dummy floor µs/op | single µs/op | batch µs/op | single/floor | batch/single "
        "| scripted floor µs/op | single µs/op | single/floor | batch/single |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    goals: list[Goal] = []
    for n in (1, 4):
        for profile in Profile:
            cheap = [Cheap() for _ in range(n)]
            figures = interleaved(
                {
                    "floor": timed(_floor(profile, _dummies(n), ctxs)),
                    "single": timed(_single(_layer(profile, _dummies(n)), ctxs)),
                    "batch": timed(_batched(_layer(profile, _dummies(n)), ctxs)),
                    "cheap floor": timed(_floor(profile, cheap, ctxs)),
                    "cheap single": timed(_single(_layer(profile, [Cheap() for _ in range(n)]), ctxs)),
                    "cheap batch": timed(_batched(_layer(profile, [Cheap() for _ in range(n)]), ctxs)),
                }
            )
            single = Ratio(figures["single"], figures["floor"])
            batch = Ratio(figures["batch"], figures["single"])
            cheap_single = Ratio(figures["cheap single"], figures["cheap floor"])
            cheap_batch = Ratio(figures["cheap batch"], figures["cheap single"])
            us = {name: figure.best / ops * 1e6 for name, figure in figures.items()}
            table.append(
                f"| {profile.value} | {n} | {us['floor']:.2f} | {us['single']:.2f} | {us['batch']:.2f} "
                f"| {single.value:.2f}x | {batch.value:.2f}x | {us['cheap floor']:.2f} | {us['cheap single']:.2f} "
                f"| {cheap_single.value:.2f}x | {cheap_batch.value:.2f}x |"
            )
            where = f"{profile.value}, {n} dummy provider(s)"
            goals.append(
                ratio_goal(2, f"single-op API / dummy floor, {where}", single, SINGLE_GOAL[profile], at_least=False)
            )
            goals.append(ratio_goal(1, f"batch / single-op per op, {where}", batch, BATCH_GOAL, at_least=False))
            goals.append(
                ratio_goal(
                    1,
                    f"batch / single-op per op, {profile.value}, {n} bare scripted provider(s)",
                    cheap_batch,
                    BATCH_GOAL,
                    at_least=False,
                )
            )
            notes.append(
                f"{where}: single {single.value:.2f}x the dummy floor ({spread_text(single.spread, single.repeats)}), "
                f"batch {batch.value:.2f}x single; bare scripted callbacks: single {cheap_single.value:.2f}x their "
                f"floor ({spread_text(cheap_single.spread, cheap_single.repeats)}), batch {cheap_batch.value:.2f}x "
                "their single"
            )
    return Section(
        title=f"Dispatch cost per op ({N_CONNS:,} connections added, refreshed, deleted)",
        table=table,
        notes=notes,
        goals=goals,
    )
