"""Strict profile, part 2: the rules of each operation, shared by the single-op and batch paths.

Purpose: the project's corrected semantics of the ct-offload layer (docs/spec.rst, 'The strict profile'). Every op
is decided in three steps, so the single-op API and the batch API (``model.strict_batch``) cannot
drift apart: ``gate`` answers the op outright or names the providers to ask; the providers give
verdicts (``model.verdict``); ``effect`` combines them into the result and updates the records.
Each rule's docstring names the RFC rule it replaces and the erratum that motivates it.

Promises: pure functions. Under strict a connection's mark is ADDED or EST exactly when at least one
registered provider accepted it and has not been told to delete it (``Record.holders``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from model.conn import Ctx
from model.ops import BatchOp, BatchResult, Call, InvalidType
from model.state import EMPTY_RECORD, LayerState, Record
from model.verdict import (
    NO_OPINION,
    Asked,
    ask_add,
    ask_policy,
    ask_upd,
    ask_void,
    combine_all,
    combine_any,
)
from model.vocab import Errno, Mark, OpType


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered:
    """The gate's outcome when the layer answers an op itself, asking no provider."""

    error: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """The gate's outcome when providers must be asked: which ones, in registration order."""

    kind: OpType
    targets: tuple[int, ...]


def gate(state: LayerState, op: BatchOp) -> Answered | Ask:
    """Rule STRICT-GATE: what the layer decides before asking any provider.

    ========== ============================================================= =====================
    op         answered by the layer                                         otherwise ask
    ========== ============================================================= =====================
    invalid    EINVAL (replaces RFC-BATCH's "other" row, which still hands    --
               the op to every batch provider: E-BATCH-INVALID)
    NULL conn  EINVAL for every op but FLUSH (nothing to mark; E-NULL-CONN)   --
    ADD        ENOMEM without a slot: a connection that cannot be marked      every provider
               must not be offloaded (E-ADD-NOSLOT); EEXIST if some provider
               holds it already (E-READD-EST)
    EST        EALREADY unless the mark is ADDED (as RFC-EST; E-BATCH-EST)    its holders
    UPD, DEL   --                                                             its holders (only providers
                                                                              that took it are told: E-DEL-ALL)
    POLICY     --                                                             every provider
    FLUSH      --                                                             every provider
    ========== ============================================================= =====================
    """
    kind = op.kind
    if isinstance(kind, InvalidType):
        return Answered(error=Errno.EINVAL)
    if kind is OpType.FLUSH:
        return Ask(kind=kind, targets=state.registry)
    if op.conn_id is None:
        return Answered(error=Errno.EINVAL)
    record = state.record(op.conn_id)
    holders = tuple(i for i in state.registry if i in record.holders)
    if kind is OpType.ADD:
        if not state.slot:
            return Answered(error=Errno.ENOMEM)
        if record.holders:
            return Answered(error=Errno.EEXIST)
        return Ask(kind=kind, targets=state.registry)
    if kind is OpType.EST:
        if record.mark is not Mark.ADDED:
            return Answered(error=Errno.EALREADY)
        return Ask(kind=kind, targets=holders)
    if kind is OpType.POLICY:
        return Ask(kind=kind, targets=state.registry)
    return Ask(kind=kind, targets=holders)


def ask(state: LayerState, ident: int, kind: OpType, ctx: Ctx, now: int) -> Asked:
    """Rule STRICT-ASK: a provider's verdict on one op through the single-op path (STRICT-ASK-ADD,
    -POLICY, -UPD or -VOID)."""
    if kind is OpType.ADD:
        return ask_add(state, ident, ctx, now)
    if kind is OpType.POLICY:
        return ask_policy(state, ident, ctx, now)
    if kind is OpType.UPD:
        return ask_upd(state, ident, ctx, now)
    return ask_void(state, ident, kind, ctx, now)


def stops_early(kind: OpType, verdict: BatchResult) -> bool:
    """Rule STRICT-POLICY-STOP: POLICY stops asking at the first provider that would take the
    connection (as RFC-CAN does); every other op asks all its targets."""
    return kind is OpType.POLICY and verdict.error == 0


