"""Dispatch of the rfc-v1 and rfc-v2 profiles: lib/ct-offload.c of the RFC series, quirks included.

Purpose: each ``_`` method is one of the C file's unlocked helpers (``ct_offload_conn_add_`` and so
on) written as the same loop over the registered classes in registration order; ``submit`` is
``ct_offload_op_batch_submit``. The layer calls them with its lock held. The loops run over a
``Plan``: the registered classes' callbacks, gathered once per registry change, so each op pays
for no attribute lookup or NULL test it does not need. Rule ids refer to docs/spec.rst.

Promises: the provider callbacks invoked, their order and the results are those of the C code;
the batched plan skips every class that has ``batch_submit``, as the C helpers do with
``batched``. A callback that raises (or answers the wrong type) counts as its C failure value
(RFC-RAISE: ``conn_add`` EIO, ``can_offload`` false, ``conn_update`` 0, void callbacks and
``batch_submit`` nothing) and the remaining providers are still called. Without a private slot
nothing is marked; a NULL connection has no mark storage (writes are dropped, reads are NONE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from impl import sched
from impl.batch import BatchEntry
from impl.calls import call_batch, call_can, call_void, failed, wrong_type
from impl.marks import ADDED_NO_HOLDER, EST_NO_HOLDER, MarkTable
from impl.provider import OffloadClass
from model.conn import Ctx
from model.vocab import Errno, Mark, OpType, Profile

# Plain ints, so results read as numbers everywhere (reprs, JSON, comparisons).
EPERM = int(Errno.EPERM)
EIO = int(Errno.EIO)
EAGAIN = int(Errno.EAGAIN)
EINVAL = int(Errno.EINVAL)
ENODATA = int(Errno.ENODATA)
EALREADY = int(Errno.EALREADY)

CtxFn = Callable[[Ctx], object]

# Enum members as module constants: under CPython 3.11 ``OpType.ADD`` is a Python-level
# ``EnumType.__getattr__`` call (about 100 ns, measured), a global read is a few ns.
ADD, DEL, UPD, POLICY, EST = OpType.ADD, OpType.DEL, OpType.UPD, OpType.POLICY, OpType.EST
NONE, ADDED, EST_MARK = Mark.NONE, Mark.ADDED, Mark.EST


@dataclass(frozen=True, slots=True)
class Plan:
    """The callbacks each helper calls, in registration order (absent members left out, except
    that ADD keeps a class that has only one of ``can_offload`` and ``conn_add``)."""

    add: tuple[tuple[CtxFn | None, CtxFn | None], ...]
    delete: tuple[CtxFn, ...]
    est: tuple[CtxFn, ...]
    upd: tuple[CtxFn, ...]
    can: tuple[CtxFn, ...]
    flush: tuple[Callable[[], object], ...]

    @staticmethod
    def of(classes: tuple[OffloadClass, ...], *, batched: bool) -> Plan:
        """The plan of ``classes``; ``batched`` leaves out every class with ``batch_submit``."""
        chosen = [cls for cls in classes if not (batched and cls.batch_submit is not None)]
        return Plan(
            add=tuple((c.can_offload, c.conn_add) for c in chosen if c.can_offload or c.conn_add),
            delete=tuple(c.conn_del for c in chosen if c.conn_del is not None),
            est=tuple(c.conn_established for c in chosen if c.conn_established is not None),
            upd=tuple(c.conn_update for c in chosen if c.conn_update is not None),
            can=tuple(c.can_offload for c in chosen if c.can_offload is not None),
            flush=tuple(c.flush for c in chosen if c.flush is not None),
        )


class RfcDispatch:
    """The rfc profiles' rules over a mark table; ``profile`` picks the batch UPD no-data errno."""

    def __init__(self, profile: Profile, marks: MarkTable, *, private_slot: bool) -> None:
        """Rules for ``profile`` (RFC_V1 or RFC_V2) writing marks into ``marks``."""
        if profile is Profile.STRICT:
            raise ValueError("RfcDispatch implements the rfc profiles only")
        self._marks = marks
        self._write = marks.write
        self._slot = private_slot
        # RFC-BATCH: rfc-v2 answers a batch UPD without a timestamp EIO instead of ENODATA.
        self._upd_no_data = EIO if profile is Profile.RFC_V2 else ENODATA
        self.classes_changed(())

    def classes_changed(self, classes: tuple[OffloadClass, ...]) -> None:
        """Gather the plans of the registered ``classes`` (called under the lock at each change)."""
        self._plan = Plan.of(classes, batched=False)
        self._batched = Plan.of(classes, batched=True)
        self._natives = tuple(cls.batch_submit for cls in classes if cls.batch_submit is not None)

    def unregistered(self, cls: OffloadClass) -> None:
        """REG-DEL: unregistering changes no mark."""

    def _set_mark(self, ctx: Ctx, mark: Mark) -> None:
        """``conn_private_set`` guarded by ``private_id_valid``; a NULL conn has no storage."""
        conn = ctx.conn
        if self._slot and conn is not None:
            if mark is NONE:
                self._write(conn.id, None)
            else:
                self._write(conn.id, ADDED_NO_HOLDER if mark is ADDED else EST_NO_HOLDER)

    # The helpers below are the hot path of every op (single or batched), so ``call_can`` and
    # ``call_int`` are inlined in the loops over providers, and a yield point is a test of
    # ``sched.hook`` (``sched.point`` itself when a test scheduler is installed): about 60 ns per
    # function call saved, per provider and op (issue 16, measured with ``nox -s bench``).

    def conn_add_(self, plan: Plan, ctx: Ctx) -> int:
        """RFC-ADD (``ct_offload_conn_add_``): first non-zero error, every provider still called;
        mark ADDED on 0. A missing ``can_offload`` means yes."""
        ret = 0
        for can, add in plan.add:
            if can is not None:
                try:
                    answer = can(ctx)
                except Exception:
                    failed(can)
                    answer = False  # a raising can_offload counts as false
                if answer.__class__ is not bool and not isinstance(answer, int):
                    wrong_type(can, answer, "bool")
                    answer = False
                if not answer:
                    continue
            if add is not None:
                try:
                    error = add(ctx)
                except Exception:
                    failed(add)
                    error = EIO
                if error.__class__ is not int:
                    if isinstance(error, int):
                        error = int(error)
                    else:
                        wrong_type(add, error, "int")
                        error = EIO
                if error and not ret:
                    ret = error
            if sched.hook is not None:
                sched.point("rfc:add:provider")
        if not ret:
            conn = ctx.conn
            if self._slot and conn is not None:
                self._write(conn.id, ADDED_NO_HOLDER)
        return ret

    def conn_del_(self, plan: Plan, ctx: Ctx) -> None:
        """RFC-DEL (``ct_offload_conn_del_``): every ``conn_del``, no can_offload check; mark NONE."""
        for delete in plan.delete:
            try:
                delete(ctx)
            except Exception:
                failed(delete)
            if sched.hook is not None:
                sched.point("rfc:del:provider")
        conn = ctx.conn
        if self._slot and conn is not None:
            self._write(conn.id, None)

    def conn_established_(self, plan: Plan, ctx: Ctx) -> int:
        """RFC-EST (``ct_offload_conn_established_``): EAGAIN without a slot, EALREADY unless ADDED;
        else every ``conn_established``, mark EST, 0."""
        if not self._slot:
            return EAGAIN
        if self._marks.mark(ctx.conn_id) is not ADDED:
            return EALREADY
        for est in plan.est:
            call_void(est, ctx)
        self._set_mark(ctx, EST_MARK)
        return 0

    def conn_update_(self, plan: Plan, ctx: Ctx) -> int:
        """RFC-UPD (``ct_offload_conn_update_``): the first non-zero timestamp; later ones not asked."""
        for upd in plan.upd:
            try:
                stamp = upd(ctx)
            except Exception:
                failed(upd)
                continue  # a raise counts as 0
            if stamp.__class__ is not int:
                if not isinstance(stamp, int):
                    wrong_type(upd, stamp, "int")
                    continue  # as does an answer that is not an int
                stamp = int(stamp)
            if stamp:
                return stamp
        return 0

    def can_offload_(self, plan: Plan, ctx: Ctx) -> bool:
        """RFC-CAN (``ct_offload_can_offload_``): true at the first ``can_offload`` saying true; a
        missing one counts as no here (E-CAN-NULL)."""
        return any(call_can(can, ctx) for can in plan.can)

    def flush_(self, plan: Plan) -> None:
        """RFC-FLUSH (``ct_offload_flush_``): every ``flush``; no mark changes."""
        for flush in plan.flush:
            call_void(flush)

    # The public wrappers (``ct_offload_conn_add`` and so on): the helper over the full plan.

    def conn_add(self, ctx: Ctx) -> int:
        """``ct_offload_conn_add``."""
        return self.conn_add_(self._plan, ctx)

    def conn_del(self, ctx: Ctx) -> None:
        """``ct_offload_conn_del``."""
        self.conn_del_(self._plan, ctx)

    def conn_established(self, ctx: Ctx) -> None:
        """``ct_offload_conn_established``: void, so EAGAIN and EALREADY are not visible."""
        self.conn_established_(self._plan, ctx)

    def conn_update(self, ctx: Ctx) -> int:
        """``ct_offload_conn_update``."""
        return self.conn_update_(self._plan, ctx)

    def can_offload(self, ctx: Ctx) -> bool:
        """``ct_offload_can_offload``."""
        return self.can_offload_(self._plan, ctx)

    def flush(self) -> None:
        """``ct_offload_flush``."""
        self.flush_(self._plan)

    def submit(self, entries: list[BatchEntry]) -> None:
        """RFC-BATCH (``ct_offload_op_batch_submit``).

        Every class with ``batch_submit`` is handed the whole batch first, in registration order:
        a list of its own holding the caller's entries (so each sees what the previous ones wrote
        into an op, and none can add or remove an op of the batch). Then each op runs its single-op
        rule over the batched plan (those classes skipped), and the result overwrites the op's
        error. ``last_used`` is reset to 0: the C op has no such field.
        """
        for batch_submit in self._natives:
            # Each gets a list of its own holding the caller's entries: they see what the previous
            # ones wrote into an op, as in C, but a list one of them changes changes nothing else.
            call_batch(batch_submit, list(entries))
        plan, upd_no_data = self._batched, self._upd_no_data
        add, delete, fallback = self.conn_add_, self.conn_del_, self._fallback
        updates = plan.upd
        for entry in entries:
            entry.last_used = 0
            # The three kinds the sweep and bulk programming send are dispatched here without the
            # ``_fallback`` call, and a UPD (every op of a sweep) runs ``conn_update_``'s loop
            # written out (issue 16: the batch must cost less per op than single ops); the ctx is
            # tested as ``_fallback`` does, since a provider may have replaced it.
            kind, ctx = entry.kind, entry.ctx
            if ctx.__class__ is Ctx:
                if kind is UPD:
                    error = upd_no_data  # RFC-UPD: the first non-zero timestamp is data
                    for upd in updates:
                        try:
                            stamp = upd(ctx)
                        except Exception:
                            failed(upd)
                            continue
                        if stamp.__class__ is not int and not isinstance(stamp, int):
                            wrong_type(upd, stamp, "int")
                            continue
                        if stamp:
                            error = 0
                            break
                    entry.error = error
                    continue
                if kind is ADD:
                    entry.error = add(plan, ctx)
                    continue
                if kind is DEL:
                    delete(plan, ctx)
                    entry.error = 0
                    continue
            entry.error = fallback(plan, entry)

    def _fallback(self, plan: Plan, entry: BatchEntry) -> int:
        """The ``switch (op->type)`` of the fallback loop, reading the op as the providers left it."""
        kind, ctx = entry.kind, entry.ctx
        if kind.__class__ is not OpType or not isinstance(ctx, Ctx):
            return EINVAL
        if kind is ADD:
            return self.conn_add_(plan, ctx)
        if kind is UPD:
            return 0 if self.conn_update_(plan, ctx) else self._upd_no_data
        if kind is DEL:
            self.conn_del_(plan, ctx)
            return 0
        if kind is EST:
            return self.conn_established_(plan, ctx)
        if kind is POLICY:
            return 0 if self.can_offload_(plan, ctx) else EPERM
        self.flush_(plan)
        return 0
