"""The tracker simulation's traffic model: when flows arrive, how long each keeps sending, who sends it.

Purpose: ``TrafficModel`` is what a user sets (``python -m impl simulate --rate --lifetime
--long-share --long-lifetime --interval``): flows arrive as a Poisson process of ``rate`` flows
per virtual second; a flow is long-lived with probability ``long_share``; it stays *active* for
an exponentially distributed lifetime of mean ``lifetime`` ms (``long_lifetime`` for a long-lived
one; None: until the end of the run), exchanging one packet each way every ``interval`` ms from
its arrival on (the first exchange always happens, so a lifetime of 0 is a flow that opens and
goes idle at once); then it is *idle* and sends nothing more. Arrivals, lifetimes and a run of
bounded length give the tracker a steady state: the table holds about ``rate`` times the time a
flow stays in it. ``Arrivals`` hands the flows of a run out to the worker threads.

Promises:

- ``TrafficModel`` is frozen and valid: TypeError (wrong type) or ValueError (out of range)
  naming the field;
- ``Arrivals`` draws flow 0, 1, 2, ... in arrival order from one ``random.Random(seed)``, three
  draws per flow (gap, long or not, lifetime) whatever the model, so the flows and their times
  depend only on the seed, the model and the start, never on the number of workers or on the
  threads; flow f goes to worker ``f % workers``; ``next_for`` is thread-safe, returns None once
  ``conns`` flows have been handed out, and keeps in memory only flows drawn but not yet taken
  (a few per worker), so an unbounded run costs memory for its open flows only.
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["Arrivals", "Flow", "TrafficModel"]


def _number(owner: str, name: str, value: object, *, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{owner}.{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        bound = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        raise ValueError(f"{owner}.{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _ms(owner: str, name: str, value: object, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be an int (ms), got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{owner}.{name} must be at least {low} ms, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class TrafficModel:
    """Arrivals (``rate``: flows per virtual second), lifetimes (means in ms; ``long_lifetime``
    None: the whole run), the share of long-lived flows and the interval between a flow's packet
    exchanges (ms). The defaults reach a steady state of about 600 connections in 5 minutes."""

    rate: float = 10.0
    lifetime: int = 30_000
    long_share: float = 0.1
    long_lifetime: int | None = 120_000
    interval: int = 10_000

    def __post_init__(self) -> None:
        """Refuse an invalid field, naming it."""
        _number("TrafficModel", "rate", self.rate, low=0.0)
        if self.rate <= 0:
            raise ValueError(f"TrafficModel.rate must be positive, got {self.rate!r}")
        _ms("TrafficModel", "lifetime", self.lifetime, low=0)
        _number("TrafficModel", "long_share", self.long_share, low=0.0, high=1.0)
        if self.long_lifetime is not None:
            _ms("TrafficModel", "long_lifetime", self.long_lifetime, low=0)
        _ms("TrafficModel", "interval", self.interval, low=1)

    @classmethod
    def always_on(cls, active: float, *, rate: float = 10.0, interval: int = 10_000) -> TrafficModel:
        """The model of the first simulations: a share ``active`` of the flows sends for the whole
        run, the others open and go idle at once."""
        return cls(rate=rate, lifetime=0, long_share=active, long_lifetime=None, interval=interval)

    def describe(self) -> dict[str, object]:
        """The model as JSON-able data (times in seconds; a lifetime of the whole run is None)."""
        return {
            "rate_per_s": self.rate,
            "mean_lifetime_s": self.lifetime / 1000,
            "long_share": self.long_share,
            "mean_long_lifetime_s": None if self.long_lifetime is None else self.long_lifetime / 1000,
            "interval_s": self.interval / 1000,
        }


@dataclass(frozen=True, slots=True)
class Flow:
    """One flow: its id, when it arrives (ms), when it stops sending (None: never) and whether it
    is long-lived."""

    id: int
    opens_at: int
    ends_at: int | None
    long: bool


class Arrivals:
    """The flows of one run in arrival order, dealt round robin to ``workers`` workers."""

    def __init__(self, model: TrafficModel, *, seed: int, start: int, workers: int, conns: int | None) -> None:
        """Flows of ``model`` from virtual time ``start`` (ms), at most ``conns`` (None: no limit)."""
        if not isinstance(model, TrafficModel):
            raise TypeError(f"Arrivals: model must be a TrafficModel, got {type(model).__name__}")
        self._model = model
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._workers = workers
        self._conns = conns
        self._pending: list[deque[Flow]] = [deque() for _ in range(workers)]
        self._next = 0
        self._time = float(start)

    @property
    def drawn(self) -> int:
        """How many flows have been drawn so far."""
        return self._next

    def _draw(self) -> Flow:
        model, rng = self._model, self._rng
        self._time += rng.expovariate(model.rate / 1000.0)
        is_long = rng.random() < model.long_share
        mean = model.long_lifetime if is_long else model.lifetime
        unit = rng.random()
        opens_at = round(self._time)
        ends_at = None if mean is None else opens_at + round(-mean * math.log(1.0 - unit))
        flow = Flow(self._next, opens_at, ends_at, is_long)
        self._next += 1
        return flow

    def next_for(self, worker: int) -> Flow | None:
        """Worker ``worker``'s next flow, or None once every flow has been handed out."""
        with self._lock:
            queue = self._pending[worker]
            while not queue:
                if self._conns is not None and self._next >= self._conns:
                    return None
                flow = self._draw()
                self._pending[flow.id % self._workers].append(flow)
            return queue.popleft()
