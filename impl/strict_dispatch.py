"""Dispatch of the strict profile: the single-op API, unregister and batch submission.

Purpose: the strict counterpart of ``impl.rfc_dispatch``, with the same methods, so the layer
picks one object per profile and calls it with its lock held. Every single op goes gate ->
verdicts -> effect (``impl.strict_rules``); a batch goes through ``impl.strict_batch``, which uses
the same three steps.

Promises: the single-op path asks the targets in registration order (POLICY stops at the first
that takes the connection, STRICT-POLICY-STOP); a connection's mark is ADDED or EST exactly while
some registered class holds it (STRICT-EFFECT, STRICT-UNREG).
"""

from __future__ import annotations

from impl.batch import BatchEntry
from impl.marks import MarkTable
from impl.provider import OffloadClass
from impl.strict_batch import submit_batch
from impl.strict_rules import Targets, Verdict, ask, effect, gate, stops_early
from model.conn import Ctx
from model.ops import BatchResult
from model.vocab import OpType

#: The ctx of a FLUSH issued through the single-op API (``ct_offload_flush`` takes none).
NO_CONN = Ctx(conn=None)


class StrictDispatch:
    """The strict rules over a mark table holding each connection's holders."""

    def __init__(self, marks: MarkTable, *, private_slot: bool) -> None:
        """Rules writing records into ``marks``; without a private slot ADD answers ENOMEM."""
        self._marks = marks
        self._slot = private_slot

    def apply(self, classes: tuple[OffloadClass, ...], kind: OpType, ctx: Ctx) -> BatchResult:
        """One op through the single-op path: STRICT-GATE, STRICT-ASK per target, STRICT-EFFECT."""
        gated = gate(kind, ctx, classes, self._marks, private_slot=self._slot)
        if not isinstance(gated, Targets):
            return BatchResult(error=gated)
        asked: list[tuple[OffloadClass, Verdict]] = []
        for cls in gated.classes:
            verdict = ask(cls, kind, ctx)
            asked.append((cls, verdict))
            if stops_early(kind) and verdict.error == 0:
                break
        return effect(self._marks, kind, ctx, asked)

    def conn_add(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> int:
        """ADD: 0 if some capable class accepted the connection (it is then ADDED), else an errno."""
        return self.apply(classes, OpType.ADD, ctx).error

    def conn_del(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> None:
        """DEL: the holders are told; the record is dropped."""
        self.apply(classes, OpType.DEL, ctx)

    def conn_update(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> int:
        """UPD: the latest positive last-used timestamp of the holders, 0 if none has one."""
        return self.apply(classes, OpType.UPD, ctx).last_used

    def conn_established(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> None:
        """EST: the holders of an ADDED connection are told; EST if none of them failed."""
        self.apply(classes, OpType.EST, ctx)

    def can_offload(self, classes: tuple[OffloadClass, ...], ctx: Ctx) -> bool:
        """POLICY: whether some capable class would take the connection."""
        return self.apply(classes, OpType.POLICY, ctx).error == 0

    def flush(self, classes: tuple[OffloadClass, ...]) -> None:
        """FLUSH: every class is told; every record is dropped."""
        self.apply(classes, OpType.FLUSH, NO_CONN)

    def unregistered(self, cls: OffloadClass) -> None:
        """STRICT-UNREG: ``cls`` no longer holds any connection."""
        self._marks.drop_holder(cls)

    def submit(self, classes: tuple[OffloadClass, ...], entries: list[BatchEntry]) -> None:
        """STRICT-BATCH."""
        submit_batch(classes, entries, self._marks, private_slot=self._slot)
