"""One batch of the switchdev provider on its engine: rounds of submit, push, poll, cancel, query.

Purpose: the mechanics of P-BATCH (docs/switchdev.rst) for ``impl.switchdev.provider``: the
provider decides what each op needs (a device op, a deferred UPD answer, or an answer at once)
and ``BatchRun`` carries it out. Ops go to the engine in batch order and form a *round*; an op
that names a connection the round already names (it has a device op in flight or a UPD waiting
for its answer), a FLUSH after anything, and any op after a FLUSH first *drain* the round: push
once, poll until every op of the round has completed, then answer the round's UPDs from one
``query``. So each connection's ops reach the device in order, and every decision the provider
takes sees the effects of the earlier ops of the batch, as the per-op callbacks would.

Promises:

- every op handed to ``submit`` gets exactly one answer: its refusal, its completion, or
  ETIMEDOUT when completions stop coming for ``timeout`` wall seconds (the ops still queued are
  then cancelled, so they changed nothing); once one round of a batch has timed out, later rounds
  of the batch wait for nothing more than one poll;
- a refusal's and a completion's effect reach the provider through ``apply(op, error)`` (refusals
  at once, completions in completion order), also for a completion that arrives in a later batch
  for an op that timed out without being cancelled (such an op is kept in ``late``, without its
  batch entry);
- an engine call that raises ``OSError`` counts as: submit refused with its errno (EIO if none),
  push or poll that delivered nothing, cancel that withdrew nothing, query that knew nothing.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from impl.batch import BatchEntry
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult, FlowStats, OffloadEngine
from model.conn import ConnRef

__all__ = ["BatchRun", "InFlight"]

#: The longest pause between two empty polls (wall seconds).
MAX_PAUSE = 0.005


@dataclass(frozen=True, slots=True)
class InFlight:
    """A submitted device op: the batch entry it answers (None once it has timed out), its kind,
    its connection id and whether it programs the connection as established."""

    entry: BatchEntry | None
    kind: EngineOpKind
    conn_id: int | None
    established: bool = False


#: ``apply(op, error)``: a device op completed with ``error``; the provider updates its state.
Apply = Callable[[InFlight, int], None]


class BatchRun:
    """The engine side of one ``batch_submit``: the current round and its drains."""

    def __init__(
        self,
        engine: OffloadEngine,
        apply: Apply,
        late: dict[int, InFlight],
        tags: Iterator[int],
        timeout: float,
    ) -> None:
        """A run on ``engine``; ``late`` is the provider's map of timed-out, uncancelled ops."""
        self._engine = engine
        self._apply = apply
        self._late = late
        self._tags = tags
        self._timeout = timeout
        self.timed_out = False
        self._round: dict[int, InFlight] = {}
        self._named: set[int] = set()
        self._flush = False
        self._upds: list[BatchEntry] = []

    def conflicts(self, is_flush: bool, conn_id: int | None) -> bool:
        """Whether an op must wait for the round to drain (see the module docstring)."""
        if self._flush:
            return True
        if is_flush:
            return bool(self._round or self._upds)
        return conn_id is not None and conn_id in self._named

    def submit(self, entry: BatchEntry, kind: EngineOpKind, conn: ConnRef | None, *, established: bool = False) -> None:
        """Submit one device op answering ``entry``; a refusal goes through ``apply`` at once."""
        op = EngineOp(kind=kind, conn=conn, tag=next(self._tags), established=established)
        error = self._submit(op)
        if error in (errno.EAGAIN, errno.ENOSPC) and self._round:
            # Ops of this batch fill the queue or hold reservations: let them complete and try once
            # more (P-BATCH), so a batch answers what the same ops one by one would.
            self.drain()
            error = self._submit(op)
        conn_id = None if conn is None else conn.id
        if error:
            self._apply(InFlight(entry, kind, conn_id, established), error)
            return
        self._round[op.tag] = InFlight(entry, kind, conn_id, established)
        if conn_id is None:
            self._flush = True
        else:
            self._named.add(conn_id)

    def _submit(self, op: EngineOp) -> int:
        try:
            return self._engine.submit(op)
        except OSError as exc:
            return exc.errno or errno.EIO

    def query_later(self, entry: BatchEntry, conn_id: int) -> None:
        """Answer the UPD ``entry`` from the ``query`` that ends the round."""
        self._upds.append(entry)
        self._named.add(conn_id)

    def drain(self) -> None:
        """Push, wait for every op of the round, answer its UPDs; then a new round starts."""
        if self._round:
            with contextlib.suppress(OSError):  # nothing was sent: the wait below times out and cancels
                self._engine.push()
            self._wait()
        if self._upds:
            self._answer_upds()
        self._round = {}
        self._named = set()
        self._flush = False
        self._upds = []

    def _poll(self) -> list[EngineResult]:
        try:
            return self._engine.poll()
        except OSError:
            return []

    def _complete(self, results: list[EngineResult]) -> None:
        for result in results:
            op = self._round.pop(result.tag, None) or self._late.pop(result.tag, None)
            if op is not None:
                self._apply(op, result.error)

    def _wait(self) -> None:
        budget = 0.0 if self.timed_out else self._timeout
        deadline = time.monotonic() + budget
        pause = 0.0
        while self._round:
            results = self._poll()
            if results:
                self._complete(results)
                deadline, pause = time.monotonic() + budget, 0.0
                continue
            if time.monotonic() >= deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2 or 0.0001, MAX_PAUSE)
        if self._round:
            self._time_out()

    def _time_out(self) -> None:
        """Completions stopped: cancel what is queued (ETIMEDOUT, nothing changed); what could not
        be cancelled and has not completed answers ETIMEDOUT too and is remembered as late."""
        self.timed_out = True
        try:
            cancelled = self._engine.cancel(list(self._round))
        except OSError:
            cancelled = []
        for tag in cancelled:
            op = self._round.pop(tag, None)
            if op is not None and op.entry is not None:
                op.entry.error = errno.ETIMEDOUT
        self._complete(self._poll())
        for tag, op in self._round.items():
            if op.entry is not None:
                op.entry.error = errno.ETIMEDOUT
            self._late[tag] = replace(op, entry=None)
        self._round = {}

    def _answer_upds(self) -> None:
        """P-UPD: the cached last-used time, when positive; else ENODATA."""
        ids = [entry.ctx.conn_id for entry in self._upds]
        try:
            stats: dict[int, FlowStats] = self._engine.query([i for i in ids if i is not None])
        except OSError:
            stats = {}
        for entry, conn_id in zip(self._upds, ids, strict=True):
            found = None if conn_id is None else stats.get(conn_id)
            stamp = 0 if found is None else found.last_used
            entry.error, entry.last_used = (0, stamp) if stamp > 0 else (errno.ENODATA, 0)
