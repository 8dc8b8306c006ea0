"""The tracker's expiry sweep (``ct_sweep``), per profile, and the tracker's step function.

Purpose: the sweep is where the batch API is used and where the RFC's timestamp, force-expire and
expired-window defects live (errata E-TRACK-STALE, E-TRACK-FORCE and E-TRACK-WINDOW).
``tracker_step`` is the tracker's one entry point, as ``model.step.step`` is the layer's.

Promises: pure; the sweep visits connections in (expiry, id) order, so the batch it submits and
the ``conn_del`` calls it causes come in an order every implementation can reproduce.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from model.conn import Ctx
from model.ops import BatchOp, BatchResult, Call, SubmitBatch, Update
from model.tracker import (
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
    timeout,
)
from model.vocab import Errno, OpType, Profile, errno_name


def due(state: TrackerState, until: int) -> list[Tracked]:
    """Every connection whose expiry is at or before ``until``, in (expiry, id) order."""
    conns = [conn for _, conn in state.conns.items() if conn.expiration <= until]
    return sorted(conns, key=lambda c: (c.expiration, c.id))


def refresh(
    state: TrackerState, conns: list[Tracked], now: int
) -> tuple[TrackerState, tuple[BatchResult, ...], tuple[Call, ...]]:
    """Rule TRACK-REFRESH: ask the layer for the last-used time of ``conns``: one batch of UPD ops
    (``config.batch_sweep``; under the rfc profiles it is submitted even when empty, as
    ``ct_sweep`` does), or one single-op UPD each, whose timestamp t gives the result
    ``(0 if t else ENODATA, t)`` (strict: ``t > 0``)."""
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


def sweep_rfc(state: TrackerState, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-SWEEP-RFC (``ct_sweep`` of patch 08). Every expired connection that is not
    offloaded is cleaned; the expired offloaded ones get one batch of UPD ops; an op error cleans
    its connection, success sets its expiry to now + ``sweep_interval`` whatever the timestamp
    (erratum E-TRACK-STALE), a force-expired connection included (E-TRACK-FORCE). Connections are
    refreshed only once expired, so lookups miss them until the sweep (E-TRACK-WINDOW)."""
    calls: list[Call] = []
    cleaned: list[tuple[int, str]] = []
    asked: list[Tracked] = []
    for conn in due(state, now):
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
    report = SweepReport(cleaned=tuple(cleaned), refreshed=tuple(refreshed))
    return state, TrackerStep(result=report, trace=tuple(calls))


def sweep_strict(state: TrackerState, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-SWEEP-STRICT (replaces TRACK-SWEEP-RFC).

    1. A force-expired connection is cleaned without asking the hardware (E-TRACK-FORCE); so is an
       expired connection that is not offloaded.
    2. Every other offloaded connection that expires before the next sweep (expiry <= now +
       ``sweep_interval``) is refreshed before it lapses, so a lookup never misses a connection the
       hardware keeps alive (E-TRACK-WINDOW).
    3. Its new expiry is ``max(expiry, last_used + timeout)`` (the Linux flowtable's rule); if that
       is not after now the hardware's timestamp is stale and the connection is cleaned
       (E-TRACK-STALE). An op error cleans it only once it has expired.
    """
    calls: list[Call] = []
    cleaned: list[tuple[int, str]] = []
    asked: list[Tracked] = []
    for conn in due(state, now + state.config.sweep_interval):
        if not conn.forced and offloaded(state, conn.id):
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
            if state.profile is Profile.STRICT:
                return sweep_strict(state, now)
            return sweep_rfc(state, now)
        case _:
            assert_never(op)
