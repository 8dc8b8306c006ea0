"""Recording concurrent histories of operations on impl, for the linearizability checker.

Purpose: worker threads call impl through ``History.run``, which records each operation's invoke
and return as positions in one global order (closed intervals, as Porcupine argues), with its
result; an operation whose outcome is unknown (a hardware timeout) is recorded with no return.

Promises: positions come from one shared counter advanced atomically (under the GIL), so for two
operations A and B, ``A.ret < B.call`` exactly when A returned before B was invoked; ``History``
may be shared by any number of threads.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from model.ops import LayerOp, Result


class UnknownOutcome(Exception):
    """Raised by a driver when an operation's outcome cannot be known (it may or may not have
    happened); the history records it with no return."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One operation of a history: who ran it, what, when (invoke and return positions), at which
    model time, and what it answered. ``ret`` is None for an unknown outcome."""

    id: int
    thread: int
    op: LayerOp
    call: int
    ret: int | None
    result: Result
    now: int = 0

    @property
    def unknown(self) -> bool:
        """Whether the outcome is unknown."""
        return self.ret is None


class History:
    """A thread-safe recorder of operations."""

    def __init__(self) -> None:
        self._clock = itertools.count()
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._ops: list[Operation] = []

    def run(self, thread: int, op: LayerOp, now: int, call: Callable[[], Result]) -> Result:
        """Run ``call`` (which performs ``op``) as thread ``thread`` and record it; an
        UnknownOutcome is recorded with no return and re-raised."""
        ident = next(self._ids)
        start = next(self._clock)
        try:
            result = call()
        except UnknownOutcome:
            self._add(Operation(id=ident, thread=thread, op=op, call=start, ret=None, result=None, now=now))
            raise
        self._add(Operation(id=ident, thread=thread, op=op, call=start, ret=next(self._clock), result=result, now=now))
        return result

    def _add(self, operation: Operation) -> None:
        with self._lock:
            self._ops.append(operation)

    def operations(self) -> tuple[Operation, ...]:
        """Every recorded operation, by id."""
        with self._lock:
            return tuple(sorted(self._ops, key=lambda o: o.id))
