"""The model's one entry point: ``step(state, op, now) -> (state, Observation)``.

Purpose: the pure function every consumer uses as the oracle: the sequential conformance machines,
the linearizability checker, the vector generator, the scenario runner and the contracts. It maps
each op of ``model.ops.LayerOp`` to the profile's rule (``model.rfc`` or ``model.strict``).

Promises: pure and total over well-formed ops, except where the RFC code has undefined behaviour:
in the rfc profiles such an op raises ``model.rfc.Undefined`` (RFC-NULL); the Observation holds the
op's result and the trace of provider calls; marks are read from the returned state with
``model.state.mark_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from model import registry, rfc, strict, strict_batch
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
    QueryMark,
    Register,
    Result,
    SubmitBatch,
    Trace,
    Unregister,
    Update,
)
from model.state import LayerState, mark_of
from model.vocab import OpType, Profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """What one operation shows (docs/spec.rst, 'The observable', items 1 and 2): its result and trace."""

    result: Result
    trace: Trace


def step(state: LayerState, op: LayerOp, now: int = 0) -> tuple[LayerState, Observation]:
    """Apply ``op`` at time ``now`` (ms) under ``state.profile``."""
    if state.profile is Profile.STRICT:
        state, trace, result = _strict(state, op, now)
    else:
        state, trace, result = _rfc(state, op, now)
    return state, Observation(result=result, trace=trace)


def _rfc(state: LayerState, op: LayerOp, now: int) -> tuple[LayerState, Trace, Result]:
    match op:
        case Register(provider=ident):
            return registry.register(state, ident, now)
        case Unregister(provider=ident):
            return registry.unregister(state, ident)
        case Add(ctx=ctx):
            return rfc.add(state, ctx, now)
        case Delete(ctx=ctx):
            state, trace = rfc.delete(state, ctx, now)
            return state, trace, None
        case Update(ctx=ctx):
            return rfc.update(state, ctx, now)
        case Established(ctx=ctx):
            state, trace, _ = rfc.established(state, ctx, now)
            return state, trace, None
        case CanOffload(ctx=ctx):
            return rfc.can_offload(state, ctx, now)
        case Flush():
            state, trace = rfc.flush(state, now)
            return state, trace, None
        case SubmitBatch(ops=ops):
            return rfc.submit_batch(state, ops, now)
        case QueryMark(conn=conn):
            return state, (), mark_of(state, conn)
        case _:
            assert_never(op)


def _strict(state: LayerState, op: LayerOp, now: int) -> tuple[LayerState, Trace, Result]:
    match op:
        case Register(provider=ident):
            return registry.register(state, ident, now)
        case Unregister(provider=ident):
            return strict.unregister(state, ident)
        case Add(ctx=ctx):
            state, trace, outcome = _single(state, OpType.ADD, ctx, now)
            return state, trace, outcome.error
        case Delete(ctx=ctx):
            state, trace, _ = _single(state, OpType.DEL, ctx, now)
            return state, trace, None
        case Update(ctx=ctx):
            state, trace, outcome = _single(state, OpType.UPD, ctx, now)
            return state, trace, outcome.last_used
        case Established(ctx=ctx):
            state, trace, _ = _single(state, OpType.EST, ctx, now)
            return state, trace, None
        case CanOffload(ctx=ctx):
            state, trace, outcome = _single(state, OpType.POLICY, ctx, now)
            return state, trace, outcome.error == 0
        case Flush():
            state, trace, _ = _single(state, OpType.FLUSH, Ctx(conn=None), now)
            return state, trace, None
        case SubmitBatch(ops=ops):
            return strict_batch.submit_batch(state, ops, now)
        case QueryMark(conn=conn):
            return state, (), mark_of(state, conn)
        case _:
            assert_never(op)


def _single(state: LayerState, kind: OpType, ctx: Ctx, now: int) -> tuple[LayerState, Trace, BatchResult]:
    return strict.apply_op(state, BatchOp(kind=kind, ctx=ctx), now)


def run(state: LayerState, ops: tuple[LayerOp, ...], now: int = 0) -> tuple[LayerState, tuple[Observation, ...]]:
    """Apply ``ops`` in order at time ``now``; the final state and each op's Observation."""
    observations: list[Observation] = []
    for op in ops:
        state, observation = step(state, op, now)
        observations.append(observation)
    return state, tuple(observations)
