"""The linearizability checker on histories known to be linearizable and known not to be, the
deterministic scheduler on the real impl, and a deliberately broken impl the two must catch."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from conformance import summary
from conformance.concurrent import prepared, real_thread_history, run_threads, verdict_of_run
from conformance.history import Operation
from conformance.linearizability import check, swim_lanes
from conformance.scenario import parse_scenario
from impl import sched
from impl.layer import OffloadLayer
from impl.lock import LayerLock
from model.conn import Ctx
from model.ops import Add, BatchOp, BatchResult, Delete, Flush, LayerOp, QueryMark, Result, SubmitBatch, Update
from model.vocab import Mark, OpType, Profile

pytestmark = pytest.mark.conformance
JSON = Any
PROVIDERS = parse_scenario(
    {"providers": [{"name": "a", "upd": {"1": 9}}, {"name": "b", "callbacks": ["add", "del", "batch"]}]}
).providers


def op(i: int, thread: int, layer_op: LayerOp, call: int, ret: int | None, result: Result) -> Operation:  # noqa: PLR0917
    return Operation(id=i, thread=thread, op=layer_op, call=call, ret=ret, result=result, now=7)


def start(profile: Profile = Profile.STRICT) -> Any:
    return prepared(PROVIDERS, profile)[1].state


def test_a_sequential_history_is_linearizable() -> None:
    h = [
        op(0, 0, Add(ctx=Ctx.of(1)), 0, 1, 0),
        op(1, 0, QueryMark(conn=1), 2, 3, Mark.ADDED),
        op(2, 0, Update(ctx=Ctx.of(1)), 4, 5, 9),
    ]
    assert check(h, start()).ok


def test_two_overlapping_adds_that_both_succeed_are_not_linearizable_under_strict() -> None:
    h = [op(0, 0, Add(ctx=Ctx.of(1)), 0, 3, 0), op(1, 1, Add(ctx=Ctx.of(1)), 1, 2, 0)]
    verdict = check(h, start())
    assert verdict.status == "fail"
    assert verdict.failed is not None and verdict.expected == 17
    report = swim_lanes(h, verdict)
    assert "first operation that cannot be placed" in report and "the model expected 17 (EEXIST)" in report


def test_a_read_may_see_either_side_of_an_overlapping_write() -> None:
    for seen in (Mark.NONE, Mark.ADDED):
        h = [op(0, 0, Add(ctx=Ctx.of(1)), 0, 3, 0), op(1, 1, QueryMark(conn=1), 1, 2, seen)]
        assert check(h, start()).ok
    late = [op(0, 0, Add(ctx=Ctx.of(1)), 0, 1, 0), op(1, 1, QueryMark(conn=1), 2, 3, Mark.NONE)]
    assert not check(late, start()).ok


def test_an_unknown_outcome_may_have_happened_or_not() -> None:
    for seen in (Mark.NONE, Mark.ADDED):
        h = [op(0, 0, Add(ctx=Ctx.of(1)), 0, None, None), op(1, 1, QueryMark(conn=1), 5, 6, seen)]
        assert check(h, start()).ok


def test_connections_are_checked_apart_and_a_barrier_carries_every_possible_state() -> None:
    h = [
        op(0, 0, Add(ctx=Ctx.of(1)), 0, 4, 0),
        op(1, 1, Delete(ctx=Ctx.of(1)), 1, 5, None),
        op(2, 2, Add(ctx=Ctx.of(2)), 2, 3, 0),
        op(3, 0, Flush(), 6, 7, None),
        op(4, 1, QueryMark(conn=1), 8, 9, Mark.NONE),
    ]
    assert check(h, start()).ok
    h_rfc = [*h[:4], op(4, 1, QueryMark(conn=1), 8, 9, Mark.ADDED)]
    assert check(h_rfc, start(Profile.RFC_V1)).ok  # rfc flush keeps marks: add after del is possible
    h_rfc_bad = [*h[:4], op(4, 1, QueryMark(conn=1), 8, 9, Mark.EST)]
    assert not check(h_rfc_bad, start(Profile.RFC_V1)).ok


def test_a_batch_is_one_operation() -> None:
    batch = SubmitBatch(ops=(BatchOp(kind=OpType.ADD, ctx=Ctx.of(1)), BatchOp(kind=OpType.ADD, ctx=Ctx.of(2))))
    h = [
        op(0, 0, batch, 0, 3, (BatchResult(error=0), BatchResult(error=0))),
        op(1, 1, QueryMark(conn=2), 1, 2, Mark.ADDED),
    ]
    assert check(h, start()).ok


OPS = st.sampled_from(["add", "del", "upd", "mark", "batch"])


def thread_ops(words: list[str], conns: list[int]) -> list[LayerOp]:
    out: list[LayerOp] = []
    for word, conn in zip(words, conns, strict=True):
        ctx = Ctx.of(conn)
        if word == "add":
            out.append(Add(ctx=ctx))
        elif word == "del":
            out.append(Delete(ctx=ctx))
        elif word == "upd":
            out.append(Update(ctx=ctx))
        elif word == "mark":
            out.append(QueryMark(conn=conn))
        else:
            out.append(
                SubmitBatch(ops=(BatchOp(kind=OpType.ADD, ctx=ctx), BatchOp(kind=OpType.UPD, ctx=Ctx.of(conn + 1))))
            )
    return out


@st.composite
def workload(draw: st.DrawFn) -> list[list[LayerOp]]:
    threads = []
    for _ in range(draw(st.integers(2, 3))):
        n = draw(st.integers(1, 4))
        threads.append(
            thread_ops(
                draw(st.lists(OPS, min_size=n, max_size=n)), draw(st.lists(st.integers(1, 2), min_size=n, max_size=n))
            )
        )
    return threads


@pytest.mark.parametrize("profile", [Profile.RFC_V1, Profile.STRICT], ids=["rfc-v1", "strict"])
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(threads=workload(), choices=st.lists(st.integers(0, 3), max_size=60))
def test_impl_histories_under_any_schedule_are_linearizable(
    profile: Profile, threads: list[list[LayerOp]], choices: list[int]
) -> None:
    impl, model = prepared(PROVIDERS, profile)
    history = run_threads(impl, threads, choices)
    verdict = verdict_of_run(model, history)
    assert verdict.ok, swim_lanes(history, verdict)


class NoLock(LayerLock):
    """A broken lock: it never excludes anybody (but still yields where the real one does)."""

    def acquire(self, method: str) -> None:
        sched.point("lock:acquire")

    def release(self) -> None:
        sched.point("lock:released")


def broken_runner(profile: Profile) -> Any:
    impl, model = prepared(PROVIDERS, profile)
    layer: OffloadLayer = impl.layer
    layer._lock = NoLock()  # deliberately broken for this test
    return impl, model


def test_the_scheduler_finds_the_race_of_a_layer_without_its_lock() -> None:
    threads = [thread_ops(["add"], [1]), thread_ops(["add"], [1])]

    def races(choices: list[int]) -> bool:
        impl, model = broken_runner(Profile.STRICT)
        return not verdict_of_run(model, run_threads(impl, threads, choices)).ok

    quick = settings(database=None, derandomize=True, max_examples=500, suppress_health_check=list(HealthCheck))
    choices = find(st.lists(st.integers(0, 1), max_size=12), races, settings=quick)
    impl, model = broken_runner(Profile.STRICT)
    history = run_threads(impl, threads, choices)
    verdict = verdict_of_run(model, history)
    assert verdict.status == "fail"
    assert "cannot be placed" in swim_lanes(history, verdict)
    same = run_threads(broken_runner(Profile.STRICT)[0], threads, choices)
    assert [o.result for o in same] == [o.result for o in history], "a schedule replays the same interleaving"
    correct, model = prepared(PROVIDERS, Profile.STRICT)
    assert verdict_of_run(model, run_threads(correct, threads, choices)).ok


def test_stress_on_real_threads_with_a_tiny_switch_interval() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(20):
            impl, model = prepared(PROVIDERS, Profile.STRICT if round_ % 2 else Profile.RFC_V1)
            threads = [thread_ops(["add", "mark", "upd", "del", "mark"], [1 + (t + round_) % 2] * 5) for t in range(4)]
            history = run_threads(impl, threads)
            verdict = verdict_of_run(model, history)
            assert verdict.ok, swim_lanes(history, verdict)
    finally:
        sys.setswitchinterval(interval)


#: Real-thread histories per profile: 1,000 in the deep run (``$CT_OFFLOAD_DEEP_HISTORIES``), enough
#: to find a failure that shows once in 100 histories with probability 1 - 0.99**1000; fewer in CI.
REAL_HISTORIES = {
    "deep": int(os.environ.get("CT_OFFLOAD_DEEP_HISTORIES", "1000")),
    "conformance": 60,
}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 20)


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_real_thread_histories_are_linearizable(profile: Profile) -> None:
    # The seeded random workload (batches, [DEL c, ADD c] among them, and lock-free mark reads) on
    # real threads, alternately spread over 16 connections and packed on 2.
    failures = []
    for seed in range(REAL_HISTORIES):
        history, model = real_thread_history(profile, seed, conns=2 if seed % 2 else 16)
        verdict = verdict_of_run(model, history)
        summary.count("histories")
        summary.count("history ops", len(history))
        if verdict.status == "fail":
            failures.append(f"seed {seed}:\n{swim_lanes(history, verdict)}")
    assert not failures, f"{len(failures)} of {REAL_HISTORIES} histories not linearizable:\n" + failures[0]
