"""The simulated device's flow table engine: submit, push, poll, cancel, query, traffic.

Purpose: rules ENG-SUBMIT, ENG-PUSH, ENG-POLL, ENG-CANCEL, ENG-QUERY and ENG-TRAFFIC of docs/switchdev.rst as
pure functions over ``model.device.DeviceState``. The one nondeterministic fault (``fail_rate``)
is modelled as a set of allowed outcomes per op (``push_allowed``): a checker accepts any member
and continues with the state the observed outcome gives (``push_with``).

Promises: pure; a refused submit leaves the state unchanged except for the health reporter
(ENOSPC counts as a failure); every queued op completes exactly once, or is cancelled.
"""

from __future__ import annotations

from dataclasses import replace

from model.conn import ConnRef
from model.device import DeviceState, Entry, Queued, cost, eligible, health_error
from model.vocab import Errno

INSERT, UPDATE, REMOVE, FLUSH = "insert", "update", "remove", "flush"


def queued_insert(state: DeviceState, conn_id: int) -> bool:
    """Whether an INSERT of ``conn_id`` is queued."""
    return any(q.kind == INSERT and q.conn is not None and q.conn.id == conn_id for q in state.queue)


def submit(
    state: DeviceState, kind: str, conn: ConnRef | None, tag: int, *, established: bool = False
) -> tuple[DeviceState, int]:
    """Rule ENG-SUBMIT: the first check that applies answers at once (no completion will follow);
    otherwise the op is queued (an INSERT reserves its cost) and the answer is 0."""
    if len(state.queue) >= state.config.queue_size:
        return state, Errno.EAGAIN
    reservation = 0
    if kind == INSERT:
        assert conn is not None
        if state.eswitch == "legacy" or not eligible(state, conn, established):
            return state, Errno.EOPNOTSUPP
        if conn.id in state.table or queued_insert(state, conn.id):
            return state, Errno.EEXIST
        reservation = cost(state, conn)
        inserts = sum(q.kind == INSERT for q in state.queue)
        full = (
            state.faults.force_full
            or state.occupancy + state.reserved + reservation > state.size
            or len(state.table) + inserts >= state.params.ct_max_offloaded_conns
        )
        if full:
            return health_error(state, Errno.ENOSPC), Errno.ENOSPC
    elif kind == UPDATE:
        assert conn is not None
        if conn.id not in state.table and not queued_insert(state, conn.id):
            return state, Errno.ENOENT
    elif kind == REMOVE:
        assert conn is not None
        if queued_insert(state, conn.id):
            return state, Errno.EBUSY
        if conn.id not in state.table:
            return state, Errno.ENOENT
    elif kind != FLUSH:
        raise ValueError(f"unknown engine op kind {kind!r}")
    op = Queued(kind=kind, conn=conn, tag=tag, established=established, cost=reservation)
    return replace(state, queue=(*state.queue, op)), 0


def natural(state: DeviceState, op: Queued) -> int:
    """What ``op`` completes with when no fault strikes, in ``state`` (its turn in the queue)."""
    if op.kind in (UPDATE, REMOVE):
        assert op.conn is not None
        return 0 if op.conn.id in state.table else Errno.ENOENT
    return 0


def complete(state: DeviceState, op: Queued, error: int, now: int) -> DeviceState:
    """Rule ENG-PUSH for one op: apply it unless ``error``; release its reservation; record it."""
    state = replace(state, queue=state.queue[1:], completions=(*state.completions, (op.tag, error)))
    if error:
        return health_error(state, error)
    table, cache = state.table, state.cache
    if op.kind == INSERT:
        assert op.conn is not None
        new = Entry(cost=op.cost, established=op.established, last_used=now)
        table, cache = table.set(op.conn.id, new), cache.set(op.conn.id, new)  # counted from now
    elif op.kind == UPDATE:
        assert op.conn is not None
        entry = table.get(op.conn.id)
        assert entry is not None
        table = table.set(op.conn.id, replace(entry, established=True))
    elif op.kind == REMOVE:
        assert op.conn is not None
        table, cache = table.remove(op.conn.id), cache.remove(op.conn.id)
    else:
        table = table.update((conn_id, None) for conn_id, _ in list(table.items()))
        cache = cache.update((conn_id, None) for conn_id, _ in list(cache.items()))
    return replace(state, table=table, cache=cache)


