"""Calling one provider callback inside the model: the answer, the trace record, the new state.

Purpose: every dispatcher (rfc and strict) reaches providers only through these functions, so the
trace records exactly the callbacks invoked, in order, and a raising callback is handled in one
place.

Promises: each function returns the state with only that provider's own state changed, the
``Call`` to append to the trace, and the callback's answer or ``RAISED``; a raising callback leaves
the provider's state as it was.
"""

from __future__ import annotations

from typing import Final

from model.conn import Ctx
from model.ops import BatchResult, Call
from model.provider import BatchItem
from model.state import LayerState
from model.vocab import Callback


class Raised:
    """The answer of a callback that raised instead of returning."""

    _instance: Raised | None = None

    def __new__(cls) -> Raised:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "RAISED"


#: The one Raised value.
RAISED: Final = Raised()


def _call(state: LayerState, ident: int, callback: Callback, ctx: Ctx | None) -> Call:
    conn = None if ctx is None else ctx.conn_id
    return Call(provider=state.spec(ident).name, callback=callback, conn=conn)


def invoke_init(state: LayerState, ident: int, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``init()`` of provider ``ident``."""
    call = _call(state, ident, Callback.INIT, None)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.INIT):
        return state, call, RAISED
    pstate, error = behaviour.init(state.pstate(ident), now)
    return state.with_pstate(ident, pstate), call, error


def invoke_can(state: LayerState, ident: int, ctx: Ctx, now: int) -> tuple[LayerState, Call, bool | Raised]:
    """Call ``can_offload(ctx)`` of provider ``ident``."""
    call = _call(state, ident, Callback.CAN, ctx)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.CAN):
        return state, call, RAISED
    pstate, allowed = behaviour.can(state.pstate(ident), ctx, now)
    return state.with_pstate(ident, pstate), call, allowed


def invoke_add(state: LayerState, ident: int, ctx: Ctx, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``conn_add(ctx)`` of provider ``ident``."""
    call = _call(state, ident, Callback.ADD, ctx)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.ADD):
        return state, call, RAISED
    pstate, error = behaviour.add(state.pstate(ident), ctx, now)
    return state.with_pstate(ident, pstate), call, error


def invoke_del(state: LayerState, ident: int, ctx: Ctx, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``conn_del(ctx)`` of provider ``ident``; its answer is 0 or the errno it reports."""
    call = _call(state, ident, Callback.DEL, ctx)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.DEL):
        return state, call, RAISED
    pstate, error = behaviour.delete(state.pstate(ident), ctx, now)
    return state.with_pstate(ident, pstate), call, error


def invoke_upd(state: LayerState, ident: int, ctx: Ctx, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``conn_update(ctx)`` of provider ``ident`` at time ``now``."""
    call = _call(state, ident, Callback.UPD, ctx)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.UPD):
        return state, call, RAISED
    pstate, stamp = behaviour.update(state.pstate(ident), ctx, now)
    return state.with_pstate(ident, pstate), call, stamp


def invoke_est(state: LayerState, ident: int, ctx: Ctx, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``conn_established(ctx)`` of provider ``ident``; 0 or the errno it reports."""
    call = _call(state, ident, Callback.EST, ctx)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.EST):
        return state, call, RAISED
    pstate, error = behaviour.established(state.pstate(ident), ctx, now)
    return state.with_pstate(ident, pstate), call, error


def invoke_flush(state: LayerState, ident: int, now: int) -> tuple[LayerState, Call, int | Raised]:
    """Call ``flush()`` of provider ``ident``; 0 or the errno it reports."""
    call = _call(state, ident, Callback.FLUSH, None)
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.FLUSH):
        return state, call, RAISED
    pstate, error = behaviour.flush(state.pstate(ident), now)
    return state.with_pstate(ident, pstate), call, error


def invoke_batch(
    state: LayerState, ident: int, items: tuple[BatchItem, ...], now: int
) -> tuple[LayerState, Call, tuple[BatchResult, ...] | Raised]:
    """Call ``batch_submit`` of provider ``ident`` with ``items``; the answer is what it wrote."""
    call = Call(provider=state.spec(ident).name, callback=Callback.BATCH, batch=tuple(op for _, op in items))
    behaviour = state.spec(ident).behaviour
    if behaviour.raises(Callback.BATCH):
        return state, call, RAISED
    pstate, answers = behaviour.batch(state.pstate(ident), items, now)
    if len(answers) != len(items):
        raise ValueError(f"provider {call.provider!r} answered {len(answers)} ops of a batch of {len(items)}")
    return state.with_pstate(ident, pstate), call, answers
