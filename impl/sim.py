"""A threaded simulation of the connection tracker over an offload layer, in virtual time.

Purpose: ``Simulation`` runs OVS's userspace conntrack traffic pattern against a ``ConnTracker``:
worker threads open the flows of a ``impl.sim_traffic.TrafficModel`` as they arrive (each
exchange is a commit, then the reply) and keep them sending while they are active; a sweeper
thread runs ``tracker.sweep(clock.now())`` every sweep interval of virtual time; a driver thread
moves the ``VirtualClock`` from one due event to the next, once every participant has finished
with the present (so a run is as fast as the tracker allows and its virtual-time schedule does
not depend on thread timing). Once a flow's connection is established, its exchanges are offered
to the hardware first (the ``hardware`` hook, e.g. ``SimDevice.hit``); only those the hardware does
not take go through the software tracker, as a datapath sends only table misses to software.

Promises:

- ``start`` starts every thread; ``stop`` stops and joins every one of them, is idempotent, and
  leaves no thread behind (RuntimeError naming any that does not end within ``join_timeout``);
  the simulation opens no file or socket; a ``Simulation`` is single-use and a context manager;
- ``wait`` blocks until the driver has reached ``duration`` (or the run failed or was stopped);
- the first exception raised in any thread stops the run and is re-raised by ``run``, by ``stop``
  and on leaving the ``with`` block (once);
- the flows are ``impl.sim_traffic.Arrivals`` of the model and ``seed`` (at most ``conns``; None:
  no limit), flow f sent by ``impl.sim_flows.FlowWorker`` ``f % workers``; they are generated as
  they arrive and forgotten when they go idle (``idle_flows`` keeps, until the sweep after their
  connections have left the table, when they went idle), and the workers check for ``stop`` at
  every exchange, so a huge run costs memory for its open flows only and stays stoppable;
- worker w acts only at times ``w + 1`` ms past a ``tick`` and the sweeper only on the tick: with
  a sweep interval that is a multiple of the tick and fewer than ``tick`` workers, no two threads
  ever act at the same virtual instant, so the tracker sees the same calls in the same order on
  every run with the same arguments;
- ``hardware(conn_id) -> bool`` is asked for every exchange of an established flow; when it
  answers True the hardware forwarded the exchange and the tracker sees nothing; without it every
  exchange goes through the tracker; ``on_packet(flow, conn_id)`` sees every software packet that
  found or created a connection, and ``on_sweep(now, report)`` every sweep's report, each from
  the thread that caused it, with no lock held.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.sim_flows import FlowWorker
from impl.sim_traffic import Arrivals, TrafficModel
from impl.tracker import ConnTracker, SweepReport
from impl.tracker_table import StatsSnapshot

__all__ = ["SimProgress", "Simulation", "TrafficModel", "VirtualClock"]


@dataclass(frozen=True, slots=True)
class SimProgress:
    """Counters at one moment of a run: virtual time (ms), its start and end (None: unbounded), the
    tracker's stats and table size, packets sent (``hw_packets`` of them forwarded in hardware),
    flows opened and flows active now, wall seconds since ``start``, and whether this is the
    driver's final report."""

    now: int
    end: int | None
    stats: StatsSnapshot
    table_size: int
    packets: int
    wall: float
    final: bool = False
    hw_packets: int = 0
    flows: int = 0
    active: int = 0
    start: int = 0


def _positive(name: str, value: object, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Simulation: {name} must be an int, got {type(value).__name__}")
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"Simulation: {name} must be {'non-negative' if zero else 'positive'}, got {value}")
    return value


def _callable(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"Simulation: {name} must be callable or None")


