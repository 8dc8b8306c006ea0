"""The strict profile's rules: gate, verdicts, combination and effect (docs/spec.rst, STRICT-*).

Purpose: strict decides every op in three steps that the single-op API (``impl.strict_dispatch``)
and the batch API (``impl.strict_batch``) share: ``gate`` may answer the op itself or names its
target classes; each target gives a ``Verdict`` (``ask`` on the single-op path, its own
``batch_submit`` for a native target of a batch); ``effect`` combines the verdicts into the op's
result and updates the connection's record.

Promises: a raising callback (or one answering the wrong type) gives its provider's verdict EIO
(STRICT-RAISE); ``effect`` computes the whole new record before writing it, in one dict store, so
no record is ever half-updated; nothing here takes the lock (the caller holds it). Verdicts and
results are ``(errno, last_used)`` tuples: this runs once per op per provider and must be cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from impl import sched
from impl.batch import BatchEntry
from impl.calls import call_batch, call_can, call_status, failed, wrong_type
from impl.marks import MarkTable, Record
from impl.provider import OffloadClass
from model.conn import Ctx
from model.ops import BatchKind
from model.vocab import Errno, Mark, OpType

EPERM = int(Errno.EPERM)
EIO = int(Errno.EIO)
ENOMEM = int(Errno.ENOMEM)
EEXIST = int(Errno.EEXIST)
EINVAL = int(Errno.EINVAL)
ENODATA = int(Errno.ENODATA)
EOPNOTSUPP = int(Errno.EOPNOTSUPP)
EALREADY = int(Errno.EALREADY)

# Enum members as module constants: under CPython 3.11 ``OpType.ADD`` is a Python-level
# ``EnumType.__getattr__`` call (about 100 ns, measured), and an op read a dozen of them before
# these (issue 16: the strict single-op path cost 6x the dummy provider's own work).
ADD, DEL, UPD, POLICY, FLUSH, EST = OpType.ADD, OpType.DEL, OpType.UPD, OpType.POLICY, OpType.FLUSH, OpType.EST
ADDED, EST_MARK = Mark.ADDED, Mark.EST

#: One target's answer for one op, and an op's result: (errno, last-used ms; 0 unless a UPD).
Verdict: TypeAlias = tuple[int, int]
OK: Verdict = (0, 0)
FAILED: Verdict = (EIO, 0)

#: STRICT-COMBINE-ANY: what ADD, UPD and POLICY answer when no target had an opinion.
NO_OPINION: dict[OpType, int] = {ADD: EOPNOTSUPP, UPD: ENODATA, POLICY: EPERM}

#: The ``index`` of the entry in a batch of one that the single-op API hands a native provider: no
#: position of a submitted batch (the op is not part of one).
SINGLE_OP_INDEX = -1


def takes_connections(cls: OffloadClass) -> bool:
    """STRICT-CAPABLE: only a class with ``conn_add`` or ``batch_submit`` can hold a connection."""
    return cls.conn_add is not None or cls.batch_submit is not None


def gate(
    kind: BatchKind,
    ctx: Ctx,
    classes: tuple[OffloadClass, ...],
    capable: tuple[OffloadClass, ...],
    marks: MarkTable,
    *,
    private_slot: bool,
) -> int | tuple[OffloadClass, ...]:
    """STRICT-GATE: an errno when the layer answers the op itself, else the op's targets.

    Targets are in registration order: the ``capable`` classes (STRICT-CAPABLE) for ADD and POLICY,
    every class for FLUSH, the connection's holders for EST, UPD and DEL.
    """
    if kind.__class__ is not OpType:
        return EINVAL
    if kind is FLUSH:
        return classes
    conn = ctx.conn
    if conn is None:
        return EINVAL
    record = marks.records.get(conn.id)
    if kind is ADD:
        if not private_slot:
            return ENOMEM
        return EEXIST if record is not None else capable
    if kind is POLICY:
        return capable
    if kind is EST and (record is None or record[0] is not ADDED):
        return EALREADY
    return () if record is None else record[1]


def _is_int(value: object) -> bool:
    """An int (an ``Errno`` too), not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def verdict_of(entry: BatchEntry) -> Verdict:
    """What a native provider wrote into ``entry`` (a value that is not an int, a bool included,
    counts as EIO); for
    UPD, in the form STRICT-ASK-UPD gives (an error carries no timestamp, and a success needs a
    positive one, else it is no data: ENODATA)."""
    error = int(entry.error) if _is_int(entry.error) else EIO
    last_used = int(entry.last_used) if _is_int(entry.last_used) else 0
    if entry.kind is not UPD:
        return (error, last_used)
    if error:
        return (error, 0)
    return (0, last_used) if last_used > 0 else (ENODATA, 0)