def effect(
    state: LayerState, op: BatchOp, verdicts: tuple[tuple[int, BatchResult], ...]
) -> tuple[LayerState, BatchResult]:
    """Rule STRICT-EFFECT: the op's result from its providers' verdicts (in registration order),
    and what it does to the records.

    - ADD (replaces RFC-ADD): STRICT-COMBINE-ANY with EOPNOTSUPP; the providers that answered 0
      become the holders and the mark is ADDED iff there is one. Replaces "marked ADDED when nobody
      objected" (E-ADD-NOBODY).
    - UPD (replaces RFC-UPD and the UPD row of RFC-BATCH): every holder is asked; the result carries
      the latest (max) positive timestamp, error 0 if there is one, else STRICT-COMBINE-ANY with
      ENODATA (E-UPD-FIRST, E-UPD-TS).
    - POLICY (replaces RFC-CAN): STRICT-COMBINE-ANY with EPERM (E-CAN-NULL).
    - DEL (replaces RFC-DEL): STRICT-COMBINE-ALL; the holders that removed the connection leave
      its record, and with none left the record is dropped, so the mark is NONE (STRICT-KEEP).
    - EST (replaces RFC-EST step 3): STRICT-COMBINE-ALL; the mark becomes EST only on 0, so a
      provider's refusal leaves it ADDED and EST may be retried.
    - FLUSH (replaces RFC-FLUSH): STRICT-COMBINE-ALL; every provider that flushed leaves every
      record, and records with no holder left are dropped; when all succeed every mark is NONE
      (E-FLUSH-MARKS; STRICT-KEEP).
    """
    kind = op.kind
    errors = tuple(v.error for _, v in verdicts)
    if kind is OpType.ADD:
        error = combine_any(errors, NO_OPINION[OpType.ADD])
        holders = frozenset(i for i, v in verdicts if v.error == 0)
        if holders:
            state = state.with_record(op.conn_id, Record(mark=Mark.ADDED, holders=holders))
        return state, BatchResult(error=error)
    if kind is OpType.UPD:
        error = combine_any(errors, NO_OPINION[OpType.UPD])
        stamps = [v.last_used for _, v in verdicts if v.error == 0]
        return state, BatchResult(error=error, last_used=max(stamps) if error == 0 else 0)
    if kind is OpType.POLICY:
        return state, BatchResult(error=combine_any(errors, NO_OPINION[OpType.POLICY]))
    error = combine_all(errors)
    if kind is OpType.DEL:
        state = state.with_record(op.conn_id, kept(state.record(op.conn_id), failed(verdicts)))
    elif kind is OpType.EST and error == 0:
        state = state.with_record(op.conn_id, replace(state.record(op.conn_id), mark=Mark.EST))
    elif kind is OpType.FLUSH:
        still = failed(verdicts)
        for conn_id, record in list(state.records.items()):
            state = state.with_record(conn_id, kept(record, still))
    return state, BatchResult(error=error)


def failed(verdicts: tuple[tuple[int, BatchResult], ...]) -> frozenset[int]:
    """The providers whose verdict is an error."""
    return frozenset(ident for ident, verdict in verdicts if verdict.error)


def kept(record: Record, failing: frozenset[int]) -> Record:
    """Rule STRICT-KEEP: what a failed DEL or FLUSH leaves of a connection's record. A holder whose
    removal failed (the device still holds the connection: a failed REMOVE or FLUSH, a raising
    callback) stays a holder, so the mark keeps saying what the device holds; the others leave.
    With no holder left the record is empty (NONE). A later DEL or FLUSH asks the remaining holders
    again, and the tracker retries until one succeeds (TRACK-RETRY), so no hardware entry is leaked
    (erratum E-DEL-LOST)."""
    holders = record.holders & failing
    return replace(record, holders=holders) if holders else EMPTY_RECORD


def apply_op(state: LayerState, op: BatchOp, now: int) -> tuple[LayerState, tuple[Call, ...], BatchResult]:
    """One op through the single-op path: STRICT-GATE, then each target asked in registration
    order (STRICT-ASK, STRICT-POLICY-STOP), then STRICT-EFFECT."""
    decided = gate(state, op)
    if isinstance(decided, Answered):
        return state, (), BatchResult(error=decided.error)
    calls: list[Call] = []
    verdicts: list[tuple[int, BatchResult]] = []
    for ident in decided.targets:
        state, made, verdict = ask(state, ident, decided.kind, op.ctx, now)
        calls.extend(made)
        verdicts.append((ident, verdict))
        if stops_early(decided.kind, verdict):
            break
    state, result = effect(state, op, tuple(verdicts))
    return state, tuple(calls), result


def unregister(state: LayerState, ident: int) -> tuple[LayerState, tuple[Call, ...], None]:
    """Rule STRICT-UNREG (replaces REG-DEL's "no mark is touched", E-UNREG-MARKS): remove the class
    and drop it from every connection's holders; a connection left with no holder reads NONE."""
    if not state.is_registered(ident):
        return state, (), None
    changes: list[tuple[int, Record | None]] = []
    for conn_id, record in state.records.items():
        if ident in record.holders:
            holders = record.holders - {ident}
            changes.append((conn_id, replace(record, holders=holders) if holders else None))
    registry = tuple(i for i in state.registry if i != ident)
    return replace(state, registry=registry, records=state.records.update(changes)), (), None
