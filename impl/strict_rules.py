"""The strict profile's rules: gate, verdicts, combination and effect (docs/spec.rst, STRICT-*).

Purpose: strict decides every op in three steps that the single-op API (``impl.strict_dispatch``)
and the batch API (``impl.strict_batch``) share: ``gate`` may answer the op itself or names its
target classes; each target gives a ``Verdict`` (``ask`` on the single-op path, its own
``batch_submit`` for a native target of a batch); ``effect`` combines the verdicts into the op's
result and updates the connection's record.

Promises: a raising callback (or one answering the wrong type) gives its provider's verdict EIO
(STRICT-RAISE); ``effect`` computes the whole new record before writing it, in one dict store, so
no record is ever half-updated; nothing here takes the lock (the caller holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from impl.batch import BatchEntry
from impl.calls import call_batch, call_bool, call_int, call_void
from impl.marks import MarkTable, Record
from impl.provider import OffloadClass
from model.conn import Ctx
from model.ops import BatchKind, BatchResult
from model.vocab import Errno, Mark, OpType

EPERM = int(Errno.EPERM)
EIO = int(Errno.EIO)
ENOMEM = int(Errno.ENOMEM)
EEXIST = int(Errno.EEXIST)
EINVAL = int(Errno.EINVAL)
ENODATA = int(Errno.ENODATA)
EOPNOTSUPP = int(Errno.EOPNOTSUPP)
EALREADY = int(Errno.EALREADY)

#: STRICT-COMBINE-ANY: what ADD, UPD and POLICY answer when no target had an opinion.
NO_OPINION: dict[OpType, int] = {OpType.ADD: EOPNOTSUPP, OpType.UPD: ENODATA, OpType.POLICY: EPERM}

#: The ``index`` of the entry in a batch of one that the single-op API hands a native provider: no
#: position of a submitted batch (the op is not part of one).
SINGLE_OP_INDEX = -1


@dataclass(frozen=True, slots=True)
class Verdict:
    """One target provider's answer for one op: an errno and, for UPD, a last-used timestamp."""

    error: int
    last_used: int = 0


@dataclass(frozen=True, slots=True)
class Targets:
    """What ``gate`` answers when the providers decide: the op's type and its target classes."""

    kind: OpType
    classes: tuple[OffloadClass, ...]


def takes_connections(cls: OffloadClass) -> bool:
    """STRICT-CAPABLE: only a class with ``conn_add`` or ``batch_submit`` can hold a connection."""
    return cls.conn_add is not None or cls.batch_submit is not None


def stops_early(kind: OpType) -> bool:
    """STRICT-POLICY-STOP: POLICY stops at the first target that would take the connection."""
    return kind is OpType.POLICY


def gate(
    kind: BatchKind, ctx: Ctx, classes: tuple[OffloadClass, ...], marks: MarkTable, *, private_slot: bool
) -> int | Targets:
    """STRICT-GATE: an errno when the layer answers the op itself, else the op's targets.

    Targets are in registration order: the capable classes for ADD and POLICY, every class for
    FLUSH, the connection's holders for EST, UPD and DEL.
    """
    if not isinstance(kind, OpType):
        return EINVAL
    if ctx.conn_id is None and kind is not OpType.FLUSH:
        return EINVAL
    record = marks.get(ctx.conn_id)
    match kind:
        case OpType.ADD:
            if not private_slot:
                return ENOMEM
            if record is not None:
                return EEXIST
            return Targets(kind, tuple(cls for cls in classes if takes_connections(cls)))
        case OpType.POLICY:
            return Targets(kind, tuple(cls for cls in classes if takes_connections(cls)))
        case OpType.FLUSH:
            return Targets(kind, classes)
        case OpType.EST:
            if record is None or record.mark is not Mark.ADDED:
                return EALREADY
            return Targets(kind, record.holders)
        case OpType.UPD | OpType.DEL:
            return Targets(kind, () if record is None else record.holders)
        case _:
            assert_never(kind)


def verdict_of(entry: BatchEntry) -> Verdict:
    """What a native provider wrote into ``entry`` (a value that is not an int counts as EIO); for
    UPD, in the form STRICT-ASK-UPD gives (an error carries no timestamp, and a success needs a
    positive one, else it is no data: ENODATA)."""
    error = int(entry.error) if isinstance(entry.error, int) else EIO
    last_used = int(entry.last_used) if isinstance(entry.last_used, int) else 0
    if entry.kind is not OpType.UPD:
        return Verdict(error=error, last_used=last_used)
    if error:
        return Verdict(error=error)
    return Verdict(error=0, last_used=last_used) if last_used > 0 else Verdict(ENODATA)


