"""Dispatch of the rfc-v1 and rfc-v2 profiles: lib/ct-offload.c of the RFC series, quirks included.

Purpose: each method is one of the C file's unlocked helpers (``ct_offload_conn_add_`` and so on)
or ``ct_offload_op_batch_submit``, written as the same loop over the registered classes, in
registration order. The layer calls them with its lock held. Rule ids refer to docs/spec.rst.

Promises: the provider callbacks invoked, their order and the results are those of the C code;
``batched=True`` skips every class that has ``batch_submit``, as the C helpers do. A raising
callback counts as its C failure value (RFC-RAISE: ``conn_add`` EIO, ``can_offload`` false,
``conn_update`` 0, void callbacks and ``batch_submit`` nothing) and the remaining providers are
still called. Without a private slot nothing is marked; a NULL connection has no mark storage
(writes are dropped, reads are NONE).
"""

from __future__ import annotations

from typing import assert_never

from impl.batch import BatchEntry
from impl.calls import call_batch, call_bool, call_int, call_void
from impl.marks import MarkTable
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


class RfcDispatch:
    """The rfc profiles' rules over a mark table; ``profile`` picks the batch UPD no-data errno."""

    def __init__(self, profile: Profile, marks: MarkTable, *, private_slot: bool) -> None:
        """Rules for ``profile`` (RFC_V1 or RFC_V2) writing marks into ``marks``."""
        if profile is Profile.STRICT:
            raise ValueError("RfcDispatch implements the rfc profiles only")
        self._marks = marks
        self._slot = private_slot
        # RFC-BATCH: rfc-v2 answers a batch UPD without a timestamp EIO instead of ENODATA.
        self._upd_no_data = EIO if profile is Profile.RFC_V2 else ENODATA

    def _set_mark(self, ctx: Ctx, mark: Mark) -> None:
        """``conn_private_set`` guarded by ``private_id_valid``."""
        if self._slot:
            self._marks.set_mark(ctx.conn_id, mark)

    def conn_add_(self, classes: tuple[OffloadClass, ...], ctx: Ctx, *, batched: bool = False) -> int:
        """RFC-ADD (``ct_offload_conn_add_``): first non-zero error; mark ADDED on 0."""
        ret = 0
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            # A missing can_offload means yes; a raising one means no.
            if cls.can_offload is not None and not call_bool(cls.can_offload, ctx):
                continue
            if cls.conn_add is not None:
                error = call_int(cls.conn_add, ctx)
                if error is None:
                    error = EIO
                if error and not ret:
                    ret = error
        if not ret:
            self._set_mark(ctx, Mark.ADDED)
        return ret

    def conn_del_(self, classes: tuple[OffloadClass, ...], ctx: Ctx, *, batched: bool = False) -> None:
        """RFC-DEL (``ct_offload_conn_del_``): every ``conn_del``, no can_offload check; mark NONE."""
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            if cls.conn_del is not None:
                call_void(cls.conn_del, ctx)
        self._set_mark(ctx, Mark.NONE)

    def conn_established_(self, classes: tuple[OffloadClass, ...], ctx: Ctx, *, batched: bool = False) -> int:
        """RFC-EST (``ct_offload_conn_established_``): EAGAIN without a slot, EALREADY unless ADDED."""
        if not self._slot:
            return EAGAIN
        if self._marks.mark(ctx.conn_id) is not Mark.ADDED:
            return EALREADY
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            if cls.conn_established is not None:
                call_void(cls.conn_established, ctx)
        self._set_mark(ctx, Mark.EST)
        return 0

    def conn_update_(self, classes: tuple[OffloadClass, ...], ctx: Ctx, *, batched: bool = False) -> int:
        """RFC-UPD (``ct_offload_conn_update_``): the first non-zero timestamp; later ones not asked."""
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            if cls.conn_update is not None:
                ts = call_int(cls.conn_update, ctx)
                if ts:
                    return ts
        return 0

    def can_offload_(self, classes: tuple[OffloadClass, ...], ctx: Ctx, *, batched: bool = False) -> bool:
        """RFC-CAN (``ct_offload_can_offload_``): true at the first ``can_offload`` saying true."""
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            # A missing can_offload counts as no here (E-CAN-NULL).
            if cls.can_offload is not None and call_bool(cls.can_offload, ctx):
                return True
        return False

    def flush_(self, classes: tuple[OffloadClass, ...], *, batched: bool = False) -> None:
        """RFC-FLUSH (``ct_offload_flush_``): every ``flush``; no mark changes."""
        for cls in classes:
            if batched and cls.batch_submit is not None:
                continue
            if cls.flush is not None:
                call_void(cls.flush)

    # The public wrappers (``ct_offload_conn_add`` and so on): the helper with ``batched=False``.

    def conn_add(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> int:
        """``ct_offload_conn_add``."""
        return self.conn_add_(classes, ctx)

    def conn_del(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> None:
        """``ct_offload_conn_del``."""
        self.conn_del_(classes, ctx)

    def conn_established(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> None:
        """``ct_offload_conn_established``: void, so EAGAIN and EALREADY are not visible."""
        self.conn_established_(classes, ctx)

    def conn_update(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> int:
        """``ct_offload_conn_update``."""
        return self.conn_update_(classes, ctx)

    def can_offload(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> bool:
        """``ct_offload_can_offload``."""
        return self.can_offload_(classes, ctx)

    def flush(self, classes: tuple[OffloadClass, ...]) -> None:
        """``ct_offload_flush``."""
        self.flush_(classes)

    def unregistered(self, cls: OffloadClass) -> None:
        """REG-DEL: unregistering changes no mark."""

    def submit(self, classes: tuple[OffloadClass, ...], entries: list[BatchEntry]) -> None:
        """RFC-BATCH (``ct_offload_op_batch_submit``).

        Every class with ``batch_submit`` is handed the whole batch first, in registration order:
        one list holding the caller's own entries, the same list for each (so each sees what the
        previous ones wrote). Then each op runs its single-op rule with those classes skipped, and
        the result overwrites the op's error. ``last_used`` is reset to 0: the C op has no such
        field.
        """
        handed = list(entries)
        for cls in classes:
            if cls.batch_submit is not None:
                call_batch(cls.batch_submit, handed)
        for entry in entries:
            entry.last_used = 0
            entry.error = self._fallback(classes, entry)

    def _fallback(self, classes: tuple[OffloadClass, ...], entry: BatchEntry) -> int:
        """The ``switch (op->type)`` of the fallback loop, reading the op as the providers left it."""
        kind, ctx = entry.kind, entry.ctx
        if not isinstance(kind, OpType) or not isinstance(ctx, Ctx):
            return EINVAL
        match kind:
            case OpType.ADD:
                return self.conn_add_(classes, ctx, batched=True)
            case OpType.DEL:
                self.conn_del_(classes, ctx, batched=True)
                return 0
            case OpType.UPD:
                return 0 if self.conn_update_(classes, ctx, batched=True) else self._upd_no_data
            case OpType.POLICY:
                return 0 if self.can_offload_(classes, ctx, batched=True) else EPERM
            case OpType.FLUSH:
                self.flush_(classes, batched=True)
                return 0
            case OpType.EST:
                return self.conn_established_(classes, ctx, batched=True)
            case _:
                assert_never(kind)
