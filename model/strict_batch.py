"""Strict profile, part 3: batch submission, cut into segments so it refines the single-op API.

Purpose: rule STRICT-BATCH replaces RFC-BATCH. A batch is observationally equal to its ops applied
one by one through the single-op API under one lock (the batch refinement law, ``model.laws``); a
native ``batch_submit`` is only a faster way of asking the same providers the same questions, and
what it writes into an op is that provider's verdict, never overwritten (E-BATCH-LOST).

Promises: pure functions; ``segments`` is a partition of the op indices into runs that keep the
batch order.
"""

from __future__ import annotations

from model.invoke import Raised, invoke_batch
from model.ops import BatchOp, BatchResult, Call, InvalidType
from model.provider import BatchItem
from model.state import LayerState
from model.strict import Answered, Ask, ask, effect, gate, stops_early
from model.verdict import RAISED_VERDICT, normalise_upd
from model.vocab import OpType


def names_connection(op: BatchOp) -> int | None:
    """The connection an op acts on for segmentation: None for invalid ops, NULL conns and FLUSH."""
    if isinstance(op.kind, InvalidType) or op.kind is OpType.FLUSH:
        return None
    return op.conn_id


def segments(ops: tuple[BatchOp, ...]) -> tuple[tuple[int, ...], ...]:
    """Rule STRICT-SEGMENT: cut the batch into runs of consecutive ops.

    A run ends before an op that names a connection already named in the run, and a FLUSH is a run
    of its own. Within a run no op's gate can depend on an earlier op of the same run, so every op
    can be gated against the state at the start of its run.

    post: tuple(i for run in __return__ for i in run) == tuple(range(len(ops)))
    post: all(len(run) > 0 for run in __return__)
    post: all(len(_named(ops, run)) == len(set(_named(ops, run))) for run in __return__)
    post: all(len(run) == 1 for run in __return__ if any(ops[i].kind is OpType.FLUSH for i in run))
    """
    # crosshair: per_condition_timeout=30
    runs: list[tuple[int, ...]] = []
    current: list[int] = []
    seen: set[int] = set()
    for index, op in enumerate(ops):
        conn = names_connection(op)
        if op.kind is OpType.FLUSH or (conn is not None and conn in seen):
            if current:
                runs.append(tuple(current))
            current, seen = [], set()
        current.append(index)
        if conn is not None:
            seen.add(conn)
        if op.kind is OpType.FLUSH:
            runs.append(tuple(current))
            current = []
    if current:
        runs.append(tuple(current))
    return tuple(runs)


def _named(ops: tuple[BatchOp, ...], run: tuple[int, ...]) -> list[int]:
    """The connections the ops of ``run`` name (for STRICT-SEGMENT's contract)."""
    return [c for c in (names_connection(ops[i]) for i in run) if c is not None]


def submit_batch(
    state: LayerState, ops: tuple[BatchOp, ...], now: int
) -> tuple[LayerState, tuple[Call, ...], tuple[BatchResult, ...]]:
    """Rule STRICT-BATCH (replaces RFC-BATCH).

    For each run of STRICT-SEGMENT, in order:

    1. gate every op of the run (STRICT-GATE) against the state at the start of the run; an op the
       layer answers itself reaches no provider (an empty batch reaches none at all, E-BATCH-EMPTY);
    2. hand each native provider, in registration order, one ``batch_submit`` with the ops of the
       run it is a target of (none if there are none): what it writes into an op is its verdict
       (an UPD verdict normalised as STRICT-ASK-UPD: no positive timestamp, no data); if it raises,
       every op it was handed gets EIO;
    3. for each op in order, ask the other targets through their per-op callbacks (STRICT-ASK), in
       registration order, stopping early as STRICT-POLICY-STOP says (a native verdict counts where
       its provider stands in the registry);
    4. apply STRICT-EFFECT to each op in order.
    """
    results: dict[int, BatchResult] = {}
    calls: list[Call] = []
    for run in segments(ops):
        state = _run(state, ops, run, now, calls=calls, results=results)
    return state, tuple(calls), tuple(results[i] for i in range(len(ops)))


def _run(
    state: LayerState,
    ops: tuple[BatchOp, ...],
    run: tuple[int, ...],
    now: int,
    *,
    calls: list[Call],
    results: dict[int, BatchResult],
) -> LayerState:
    """Steps 1-4 of STRICT-BATCH for one run; appends to ``calls`` and fills ``results``."""
    gates = {i: gate(state, ops[i]) for i in run}
    native: dict[tuple[int, int], BatchResult] = {}
    for ident in state.registry:
        if not state.spec(ident).native:
            continue
        handed = tuple(i for i in run if ident in _targets(gates[i]))
        if not handed:
            continue
        items: tuple[BatchItem, ...] = tuple((i, ops[i]) for i in handed)
        state, call, answers = invoke_batch(state, ident, items, now)
        calls.append(call)
        for position, i in enumerate(handed):
            verdict = RAISED_VERDICT if isinstance(answers, Raised) else answers[position]
            native[(i, ident)] = normalise_upd(verdict) if ops[i].kind is OpType.UPD else verdict
    for i in run:
        decided = gates[i]
        if isinstance(decided, Answered):
            results[i] = BatchResult(error=decided.error)
            continue
        verdicts: list[tuple[int, BatchResult]] = []
        for ident in decided.targets:
            if (i, ident) in native:
                verdict = native[(i, ident)]
            else:
                state, made, verdict = ask(state, ident, decided.kind, ops[i].ctx, now)
                calls.extend(made)
            verdicts.append((ident, verdict))
            if stops_early(decided.kind, verdict):
                break
        state, results[i] = effect(state, ops[i], tuple(verdicts))
    return state


def _targets(decided: Answered | Ask) -> tuple[int, ...]:
    return decided.targets if isinstance(decided, Ask) else ()
