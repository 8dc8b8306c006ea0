"""One worker thread of the tracker simulation: its flows' packets, in hardware or through the tracker.

Purpose: ``FlowWorker.run`` is the body of a worker thread of ``impl.sim.Simulation``. It takes
its flows from ``impl.sim_traffic.Arrivals`` as they arrive and, while each is active, sends one
exchange (a packet each way) every ``interval`` ms from its arrival on. The first exchange of a
flow goes through the tracker (``commit``, then ``reply``: that creates and establishes its
connection); every later one is offered to the hardware first (``hardware(conn_id)``: the device
forwards it and counts it) and goes through the tracker only when the hardware does not have the
connection -- a table miss, as in a datapath with offloaded flows.

Promises:

- the worker acts only at times ``phase`` ms past a ``tick`` after ``start`` (its events are
  rounded up to those), and checks ``stop`` at every exchange;
- its counters (``packets``, ``hw_packets``, ``opened``, ``active``) and ``idle`` (flow -> the
  time of its last exchange, for flows that have gone idle) are written by its own thread only,
  each write one atomic dict or attribute operation; another thread may read them at any time and
  may ``forget`` idle flows (the simulation does, for flows whose connections have left the
  table, so ``idle`` stays as small as the table);
- a flow is forgotten by the worker once it goes idle, so memory grows with the active flows.
"""

from __future__ import annotations

import heapq
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from impl.clock import VirtualClock
from impl.sim_traffic import Arrivals, Flow
from impl.tracker import ConnTracker

__all__ = ["FAR", "FlowWorker"]

#: A parked worker with nothing scheduled waits for this time (never reached in practice).
FAR = sys.maxsize


@dataclass(slots=True)
class _FlowState:
    """What a worker knows of one of its active flows: its connection, whether the reply
    established it, and when it stops sending (None: never)."""

    ends_at: int | None
    conn: int | None = None
    established: bool = False


class FlowWorker:
    """The flows of worker ``index``: what its thread sends, and its counters."""

    def __init__(
        self,
        index: int,
        *,
        arrivals: Arrivals,
        clock: VirtualClock,
        stop: threading.Event,
        tracker: ConnTracker,
        interval: int,
        start: int,
        tick: int,
        phase: int,
        hardware: Callable[[int], bool] | None = None,
        on_packet: Callable[[int, int], None] | None = None,
    ) -> None:
        """Worker ``index``, acting ``phase`` ms past each ``tick`` after ``start``."""
        self.index = index
        self._arrivals = arrivals
        self._clock = clock
        self._stop = stop
        self._tracker = tracker
        self._interval = interval
        self._start = start
        self._tick = tick
        self._phase = phase
        self._hardware = hardware
        self._on_packet = on_packet
        self._out_dev, self._in_dev = f"p{index}", f"p{index}-peer"
        self.packets = 0
        self.hw_packets = 0
        self.opened = 0
        self.active = 0
        self.idle: dict[int, int] = {}

    def _round_up(self, t: int) -> int:
        """The first time at or after ``t`` that is ``phase`` ms past a tick."""
        base = self._start + self._phase
        return base + max(0, -(-(t - base) // self._tick)) * self._tick

    def forget(self, flows: Iterable[int]) -> None:
        """Drop these flows from ``idle``."""
        for flow in flows:
            self.idle.pop(flow, None)

    def run(self) -> None:
        """Open this worker's flows as they arrive, then send their exchanges while they are active.

        The heap holds the next exchange of every active flow; ``upcoming`` is the next flow to
        arrive, so memory grows with the active flows, not with the flows of the run.
        """
        clock, stop, interval = self._clock, self._stop, self._interval
        flows: dict[int, _FlowState] = {}
        due: list[tuple[int, int]] = []
        upcoming: Flow | None = self._arrivals.next_for(self.index)
        while not stop.is_set():
            wake = min(due[0][0] if due else FAR, FAR if upcoming is None else upcoming.opens_at)
            if not clock.wait_until(FAR if wake == FAR else self._round_up(wake), stop):
                return
            now = clock.now()
            while upcoming is not None and upcoming.opens_at <= now:
                flows[upcoming.id] = _FlowState(upcoming.ends_at)
                heapq.heappush(due, (upcoming.opens_at, upcoming.id))
                self.opened += 1
                upcoming = self._arrivals.next_for(self.index)
            while due and due[0][0] <= now and not stop.is_set():
                at, flow = heapq.heappop(due)
                state = flows[flow]
                self._exchange(flow, state, now)
                if state.ends_at is None or at + interval < state.ends_at:
                    heapq.heappush(due, (at + interval, flow))
                else:
                    del flows[flow]
                    self.idle[flow] = now
            self.active = len(flows)

    def _exchange(self, flow: int, state: _FlowState, now: int) -> None:
        """One packet each way: in hardware if the hardware takes it, else through the tracker."""
        self.packets += 2
        hardware = self._hardware
        if hardware is not None and state.established and state.conn is not None and hardware(state.conn):
            self.hw_packets += 2
            return
        tracker, on_packet = self._tracker, self._on_packet
        conn_id = tracker.commit(flow, now, self._out_dev)
        if on_packet is not None and conn_id is not None:
            on_packet(flow, conn_id)
        reply_id = tracker.reply(flow, now, self._in_dev)
        if on_packet is not None and reply_id is not None:
            on_packet(flow, reply_id)
        state.conn = conn_id if reply_id is None else reply_id
        state.established = reply_id is not None
