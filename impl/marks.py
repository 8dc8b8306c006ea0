"""Per-connection records: the offload mark of patch 07 and, under strict, the holders.

Purpose: the C layer keeps its mark (NONE / ADDED / EST) in a conntrack private slot of each
``struct conn``; here ``MarkTable.records`` maps a connection id to a ``Record``: the mark and,
under strict, the registered classes that accepted the connection (its holders). Under the rfc
profiles the holders are always empty. A connection without a record reads NONE.

Promises:

- only the layer writes a table, and only while holding its lock;
- a record is an immutable tuple replaced whole by one dict store, and every read is one dict
  lookup, so a reader that does not hold the lock (a provider callback, another thread) sees a
  connection's old record or its new one, never a mix (atomic under CPython's GIL);
- a NULL connection (id None) never has a record.
"""

from __future__ import annotations

from typing import TypeAlias

from impl.provider import OffloadClass
from model.vocab import Mark

#: One connection's offload state: (mark, holders). The mark is never NONE (NONE = no record).
Record: TypeAlias = tuple[Mark, tuple[OffloadClass, ...]]

ADDED_NO_HOLDER: Record = (Mark.ADDED, ())
EST_NO_HOLDER: Record = (Mark.EST, ())


class MarkTable:
    """Connection id -> ``Record``; absent means NONE.

    ``records`` is public to the dispatch modules, whose hot paths read and write it directly.
    """

    __slots__ = ("records",)

    def __init__(self) -> None:
        """An empty table: every connection reads NONE."""
        self.records: dict[int, Record] = {}

    def mark(self, conn_id: int | None) -> Mark:
        """The mark of ``conn_id`` (NONE without a record)."""
        record = self.records.get(conn_id) if conn_id is not None else None
        return Mark.NONE if record is None else record[0]

    def holders(self, conn_id: int | None) -> tuple[OffloadClass, ...]:
        """The classes holding ``conn_id`` (empty under the rfc profiles)."""
        record = self.records.get(conn_id) if conn_id is not None else None
        return () if record is None else record[1]

    def clear(self) -> None:
        """Forget every connection (one store of a new dict: readers see all or nothing)."""
        self.records = {}

    def drop_holder(self, cls: OffloadClass) -> None:
        """Remove ``cls`` from every record's holders; a record left with none is dropped."""
        records = self.records
        for conn_id, (mark, holders) in list(records.items()):
            if cls in holders:
                kept = tuple(holder for holder in holders if holder is not cls)
                if kept:
                    records[conn_id] = (mark, kept)
                else:
                    del records[conn_id]

    def snapshot(self) -> dict[int, Record]:
        """A copy of every record (one atomic dict copy)."""
        return dict(self.records)

    def __len__(self) -> int:
        """How many connections read ADDED or EST."""
        return len(self.records)
