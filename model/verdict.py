"""Strict profile, part 1: what one provider answers for one op, and how answers combine.

Purpose: under strict every provider gives a verdict (an errno, plus a timestamp for UPD) for every
op it is asked about, through whichever path serves it; the op's result is a fixed combination of
the verdicts of the providers asked, in registration order. The RFC instead folds answers ad hoc per
function and drops some of them (docs/errata.rst).

Rule STRICT-RAISE: a callback that raises gives its provider's verdict EIO for the op (for a raising
``batch_submit``, for every op it was handed); the remaining providers are still asked, and the
provider's own state is left as it was.

Promises: ``ask_*`` call at most the callbacks their docstring names and return the new state, the
calls made and the verdict; ``combine_any`` and ``combine_all`` are total pure functions.
"""

from __future__ import annotations

from model.conn import Ctx
from model.invoke import (
    Raised,
    invoke_add,
    invoke_batch,
    invoke_can,
    invoke_del,
    invoke_est,
    invoke_flush,
    invoke_upd,
)
from model.ops import BatchOp, BatchResult, Call
from model.state import LayerState
from model.vocab import Callback, Errno, OpType

#: What one provider answers for one op: (state after, calls made, verdict).
Asked = tuple[LayerState, tuple[Call, ...], BatchResult]

#: The verdict of a provider with no opinion on an op: it declined an ADD, has no timestamp for an
#: UPD, or would not take a POLICY'd connection. DEL, EST and FLUSH have no such code: a provider
#: that has nothing to do for them succeeded.
NO_OPINION: dict[OpType, int] = {
    OpType.ADD: Errno.EOPNOTSUPP,
    OpType.UPD: Errno.ENODATA,
    OpType.POLICY: Errno.EPERM,
}

#: The verdict of a callback that raised (rule STRICT-RAISE).
RAISED_VERDICT = BatchResult(error=Errno.EIO)


def takes_connections(state: LayerState, ident: int) -> bool:
    """Rule STRICT-CAPABLE: a provider can hold connections iff it has ``conn_add`` or
    ``batch_submit``; one with neither is never asked about ADD or POLICY."""
    spec = state.spec(ident)
    return spec.has(Callback.ADD) or spec.native


def normalise_upd(answer: BatchResult) -> BatchResult:
    """An UPD verdict in canonical form: an error carries no timestamp, and a success needs a
    positive one (a timestamp <= 0 is no data, whatever the RFC made of -1)."""
    if answer.error:
        return BatchResult(error=answer.error)
    if answer.last_used > 0:
        return answer
    return BatchResult(error=Errno.ENODATA)


def ask_one_op(state: LayerState, ident: int, op: BatchOp, now: int) -> Asked:
    """Rule STRICT-MISSING: serve ``op`` through ``batch_submit`` with a batch of one. Used on the
    single-op path for a native provider that lacks the per-op callback, so that a missing callback
    means the same thing on every path, and a provider with only ``batch_submit`` has its say
    (E-BATCH-ONLY)."""
    state, call, answer = invoke_batch(state, ident, ((None, op),), now)
    verdict = RAISED_VERDICT if isinstance(answer, Raised) else answer[0]
    return state, (call,), verdict


def ask_add(state: LayerState, ident: int, ctx: Ctx, now: int) -> Asked:
    """Rule STRICT-ASK-ADD: a provider's verdict on an ADD.

    No ``conn_add`` and no ``batch_submit``: EOPNOTSUPP, no call. Otherwise, if it has
    ``can_offload``, ask it first: false declines (EOPNOTSUPP). Then ``conn_add`` if it exists,
    else a batch of one. A raising callback gives EIO.
    """
    if not takes_connections(state, ident):
        return state, (), BatchResult(error=Errno.EOPNOTSUPP)
    spec = state.spec(ident)
    calls: tuple[Call, ...] = ()
    if spec.has(Callback.CAN):
        state, call, allowed = invoke_can(state, ident, ctx, now)
        calls = (call,)
        if isinstance(allowed, Raised):
            return state, calls, RAISED_VERDICT
        if not allowed:
            return state, calls, BatchResult(error=Errno.EOPNOTSUPP)
    if not spec.has(Callback.ADD):
        state, more, verdict = ask_one_op(state, ident, BatchOp(kind=OpType.ADD, ctx=ctx), now)
        return state, calls + more, verdict
    state, call, answer = invoke_add(state, ident, ctx, now)
    verdict = RAISED_VERDICT if isinstance(answer, Raised) else BatchResult(error=answer)
    return state, (*calls, call), verdict


