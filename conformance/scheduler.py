"""A deterministic scheduler: worker threads run one at a time, switching at impl's yield points.

Purpose: make races reproducible and shrinkable. Every worker runs in a real thread, but only the
thread holding the turn runs; at each yield point (``impl.sched.point``) the running thread asks
the scheduler who goes next, and the answer comes from a list of choices a Hypothesis test draws.
The same choices replay the same interleaving; Hypothesis shrinks them like any other data.

Promises: ``run`` returns when every worker has finished (or re-raises the first exception a
worker raised); the yield-point hook is installed only during ``run``; when the choices run out
the scheduler keeps the current thread running, and after ``max_switches`` yields it switches
round-robin, so a waiting thread cannot spin for ever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from impl import sched


class Scheduler:
    """Runs workers cooperatively, choosing the next thread from ``choices``."""

    def __init__(self, choices: Sequence[int], *, max_switches: int = 10_000) -> None:
        self._choices = list(choices)
        self._max = max_switches
        self._next = 0
        self._yields = 0
        self._turn: dict[int, threading.Event] = {}
        self._index: dict[int, int] = {}
        self._live: list[int] = []
        self._guard = threading.Lock()
        self._error: BaseException | None = None
        self.trace: list[tuple[int, str]] = []

    def _choose(self, current: int) -> int:
        """The worker that runs after ``current`` yields."""
        live = sorted(self._live)
        self._yields += 1
        if self._yields > self._max:
            later = [w for w in live if w > current]
            return later[0] if later else live[0]
        if self._next < len(self._choices):
            choice = self._choices[self._next]
            self._next += 1
            return live[choice % len(live)]
        return current if current in live else live[0]

    def _hand(self, target: int) -> None:
        self._turn[target].set()

    def _hook(self, tag: str) -> None:
        me = self._index.get(threading.get_ident())
        if me is None:
            return
        with self._guard:
            self.trace.append((me, tag))
            target = self._choose(me)
        if target == me:
            return
        self._turn[me].clear()
        self._hand(target)
        self._turn[me].wait()

    def _body(self, worker: int, target: Callable[[], None]) -> None:
        self._index[threading.get_ident()] = worker
        self._turn[worker].wait()
        try:
            target()
        except BaseException as exc:  # re-raised by run()
            self._error = self._error or exc
        finally:
            with self._guard:
                self._live.remove(worker)
                successor = self._choose(worker) if self._live else None
            if successor is not None:
                self._hand(successor)

    def run(self, workers: Sequence[Callable[[], None]]) -> None:
        """Run ``workers`` to completion under the schedule."""
        self._turn = {w: threading.Event() for w in range(len(workers))}
        self._live = list(range(len(workers)))
        threads = [threading.Thread(target=self._body, args=(w, fn), daemon=True) for w, fn in enumerate(workers)]
        previous = sched.install(self._hook)
        try:
            for thread in threads:
                thread.start()
            if workers:
                self._hand(self._choose(0) if self._choices else 0)
            for thread in threads:
                thread.join(timeout=60)
                if thread.is_alive():
                    raise RuntimeError("a scheduled worker did not finish within 60 s (scheduler deadlock)")
        finally:
            sched.install(previous)
        if self._error is not None:
            raise self._error
