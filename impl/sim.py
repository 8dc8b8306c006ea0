"""A threaded simulation of the connection tracker over an offload layer, in virtual time.

Purpose: ``Simulation`` runs OVS's userspace conntrack traffic pattern against a ``ConnTracker``:
worker threads open their share of N synthetic flows (flow ids 0..N-1: commit, then the reply),
keep the *active* ones busy (a commit and a reply every ``traffic_interval`` of virtual time) and
let the others go idle; a sweeper thread runs ``tracker.sweep(clock.now())`` every sweep interval
of virtual time; a driver thread moves the ``VirtualClock`` from one due event to the next, once
every participant has finished with the present (so a run is as fast as the tracker allows and
its virtual-time schedule does not depend on thread timing). A progress callback reports counters.

Promises:

- ``start`` starts every thread; ``stop`` stops and joins every one of them, is idempotent, and
  leaves no thread behind (RuntimeError naming any that does not end within ``join_timeout``);
  the simulation opens no file or socket; a ``Simulation`` is single-use and a context manager;
- ``wait`` blocks until the driver has reached ``duration`` (or the run failed or was stopped);
- the first exception raised in any thread stops the run and is re-raised by ``run``, by ``stop``
  and on leaving the ``with`` block (once);
- flow f is active iff a fixed hash of f is below ``active_fraction``; flow f opens at
  ``start + f * open_spread // conns`` (rounded up to a ``tick``), on worker ``f % workers``;
  flows are generated as they open (memory grows with the flows opened, not with ``conns``) and
  the workers check for ``stop`` at every packet, so a huge run stays stoppable;
- the optional ``on_packet(flow, conn_id)`` hook sees every packet that found or created a
  connection, after the tracker handled it, from the worker that sent it (no lock held); without
  it nothing changes.
"""

from __future__ import annotations

import contextlib
import heapq
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.tracker import ConnTracker
from impl.tracker_table import StatsSnapshot

__all__ = ["SimProgress", "Simulation", "VirtualClock"]

#: A parked worker with nothing scheduled waits for this time (never reached in practice).
FAR = sys.maxsize


@dataclass(frozen=True, slots=True)
class SimProgress:
    """Counters at one moment of a run: virtual time (ms), its end (None: unbounded), the tracker's
    stats and table size, packets sent by the workers, wall seconds since ``start``, and whether
    this is the driver's final report."""

    now: int
    end: int | None
    stats: StatsSnapshot
    table_size: int
    packets: int
    wall: float
    final: bool = False


def _positive(name: str, value: object, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Simulation: {name} must be an int, got {type(value).__name__}")
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"Simulation: {name} must be {'non-negative' if zero else 'positive'}, got {value}")
    return value


def is_active(flow: int, active_fraction: float) -> bool:
    """Whether ``flow`` keeps sending traffic (a fixed multiplicative hash, spread over flows)."""
    return (flow * 0x9E3779B1) % (1 << 32) < active_fraction * (1 << 32)