def push_allowed(state: DeviceState) -> tuple[frozenset[int], ...]:
    """The outcomes each queued op may complete with at the next push, in queue order (empty with
    the stuck-queue fault): the injected errno while ``fail_next`` lasts, else the op's natural
    result, or also EIO when ``fail_rate`` is set. Natural results are computed as if every
    earlier op succeeded; ``push_with`` re-checks each against the state at its turn."""
    if state.faults.stuck_queue:
        return ()
    allowed: list[frozenset[int]] = []
    left = state.faults.fail_next_count
    for op in state.queue:
        if left > 0:
            allowed.append(frozenset({state.faults.fail_next_errno}))
            left -= 1
        elif state.faults.fail_rate > 0:
            allowed.append(frozenset({0, Errno.ENOENT, Errno.EIO}))
        else:
            allowed.append(frozenset({0, Errno.ENOENT}) if op.kind in (UPDATE, REMOVE) else frozenset({0}))
    return tuple(allowed)


def push_with(state: DeviceState, now: int, outcomes: tuple[int, ...] | None = None) -> tuple[DeviceState, bool]:
    """Rule ENG-PUSH: every queued op completes in order. ``outcomes`` gives what each op observed
    (for the ``fail_rate`` fault); None means no random failure. Returns the new state and whether
    every observed outcome was allowed."""
    if state.faults.stuck_queue:
        return state, outcomes in (None, ())
    ops = state.queue
    if outcomes is not None and len(outcomes) != len(ops):
        return state, False
    faults = state.faults
    ok = True
    state = replace(state, busy_ns=state.busy_ns + state.config.t_call_ns + len(ops) * state.config.t_op_ns)
    for i, op in enumerate(ops):
        if faults.fail_next_count > 0:
            error = faults.fail_next_errno
            faults = replace(faults, fail_next_count=faults.fail_next_count - 1)
            ok = ok and (outcomes is None or outcomes[i] == error)
        else:
            expected = natural(state, op)
            error = expected if outcomes is None else outcomes[i]
            random_failure = faults.fail_rate > 0 and error == Errno.EIO
            ok = ok and (error == expected or random_failure)
        state = complete(replace(state, faults=faults), op, error, now)
    return state, ok


def push(state: DeviceState, now: int) -> DeviceState:
    """Rule ENG-PUSH without random failures."""
    return push_with(state, now)[0]


def poll(state: DeviceState, max_results: int | None = None) -> tuple[DeviceState, tuple[tuple[int, int], ...]]:
    """Rule ENG-POLL: the oldest completions (at most ``max_results``), removed from the device."""
    n = len(state.completions) if max_results is None else max(0, max_results)
    return replace(state, completions=state.completions[n:]), state.completions[:n]


def cancel(state: DeviceState, tags: tuple[int, ...]) -> tuple[DeviceState, tuple[int, ...]]:
    """Rule ENG-CANCEL: withdraw the queued ops with those tags; the tags withdrawn, in queue order."""
    gone = tuple(q.tag for q in state.queue if q.tag in tags)
    return replace(state, queue=tuple(q for q in state.queue if q.tag not in tags)), gone


def query(state: DeviceState, conn_ids: tuple[int, ...], now: int) -> tuple[DeviceState, dict[int, Entry]]:
    """Rule ENG-QUERY: refresh the cache from the table if it never was or ``stats_period`` has
    passed, then answer from it for connections still programmed (an INSERT enters the cache at
    once with its install time and zero counters, as a new hardware counter does; a REMOVE or FLUSH
    leaves it at once)."""
    if state.cache_time is None or now - state.cache_time >= state.config.stats_period:
        state = replace(state, cache=state.table, cache_time=now)
    answer: dict[int, Entry] = {}
    for conn_id in conn_ids:
        cached = state.cache.get(conn_id)
        if cached is not None and conn_id in state.table:
            answer[conn_id] = cached
    return state, answer


def hit(state: DeviceState, conn_id: int, now: int, packets: int = 1, nbytes: int = 64) -> DeviceState:
    """Rule ENG-TRAFFIC: traffic the hardware forwards for a programmed connection, in switchdev mode."""
    entry = state.table.get(conn_id)
    if entry is None or state.eswitch != "switchdev":
        return state
    updated = replace(entry, last_used=now, packets=entry.packets + packets, bytes=entry.bytes + nbytes)
    return replace(state, table=state.table.set(conn_id, updated))
