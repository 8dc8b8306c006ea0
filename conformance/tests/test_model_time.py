"""Time is an argument: every provider callback the model calls is handed the time of the
operation that calls it, on every path of every profile (single ops, batch fallbacks, native
batches, batches of one for the single-op path, the tracker's packets, sweeps, flushes and retried
removals).

The providers here are ``Witness`` behaviours: they accept everything, answer UPD with the time
they are given, and keep every (callback, time) they saw in their own state, which the test then
reads. A rule that handed a provider no time, or another operation's, would show.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from model.conn import Ctx
from model.ops import (
    Add,
    BatchOp,
    BatchResult,
    CanOffload,
    Delete,
    Established,
    Flush,
    LayerOp,
    Register,
    SubmitBatch,
    Unregister,
    Update,
)
from model.provider import BatchItem, Behaviour, ProviderSpec, ProviderState
from model.rfc import Undefined
from model.state import LayerState, initial_state, mark_of
from model.step import step
from model.tracker import Commit, FlushAll, FlushFlow, ForceExpire, Reply, Sweep, TrackerConfig, TrackerOp, start
from model.tracker_sweep import tracker_step
from model.vocab import PER_OP_CALLBACKS, Callback, Mark, OpType, Profile

pytestmark = pytest.mark.conformance
PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
Seen = tuple[tuple[str, object], ...]


def seen(state: ProviderState) -> Seen:
    """A Witness's state: what it saw, in order."""
    assert isinstance(state, tuple)
    return state


