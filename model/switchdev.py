"""The switchdev provider as a pure description: its callbacks over the pure device model.

Purpose: rules P-CAN ... P-BATCH of docs/switchdev.rst, as a ``model.provider.Behaviour`` whose state
is the device (``model.device``) plus what the provider remembers of each connection. With it the
layer and tracker models can run with the hardware provider, so the whole stack (registry,
switchdev provider, tracker) is checked against the model.

Promises: pure; every callback is a batch of one through ``batch`` (the provider is coherent by
construction); the connections the provider remembers as programmed are exactly those the device
holds after every call.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from model import device_engine as engine
from model.conn import PROTO_TCP, PROTO_UDP, ConnRef, Ctx
from model.device import DeviceConfig, DeviceState, Entry, eligible, new_device
from model.ops import BatchOp, BatchResult, InvalidType
from model.pmap import HamtMap, PersistentMap
from model.provider import BatchItem, Behaviour, ProviderSpec, ProviderState
from model.vocab import Callback, Errno, OpType

WAITING, PROGRAMMED, ESTABLISHED = "waiting", "programmed", "established"
#: The device ops an op needs: (engine op kind, established) or None for none.
DeviceOp = tuple[str, bool] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchdevState:
    """The device, and each remembered connection: waiting, programmed or established."""

    device: DeviceState
    known: PersistentMap[int, str] = field(default_factory=HamtMap)
    next_tag: int = 1


def _sw(state: ProviderState) -> SwitchdevState:
    if not isinstance(state, SwitchdevState):
        raise TypeError(f"switchdev provider state must be SwitchdevState, not {type(state).__name__}")
    return state


def can_offload(device: DeviceState, conn: ConnRef) -> bool:
    """Rule P-CAN: the device's eligibility, TCP (and UDP without ``accept_new_udp``) counted as
    eligible since they are programmed at establishment; never in legacy mode."""
    return device.eswitch != "legacy" and eligible(device, conn, True)


def waits_for_establishment(device: DeviceState, conn: ConnRef) -> bool:
    """Whether an accepted connection is programmed only once established (P-ADD)."""
    proto = conn.orig.proto
    return proto == PROTO_TCP or (proto == PROTO_UDP and not device.config.accept_new_udp)


def plan(state: SwitchdevState, kind: OpType, conn: ConnRef) -> tuple[int | None, DeviceOp]:
    """What the provider does for one op, before any device op: an answer now (and no device op),
    or the device op whose result will be the answer.

    - Rule P-ADD: EEXIST for a known connection, EOPNOTSUPP if P-CAN says no; TCP (and UDP without
      ``accept_new_udp``) waits for establishment (0, no device op); else an INSERT.
    - Rule P-EST: waiting: an INSERT (established); programmed: an UPDATE; else 0.
    - Rule P-DEL: programmed: a REMOVE; else 0.
    - Rule P-POLICY: 0 if P-CAN says yes, else EPERM.
    - Rule P-UPD: answered from one query after the push (``batch``).
    - Rule P-FLUSH: always a FLUSH device op (``batch``); on 0 everything is forgotten.
    """
    known = state.known.get(conn.id)
    if kind is OpType.ADD:
        if known is not None:
            return Errno.EEXIST, None
        if not can_offload(state.device, conn):
            return Errno.EOPNOTSUPP, None
        if waits_for_establishment(state.device, conn):
            return 0, None
        return None, (engine.INSERT, False)
    if kind is OpType.EST:
        if known == WAITING:
            return None, (engine.INSERT, True)
        if known == PROGRAMMED:
            return None, (engine.UPDATE, True)
        return 0, None
    if kind is OpType.DEL:
        return (None, (engine.REMOVE, False)) if known in (PROGRAMMED, ESTABLISHED) else (0, None)
    if kind is OpType.POLICY:
        return (0 if can_offload(state.device, conn) else Errno.EPERM), None
    return None, None


def remember(state: SwitchdevState, kind: OpType, conn: ConnRef, error: int) -> SwitchdevState:
    """What the provider remembers after an op's answer (P-ADD, P-EST, P-DEL): a waiting
    connection whose establishment failed stays waiting (a later EST retries), and one whose REMOVE
    failed stays programmed, since the device still holds it."""
    known = state.known
    if kind is OpType.ADD and error == 0:
        known = known.set(conn.id, WAITING if waits_for_establishment(state.device, conn) else PROGRAMMED)
    elif kind is OpType.EST and error == 0 and known.get(conn.id) in (WAITING, PROGRAMMED):
        known = known.set(conn.id, ESTABLISHED)
    elif kind is OpType.DEL and error in (0, Errno.ENOENT):
        known = known.remove(conn.id)
    return replace(state, known=known)


def _drain(state: SwitchdevState, now: int) -> tuple[SwitchdevState, dict[int, int]]:
    """Push, poll everything; on a stuck queue cancel what is left (ETIMEDOUT)."""
    device = engine.push(state.device, now)
    device, done = engine.poll(device)
    results = dict(done)
    device, cancelled = engine.cancel(device, tuple(q.tag for q in device.queue))
    results.update({tag: Errno.ETIMEDOUT for tag in cancelled})
    return replace(state, device=device), results


@dataclass(slots=True)
class _Round:
    """The ops of a batch sent to the device together: device ops in flight (tag -> position, kind,
    connection), UPDs waiting for the round's query, the connections either names, and whether
    the round holds a FLUSH."""

    flight: dict[int, tuple[int, OpType, ConnRef | None]] = field(default_factory=dict)
    upd: list[tuple[int, ConnRef]] = field(default_factory=list)
    named: set[int] = field(default_factory=set)
    flush: bool = False

    def must_wait(self, kind: OpType, conn: ConnRef | None) -> bool:
        """Whether an op must wait for this round to complete: it names a connection the round
        names, it is a FLUSH and the round holds anything, or the round holds a FLUSH."""
        if self.flush:
            return True
        if kind is OpType.FLUSH:
            return bool(self.flight or self.upd)
        return conn is not None and conn.id in self.named


def _settle(state: SwitchdevState, rnd: _Round, answers: list[BatchResult | None], now: int) -> SwitchdevState:
    """Complete a round: push, poll (cancelling what a stuck queue keeps), follow each answer,
    then answer its UPDs from one query (P-UPD); the round is emptied."""
    state, results = _drain(state, now)
    for tag, error in results.items():
        position, kind, conn = rnd.flight.pop(tag)
        answers[position] = BatchResult(error=error)
        if kind is OpType.FLUSH and error == 0:
            state = replace(state, known=HamtMap())
        elif conn is not None:
            state = remember(state, kind, conn, error)
    state = _updates(state, rnd.upd, answers, now)
    rnd.upd, rnd.named, rnd.flush = [], set(), False
    return state


def _submit(
    state: SwitchdevState, device_op: tuple[str, bool], conn: ConnRef | None, tag: int
) -> tuple[DeviceState, int]:
    return engine.submit(state.device, device_op[0], conn, tag, established=device_op[1])


def batch(
    state: SwitchdevState, items: tuple[BatchItem, ...], now: int
) -> tuple[SwitchdevState, tuple[BatchResult, ...]]:
    """Rule P-BATCH: the ops are planned in order and sent to the device in rounds. An op waits
    for the current round to complete when it names a connection the round names (a device op in
    flight or a UPD waiting for the round's query), and a FLUSH is a round of its own, so each
    connection's ops reach the device, and are answered, in order. A submit refused with EAGAIN or
    ENOSPC while ops of the round are queued is tried once more after the round completes. Every op
    is answered once: EINVAL for an invalid type, ETIMEDOUT for what a stuck queue never completed;
    a batch answers what the same ops one by one would."""
    answers: list[BatchResult | None] = [None] * len(items)
    rnd = _Round()
    for position, (_, op) in enumerate(items):
        kind, conn = op.kind, op.ctx.conn
        if kind is OpType.FLUSH:
            conn = None  # a FLUSH names no connection, whatever its ctx holds
        if isinstance(kind, InvalidType) or (conn is None and kind is not OpType.FLUSH):
            answers[position] = BatchResult(error=Errno.EINVAL)
            continue
        if rnd.must_wait(kind, conn):
            state = _settle(state, rnd, answers, now)
        if kind is OpType.UPD:
            assert conn is not None
            rnd.upd.append((position, conn))
            rnd.named.add(conn.id)
            continue
        device_op: DeviceOp = (engine.FLUSH, False)
        if kind is not OpType.FLUSH:
            assert conn is not None
            answer, device_op = plan(state, kind, conn)
            if device_op is None:
                answers[position] = BatchResult(error=answer or 0)
                state = remember(state, kind, conn, answer or 0)
                continue
        assert device_op is not None
        tag = state.next_tag
        device, error = _submit(state, device_op, conn, tag)
        if error in (Errno.EAGAIN, Errno.ENOSPC) and rnd.flight:
            # The round's own queued ops fill the queue or hold reservations: let them complete and
            # try once more. The refusal still counts in the device's health (D-HEALTH).
            state = _settle(replace(state, device=device), rnd, answers, now)
            device, error = _submit(state, device_op, conn, tag)
        state = replace(state, device=device, next_tag=tag + 1)
        if error:
            answers[position] = BatchResult(error=error)
            if conn is not None and kind is not OpType.FLUSH:
                state = remember(state, kind, conn, error)
            continue
        rnd.flight[tag] = (position, kind, conn)
        if conn is None:
            rnd.flush = True
        else:
            rnd.named.add(conn.id)
    state = _settle(state, rnd, answers, now)
    return state, tuple(a if a is not None else BatchResult(error=0) for a in answers)


def _updates(
    state: SwitchdevState, upd: list[tuple[int, ConnRef]], answers: list[BatchResult | None], now: int
) -> SwitchdevState:
    """Rule P-UPD for the UPD ops of a round: one query of the programmed connections (none when
    none is programmed: the device is not touched); 0 and the timestamp when it is positive, else
    ENODATA."""
    ids = tuple(c.id for _, c in upd if state.known.get(c.id) in (PROGRAMMED, ESTABLISHED))
    stats: dict[int, Entry] = {}
    if ids:
        device, stats = engine.query(state.device, ids, now)
        state = replace(state, device=device)
    for position, conn in upd:
        stamp = stats[conn.id].last_used if conn.id in stats else 0
        answers[position] = BatchResult(error=0, last_used=stamp) if stamp > 0 else BatchResult(error=Errno.ENODATA)
    return state


@dataclass(frozen=True, slots=True, kw_only=True)
class Switchdev(Behaviour):
    """The switchdev provider over a simulated device built from ``config``."""

    config: DeviceConfig = field(default_factory=DeviceConfig)

    def initial_state(self) -> ProviderState:
        return SwitchdevState(device=new_device(self.config))

    def _one(self, state: ProviderState, kind: OpType, ctx: Ctx, now: int) -> tuple[SwitchdevState, BatchResult]:
        new, (result,) = batch(_sw(state), ((None, BatchOp(kind=kind, ctx=ctx)),), now)
        return new, result

    def init(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return state, 0

    def can(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, bool]:
        new, result = self._one(state, OpType.POLICY, ctx, now)
        return new, result.error == 0

    def add(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        new, result = self._one(state, OpType.ADD, ctx, now)
        return new, result.error

    def delete(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        new, result = self._one(state, OpType.DEL, ctx, now)
        return new, result.error

    def update(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        new, result = self._one(state, OpType.UPD, ctx, now)
        return new, result.last_used

    def established(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        new, result = self._one(state, OpType.EST, ctx, now)
        return new, result.error

    def flush(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        new, result = self._one(state, OpType.FLUSH, Ctx(conn=None), now)
        return new, result.error

    def batch(
        self, state: ProviderState, items: tuple[BatchItem, ...], now: int
    ) -> tuple[ProviderState, tuple[BatchResult, ...]]:
        return batch(_sw(state), items, now)

    def observable(self, state: ProviderState) -> Hashable:
        """The device's table, configuration and the provider's memory; not the device time, tags,
        completions, stats-cache timing or health counts (a batch's retry is counted; one op at a
        time there is nothing to retry)."""
        sw = _sw(state)
        device = sw.device
        return (device.table, device.eswitch, device.params, device.size, device.size_new, sw.known)


def switchdev_spec(name: str = "switchdev", config: DeviceConfig | None = None) -> ProviderSpec:
    """The switchdev provider class: every callback and a native ``batch_submit``."""
    callbacks = frozenset(Callback)
    return ProviderSpec(name=name, callbacks=callbacks, behaviour=Switchdev(config=config or DeviceConfig()))
