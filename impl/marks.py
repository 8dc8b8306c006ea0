"""Per-connection records: the offload mark of patch 07 and, under strict, the holders.

Purpose: the C layer keeps its mark (NONE / ADDED / EST) in a conntrack private slot of each
``struct conn``; here ``MarkTable.records`` maps a connection id to a ``Record``: the mark and,
under strict, the registered classes that accepted the connection (its holders). Under the rfc
profiles the holders are always empty. A connection without a record reads NONE.

Readers do not take the layer's lock, and a batch is one operation to them: while a batch runs
(``begin_batch`` ... ``end_batch``), ``write`` saves each record's value from before the batch the
first time it changes it, and a reader in another thread is answered from those saved values, so
it sees every connection as it was before the batch or, once the batch has ended, after it; never
a batch half applied. (The RFC's C code gives readers no such promise: its marks change op by op.)
The writer bumps ``_version`` at both ends of a batch (odd while one runs); a reader reads the
version, the record and the version again, and tries again if a batch began or ended meanwhile.

Promises:

- only the layer writes a table, and only while holding its lock, through ``write``, ``clear`` and
  ``drop_holder``;
- a record is an immutable tuple replaced whole by one dict store, and every read is atomic under
  CPython's GIL, so a reader sees a connection's old record or its new one, never a mix, and never
  the middle of a batch (the thread running the batch, a provider callback, sees its progress);
- a NULL connection (id None) never has a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from impl.provider import OffloadClass
from model.vocab import Mark

#: One connection's offload state: (mark, holders). The mark is never NONE (NONE = no record).
Record: TypeAlias = tuple[Mark, tuple[OffloadClass, ...]]

#: ``Mark.NONE`` read once: under CPython 3.11 an enum member read through its class costs a
#: Python-level call (about 100 ns), and ``mark`` is read for every op of a sweep.
NONE = Mark.NONE

ADDED_NO_HOLDER: Record = (Mark.ADDED, ())
EST_NO_HOLDER: Record = (Mark.EST, ())

#: A connection the running batch has not changed yet (not the same as "had no record": None).
_UNCHANGED = object()


class MarkTable:
    """Connection id -> ``Record``; absent means NONE.

    ``records`` is public to the dispatch modules, whose hot paths read it directly; they write
    through ``write``. ``in_batch_thread`` tells whether the calling thread is the one running the
    batch (the layer passes its lock's ``held_by_caller``).
    """

    __slots__ = ("_before", "_in_batch_thread", "_version", "records")

    def __init__(self, in_batch_thread: Callable[[], bool] = lambda: False) -> None:
        """An empty table: every connection reads NONE."""
        self.records: dict[int, Record] = {}
        self._version = 0
        self._before: dict[int, Record | None] = {}
        self._in_batch_thread = in_batch_thread

    # Writing (the layer's lock held).

    def begin_batch(self) -> None:
        """From now until ``end_batch``, readers in other threads see the records as they are now."""
        self._before = {}
        self._version += 1

    def end_batch(self) -> None:
        """Readers see the records as the batch left them."""
        self._version += 1

    def write(self, conn_id: int, record: Record | None) -> None:
        """Set (or, with None, remove) the record of ``conn_id``."""
        records = self.records
        if self._version & 1 and conn_id not in self._before:
            self._before[conn_id] = records.get(conn_id)
        if record is None:
            records.pop(conn_id, None)
        else:
            records[conn_id] = record

    def clear(self) -> None:
        """Forget every connection (one store of a new dict: readers see all or nothing)."""
        if self._version & 1:
            for conn_id, record in self.records.items():
                self._before.setdefault(conn_id, record)
        self.records = {}

    def drop_holder(self, cls: OffloadClass) -> None:
        """Remove ``cls`` from every record's holders; a record left with none is dropped."""
        for conn_id, (mark, holders) in list(self.records.items()):
            if cls in holders:
                kept = tuple(holder for holder in holders if holder is not cls)
                self.write(conn_id, (mark, kept) if kept else None)

    # Reading (no lock).

    def record(self, conn_id: int | None) -> Record | None:
        """The record of ``conn_id`` as a reader may see it (None: NONE)."""
        if conn_id is None:
            return None
        # The common case first, no batch running (even version, unchanged while reading): one
        # dict read between two reads of the version. The sweep asks this of every connection
        # it walks (issue 16).
        version = self._version
        record = self.records.get(conn_id)
        if not version & 1 and self._version == version:
            return record
        while True:
            version = self._version
            before = self._before
            record = self.records.get(conn_id)
            if self._version != version:
                continue  # a batch began or ended while reading: read again
            if not version & 1 or self._in_batch_thread():
                return record
            saved = before.get(conn_id, _UNCHANGED)
            return record if saved is _UNCHANGED else saved  # type: ignore[return-value]

    def has_record(self, conn_id: int | None) -> bool:
        """Whether ``conn_id`` has a record (reads ADDED or EST) as a reader may see it: ``record``
        in one frame for the common case (the sweep asks it of every connection it walks)."""
        version = self._version
        if conn_id is not None and not version & 1:
            found = conn_id in self.records
            if self._version == version:
                return found
        return self.record(conn_id) is not None

    def mark(self, conn_id: int | None) -> Mark:
        """The mark of ``conn_id`` (NONE without a record)."""
        record = self.record(conn_id)
        return NONE if record is None else record[0]

    def holders(self, conn_id: int | None) -> tuple[OffloadClass, ...]:
        """The classes holding ``conn_id`` (empty under the rfc profiles)."""
        record = self.record(conn_id)
        return () if record is None else record[1]

    def snapshot(self) -> dict[int, Record]:
        """A copy of every record, as a reader may see them all at one moment."""
        while True:
            version = self._version
            before = self._before
            copy = dict(self.records)
            if self._version != version:
                continue
            if version & 1 and not self._in_batch_thread():
                for conn_id, record in list(before.items()):
                    if record is None:
                        copy.pop(conn_id, None)
                    else:
                        copy[conn_id] = record
            return copy

    def __len__(self) -> int:
        """How many connections read ADDED or EST."""
        return len(self.records)
