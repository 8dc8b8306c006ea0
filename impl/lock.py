"""The layer's single lock (``ct_offload_mutex``), which knows its owner and refuses re-entry.

Purpose: every locked method of ``OffloadLayer`` runs under one ``LayerLock``, and every provider
callback runs while it is held. A callback that calls back into a locked method of the same layer
would deadlock on a plain mutex (as it would in the C code); here it gets ``LayerReentryError``.

Promises: ``acquire`` raises ``LayerReentryError`` (without blocking) when the calling thread
already holds the lock, and otherwise blocks until it holds it; ``release`` gives it up. Re-entry
from another thread that a callback waits for cannot be detected and deadlocks, as in C.
"""

from __future__ import annotations

import threading
from threading import get_ident
from time import sleep

from impl import sched

#: How many times a waiter yields the GIL before blocking on a contended lock.
SPINS = 100


class LayerReentryError(RuntimeError):
    """A provider callback called a locked method of the layer that is calling it."""

    def __init__(self, method: str) -> None:
        """The error for a re-entrant call of ``OffloadLayer.<method>``."""
        super().__init__(
            f"OffloadLayer.{method}() was called from inside a provider callback: this thread already "
            "holds the layer's lock, and a callback must not call back into the layer's locked methods "
            "(mark(), is_offloaded(), is_established(), holders(), marks() and registered() are safe to "
            "call from a callback)"
        )
        self.method = method


class LayerLock:
    """A non-reentrant mutex that records which thread holds it."""

    __slots__ = ("_lock", "_owner", "_try", "_unlock")

    def __init__(self) -> None:
        """An unlocked lock."""
        self._lock = threading.Lock()
        self._owner: int | None = None
        # Bound once: every op of the layer takes and releases the lock (issue 16).
        self._try, self._unlock = self._lock.acquire, self._lock.release

    def acquire(self, method: str) -> None:
        """Take the lock for ``OffloadLayer.<method>``; LayerReentryError if this thread holds it.

        The uncontended case is one non-blocking acquire. Only when that fails is the owner
        compared with the caller: only the owning thread ever writes its own id into ``_owner``,
        and it does so while holding the lock, so the comparison cannot race. The yield point is
        a test of ``sched.hook`` unless a test scheduler is installed (a call saved per op).
        """
        if sched.hook is not None:
            sched.point("lock:acquire")
        if not self._try(False):
            if self._owner == get_ident():
                raise LayerReentryError(method)
            self._contended()
        self._owner = get_ident()

    def _contended(self) -> None:
        """Wait for a lock another thread holds.

        Blocking at once makes a lock convoy under CPython's GIL: the holder is usually switched
        out inside its critical section, the waiter sleeps in the kernel and must be woken on every
        release, and with 4 threads throughput fell to about a third of one thread's (measured,
        ``nox -s bench``). Yielding the GIL first (``sleep(0)``) lets the holder finish its operation
        at once; only after ``SPINS`` yields does the waiter block, so it cannot starve.
        """
        if sched.hook is not None:  # a test scheduler runs one thread at a time: never block
            while not self._lock.acquire(False):
                sched.point("lock:wait")
            return
        for _ in range(SPINS):
            sleep(0)
            if self._try(False):
                return
        self._lock.acquire()

    def release(self) -> None:
        """Give the lock up (the caller holds it)."""
        self._owner = None
        self._unlock()
        if sched.hook is not None:
            sched.point("lock:released")

    def held_by_caller(self) -> bool:
        """Whether the calling thread holds the lock (that is, is inside a provider callback)."""
        return self._owner == get_ident()
