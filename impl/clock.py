"""A virtual clock in ms that threads wait on, for simulations that must not depend on wall time.

Purpose: the tracker and the providers take time as an argument; ``VirtualClock`` is where a
simulation keeps it. Participant threads block in ``wait_until`` until the clock reaches their
next event; a driver moves the clock with ``advance`` / ``advance_to``, and can ask
``next_wakeup`` for the earliest time one of the parked participants waits for, so virtual time
jumps from event to event instead of crawling.

Promises:

- time never goes backwards: ``advance`` takes a non-negative int, ``advance_to`` ignores a past
  time; ``now`` is a lock-free read;
- ``wait_until(t, stop)`` returns True once ``now() >= t`` and False as soon as ``stop`` is set
  (it notices within ``poll`` seconds even if nobody calls ``wake``); it never sleeps on wall time
  beyond that poll;
- ``next_wakeup(parties, stop)`` returns only when ``parties`` threads are parked in ``wait_until``
  for times after now (so every one of them has finished with the present), or None once ``stop``
  is set.
"""

from __future__ import annotations

import threading

__all__ = ["VirtualClock"]

#: How often (wall seconds) a waiter rechecks its stop event when nobody wakes it.
POLL = 0.05


def _check_ms(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"VirtualClock.{what} must be an int (ms), got {type(value).__name__}")
    return value


class VirtualClock:
    """Virtual time in ms, starting at ``start``."""

    def __init__(self, start: int = 0) -> None:
        """A clock reading ``start`` ms."""
        self._now = _check_ms("start", start)
        self._lock = threading.Lock()
        self._ticked = threading.Condition(self._lock)  # the time moved, or stop: waiters recheck
        self._parked_changed = threading.Condition(self._lock)  # a waiter parked: the driver rechecks
        self._parked: dict[int, int] = {}  # thread id -> the time it waits for

    def now(self) -> int:
        """The current virtual time in ms."""
        return self._now

    def __call__(self) -> int:
        """``now()``, so the clock can be handed where a ``Callable[[], int]`` is expected."""
        return self._now

    def __repr__(self) -> str:
        """``VirtualClock(now=1500)``."""
        return f"VirtualClock(now={self._now})"

    def advance(self, ms: int) -> int:
        """Move the clock ``ms`` (>= 0) forward, wake the waiters and return the new time."""
        ms = _check_ms("advance(ms)", ms)
        if ms < 0:
            raise ValueError(f"VirtualClock.advance(ms) must not be negative, got {ms}")
        with self._lock:
            self._now += ms
            self._ticked.notify_all()
            return self._now

    def advance_to(self, t: int) -> int:
        """Move the clock to ``t`` if that is later, wake the waiters and return the time."""
        t = _check_ms("advance_to(t)", t)
        with self._lock:
            if t > self._now:
                self._now = t
                self._ticked.notify_all()
            return self._now

    def wake(self) -> None:
        """Wake every waiter so it rechecks its stop event at once."""
        with self._lock:
            self._ticked.notify_all()
            self._parked_changed.notify_all()

    def wait_until(self, t: int, stop: threading.Event, poll: float = POLL) -> bool:
        """Block until the clock reads ``t`` or later (True) or ``stop`` is set (False)."""
        t = _check_ms("wait_until(t)", t)
        with self._lock:
            if self._now >= t:
                return True
            me = threading.get_ident()
            self._parked[me] = t
            self._parked_changed.notify_all()
            try:
                while self._now < t:
                    if stop.is_set():
                        return False
                    self._ticked.wait(poll)
                return True
            finally:
                del self._parked[me]

    def next_wakeup(self, parties: int, stop: threading.Event, poll: float = POLL) -> int | None:
        """Once ``parties`` threads wait for a time after now, the earliest such time; None on stop."""
        with self._lock:
            while not stop.is_set():
                pending = [t for t in self._parked.values() if t > self._now]
                if len(pending) >= parties:
                    return min(pending)
                self._parked_changed.wait(poll)
            return None

    def parked(self) -> int:
        """How many threads wait in ``wait_until`` right now."""
        with self._lock:
            return len(self._parked)