def batch_of_one(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-MISSING: ask a native provider about one op through ``batch_submit([entry])``."""
    if cls.batch_submit is None:
        raise ValueError(f"{cls!r} has no batch_submit")
    entry = BatchEntry(kind=kind, ctx=ctx, index=SINGLE_OP_INDEX)
    if not call_batch(cls.batch_submit, [entry]):
        return Verdict(EIO)
    return verdict_of(entry)


def ask_add(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-ADD: ``can_offload`` first if present (false: EOPNOTSUPP), then ``conn_add``;
    a native class without ``conn_add`` is asked through a batch of one."""
    if cls.can_offload is not None:
        can = call_bool(cls.can_offload, ctx)
        if can is None:
            return Verdict(EIO)
        if not can:
            return Verdict(EOPNOTSUPP)
    if cls.conn_add is not None:
        error = call_int(cls.conn_add, ctx)
        return Verdict(EIO if error is None else error)
    if cls.batch_submit is not None:
        return batch_of_one(cls, OpType.ADD, ctx)
    return Verdict(EOPNOTSUPP)


def ask_policy(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-POLICY: ``can_offload`` gives 0 or EPERM; a missing one means yes, except that a
    native class without it is asked through a batch of one."""
    if cls.can_offload is not None:
        can = call_bool(cls.can_offload, ctx)
        if can is None:
            return Verdict(EIO)
        return Verdict(0 if can else EPERM)
    if cls.batch_submit is not None:
        return batch_of_one(cls, OpType.POLICY, ctx)
    return Verdict(0)


def ask_upd(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-UPD: ``conn_update`` (or a batch of one); only a positive timestamp is data."""
    if cls.conn_update is not None:
        ts = call_int(cls.conn_update, ctx)
        if ts is None:
            return Verdict(EIO)
        return Verdict(0, ts) if ts > 0 else Verdict(ENODATA)
    if cls.batch_submit is not None:
        return batch_of_one(cls, OpType.UPD, ctx)
    return Verdict(ENODATA)


def ask_void(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-ASK-VOID: DEL, EST, FLUSH: the void callback succeeds (0); a native class without it
    is asked through a batch of one; a class with neither has nothing to do (0, no call)."""
    match kind:
        case OpType.DEL:
            called = None if cls.conn_del is None else call_void(cls.conn_del, ctx)
        case OpType.EST:
            called = None if cls.conn_established is None else call_void(cls.conn_established, ctx)
        case OpType.FLUSH:
            called = None if cls.flush is None else call_void(cls.flush)
        case _:
            raise ValueError(f"{kind.name} is not a void op")
    if called is not None:
        return Verdict(0 if called else EIO)
    if cls.batch_submit is not None:
        return batch_of_one(cls, kind, ctx)
    return Verdict(0)


def ask(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-ASK: one target's verdict through the single-op path."""
    match kind:
        case OpType.ADD:
            return ask_add(cls, ctx)
        case OpType.POLICY:
            return ask_policy(cls, ctx)
        case OpType.UPD:
            return ask_upd(cls, ctx)
        case OpType.DEL | OpType.EST | OpType.FLUSH:
            return ask_void(cls, kind, ctx)
        case _:
            assert_never(kind)


def combine(kind: OpType, verdicts: Sequence[Verdict]) -> int:
    """STRICT-COMBINE-ANY for ADD, UPD, POLICY; STRICT-COMBINE-ALL for DEL, EST, FLUSH.

    ``verdicts`` are in registration order of their providers.
    """
    no_opinion = NO_OPINION.get(kind)
    if no_opinion is None:
        return next((v.error for v in verdicts if v.error), 0)
    if any(v.error == 0 for v in verdicts):
        return 0
    return next((v.error for v in verdicts if v.error != no_opinion), no_opinion)


def effect(marks: MarkTable, kind: OpType, ctx: Ctx, asked: Sequence[tuple[OffloadClass, Verdict]]) -> BatchResult:
    """STRICT-EFFECT: the op's result from its targets' verdicts, and the record update.

    ``asked`` pairs each target that gave a verdict with it, in registration order. ADD: the
    targets that answered 0 become the holders (ADDED iff any). UPD: the result carries the
    latest positive timestamp. DEL: the record is dropped. EST: EST iff the result is 0. FLUSH:
    every record is dropped. POLICY: no change.
    """
    error = combine(kind, [verdict for _, verdict in asked])
    conn_id = ctx.conn_id
    match kind:
        case OpType.ADD:
            holders = tuple(cls for cls, verdict in asked if verdict.error == 0)
            if holders and conn_id is not None:
                marks.put(conn_id, Record(mark=Mark.ADDED, holders=holders))
        case OpType.UPD:
            last_used = max((verdict.last_used for _, verdict in asked if verdict.last_used > 0), default=0)
            return BatchResult(error=error, last_used=last_used)
        case OpType.DEL:
            marks.drop(conn_id)
        case OpType.EST:
            record = marks.get(conn_id)
            if error == 0 and record is not None and conn_id is not None:
                marks.put(conn_id, Record(mark=Mark.EST, holders=record.holders))
        case OpType.FLUSH:
            marks.clear()
        case OpType.POLICY:
            pass
        case _:
            assert_never(kind)
    return BatchResult(error=error)