@dataclass(frozen=True, slots=True)
class Witness(Behaviour):
    """Takes everything, answers UPD with the time it is given, and remembers every time it saw.
    With ``fail_del`` its first ``conn_del`` (or a DEL in a batch) fails with EIO; with ``refuse``
    its ``conn_add`` fails with ENOSPC; with ``no_data`` its ``conn_update`` answers 0 (no timestamp)."""

    fail_del: bool = False
    refuse: bool = False
    no_data: bool = False

    def initial_state(self) -> ProviderState:
        return ()

    @staticmethod
    def _saw(state: ProviderState, what: str, now: object) -> Seen:
        assert isinstance(state, tuple)
        return (*state, (what, now))

    def _failing(self, state: ProviderState) -> bool:
        return self.fail_del and not any(what == "del" for what, _ in seen(state))

    def init(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return self._saw(state, "init", now), 0

    def can(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, bool]:
        return self._saw(state, "can", now), True

    def add(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return self._saw(state, "add", now), 28 if self.refuse else 0

    def delete(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        error = 5 if self._failing(state) else 0
        return self._saw(state, "del", now), error

    def update(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return self._saw(state, "upd", now), 0 if self.no_data else now

    def established(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return self._saw(state, "est", now), 0

    def flush(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return self._saw(state, "flush", now), 0

    def batch(
        self, state: ProviderState, items: tuple[BatchItem, ...], now: int
    ) -> tuple[ProviderState, tuple[BatchResult, ...]]:
        answers = []
        for _, op in items:
            if op.kind is OpType.DEL and self._failing(state):
                state = self._saw(state, "del", now)
                answers.append(BatchResult(error=5))
            else:
                answers.append(BatchResult(error=0, last_used=now if op.kind is OpType.UPD else 0))
        return self._saw(state, "batch", now), tuple(answers)


def world(*, fail_del: bool = False) -> tuple[ProviderSpec, ...]:
    """A provider with every per-op callback, one with only ``batch_submit`` (asked through batches
    of one on the single-op path), and one with both."""
    per_op = frozenset({Callback.INIT, *PER_OP_CALLBACKS})
    return (
        ProviderSpec(name="per-op", callbacks=per_op, behaviour=Witness(fail_del=fail_del)),
        ProviderSpec(name="batch-only", callbacks=frozenset({Callback.BATCH}), behaviour=Witness()),
        ProviderSpec(name="both", callbacks=per_op | {Callback.BATCH}, behaviour=Witness(fail_del=fail_del)),
    )


def batch(*kinds: OpType, conn: int = 1) -> SubmitBatch:
    return SubmitBatch(ops=tuple(BatchOp(kind=kind, ctx=Ctx.of(conn)) for kind in kinds))


def ops() -> list[LayerOp]:
    """Every op kind on its own and in batches, on connection 1 (and 2), then again after an
    unregistration and a registration."""
    ctx = Ctx.of(1)
    single: list[LayerOp] = [Add(ctx=ctx), CanOffload(ctx=ctx), Established(ctx=ctx), Update(ctx=ctx)]
    single += [Delete(ctx=ctx), Add(ctx=ctx), Flush()]
    batches: list[LayerOp] = [
        batch(OpType.ADD, OpType.EST, OpType.UPD, OpType.POLICY),
        batch(OpType.UPD, OpType.DEL, OpType.ADD, OpType.FLUSH),
        batch(OpType.ADD, conn=2),
        batch(OpType.DEL, conn=2),
    ]
    return [*single, *batches, Unregister(provider=2), Register(provider=2), Add(ctx=Ctx.of(3))]


def times_seen(state: LayerState) -> set[object]:
    return {now for pstate in state.pstates for _, now in seen(pstate)}


@PROFILES
@pytest.mark.parametrize("fail_del", [False, True], ids=["dels-succeed", "first-del-fails"])
def test_every_callback_of_every_layer_op_sees_that_ops_time(profile: Profile, fail_del: bool) -> None:
    state = initial_state(profile, world(fail_del=fail_del))
    for ident in range(3):
        state, _ = step(state, Register(provider=ident), 1)
    assert times_seen(state) == {1}
    for index, op in enumerate(ops(), start=2):
        before = {ident: len(seen(p)) for ident, p in enumerate(state.pstates)}
        try:
            state, _ = step(state, op, index * 1000)
        except Undefined:  # not reached: every op here names a connection
            pytest.fail(f"{op} is undefined")
        new = {now for ident, p in enumerate(state.pstates) for _, now in seen(p)[before[ident] :]}
        assert new <= {index * 1000}, f"{op} at {index * 1000}: providers saw {new}"
        if isinstance(op, Delete) and profile is Profile.STRICT:
            # A conn_del that answers an errno failed: strict keeps the mark (STRICT-KEEP).
            assert (mark_of(state, 1) is not Mark.NONE) == fail_del
    seen_callbacks = {what for p in state.pstates for what, _ in seen(p)}
    assert seen_callbacks >= {"init", "can", "add", "del", "upd", "est", "flush", "batch"}


@PROFILES
@pytest.mark.parametrize("fail_del", [False, True], ids=["dels-succeed", "first-del-fails"])
def test_every_callback_of_every_tracker_event_sees_that_events_time(profile: Profile, fail_del: bool) -> None:
    names = tuple(spec.name for spec in world())
    config = TrackerConfig(dpif_classes=names, requested=names, n_conn_limit=128)
    state, _, _ = start(profile, world(fail_del=fail_del), config)
    events: list[tuple[int, TrackerOp]] = [
        (1000, Commit(flow=0)),
        (2000, Commit(flow=1)),
        (3000, Reply(flow=0)),
        (70_000, Sweep()),  # both expired: refreshed (rfc) or asked (strict)
        (80_000, FlushFlow(flow=1)),  # a removal (that may fail, and is then retried)
        (90_000, Sweep()),
        (91_000, Commit(flow=2)),
        (95_000, FlushAll()),
        (99_000, Sweep()),
    ]
    for now, event in events:
        before = [len(seen(p)) for p in state.layer.pstates]
        state, _ = tracker_step(state, event, now)
        new = {t for p, n in zip(state.layer.pstates, before, strict=True) for _, t in seen(p)[n:]}
        assert new <= {now}, f"{event} at {now}: providers saw {new}"
    seen_callbacks = {what for p in state.layer.pstates for what, _ in seen(p)}
    assert {"add", "del", "est"} <= seen_callbacks
    assert "upd" in seen_callbacks or "batch" in seen_callbacks


SWEEP_CLEANS: dict[str, tuple[Witness, list[Profile], list[tuple[int, TrackerOp]]]] = {
    # TRACK-SWEEP-RFC: an expired connection nothing offloaded is cleaned during the walk (rfc-v1
    # tells the layer of every clean).
    "expired-not-offloaded": (Witness(refuse=True), [Profile.RFC_V1], [(1000, Commit(flow=0))]),
    # TRACK-SWEEP-RFC and -STRICT: a UPD without data cleans its expired connection.
    "no-data": (Witness(no_data=True), list(Profile), [(1000, Commit(flow=0))]),
    # TRACK-SWEEP-STRICT: a force-expired offloaded connection is cleaned without asking.
    "forced": (Witness(), [Profile.STRICT], [(1000, Commit(flow=0)), (2000, ForceExpire(flow=0))]),
}


@pytest.mark.parametrize("case", list(SWEEP_CLEANS))
def test_a_connection_the_sweep_cleans_is_removed_at_the_sweeps_time(case: str) -> None:
    behaviour, profiles, events = SWEEP_CLEANS[case]
    spec = ProviderSpec(name="p", callbacks=frozenset({Callback.INIT, *PER_OP_CALLBACKS}), behaviour=behaviour)
    for profile in profiles:
        config = TrackerConfig(dpif_classes=("p",), requested=("p",), n_conn_limit=128)
        state, _, _ = start(profile, (spec,), config)
        for now, event in events:
            state, _ = tracker_step(state, event, now)
        before = len(seen(state.layer.pstates[0]))
        state, step_ = tracker_step(state, Sweep(), 70_000)
        assert step_.result.cleaned, f"{case} {profile.value}: nothing cleaned"  # type: ignore[union-attr]
        new = seen(state.layer.pstates[0])[before:]
        assert ("del", 70_000) in new and {t for _, t in new} == {70_000}, f"{case} {profile.value}: {new}"


def test_a_native_provider_asked_about_policy_alone_sees_the_ops_time() -> None:
    # STRICT-ASK-POLICY: a native class without can_offload is asked through a batch of one (in
    # ``world`` the per-op class answers first and stops the search, so it is asked alone here).
    spec = ProviderSpec(name="batch-only", callbacks=frozenset({Callback.BATCH}), behaviour=Witness())
    state = initial_state(Profile.STRICT, (spec,))
    state, _ = step(state, Register(provider=0), 1000)
    state, _ = step(state, CanOffload(ctx=Ctx.of(1)), 2000)
    assert seen(state.pstates[0])[-1] == ("batch", 2000)
