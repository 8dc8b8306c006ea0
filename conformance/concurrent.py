"""Concurrent conformance: run threads of operations on impl, record the history, check it.

Purpose: the glue of layer 2 of the suite (docs/conformance.rst). ``run_threads`` drives one
``ImplRunner`` from several threads (under the deterministic ``Scheduler`` when choices are given,
on real free-running threads otherwise) and returns the history; ``verdict_of_run`` checks it
against the model from the same initial state. ``real_thread_history`` is the seeded workload the
tests and the checker benchmark share: ``THREADS`` threads of ``OPS`` random operations (single ops,
batches, mark reads; optionally a flush every so often) on two providers, one of them native, run
on real threads with a tiny switch interval so that calls overlap.

Promises: every operation a thread runs is recorded; the model state the checker starts from is
the one ``ModelRunner`` builds from the same provider declarations; a seed gives the same workload
(the interleaving is the threads').
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Sequence

from conformance.history import History, Operation
from conformance.impl_target import ImplRunner
from conformance.linearizability import Verdict, check
from conformance.model_target import ModelRunner
from conformance.scenario import ProviderDecl, parse_scenario
from conformance.scheduler import Scheduler
from model.conn import Ctx
from model.ops import Add, BatchOp, Delete, Established, Flush, LayerOp, QueryMark, Register, SubmitBatch, Update
from model.vocab import OpType, Profile

NOW = 7
THREADS, OPS = 4, 50
#: Two providers, one with ``batch_submit``: both dispatch paths run in every history.
PROVIDERS = parse_scenario(
    {"providers": [{"name": "a", "upd": {"1": 9, "2": 4}}, {"name": "b", "callbacks": ["add", "del", "est", "batch"]}]}
).providers


def prepared(providers: tuple[ProviderDecl, ...], profile: Profile) -> tuple[ImplRunner, ModelRunner]:
    """The implementation and the model, side by side, with every declared provider registered."""
    impl, model = ImplRunner(providers, profile), ModelRunner(providers, profile)
    for ident in range(len(providers)):
        impl.apply(Register(provider=ident), NOW)
        model.apply(Register(provider=ident), NOW)
    return impl, model


def run_threads(
    impl: ImplRunner, threads: Sequence[Sequence[LayerOp]], choices: Sequence[int] | None = None
) -> tuple[Operation, ...]:
    """Run each list of ops in its own thread against ``impl``; the recorded history."""
    history = History()

    def worker(index: int, ops: Sequence[LayerOp]) -> None:
        for op in ops:
            history.run(index, op, NOW, lambda op=op: impl.perform(op))  # type: ignore[misc]

    bodies = [lambda i=i, ops=ops: worker(i, ops) for i, ops in enumerate(threads)]
    if choices is not None:
        Scheduler(choices).run(bodies)
    else:
        started = [threading.Thread(target=body) for body in bodies]
        for t in started:
            t.start()
        for t in started:
            t.join(timeout=60)
    return history.operations()


def verdict_of_run(model: ModelRunner, history: Sequence[Operation]) -> Verdict:
    """Whether ``history`` is linearizable from the model's state."""
    return check(history, model.state)


def random_op(rng: random.Random, conns: int) -> LayerOp:
    """One operation of the random workload, on connections 1..``conns``: an add, an update, an
    establishment, a delete, a mark read, or a batch of one to three ops (among them the
    ``[DEL c, ADD c]`` a reader must never see half applied)."""
    conn = rng.randrange(1, conns + 1)
    kind = rng.choice(["add", "add", "upd", "est", "del", "mark", "mark", "batch", "batch"])
    if kind == "batch":
        if rng.random() < 0.3:
            ctx = Ctx.of(conn)
            return SubmitBatch(ops=(BatchOp(kind=OpType.DEL, ctx=ctx), BatchOp(kind=OpType.ADD, ctx=ctx)))
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


def random_threads(seed: int, conns: int, flush_every: int = 0) -> list[list[LayerOp]]:
    """``THREADS`` lists of ``OPS`` random operations (thread 0 flushes every ``flush_every``)."""
    rng = random.Random(seed)
    out: list[list[LayerOp]] = []
    for t in range(THREADS):
        ops = [random_op(rng, conns) for _ in range(OPS)]
        if flush_every:
            ops = [Flush() if (i + 1) % flush_every == 0 and t == 0 else op for i, op in enumerate(ops)]
        out.append(ops)
    return out


def real_thread_history(
    profile: Profile, seed: int, conns: int, flush_every: int = 0
) -> tuple[tuple[Operation, ...], ModelRunner]:
    """The seeded workload run on real threads (switch interval 1 us); the history, and the model
    runner whose state the checker starts from."""
    impl, model = prepared(PROVIDERS, profile)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        history = run_threads(impl, random_threads(seed, conns, flush_every))
    finally:
        sys.setswitchinterval(interval)
    return history, model
