"""Batches of ops: ``struct ct_offload_op`` and ``struct ct_offload_op_batch`` of lib/ct-offload.h.

Purpose: the caller fills a ``Batch`` with ``add`` and hands it to ``OffloadLayer.submit``, which
writes every entry's result into it; ``results`` reads them back. A native provider's
``batch_submit`` receives a list of ``BatchEntry`` and writes its answers into them.

Promises:

- ``add`` checks its arguments (TypeError naming the bad one; the batch is then unchanged) and
  converts a raw int type with ``model.ops.batch_kind``, so an out-of-range value becomes
  ``InvalidType`` (the layer answers it EINVAL);
- an entry's ``error`` and ``last_used`` start at 0 (``ct_offload_op_batch_add`` zeroes ``error``;
  ``last_used`` is the field the C struct lacks, used for UPD under the strict profile only);
- ``allocated`` follows the C growth: 0 while empty, then 8, doubling whenever full; ``clear``
  makes the batch empty again (``ct_offload_op_batch_destroy`` then ``_init``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from model.conn import ConnRef, Ctx
from model.ops import BatchKind, BatchOp, BatchResult, InvalidType, batch_kind
from model.vocab import OpType

#: ``CT_OFFLOAD_BATCH_INITIAL_SIZE``.
INITIAL_SIZE = 8


def ctx_problem(ctx: object) -> str | None:
    """What is wrong with ``ctx`` as a ``struct ct_offload_ctx``, or None: it must be a ``Ctx``
    whose ``conn`` is a ``ConnRef`` with an int id (or None, a NULL conn) and whose ``netdev_in``
    is a str or None. A malformed ctx would otherwise reach providers, or fail deep in a rule."""
    if not isinstance(ctx, Ctx):
        return f"ctx must be a model.conn.Ctx, got {type(ctx).__name__}"
    conn: object = ctx.conn
    if conn is not None:
        if not isinstance(conn, ConnRef):
            return f"ctx.conn must be a model.conn.ConnRef or None, got {type(conn).__name__}"
        ident: object = conn.id
        if ident.__class__ is not int:
            return f"ctx.conn.id must be an int, got {type(ident).__name__}"
    netdev: object = ctx.netdev_in
    if netdev is not None and not isinstance(netdev, str):
        return f"ctx.netdev_in must be a str or None, got {type(netdev).__name__}"
    return None


def check_ctx(where: str, ctx: object) -> Ctx:
    """``ctx`` if it is well formed (the common case: one quick test), else TypeError naming the
    problem at ``where``."""
    if not well_formed(ctx):
        refuse_ctx(where, ctx)
    return ctx  # type: ignore[return-value]  # well_formed checked that it is a Ctx


def refuse_ctx(where: str, ctx: object) -> None:
    """Raise the TypeError naming what is wrong with ``ctx`` at ``where`` (``ctx`` may be well
    formed after all, of a subclass: then nothing is raised)."""
    problem = ctx_problem(ctx)
    if problem is not None:
        raise TypeError(f"{where}: {problem}")


def well_formed(ctx: object) -> bool:
    """The quick test of ``check_ctx``: exact classes, as every well-behaved caller passes them
    (a subclass, or a slot deleted behind the frozen dataclass's back, takes the slow path).

    Every op of the layer runs it, batched ones included, so it reads the slots directly (a
    deleted one raises AttributeError, which costs nothing when not raised) instead of
    ``getattr`` with a default: about half the time (issue 16, ``nox -s bench``).
    """
    try:
        if ctx.__class__ is not Ctx:
            return False
        conn: object = ctx.conn
        if conn is not None and (conn.__class__ is not ConnRef or conn.id.__class__ is not int):
            return False
        netdev: object = ctx.netdev_in
        return netdev is None or netdev.__class__ is str
    except AttributeError:
        return False


@dataclass(slots=True)
class BatchEntry:
    """One op of a batch and its result: ``struct ct_offload_op`` plus ``last_used`` and ``index``.

    ``index`` is the op's position in the batch the caller submitted; the strict profile hands a
    native provider copies of some ops of a batch, and each copy keeps the index of its original
    (a batch of one built by the layer for the single-op API has index -1: no batch position).
    """

    kind: BatchKind
    ctx: Ctx
    error: int = 0
    last_used: int = 0
    index: int = 0

    @property
    def conn_id(self) -> int | None:
        """The op's connection identity (None for a NULL conn)."""
        return self.ctx.conn_id

    def op(self) -> BatchOp:
        """The op as the shared op algebra spells it."""
        return BatchOp(kind=self.kind, ctx=self.ctx)

    def result(self) -> BatchResult:
        """The entry's result as the shared op algebra spells it."""
        return BatchResult(error=self.error, last_used=self.last_used)


def as_kind(kind: object, what: str = "kind") -> BatchKind:
    """``kind`` as a ``BatchKind``: an OpType or InvalidType as is, an int through ``batch_kind``.

    A bool or any other type raises TypeError naming ``what``.
    """
    if isinstance(kind, OpType | InvalidType):
        return kind
    if isinstance(kind, bool) or not isinstance(kind, int):
        raise TypeError(f"{what} must be an OpType or an int, got {type(kind).__name__}")
    return batch_kind(kind)


class Batch:
    """``struct ct_offload_op_batch``: the ops to submit, in order, and their results afterwards."""

    __slots__ = ("_allocated", "_entries")

    def __init__(self, ops: Iterable[BatchOp] = ()) -> None:
        """An empty batch (``ct_offload_op_batch_init``), then ``add`` for each of ``ops``."""
        self._entries: list[BatchEntry] = []
        self._allocated = 0
        for op in ops:
            if not isinstance(op, BatchOp):
                raise TypeError(f"Batch(ops): expected model.ops.BatchOp items, got {type(op).__name__}")
            self.add(op.kind, op.ctx)

    def add(self, kind: BatchKind | int, ctx: Ctx) -> BatchEntry:
        """Append one op (``ct_offload_op_batch_add``) and return its entry."""
        checked = kind if kind.__class__ is OpType else as_kind(kind, "Batch.add: kind")
        check_ctx("Batch.add", ctx)
        if len(self._entries) == self._allocated:
            self._allocated = self._allocated * 2 if self._allocated else INITIAL_SIZE
        entry = BatchEntry(checked, ctx, 0, 0, len(self._entries))
        self._entries.append(entry)
        return entry

    def add_all(self, kind: BatchKind | int, ctxs: Iterable[Ctx]) -> None:
        """``add(kind, ctx)`` for each of ``ctxs`` in order, except that the ctxs are checked when
        the batch is submitted (``OffloadLayer.submit`` checks every entry, naming a bad one), not
        here: the tracker's sweep fills its batches so, at about half the cost of ``add`` per op,
        which is what makes a batch cheaper than single ops (issue 16)."""
        checked = kind if kind.__class__ is OpType else as_kind(kind, "Batch.add_all: kind")
        entries = self._entries
        start = len(entries)
        entries.extend([BatchEntry(checked, ctx, 0, 0, index) for index, ctx in enumerate(ctxs, start)])
        while self._allocated < len(entries):  # the C growth: 8, then doubling when full
            self._allocated = self._allocated * 2 if self._allocated else INITIAL_SIZE

    def refill(self, kind: BatchKind | int, ctxs: list[Ctx]) -> None:
        """``clear`` then ``add_all(kind, ctxs)``, reusing this batch's entry objects: as the C
        code reuses a batch's op array, an entry handed out before is overwritten (read its
        result first). For a caller that fills one batch again and again (the tracker's sweep, a
        batch per expiry list); an entry's construction is most of the cost of adding an op,
        and the batch is there to cost less per op than single ops (issue 16)."""
        checked = kind if kind.__class__ is OpType else as_kind(kind, "Batch.refill: kind")
        entries = self._entries
        kept = min(len(entries), len(ctxs))
        for index in range(kept):
            entry = entries[index]
            entry.kind, entry.ctx, entry.error, entry.last_used, entry.index = checked, ctxs[index], 0, 0, index
        del entries[kept:]
        self._allocated = 0
        self.add_all(checked, ctxs[kept:])

    def __len__(self) -> int:
        """``ct_offload_op_batch_len``."""
        return len(self._entries)

    def __iter__(self) -> Iterator[BatchEntry]:
        """The entries in order (``CT_OFFLOAD_BATCH_OP_FOR_EACH``)."""
        return iter(tuple(self._entries))

    @property
    def allocated(self) -> int:
        """``ct_offload_op_batch_size``: the capacity the C code would have allocated."""
        return self._allocated

    @property
    def entries(self) -> tuple[BatchEntry, ...]:
        """The entries in order (the objects themselves: the layer writes results into them)."""
        return tuple(self._entries)

    def errors(self) -> list[int]:
        """Each entry's ``error``, in order (what the rfc sweep reads of its batch)."""
        return [entry.error for entry in self._entries]

    def ops(self) -> tuple[BatchOp, ...]:
        """The ops in order, without their results."""
        return tuple(entry.op() for entry in self._entries)

    def results(self) -> tuple[BatchResult, ...]:
        """Every entry's result in order (meaningful after ``OffloadLayer.submit``)."""
        return tuple(entry.result() for entry in self._entries)

    def clear(self) -> None:
        """Make the batch empty for reuse (``ct_offload_op_batch_destroy`` then ``_init``)."""
        self._entries = []
        self._allocated = 0

    def __repr__(self) -> str:
        """``Batch([ADD 3, UPD 4])``."""
        return f"Batch([{', '.join(_describe(entry) for entry in self._entries)}])"


def _describe(entry: BatchEntry) -> str:
    kind = entry.kind.name if isinstance(entry.kind, OpType) else str(entry.kind.raw)
    return f"{kind} {entry.conn_id}"


def checked_entries(batch: object) -> list[BatchEntry]:
    """The entries of ``batch`` for ``OffloadLayer.submit``, each checked again.

    Entries are mutable, so a caller may have changed one since ``add``: a kind that is a raw int
    is converted (the entry is updated); anything else raises TypeError naming the entry, and then
    no entry has changed. The common case (nothing changed) is one quick pass, with the message
    of a refusal built only when there is one (building it for every op was a third of the cost
    of a batch: issue 16).
    """
    if not isinstance(batch, Batch):
        raise TypeError(f"OffloadLayer.submit: batch must be an impl.batch.Batch, got {type(batch).__name__}")
    entries = list(batch._entries)
    converted: list[tuple[BatchEntry, BatchKind]] = []
    for entry in entries:  # (its position is found only for a message: ``_position``)
        # ``well_formed`` inlined (every op of every batch passes here: issue 16); anything but
        # the exact classes takes ``refuse_ctx``, which raises unless the ctx is fine after all.
        ctx = entry.ctx
        good = ctx.__class__ is Ctx
        if good:
            try:
                conn, netdev = ctx.conn, ctx.netdev_in
                good = (conn is None or (conn.__class__ is ConnRef and conn.id.__class__ is int)) and (
                    netdev is None or netdev.__class__ is str
                )
            except AttributeError:
                good = False
        if not good:
            refuse_ctx(f"OffloadLayer.submit: entry {_position(entries, entry)}", ctx)
        kind = entry.kind
        if kind.__class__ is not OpType and kind.__class__ is not InvalidType:
            where = f"OffloadLayer.submit: entry {_position(entries, entry)}: kind"
            converted.append((entry, as_kind(kind, where)))
    for entry, kind in converted:
        entry.kind = kind
    return entries


def _position(entries: list[BatchEntry], entry: BatchEntry) -> int:
    """The position of ``entry`` (the object itself) in ``entries``."""
    return next(position for position, other in enumerate(entries) if other is entry)