class Simulation:
    """Workers, a sweeper and a driver around one tracker and one virtual clock."""

    def __init__(
        self,
        layer: OffloadLayer,
        tracker: ConnTracker,
        clock: VirtualClock,
        *,
        conns: int | None = None,
        workers: int = 4,
        duration: int | None = None,
        traffic: TrafficModel | None = None,
        seed: int = 0,
        tick: int = 1_000,
        progress: Callable[[SimProgress], None] | None = None,
        progress_every: float = 1.0,
        join_timeout: float = 10.0,
        on_packet: Callable[[int, int], None] | None = None,
        hardware: Callable[[int], bool] | None = None,
        on_sweep: Callable[[int, SweepReport], None] | None = None,
    ) -> None:
        """A simulation of at most ``conns`` flows (None: no limit) of ``traffic`` (default
        ``TrafficModel()``) drawn with ``seed``, on ``workers`` threads, until ``duration`` ms of
        virtual time have passed (None: until ``stop``). ``progress`` is called from the driver
        thread every ``progress_every`` wall seconds, and once at the end."""
        if not isinstance(layer, OffloadLayer):
            raise TypeError(f"Simulation: layer must be an OffloadLayer, got {type(layer).__name__}")
        if not isinstance(tracker, ConnTracker):
            raise TypeError(f"Simulation: tracker must be a ConnTracker, got {type(tracker).__name__}")
        if tracker.layer is not layer:
            raise ValueError("Simulation: tracker must drive the given layer")
        if not isinstance(clock, VirtualClock):
            raise TypeError(f"Simulation: clock must be a VirtualClock, got {type(clock).__name__}")
        traffic = TrafficModel() if traffic is None else traffic
        if not isinstance(traffic, TrafficModel):
            raise TypeError(f"Simulation: traffic must be a TrafficModel, got {type(traffic).__name__}")
        for name, hook in (("progress", progress), ("on_packet", on_packet), ("hardware", hardware)):
            _callable(name, hook)
        _callable("on_sweep", on_sweep)
        self.layer = layer
        self.tracker = tracker
        self.clock = clock
        self.conns = None if conns is None else _positive("conns", conns, zero=True)
        self.workers = _positive("workers", workers)
        self.duration = None if duration is None else _positive("duration", duration)
        self.traffic = traffic
        self.seed = _positive("seed", seed, zero=True)
        self.tick = _positive("tick", tick)
        self.sweep_interval = tracker.config.sweep_interval
        self._progress = progress
        self._on_packet = on_packet
        self._hardware = hardware
        self._on_sweep = on_sweep
        self._progress_every = float(progress_every)
        self._join_timeout = float(join_timeout)
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers: list[FlowWorker] = []
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
        arrivals = Arrivals(self.traffic, seed=self.seed, start=self._start_ms, workers=self.workers, conns=self.conns)
        self._workers = [
            FlowWorker(
                w, arrivals=arrivals, clock=self.clock, stop=self._stop, tracker=self.tracker,
                interval=self.traffic.interval, start=self._start_ms, tick=self.tick,
                phase=1 + w % max(self.tick - 1, 1), hardware=self._hardware, on_packet=self._on_packet,
            )
            for w in range(self.workers)
        ]  # fmt: skip
        self._wall0 = time.perf_counter()
        targets: list[tuple[str, Callable[[], None]]] = [(f"sim-worker-{w.index}", w.run) for w in self._workers]
        targets += [("sim-sweeper", self._sweeper), ("sim-driver", self._driver)]
        for name, target in targets:
            thread = threading.Thread(target=self._guard, args=(target,), name=name)
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
        """Packets (commits and replies, in software or hardware) the workers have sent."""
        return sum(w.packets for w in self._workers)

    @property
    def hw_packets(self) -> int:
        """Packets the hardware forwarded (the tracker never saw them)."""
        return sum(w.hw_packets for w in self._workers)

    @property
    def flows(self) -> int:
        """Flows opened so far."""
        return sum(w.opened for w in self._workers)

    @property
    def active(self) -> int:
        """Flows sending now (opened, lifetime not over)."""
        return sum(w.active for w in self._workers)

    def idle_flows(self) -> dict[int, int]:
        """Flow -> the time of its last exchange, for the idle flows whose connections the table
        held at the last sweep (a copy)."""
        idle: dict[int, int] = {}
        for worker in self._workers:
            idle.update(worker.idle.copy())
        return idle

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
            hw_packets=self.hw_packets,
            flows=self.flows,
            active=self.active,
            start=self._start_ms,
        )

    # The threads.

    def _guard(self, target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            self._stop.set()
            self._finished.set()
            self.clock.wake()

    def _sweeper(self) -> None:
        """``tracker.sweep`` every sweep interval of virtual time (on the tick)."""
        next_sweep = self._start_ms + self.sweep_interval
        while self.clock.wait_until(next_sweep, self._stop):
            now = self.clock.now()
            report = self.tracker.sweep(now)
            self._forget_gone_flows()
            if self._on_sweep is not None:
                self._on_sweep(now, report)
            next_sweep += self.sweep_interval

    def _forget_gone_flows(self) -> None:
        """Forget the idle flows whose connections have all left the table."""
        if any(w.idle for w in self._workers):
            present = {flow for flow, _, _, _ in self.tracker.table().values()}
            for worker in self._workers:
                worker.forget([flow for flow in worker.idle.copy() if flow not in present])

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
