"""The rfc-v1 and rfc-v2 profiles: exactly what lib/ct-offload.c of the posted series does.

Purpose: the executable statement of the RFC's dispatch, batch and mark rules, quirks included, so
that reviewers can cite a rule and implementations can be checked against the real behaviour. Each
function mirrors one C function of patches 05-07 (the ``batched`` helpers of patch 06 included);
the rule ids in the docstrings are the anchors docs/spec.rst uses. rfc-v2 differs from rfc-v1 only
in RFC-BATCH's UPD row.

Promises: pure functions; the trace lists every callback invoked, in order.

Rule RFC-NULL: where the C code dereferences a NULL connection, the RFC's behaviour is undefined
(in practice the process crashes) and the rfc profiles prescribe nothing: ``conn_private_set`` of
a NULL ``ctx->conn`` while the private slot exists (RFC-DEL always, RFC-ADD when its result is 0,
after the providers were called) and ``conn_private_get`` of it (RFC-EST, before any provider is
called) raise ``Undefined`` instead of answering (erratum E-NULL-CONN). Without a slot nothing is
dereferenced and the result is defined. Strict defines these inputs: EINVAL (STRICT-GATE).

Rule RFC-RAISE: a C callback cannot raise; a Python one can, and then counts as the C failure value
of that callback (``init``/``conn_add``: EIO, ``can_offload``: false, ``conn_update``: 0; void
callbacks and ``batch_submit``: nothing), and the remaining providers are still called.
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
from model.ops import BatchOp, BatchResult, Call, InvalidType
from model.state import LayerState, Record
from model.vocab import Callback, Errno, Mark, OpType, Profile

Step = tuple[LayerState, tuple[Call, ...]]


class Undefined(Exception):
    """Raised where RFC-NULL applies: the RFC code dereferences a NULL connection, so the rfc
    profiles prescribe no result for this op or any after it."""


def _null_deref(state: LayerState, ctx: Ctx, what: str) -> None:
    """Raise ``Undefined`` when ``what`` (a private-slot access) would dereference a NULL ``ctx->conn``."""
    if ctx.conn is None and state.slot:
        raise Undefined(f"{what} dereferences a NULL connection (RFC-NULL)")


def _providers(state: LayerState, batched: bool) -> tuple[int, ...]:
    """The providers a helper iterates: all registered ones, minus those with ``batch_submit``
    when called from the batch fallback loop (patch 06's ``batched`` flag)."""
    if not batched:
        return state.registry
    return tuple(i for i in state.registry if not state.spec(i).native)


def _set_mark(state: LayerState, ctx: Ctx, mark: Mark) -> LayerState:
    """``conn_private_set`` of the offload slot; nothing happens without a slot."""
    if not state.slot:
        return state
    return state.with_record(ctx.conn_id, Record(mark=mark))


def add(state: LayerState, ctx: Ctx, now: int, *, batched: bool = False) -> tuple[LayerState, tuple[Call, ...], int]:
    """Rule RFC-ADD (``ct_offload_conn_add_``).

    For each provider in registration order: skip it if it has ``can_offload`` and that says
    false (a missing ``can_offload`` means yes); otherwise call ``conn_add`` if it exists. The
    result is the first non-zero error, but every remaining provider is still called. If the result
    is 0 and the slot exists the connection is marked ADDED, even when no provider was called or
    all declined (erratum E-ADD-NOBODY), and even if it was EST (erratum E-READD-EST). A failed ADD
    leaves the mark as it was.
    """
    calls: list[Call] = []
    ret = 0
    for ident in _providers(state, batched):
        spec = state.spec(ident)
        if spec.has(Callback.CAN):
            state, call, allowed = invoke_can(state, ident, ctx, now)
            calls.append(call)
            if isinstance(allowed, Raised) or not allowed:
                continue
        if spec.has(Callback.ADD):
            state, call, answer = invoke_add(state, ident, ctx, now)
            calls.append(call)
            error = Errno.EIO if isinstance(answer, Raised) else answer
            if error and not ret:
                ret = error
    if ret == 0:
        _null_deref(state, ctx, "ADD's conn_private_set")
        state = _set_mark(state, ctx, Mark.ADDED)
    return state, tuple(calls), ret


def delete(state: LayerState, ctx: Ctx, now: int, *, batched: bool = False) -> Step:
    """Rule RFC-DEL (``ct_offload_conn_del_``): call every provider's ``conn_del`` (no
    ``can_offload`` check, no result), then set the mark to NONE."""
    calls: list[Call] = []
    for ident in _providers(state, batched):
        if state.spec(ident).has(Callback.DEL):
            state, call, _ = invoke_del(state, ident, ctx, now)
            calls.append(call)
    _null_deref(state, ctx, "DEL's conn_private_set")
    return _set_mark(state, ctx, Mark.NONE), tuple(calls)


def established(
    state: LayerState, ctx: Ctx, now: int, *, batched: bool = False
) -> tuple[LayerState, tuple[Call, ...], int]:
    """Rule RFC-EST (``ct_offload_conn_established_``).

    1. Without a slot: EAGAIN, and no provider is called (the log says "always sending est." but
       nothing is sent; erratum E-ADD-NOSLOT).
    2. If the mark is not ADDED (never offloaded, or already EST): EALREADY, no call.
    3. Otherwise call every provider's ``conn_established`` (no ``can_offload`` check, void), set the
       mark to EST unconditionally and return 0. The public wrapper discards the result.
    """
    if not state.slot:
        return state, (), Errno.EAGAIN
    _null_deref(state, ctx, "EST's conn_private_get")
    if state.record(ctx.conn_id).mark is not Mark.ADDED:
        return state, (), Errno.EALREADY
    calls: list[Call] = []
    for ident in _providers(state, batched):
        if state.spec(ident).has(Callback.EST):
            state, call, _ = invoke_est(state, ident, ctx, now)
            calls.append(call)
    return _set_mark(state, ctx, Mark.EST), tuple(calls), 0


def update(state: LayerState, ctx: Ctx, now: int, *, batched: bool = False) -> tuple[LayerState, tuple[Call, ...], int]:
    """Rule RFC-UPD (``ct_offload_conn_update_``): ask providers with ``conn_update`` in order and
    return the first non-zero timestamp, asking no one after it (not the max, not the min; a
    negative value counts as a timestamp). 0 when nobody answers. No mark changes."""
    calls: list[Call] = []
    for ident in _providers(state, batched):
        if state.spec(ident).has(Callback.UPD):
            state, call, answer = invoke_upd(state, ident, ctx, now)
            calls.append(call)
            stamp = 0 if isinstance(answer, Raised) else answer
            if stamp:
                return state, tuple(calls), stamp
    return state, tuple(calls), 0


def can_offload(
    state: LayerState, ctx: Ctx, now: int, *, batched: bool = False
) -> tuple[LayerState, tuple[Call, ...], bool]:
    """Rule RFC-CAN (``ct_offload_can_offload_``): true as soon as a provider's ``can_offload``
    says true (later providers are not asked). A provider without ``can_offload`` counts as "no"
    here, although RFC-ADD treats it as "yes" (erratum E-CAN-NULL)."""
    calls: list[Call] = []
    for ident in _providers(state, batched):
        if state.spec(ident).has(Callback.CAN):
            state, call, allowed = invoke_can(state, ident, ctx, now)
            calls.append(call)
            if allowed is True:
                return state, tuple(calls), True
    return state, tuple(calls), False


def flush(state: LayerState, now: int, *, batched: bool = False) -> Step:
    """Rule RFC-FLUSH (``ct_offload_flush_``): call every provider's ``flush``. No mark changes
    (erratum E-FLUSH-MARKS)."""
    calls: list[Call] = []
    for ident in _providers(state, batched):
        if state.spec(ident).has(Callback.FLUSH):
            state, call, _ = invoke_flush(state, ident, now)
            calls.append(call)
    return state, tuple(calls)


def upd_no_data(profile: Profile) -> int:
    """The error of a batch UPD that got no timestamp: ENODATA in rfc-v1, EIO in rfc-v2.

    post: __return__ in (61, 5)
    post: (__return__ == 5) == (profile is Profile.RFC_V2)
    """
    # crosshair: per_condition_timeout=5
    return Errno.EIO if profile is Profile.RFC_V2 else Errno.ENODATA


def submit_batch(
    state: LayerState, ops: tuple[BatchOp, ...], now: int
) -> tuple[LayerState, tuple[Call, ...], tuple[BatchResult, ...]]:
    """Rule RFC-BATCH (``ct_offload_op_batch_submit``).

    1. Every provider with ``batch_submit`` is handed the whole batch, in registration order, even
       an empty one, EST ops of connections that are not ADDED and ops of invalid type.
    2. Then each op, in order, runs the helper of its type with ``batched`` set, which skips every
       provider that has ``batch_submit``, and its result overwrites whatever a ``batch_submit``
       wrote (erratum E-BATCH-LOST):

       ====== ==================================================
       ADD    the RFC-ADD result (and its mark)
       DEL    0, after RFC-DEL
       UPD    0 if RFC-UPD found a timestamp, else ENODATA (rfc-v1) / EIO (rfc-v2); the timestamp
              itself is dropped (erratum E-UPD-TS)
       POLICY 0 if RFC-CAN says true, else EPERM
       FLUSH  0, after RFC-FLUSH
       EST    the RFC-EST result: 0, EALREADY or EAGAIN
       other  EINVAL
       ====== ==================================================
    """
    calls: list[Call] = []
    items = tuple(enumerate(ops))
    for ident in state.registry:
        if state.spec(ident).native:
            state, call, _ = invoke_batch(state, ident, tuple((i, op) for i, op in items), now)
            calls.append(call)
    results: list[BatchResult] = []
    for op in ops:
        state, op_calls, error = _fallback(state, op, now)
        calls.extend(op_calls)
        results.append(BatchResult(error=error))
    return state, tuple(calls), tuple(results)


def _fallback(state: LayerState, op: BatchOp, now: int) -> tuple[LayerState, tuple[Call, ...], int]:
    """One op of the RFC-BATCH fallback loop: its helper run with ``batched`` set, and its error."""
    kind = op.kind
    if isinstance(kind, InvalidType):
        return state, (), Errno.EINVAL
    if kind is OpType.ADD:
        return add(state, op.ctx, now, batched=True)
    if kind is OpType.DEL:
        state, calls = delete(state, op.ctx, now, batched=True)
        return state, calls, 0
    if kind is OpType.UPD:
        state, calls, stamp = update(state, op.ctx, now, batched=True)
        return state, calls, 0 if stamp else upd_no_data(state.profile)
    if kind is OpType.POLICY:
        state, calls, allowed = can_offload(state, op.ctx, now, batched=True)
        return state, calls, 0 if allowed else Errno.EPERM
    if kind is OpType.FLUSH:
        state, calls = flush(state, now, batched=True)
        return state, calls, 0
    if kind is OpType.EST:
        return established(state, op.ctx, now, batched=True)
    raise AssertionError(f"unhandled op type {kind!r}")
