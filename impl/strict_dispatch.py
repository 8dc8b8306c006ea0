"""Dispatch of the strict profile: the single-op API, unregister and batch submission.

Purpose: the strict counterpart of ``impl.rfc_dispatch``, with the same methods, so the layer
picks one object per profile and calls it with its lock held. Every single op goes gate ->
verdicts -> effect (``impl.strict_rules.decide``); a batch goes through ``impl.strict_batch``,
which uses the same three steps.

Promises: the single-op path asks the targets in registration order (POLICY stops at the first
that takes the connection, STRICT-POLICY-STOP); a connection's mark is ADDED or EST exactly while
some registered class holds it (STRICT-EFFECT, STRICT-UNREG).
"""

from __future__ import annotations

from impl.batch import BatchEntry
from impl.marks import MarkTable
from impl.provider import OffloadClass
from impl.strict_batch import submit_batch
from impl.strict_rules import ADD, DEL, EST, FLUSH, POLICY, UPD, Verdict, decide, takes_connections
from model.conn import Ctx
from model.vocab import OpType

#: The ctx of a FLUSH issued through the single-op API (``ct_offload_flush`` takes none).
NO_CONN = Ctx(conn=None)


class StrictDispatch:
    """The strict rules over a mark table holding each connection's holders."""

    def __init__(self, marks: MarkTable, *, private_slot: bool) -> None:
        """Rules writing records into ``marks``; without a private slot ADD answers ENOMEM."""
        self._marks = marks
        self._slot = private_slot
        self.classes_changed(())

    def classes_changed(self, classes: tuple[OffloadClass, ...]) -> None:
        """Note the registered ``classes`` and which of them can hold connections (STRICT-CAPABLE)."""
        self._classes = classes
        self._capable = tuple(cls for cls in classes if takes_connections(cls))

    def apply(self, kind: OpType, ctx: Ctx) -> Verdict:
        """One op through the single-op path (the op kinds are ``impl.strict_rules``' constants: an
        enum member read through its class costs about 100 ns under CPython 3.11)."""
        return decide(self._classes, self._capable, self._marks, kind, ctx, private_slot=self._slot)

    def conn_add(self, ctx: Ctx) -> int:
        """ADD: 0 if some capable class accepted the connection (it is then ADDED), else an errno."""
        return self.apply(ADD, ctx)[0]

    def conn_del(self, ctx: Ctx) -> None:
        """DEL: the holders are told; the record is dropped."""
        self.apply(DEL, ctx)

    def conn_update(self, ctx: Ctx) -> int:
        """UPD: the latest positive last-used timestamp of the holders, 0 if none has one."""
        return self.apply(UPD, ctx)[1]

    def conn_established(self, ctx: Ctx) -> None:
        """EST: the holders of an ADDED connection are told; EST if none of them failed."""
        self.apply(EST, ctx)

    def can_offload(self, ctx: Ctx) -> bool:
        """POLICY: whether some capable class would take the connection."""
        return self.apply(POLICY, ctx)[0] == 0

    def flush(self) -> None:
        """FLUSH: every class is told; every record is dropped."""
        self.apply(FLUSH, NO_CONN)

    def unregistered(self, cls: OffloadClass) -> None:
        """STRICT-UNREG: ``cls`` no longer holds any connection."""
        self._marks.drop_holder(cls)

    def submit(self, entries: list[BatchEntry]) -> None:
        """STRICT-BATCH."""
        submit_batch(self._classes, self._capable, entries, self._marks, private_slot=self._slot)