def batch_of_one(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-MISSING: ask a native provider about one op through ``batch_submit([entry])``."""
    if cls.batch_submit is None:
        raise ValueError(f"{cls!r} has no batch_submit")
    entry = BatchEntry(kind=kind, ctx=ctx, index=SINGLE_OP_INDEX)
    if not call_batch(cls.batch_submit, [entry]):
        return FAILED
    return verdict_of(entry)


def ask_add(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-ADD: ``can_offload`` first if present (false: EOPNOTSUPP), then ``conn_add``;
    a native class without ``conn_add`` is asked through a batch of one."""
    # ``call_can`` and ``call_int`` inlined (every ADD asks every capable class: issue 16).
    can_offload, conn_add = cls.can_offload, cls.conn_add
    if can_offload is not None:
        try:
            can: object = can_offload(ctx)
        except Exception:
            failed(can_offload)
            return FAILED
        if can.__class__ is not bool and not isinstance(can, int):
            wrong_type(can_offload, can, "bool")
            return FAILED
        if not can:
            return (EOPNOTSUPP, 0)
    if conn_add is not None:
        try:
            error: object = conn_add(ctx)  # any type: a Python provider may answer anything
        except Exception:
            failed(conn_add)
            return FAILED
        if error.__class__ is int:
            return (error, 0)
        if isinstance(error, int):
            return (int(error), 0)
        wrong_type(conn_add, error, "int")
        return FAILED
    if cls.batch_submit is not None:
        return batch_of_one(cls, ADD, ctx)
    return (EOPNOTSUPP, 0)


def ask_policy(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-POLICY: ``can_offload`` gives 0 or EPERM; a missing one means yes, except that a
    native class without it is asked through a batch of one."""
    if cls.can_offload is not None:
        can = call_can(cls.can_offload, ctx)
        if can is None:
            return FAILED
        return OK if can else (EPERM, 0)
    if cls.batch_submit is not None:
        return batch_of_one(cls, POLICY, ctx)
    return OK


def ask_upd(cls: OffloadClass, ctx: Ctx) -> Verdict:
    """STRICT-ASK-UPD: ``conn_update`` (or a batch of one); only a positive timestamp is data."""
    conn_update = cls.conn_update
    if conn_update is not None:
        try:  # ``call_int`` inlined: every UPD of a sweep asks every holder (issue 16)
            stamp: object = conn_update(ctx)
        except Exception:
            failed(conn_update)
            return FAILED
        if stamp.__class__ is not int:
            if not isinstance(stamp, int):
                wrong_type(conn_update, stamp, "int")
                return FAILED
            stamp = int(stamp)
        return (0, stamp) if stamp > 0 else (ENODATA, 0)
    if cls.batch_submit is not None:
        return batch_of_one(cls, UPD, ctx)
    return (ENODATA, 0)


def ask_void(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-ASK-VOID: DEL, EST, FLUSH: what the callback returns (void in C; a Python callback may
    return an errno, its verdict; None is 0; a raise is EIO); a native class without it is asked
    through a batch of one; a class with neither has nothing to do (0, no call)."""
    if kind is DEL:
        fn = cls.conn_del
        present, status = fn is not None, call_status(fn, ctx) if fn else 0
    elif kind is EST:
        fn = cls.conn_established
        present, status = fn is not None, call_status(fn, ctx) if fn else 0
    elif kind is FLUSH:
        present, status = cls.flush is not None, call_status(cls.flush) if cls.flush else 0
    else:
        raise ValueError(f"{kind.name} is not a void op")
    if present:
        return FAILED if status is None else (status, 0)
    if cls.batch_submit is not None:
        return batch_of_one(cls, kind, ctx)
    return OK


def ask(cls: OffloadClass, kind: OpType, ctx: Ctx) -> Verdict:
    """STRICT-ASK: one target's verdict through the single-op path."""
    if kind is ADD:
        return ask_add(cls, ctx)
    if kind is UPD:
        return ask_upd(cls, ctx)
    if kind is POLICY:
        return ask_policy(cls, ctx)
    return ask_void(cls, kind, ctx)


def combine(kind: OpType, errors: Sequence[int]) -> int:
    """STRICT-COMBINE-ANY for ADD, UPD, POLICY; STRICT-COMBINE-ALL for DEL, EST, FLUSH.

    ``errors`` are the targets' verdicts in registration order.
    """
    no_opinion = NO_OPINION.get(kind)
    if no_opinion is None:
        for error in errors:
            if error:
                return error
        return 0
    if 0 in errors:
        return 0
    for error in errors:
        if error != no_opinion:
            return error
    return no_opinion


def effect(marks: MarkTable, kind: OpType, ctx: Ctx, asked: Sequence[tuple[OffloadClass, Verdict]]) -> Verdict:
    """STRICT-EFFECT: the op's result from its targets' verdicts, and the record update.

    ``asked`` pairs each target that gave a verdict with it, in registration order. ADD: the
    targets that answered 0 become the holders (ADDED iff any). UPD: the result carries the
    latest positive timestamp. DEL: the holders that removed the connection leave it; with none
    left the record is dropped (a holder whose removal failed still holds it: STRICT-KEEP). EST:
    EST iff the result is 0. FLUSH: every class that flushed leaves every record, and records left
    without a holder are dropped (all of them when every class succeeded). POLICY: no change.
    """
    # One target (the usual case): both combinations of a single verdict are that verdict.
    error = asked[0][1][0] if len(asked) == 1 else combine(kind, [verdict[0] for _, verdict in asked])
    conn = ctx.conn
    # Loops rather than generator expressions: ADD, UPD and DEL are every op's effect, and a
    # generator costs about 0.3 us to create (issue 16, the strict single-op path).
    if kind is ADD:
        holders = tuple([cls for cls, verdict in asked if verdict[0] == 0])
        if holders and conn is not None:
            marks.write(conn.id, (ADDED, holders))
    elif kind is UPD:
        latest = 0
        if error == 0:
            for _, verdict in asked:
                latest = max(latest, verdict[1])
        return (error, latest)
    elif kind is DEL:
        if conn is not None:
            failing = [cls for cls, verdict in asked if verdict[0]]
            record = marks.records.get(conn.id)
            marks.write(conn.id, _still_held(record, failing) if failing and record is not None else None)
    elif kind is EST:
        record = marks.records.get(conn.id) if conn is not None else None
        if error == 0 and record is not None and conn is not None:
            marks.write(conn.id, (EST_MARK, record[1]))
    elif kind is FLUSH:
        failing = [cls for cls, verdict in asked if verdict[0]]
        if not failing:
            marks.clear()
        else:
            for conn_id, record in list(marks.records.items()):
                marks.write(conn_id, _still_held(record, failing))
    return (error, 0)


def _still_held(record: Record, failing: Sequence[OffloadClass]) -> Record | None:
    """STRICT-KEEP: the record left when only the classes in ``failing`` still hold the connection."""
    holders = tuple(cls for cls in record[1] if cls in failing)
    return (record[0], holders) if holders else None


def decide(
    classes: tuple[OffloadClass, ...],
    capable: tuple[OffloadClass, ...],
    marks: MarkTable,
    kind: BatchKind,
    ctx: Ctx,
    *,
    private_slot: bool,
) -> Verdict:
    """One op through the single-op path: STRICT-GATE, each target asked in registration order
    (STRICT-ASK; POLICY stops at the first that takes the connection, STRICT-POLICY-STOP), then
    STRICT-EFFECT."""
    gated = gate(kind, ctx, classes, capable, marks, private_slot=private_slot)
    if gated.__class__ is int:
        return (gated, 0)  # the gate's own answer
    assert isinstance(kind, OpType) and isinstance(gated, tuple)  # the gate answers other kinds itself
    hook = sched.hook  # a yield point is a test of the hook unless a test scheduler is installed
    if hook is not None:
        sched.point("strict:gated")
    asked: list[tuple[OffloadClass, Verdict]] = []
    policy = kind is POLICY
    for cls in gated:
        verdict = ask(cls, kind, ctx)
        if hook is not None:
            sched.point("strict:asked")
        asked.append((cls, verdict))
        if policy and verdict[0] == 0:
            break
    return effect(marks, kind, ctx, asked)


def decide_upd(records: dict[int, Record], ctx: Ctx) -> Verdict:
    """``decide`` for one UPD on the batch path, its steps written out: STRICT-GATE (a NULL
    connection: EINVAL; the targets are the holders), STRICT-ASK-UPD of each holder in
    registration order, STRICT-COMBINE-ANY (0 if one had data, else the first error that is not
    ENODATA, else ENODATA) and STRICT-EFFECT (the latest timestamp; no record changes).

    Why: a sweep's batches are all UPD, one per connection due, and a batch is there to cost less
    per op than the single-op API (issue 16: the strict sweep batched no faster than one UPD at a
    time while each went through the six calls of ``decide``). Only for a batch with no native
    provider (``ask_upd`` would hand a native one a batch of one) and no test scheduler (no yield
    points here); the tests check it against the model like every other path.
    """
    conn = ctx.conn
    if conn is None:
        return (EINVAL, 0)
    record = records.get(conn.id)
    if record is None:
        return (ENODATA, 0)
    holders = record[1]
    if len(holders) == 1:
        return ask_upd(holders[0], ctx)  # one verdict: the combination is the verdict itself
    had_data, latest, other = False, 0, 0
    for cls in holders:
        error, stamp = ask_upd(cls, ctx)
        if error == 0:
            had_data, latest = True, max(latest, stamp)
        elif not other and error != ENODATA:
            other = error
    return (0, latest) if had_data else (other or ENODATA, 0)