class Simulation:
    """Workers, a sweeper and a driver around one tracker and one virtual clock."""

    def __init__(
        self,
        layer: OffloadLayer,
        tracker: ConnTracker,
        clock: VirtualClock,
        *,
        conns: int,
        workers: int = 4,
        duration: int | None = None,
        active_fraction: float = 0.5,
        traffic_interval: int = 10_000,
        open_spread: int | None = None,
        tick: int = 1_000,
        progress: Callable[[SimProgress], None] | None = None,
        progress_every: float = 1.0,
        join_timeout: float = 10.0,
        on_packet: Callable[[int, int], None] | None = None,
    ) -> None:
        """A simulation of ``conns`` flows on ``workers`` threads, until ``duration`` ms of
        virtual time have passed (None: until ``stop``). ``progress`` is called from the driver
        thread every ``progress_every`` wall seconds, and once at the end. ``on_packet(flow,
        conn_id)`` is called from the sending worker after every packet that found or created a
        connection (e.g. to inject the traffic into a simulated device)."""
        if not isinstance(layer, OffloadLayer):
            raise TypeError(f"Simulation: layer must be an OffloadLayer, got {type(layer).__name__}")
        if not isinstance(tracker, ConnTracker):
            raise TypeError(f"Simulation: tracker must be a ConnTracker, got {type(tracker).__name__}")
        if tracker.layer is not layer:
            raise ValueError("Simulation: tracker must drive the given layer")
        if not isinstance(clock, VirtualClock):
            raise TypeError(f"Simulation: clock must be a VirtualClock, got {type(clock).__name__}")
        if not isinstance(active_fraction, int | float) or not 0.0 <= active_fraction <= 1.0:
            raise ValueError(f"Simulation: active_fraction must be a number in [0, 1], got {active_fraction!r}")
        if progress is not None and not callable(progress):
            raise TypeError("Simulation: progress must be callable or None")
        if on_packet is not None and not callable(on_packet):
            raise TypeError("Simulation: on_packet must be callable or None")
        self.layer = layer
        self.tracker = tracker
        self.clock = clock
        self.conns = _positive("conns", conns, zero=True)
        self.workers = _positive("workers", workers)
        self.duration = None if duration is None else _positive("duration", duration)
        self.active_fraction = float(active_fraction)
        self.traffic_interval = _positive("traffic_interval", traffic_interval)
        self.open_spread = _positive("open_spread", traffic_interval if open_spread is None else open_spread, zero=True)
        self.tick = _positive("tick", tick)
        self.sweep_interval = tracker.config.sweep_interval
        self._progress = progress
        self._on_packet = on_packet
        self._progress_every = float(progress_every)
        self._join_timeout = float(join_timeout)
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._threads: list[threading.Thread] = []
        self._packets = [0] * self.workers  # one slot per worker, written only by its worker
        self._error: BaseException | None = None
        self._error_raised = False
        self._state = "new"
        self._start_ms = 0
        self._end: int | None = None
        self._wall0 = 0.0
        self._wall = 0.0

    # Life cycle.

    def start(self) -> None:
        """Start the workers, the sweeper and the driver (once)."""
        if self._state != "new":
            raise RuntimeError(f"Simulation.start: the simulation is {self._state} (a Simulation runs once)")
        self._state = "running"
        self._start_ms = self.clock.now()
        self._end = None if self.duration is None else self._start_ms + self.duration
        self._wall0 = time.perf_counter()
        targets: list[tuple[str, Callable[..., None], tuple[int, ...]]] = [
            (f"sim-worker-{w}", self._worker, (w,)) for w in range(self.workers)
        ]
        targets += [("sim-sweeper", self._sweeper, ()), ("sim-driver", self._driver, ())]
        for name, target, args in targets:
            thread = threading.Thread(target=self._guard, args=(target, *args), name=name)
            self._threads.append(thread)
            thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run reached its end, failed or was stopped; whether it did in time."""
        return self._finished.wait(timeout)

    def stop(self) -> None:
        """Stop and join every thread (idempotent); re-raise a thread's exception, once."""
        if self._state == "running":
            self._stop.set()
            self.clock.wake()
            for thread in self._threads:
                thread.join(self._join_timeout)
            alive = [t.name for t in self._threads if t.is_alive()]
            if alive:
                raise RuntimeError(f"Simulation.stop: threads still running after {self._join_timeout} s: {alive}")
            self._state = "stopped"
            self._wall = time.perf_counter() - self._wall0
            self._finished.set()
        self._raise_error()

    def run(self) -> SimProgress:
        """``start``, ``wait`` for the end, ``stop``; the final counters."""
        if self.duration is None:
            raise ValueError("Simulation.run needs a duration (else use start and stop)")
        self.start()
        try:
            self.wait()
        finally:
            self.stop()
        return self.snapshot(final=True)

    def __enter__(self) -> Simulation:
        """``start`` the simulation."""
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """``stop`` it (a thread's exception is re-raised unless one is already propagating)."""
        if kind is None:
            self.stop()
            return
        with contextlib.suppress(Exception):  # the exception in flight is the one to report
            self.stop()

    def _raise_error(self) -> None:
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error

    @property
    def error(self) -> BaseException | None:
        """The first exception raised in a simulation thread, if any."""
        return self._error

    # Observation.

    @property
    def packets(self) -> int:
        """Packets (commits and replies) the workers have sent."""
        return sum(self._packets)

    def snapshot(self, *, final: bool = False) -> SimProgress:
        """The counters now."""
        wall = self._wall if self._state == "stopped" else time.perf_counter() - self._wall0
        return SimProgress(
            now=self.clock.now(),
            end=self._end,
            stats=self.tracker.stats(),
            table_size=len(self.tracker),
            packets=self.packets,
            wall=wall,
            final=final,
        )

    # The threads.

    def _guard(self, target: Callable[..., None], *args: int) -> None:
        try:
            target(*args)
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            self._stop.set()
            self._finished.set()
            self.clock.wake()

    def _round_up(self, t: int) -> int:
        return -(-(t - self._start_ms) // self.tick) * self.tick + self._start_ms

    def _opens_at(self, flow: int) -> int:
        return self._start_ms + flow * self.open_spread // max(self.conns, 1)

    def _worker(self, index: int) -> None:
        """Open this worker's flows when due, then send traffic on the active ones.

        The heap holds the next packet of every open active flow and the opening of this worker's
        next flow only (flows open in id order), so memory grows with the flows opened, not with
        ``conns``; the stop event is checked at every packet.
        """
        tracker, clock, stop, on_packet = self.tracker, self.clock, self._stop, self._on_packet
        out_dev, in_dev = f"p{index}", f"p{index}-peer"
        step = self.workers
        next_open = index  # this worker's next flow to open (its opening is in the heap)
        due: list[tuple[int, int]] = [(self._opens_at(index), index)] if index < self.conns else []
        sent = 0
        while not stop.is_set() and clock.wait_until(self._round_up(due[0][0]) if due else FAR, stop):
            now = clock.now()
            while due and due[0][0] <= now and not stop.is_set():
                at, flow = heapq.heappop(due)
                if flow == next_open:
                    next_open += step
                    if next_open < self.conns:
                        heapq.heappush(due, (self._opens_at(next_open), next_open))
                conn_id = tracker.commit(flow, now, out_dev)
                if on_packet is not None and conn_id is not None:
                    on_packet(flow, conn_id)
                reply_id = tracker.reply(flow, now, in_dev)
                if on_packet is not None and reply_id is not None:
                    on_packet(flow, reply_id)
                sent += 2
                if is_active(flow, self.active_fraction):
                    heapq.heappush(due, (at + self.traffic_interval, flow))
            self._packets[index] = sent

    def _sweeper(self) -> None:
        """``tracker.sweep`` every sweep interval of virtual time."""
        next_sweep = self._start_ms + self.sweep_interval
        while self.clock.wait_until(next_sweep, self._stop):
            self.tracker.sweep(self.clock.now())
            next_sweep += self.sweep_interval

    def _driver(self) -> None:
        """Move the clock to the next due event until the end; report progress."""
        parties = self.workers + 1
        last_report = time.perf_counter()
        while self._end is None or self.clock.now() < self._end:
            wakeup = self.clock.next_wakeup(parties, self._stop)
            if wakeup is None:
                return
            self.clock.advance_to(wakeup if self._end is None else min(wakeup, self._end))
            if self._progress is not None and time.perf_counter() - last_report >= self._progress_every:
                last_report = time.perf_counter()
                self._progress(self.snapshot())
        # Let the participants finish with the last instant before reporting the end.
        if self.clock.next_wakeup(parties, self._stop) is None:
            return
        if self._progress is not None:
            self._progress(self.snapshot(final=True))
        self._finished.set()
