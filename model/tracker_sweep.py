"""The tracker's clean thread (``conntrack_clean`` and ``ct_sweep``), per profile, and its step.

Purpose: the sweep is where the batch API is used and where the RFC's timestamp, force-expire and
expired-window defects live (errata E-TRACK-STALE, E-TRACK-FORCE and E-TRACK-WINDOW).
``tracker_step`` is the tracker's one entry point, as ``model.step.step`` is the layer's.

Promises: pure; a sweep walks the expiry lists as lib/conntrack.c of the series does (TRACK-SWEEP),
so the batches it submits and the ``conn_del`` calls it causes come in the real code's order and
grouping, which every implementation can reproduce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import assert_never

from model.conn import Ctx
from model.ops import BatchOp, BatchResult, Call, SubmitBatch, Update
from model.tracker import (
    CLEAN_LIMIT_DIVISOR,
    N_EXP_LISTS,
    Commit,
    FlushAll,
    FlushFlow,
    ForceExpire,
    Lookup,
    Reply,
    Sweep,
    SweepReport,
    Tracked,
    TrackerOp,
    TrackerState,
    TrackerStep,
    clean,
    commit,
    flow_ref,
    flush_all,
    flush_flow,
    force_expire,
    layer_step,
    lookup,
    offloaded,
    put,
    reply,
    retry_removals,
    timeout,
)
from model.vocab import Errno, OpType, Profile, errno_name


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSweep:
    """What sweeping one expiry list did: the state after, the connections walked, the provider
    calls, and the connections cleaned (with the reason) and refreshed (with the new expiry)."""

    state: TrackerState
    walked: int
    trace: tuple[Call, ...]
    cleaned: tuple[tuple[int, str], ...]
    refreshed: tuple[tuple[int, int], ...]


def expiry_lists(state: TrackerState) -> list[list[Tracked]]:
    """Each expiry list's connections, front to back: newest first (a connection is pushed at the
    front of list ``exp_list`` when it is created, and never moves)."""
    lists: list[list[Tracked]] = [[] for _ in range(N_EXP_LISTS)]
    for _, conn in state.conns.items():
        lists[conn.exp_list].append(conn)
    for members in lists:
        members.sort(key=lambda conn: conn.id, reverse=True)
    return lists


def refresh(
    state: TrackerState, conns: list[Tracked], now: int
) -> tuple[TrackerState, tuple[BatchResult, ...], tuple[Call, ...]]:
    """Rule TRACK-REFRESH: ask the layer for the last-used time of one list's ``conns``: one batch
    of UPD ops (``config.batch_sweep``; under the rfc profiles it is submitted even when empty, as
    ``ct_sweep`` does for every list: erratum E-BATCH-EMPTY), or one single-op UPD each, whose
    timestamp t gives the result ``(0 if t else ENODATA, t)`` (strict: ``t > 0``)."""
    if state.config.batch_sweep:
        if not conns and state.profile is Profile.STRICT:
            return state, (), ()
        ops = tuple(BatchOp(kind=OpType.UPD, ctx=Ctx(conn=flow_ref(c.flow, c.id))) for c in conns)
        state, result, calls = layer_step(state, SubmitBatch(ops=ops), now)
        assert isinstance(result, tuple)
        return state, result, calls
    results: list[BatchResult] = []
    trace: list[Call] = []
    for conn in conns:
        state, stamp, calls = layer_step(state, Update(ctx=Ctx(conn=flow_ref(conn.flow, conn.id))), now)
        assert isinstance(stamp, int)
        fresh = stamp > 0 if state.profile is Profile.STRICT else stamp != 0
        results.append(BatchResult(error=0 if fresh else Errno.ENODATA, last_used=stamp if fresh else 0))
        trace.extend(calls)
    return state, tuple(results), tuple(trace)


def sweep_list_rfc(state: TrackerState, members: list[Tracked], now: int) -> ListSweep:
    """Rule TRACK-SWEEP-RFC (``ct_sweep`` of patch 08, one expiry list). Walking the list front to
    back, an expired connection (expiry <= now) that is not offloaded is cleaned at once; an
    expired offloaded one gets a UPD op in the list's batch. The batch is then submitted (even
    empty) and its ops processed in order: an op error cleans its connection; success sets its
    expiry to now + ``sweep_interval`` whatever the timestamp (erratum E-TRACK-STALE), a
    force-expired connection included (E-TRACK-FORCE). (``ct_sweep`` stores the new expiry only if
    it is later than the current one; an expired connection's always is.) Connections are
    refreshed only once expired, so lookups miss them until the sweep (E-TRACK-WINDOW)."""
    calls: list[Call] = []
    cleaned: list[tuple[int, str]] = []
    asked: list[Tracked] = []
    for conn in members:
        if conn.expiration > now:
            continue
        if offloaded(state, conn.id):
            asked.append(conn)
            continue
        state, made = clean(state, conn, now)
        calls.extend(made)
        cleaned.append((conn.id, "expired"))
    state, results, made = refresh(state, asked, now)
    calls.extend(made)
    refreshed: list[tuple[int, int]] = []
    for conn, result in zip(asked, results, strict=True):
        if result.error:
            state, made = clean(state, conn, now)
            calls.extend(made)
            cleaned.append((conn.id, errno_name(result.error)))
        else:
            expiration = now + state.config.sweep_interval
            state = put(state, replace(conn, expiration=expiration))
            refreshed.append((conn.id, expiration))
    return ListSweep(
        state=state, walked=len(members), trace=tuple(calls), cleaned=tuple(cleaned), refreshed=tuple(refreshed)
    )


def sweep_list_strict(state: TrackerState, members: list[Tracked], now: int) -> ListSweep:
    """Rule TRACK-SWEEP-STRICT (replaces TRACK-SWEEP-RFC; one expiry list, walked as there).

    1. A force-expired connection is cleaned without asking the hardware (E-TRACK-FORCE); so is an
       expired connection that is not offloaded.
    2. Every other offloaded connection that expires before the next sweep (expiry <= now +
       ``sweep_interval``) gets a UPD op, so it is refreshed before it lapses and a lookup never
       misses a connection the hardware keeps alive (E-TRACK-WINDOW). The list's batch is
       submitted only when it has ops (E-BATCH-EMPTY).
    3. Its new expiry is ``max(expiry, last_used + timeout)`` (the Linux flowtable's rule); if that
       is not after now the hardware's timestamp is stale and the connection is cleaned
       (E-TRACK-STALE). An op error cleans it only once it has expired.
    """
    calls: list[Call] = []
    cleaned: list[tuple[int, str]] = []
    asked: list[Tracked] = []
    horizon = now + state.config.sweep_interval
    for conn in members:
        if not conn.forced and offloaded(state, conn.id):
            if conn.expiration <= horizon:
                asked.append(conn)
        elif conn.forced or conn.expiration <= now:
            state, made = clean(state, conn, now)
            calls.extend(made)
            cleaned.append((conn.id, "forced" if conn.forced else "expired"))
    state, results, made = refresh(state, asked, now)
    calls.extend(made)
    refreshed: list[tuple[int, int]] = []
    for conn, result in zip(asked, results, strict=True):
        expiration = max(conn.expiration, result.last_used + timeout(state.config, conn))
        if (result.error and conn.expiration <= now) or (not result.error and expiration <= now):
            state, made = clean(state, conn, now)
            calls.extend(made)
            cleaned.append((conn.id, errno_name(result.error) if result.error else "stale"))
        elif not result.error and expiration != conn.expiration:
            state = put(state, replace(conn, expiration=expiration))
            refreshed.append((conn.id, expiration))
    return ListSweep(
        state=state, walked=len(members), trace=tuple(calls), cleaned=tuple(cleaned), refreshed=tuple(refreshed)
    )


SweepList = Callable[[TrackerState, list[Tracked], int], ListSweep]


def sweep(state: TrackerState, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-SWEEP (``conntrack_clean``, all profiles): one run of the clean thread.

    Starting at list ``next_sweep``, sweep the expiry lists in index order, each by the profile's
    rule (TRACK-SWEEP-RFC or TRACK-SWEEP-STRICT), counting the connections walked; before each
    list, stop if that count exceeds ``n_conn_limit / 64`` (46,875 by default). The next sweep
    starts at the list this one stopped at, or at list 0 once all were swept. Each list is one
    batch, so a batch provider sees ``N_EXP_LISTS`` (100) ``batch_submit`` calls per full sweep
    under the rfc profiles, empty or not (E-BATCH-EMPTY). Under strict the sweep first retries the
    removals providers failed (TRACK-RETRY; nothing is ever pending in the rfc profiles).
    """
    sweep_list: SweepList = sweep_list_strict if state.profile is Profile.STRICT else sweep_list_rfc
    clean_end = state.config.n_conn_limit // CLEAN_LIMIT_DIVISOR
    state, retried = retry_removals(state, now)
    lists = expiry_lists(state)
    calls: list[Call] = list(retried)
    cleaned: list[tuple[int, str]] = []
    refreshed: list[tuple[int, int]] = []
    count = 0
    index = state.next_sweep
    # Speed only: an empty list whose sweep does nothing is not swept. Under strict an empty list
    # submits no batch; under the rfc profiles its empty batch calls the native providers only
    # (RFC-BATCH), so without one registered it calls nobody and changes nothing. (Most of the
    # 100 lists are empty in a small table: issue 16, the conformance run's CPU time.)
    skip_empty = state.profile is Profile.STRICT or not any(state.layer.spec(i).native for i in state.layer.registry)
    while index < N_EXP_LISTS and count <= clean_end:
        members = lists[index]
        index += 1
        if not members and skip_empty:
            continue
        done = sweep_list(state, members, now)
        state = done.state
        count += done.walked
        calls.extend(done.trace)
        cleaned.extend(done.cleaned)
        refreshed.extend(done.refreshed)
    state = replace(state, next_sweep=index if index < N_EXP_LISTS else 0)
    report = SweepReport(cleaned=tuple(cleaned), refreshed=tuple(refreshed))
    return state, TrackerStep(result=report, trace=tuple(calls))


def tracker_step(state: TrackerState, op: TrackerOp, now: int) -> tuple[TrackerState, TrackerStep]:
    """Apply one tracker event at time ``now`` (ms)."""
    match op:
        case Commit():
            return commit(state, op, now)
        case Reply():
            return reply(state, op, now)
        case Lookup(flow=flow):
            found = lookup(state, flow, now)
            return state, TrackerStep(result=None if found is None else found.id, trace=())
        case ForceExpire():
            return force_expire(state, op, now)
        case FlushFlow():
            return flush_flow(state, op, now)
        case FlushAll():
            return flush_all(state, now)
        case Sweep():
            return sweep(state, now)
        case _:
            assert_never(op)
