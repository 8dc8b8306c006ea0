"""Per-connection records: the offload mark of patch 07 and, under strict, the holders.

Purpose: the C layer keeps its mark (NONE / ADDED / EST) in a conntrack private slot of each
``struct conn``; here a ``MarkTable`` maps a connection id to a ``Record``. Under the rfc profiles a
record is just the mark; under strict it also names the registered classes that accepted the
connection (its holders), and the mark is NONE exactly when there is no record.

Promises:

- only the layer writes a table, and only while holding its lock;
- a record is immutable and replaced whole, and every read is one dict lookup, so a reader that
  does not hold the lock (a provider callback, another thread) sees a connection's old record or
  its new one, never a mix (atomic under CPython's GIL);
- a connection without a record reads NONE; a NULL connection (id None) never has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from impl.provider import OffloadClass
from model.vocab import Mark


@dataclass(frozen=True, slots=True)
class Record:
    """One connection's offload state: its mark (never NONE) and, under strict, its holders."""

    mark: Mark
    holders: tuple[OffloadClass, ...] = ()


class MarkTable:
    """Connection id -> ``Record``; absent means NONE."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        """An empty table: every connection reads NONE."""
        self._records: dict[int, Record] = {}

    def get(self, conn_id: int | None) -> Record | None:
        """The record of ``conn_id``, or None."""
        if conn_id is None:
            return None
        return self._records.get(conn_id)

    def mark(self, conn_id: int | None) -> Mark:
        """The mark of ``conn_id`` (NONE without a record)."""
        record = self.get(conn_id)
        return Mark.NONE if record is None else record.mark

    def set_mark(self, conn_id: int | None, mark: Mark) -> None:
        """Give ``conn_id`` ``mark`` and no holders (the rfc profiles); NONE drops the record.

        A NULL connection has no storage: the write is dropped.
        """
        if conn_id is None:
            return
        if mark is Mark.NONE:
            self._records.pop(conn_id, None)
        else:
            self._records[conn_id] = Record(mark=mark)

    def put(self, conn_id: int, record: Record) -> None:
        """Replace the record of ``conn_id``."""
        self._records[conn_id] = record

    def drop(self, conn_id: int | None) -> None:
        """Forget ``conn_id`` (it reads NONE)."""
        if conn_id is not None:
            self._records.pop(conn_id, None)

    def clear(self) -> None:
        """Forget every connection."""
        self._records = {}

    def drop_holder(self, cls: OffloadClass) -> None:
        """Remove ``cls`` from every record's holders; a record left with none is dropped."""
        for conn_id, record in list(self._records.items()):
            if cls in record.holders:
                holders = tuple(holder for holder in record.holders if holder is not cls)
                if holders:
                    self._records[conn_id] = Record(mark=record.mark, holders=holders)
                else:
                    del self._records[conn_id]

    def snapshot(self) -> dict[int, Record]:
        """A copy of every record (one atomic dict copy)."""
        return dict(self._records)

    def __len__(self) -> int:
        """How many connections read ADDED or EST."""
        return len(self._records)
