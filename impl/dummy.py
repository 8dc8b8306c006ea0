"""The RFC's dummy provider (lib/ct-offload-dummy.c, patch 11/12), with O(1) lookups.

Purpose: a software-only provider that records every connection event, for tests and benchmarks.
It behaves as the C dummy: ``conn_add`` always appends an entry and answers 0 (adding a connection
twice gives it two entries); ``conn_del`` removes the connection's oldest entry; ``conn_established``
records the reply netdev on the oldest entry if it has none yet; ``conn_update`` answers the clock
for a known connection and 0 otherwise; ``can_offload`` is always true; ``flush`` removes every
entry. It has no ``init`` and no ``batch_submit``.

Promises: the counters ``n_added``, ``n_deleted``, ``n_updated`` and ``n_established`` count as the
C ones do; every method takes the provider's own lock, which is independent of any layer's, so
the helpers may be called from any thread; the C code's linear list becomes a dict of deques keyed
by connection id (a NULL connection is key -1).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from impl.provider import OffloadClass
from model.conn import Ctx

#: The key of a NULL connection (the C dummy stores a NULL conn pointer like any other).
NULL_CONN = -1


def wall_clock_ms() -> int:
    """The wall-clock time in ms (the C dummy answers ``time_msec()``)."""
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class DummyEntry:
    """``struct ct_dummy_entry``: a connection and the input netdevs of its two directions."""

    conn_id: int
    netdev_fwd_in: str | None
    netdev_rev_in: str | None = None


def _key(conn_id: int | None) -> int:
    return NULL_CONN if conn_id is None else conn_id


class DummyProvider:
    """The dummy provider's state and callbacks; ``offload_class`` is what a layer registers."""

    def __init__(self, clock: Callable[[], int] = wall_clock_ms) -> None:
        """An empty provider whose ``conn_update`` answers ``clock()`` (ms)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[int, deque[DummyEntry]] = {}
        self._n_added = 0
        self._n_deleted = 0
        self._n_updated = 0
        self._n_established = 0
        self._classes: dict[str, OffloadClass] = {}

    # The callbacks of ct_offload_dummy_class.

    def conn_add(self, ctx: Ctx) -> int:
        """Append an entry {fwd netdev: ``ctx.netdev_in``, rev: None}; always 0."""
        key = _key(ctx.conn_id)
        with self._lock:
            self._entries.setdefault(key, deque()).append(DummyEntry(conn_id=key, netdev_fwd_in=ctx.netdev_in))
            self._n_added += 1
        return 0

    def conn_del(self, ctx: Ctx) -> None:
        """Remove the connection's oldest entry, if it has one."""
        key = _key(ctx.conn_id)
        with self._lock:
            entries = self._entries.get(key)
            if entries:
                entries.popleft()
                self._n_deleted += 1
                if not entries:
                    del self._entries[key]

    def conn_established(self, ctx: Ctx) -> None:
        """Record ``ctx.netdev_in`` as the reply netdev of the oldest entry if it has none yet
        (a None netdev leaves it None, so the next call counts again, as in C)."""
        with self._lock:
            entries = self._entries.get(_key(ctx.conn_id))
            if entries and entries[0].netdev_rev_in is None:
                entries[0].netdev_rev_in = ctx.netdev_in
                self._n_established += 1

    def conn_update(self, ctx: Ctx) -> int:
        """``clock()`` for a connection with an entry, else 0."""
        with self._lock:
            if not self._entries.get(_key(ctx.conn_id)):
                return 0
            self._n_updated += 1
        return self._clock()

    def can_offload(self, ctx: Ctx) -> bool:
        """Always true."""
        return True

    def flush(self) -> None:
        """Remove every entry, each counting as deleted."""
        with self._lock:
            self._n_deleted += sum(len(entries) for entries in self._entries.values())
            self._entries = {}

    # The class and the test helpers.

    def offload_class(self, name: str = "dummy") -> OffloadClass:
        """The provider's class named ``name`` (the same object on every call with that name)."""
        with self._lock:
            cls = self._classes.get(name)
            if cls is None:
                cls = OffloadClass(
                    name,
                    conn_add=self.conn_add,
                    conn_del=self.conn_del,
                    conn_update=self.conn_update,
                    conn_established=self.conn_established,
                    can_offload=self.can_offload,
                    flush=self.flush,
                )
                self._classes[name] = cls
            return cls

    @property
    def n_added(self) -> int:
        """Entries added."""
        return self._n_added

    @property
    def n_deleted(self) -> int:
        """Entries removed, by ``conn_del`` or ``flush``."""
        return self._n_deleted

    @property
    def n_updated(self) -> int:
        """``conn_update`` calls that found an entry."""
        return self._n_updated

    @property
    def n_established(self) -> int:
        """Reply netdevs recorded by ``conn_established``."""
        return self._n_established

    def reset_counters(self) -> None:
        """Zero every counter; the entries stay."""
        with self._lock:
            self._n_added = self._n_deleted = self._n_updated = self._n_established = 0

    def contains(self, conn_id: int | None) -> bool:
        """Whether the connection has an entry (None: the NULL connection)."""
        with self._lock:
            return bool(self._entries.get(_key(conn_id)))

    def is_bidirectional(self, conn_id: int | None) -> bool:
        """Whether the connection's oldest entry has both its forward and its reply netdev."""
        with self._lock:
            entries = self._entries.get(_key(conn_id))
            if not entries:
                return False
            return entries[0].netdev_fwd_in is not None and entries[0].netdev_rev_in is not None

    def entries(self, conn_id: int | None) -> tuple[DummyEntry, ...]:
        """Copies of the connection's entries, oldest first."""
        with self._lock:
            found = self._entries.get(_key(conn_id), ())
            return tuple(DummyEntry(e.conn_id, e.netdev_fwd_in, e.netdev_rev_in) for e in found)

    def __len__(self) -> int:
        """How many entries the provider holds."""
        with self._lock:
            return sum(len(entries) for entries in self._entries.values())
