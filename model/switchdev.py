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

from dataclasses import dataclass, field, replace

from model import device_engine as engine
from model.conn import PROTO_TCP, PROTO_UDP, ConnRef, Ctx
from model.device import DeviceConfig, DeviceState, eligible, new_device
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


def batch(
    state: SwitchdevState, items: tuple[BatchItem, ...], now: int
) -> tuple[SwitchdevState, tuple[BatchResult, ...]]:
    """Rule P-BATCH: each op planned in order; device ops submitted, with a push-and-poll barrier
    before an op whose connection already has one in flight, and before a second try of a submit
    refused with EAGAIN or ENOSPC while ops of this batch were queued; one push and poll at the
    end; the UPD answers from one query; every op answered once (EINVAL for an invalid type,
    ETIMEDOUT for what a stuck queue never completed)."""
    answers: list[int | None] = [None] * len(items)
    waiting: dict[int, tuple[int, OpType, ConnRef | None]] = {}  # tag -> (position, kind, conn)
    upd: list[tuple[int, ConnRef]] = []

    def settle(s: SwitchdevState) -> SwitchdevState:
        s, results = _drain(s, now)
        for tag, error in results.items():
            position, kind, conn = waiting.pop(tag)
            answers[position] = error
            if kind is OpType.FLUSH and error == 0:
                s = replace(s, known=HamtMap())
            elif conn is not None:
                s = remember(s, kind, conn, error)
        return s

    for position, (_, op) in enumerate(items):
        kind, conn = op.kind, op.ctx.conn
        if isinstance(kind, InvalidType) or (conn is None and kind is not OpType.FLUSH):
            answers[position] = Errno.EINVAL
            continue
        if kind is OpType.UPD:
            assert conn is not None
            upd.append((position, conn))
            continue
        if conn is not None and any(c is not None and c.id == conn.id for _, _, c in waiting.values()):
            state = settle(state)
        if kind is OpType.FLUSH:
            device_op: DeviceOp = (engine.FLUSH, False)
        else:
            assert conn is not None
            answer, device_op = plan(state, kind, conn)
            if device_op is None:
                answers[position] = answer
                state = remember(state, kind, conn, answer or 0)
                continue
        assert device_op is not None
        tag = state.next_tag
        device, error = engine.submit(state.device, device_op[0], conn, tag, established=device_op[1])
        if error in (Errno.EAGAIN, Errno.ENOSPC) and waiting:
            # This batch's own queued ops fill the queue or hold reservations: let them complete
            # and try once more, so a batch answers what the same ops one by one would.
            state = settle(state)
            device, error = engine.submit(state.device, device_op[0], conn, tag, established=device_op[1])
        state = replace(state, device=device, next_tag=tag + 1)
        if error:
            answers[position] = error
            if conn is not None and kind is not OpType.FLUSH:
                state = remember(state, kind, conn, error)
        else:
            waiting[tag] = (position, kind, conn)
    state = settle(state)
    results = [BatchResult(error=a if a is not None else 0) for a in answers]
    return _updates(state, upd, results, now)


def _updates(
    state: SwitchdevState, upd: list[tuple[int, ConnRef]], results: list[BatchResult], now: int
) -> tuple[SwitchdevState, tuple[BatchResult, ...]]:
    """Rule P-UPD for the UPD ops of a batch: one query; 0 and the timestamp when it is positive,
    else ENODATA."""
    if upd:
        ids = tuple(c.id for _, c in upd if state.known.get(c.id) in (PROGRAMMED, ESTABLISHED))
        device, stats = engine.query(state.device, ids, now)
        state = replace(state, device=device)
        for position, conn in upd:
            stamp = stats[conn.id].last_used if conn.id in stats else 0
            results[position] = BatchResult(error=0, last_used=stamp) if stamp > 0 else BatchResult(error=Errno.ENODATA)
    return state, tuple(results)


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


def switchdev_spec(name: str = "switchdev", config: DeviceConfig | None = None) -> ProviderSpec:
    """The switchdev provider class: every callback and a native ``batch_submit``."""
    callbacks = frozenset(Callback)
    return ProviderSpec(name=name, callbacks=callbacks, behaviour=Switchdev(config=config or DeviceConfig()))