def ask_policy(state: LayerState, ident: int, ctx: Ctx, now: int) -> Asked:
    """Rule STRICT-ASK-POLICY: would this provider take ``ctx``? 0 or EPERM.

    A provider that cannot hold connections: EPERM, no call. One with ``can_offload``: its answer.
    One without: yes (a missing ``can_offload`` means yes here exactly as in ADD), except that a
    native provider without it is asked through a batch of one.
    """
    if not takes_connections(state, ident):
        return state, (), BatchResult(error=Errno.EPERM)
    spec = state.spec(ident)
    if spec.has(Callback.CAN):
        state, call, allowed = invoke_can(state, ident, ctx, now)
        if isinstance(allowed, Raised):
            return state, (call,), RAISED_VERDICT
        return state, (call,), BatchResult(error=0 if allowed else Errno.EPERM)
    if spec.native:
        return ask_one_op(state, ident, BatchOp(kind=OpType.POLICY, ctx=ctx), now)
    return state, (), BatchResult(error=0)


def ask_upd(state: LayerState, ident: int, ctx: Ctx, now: int) -> Asked:
    """Rule STRICT-ASK-UPD: ``conn_update`` (or a batch of one), normalised by ``normalise_upd``;
    a provider with neither has no data (ENODATA, no call)."""
    spec = state.spec(ident)
    if spec.has(Callback.UPD):
        state, call, answer = invoke_upd(state, ident, ctx, now)
        verdict = RAISED_VERDICT if isinstance(answer, Raised) else BatchResult(error=0, last_used=answer)
        return state, (call,), normalise_upd(verdict)
    if spec.native:
        state, calls, verdict = ask_one_op(state, ident, BatchOp(kind=OpType.UPD, ctx=ctx), now)
        return state, calls, normalise_upd(verdict)
    return state, (), BatchResult(error=Errno.ENODATA)


def ask_void(state: LayerState, ident: int, kind: OpType, ctx: Ctx, now: int) -> Asked:
    """Rule STRICT-ASK-VOID: DEL, EST or FLUSH. The callback's answer: it is void in C, but a Python
    callback may return an errno, which is its verdict (None or 0: done; EIO if it raises), so a
    failure is not lost on the single-op path either; else a batch of one for a native provider;
    else nothing to do (0, no call)."""
    callback = {OpType.DEL: Callback.DEL, OpType.EST: Callback.EST, OpType.FLUSH: Callback.FLUSH}[kind]
    spec = state.spec(ident)
    if spec.has(callback):
        if kind is OpType.DEL:
            state, call, answer = invoke_del(state, ident, ctx, now)
        elif kind is OpType.EST:
            state, call, answer = invoke_est(state, ident, ctx, now)
        else:
            state, call, answer = invoke_flush(state, ident, now)
        return state, (call,), RAISED_VERDICT if isinstance(answer, Raised) else BatchResult(error=answer)
    if spec.native:
        return ask_one_op(state, ident, BatchOp(kind=kind, ctx=ctx), now)
    return state, (), BatchResult(error=0)


def combine_any(errors: tuple[int, ...], no_opinion: int) -> int:
    """Rule STRICT-COMBINE-ANY (ADD, UPD, POLICY: success if any provider succeeded).

    0 if some verdict is 0; else the first verdict, in registration order, that is a real error
    (not ``no_opinion``); else ``no_opinion`` (also when nobody was asked).

    pre: no_opinion != 0
    post: (__return__ == 0) == (0 in errors)
    post: __return__ == no_opinion or __return__ in errors
    """
    # crosshair: per_condition_timeout=15
    if 0 in errors:
        return 0
    for error in errors:
        if error != no_opinion:
            return error
    return no_opinion


def combine_all(errors: tuple[int, ...]) -> int:
    """Rule STRICT-COMBINE-ALL (DEL, EST, FLUSH: every provider must succeed).

    The first non-zero verdict in registration order, else 0 (also when nobody was asked).

    post: (__return__ == 0) == all(e == 0 for e in errors)
    """
    # crosshair: per_condition_timeout=15
    for error in errors:
        if error:
            return error
    return 0
