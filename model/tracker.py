"""A pure connection tracker driving the offload layer as OVS's userspace conntrack does.

Purpose: the RFC's batch API exists for conntrack's expiry sweep, and most of its real defects
only show at this level (research/ovs-ct-offload-series.md section 4 and 7(e) items 1-5). This
module models lib/conntrack.c of the series as far as the layer can see it: the table, its
expiry lists, the packets patch 08 wires to the layer, flushes; ``model.tracker_sweep`` models
the clean thread. Rule ids are TRACK-something; docs/spec.rst states them.

Promises: pure functions of (state, op, now); the table is a persistent map, so a packet costs
O(log n); the layer is stepped only through ``model.step.step``, so every offload event shows in
the layer's trace exactly as a provider sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from model.conn import ConnRef, Ctx
from model.conntrack_tp import (
    CT_DPIF_TP_ATTR_UDP_FIRST,
    CT_DPIF_TP_ATTR_UDP_MULTIPLE,
    CT_DPIF_TP_ATTR_UDP_SINGLE,
    OtherState,
    next_state,
    policy_attr,
)
from model.ops import Add, Call, Delete, Established, LayerOp, Register, Result
from model.pmap import HamtMap, PersistentMap
from model.provider import ProviderSpec
from model.state import LayerState, initial_state, mark_of
from model.step import step
from model.vocab import Mark, Profile

#: ``N_EXP_LISTS``: the expiry lists new connections are spread over, round robin.
N_EXP_LISTS = 100
#: ``DEFAULT_N_CONN_LIMIT``: the table's size limit (``ovs-appctl dpctl/ct-set-maxconns``).
DEFAULT_N_CONN_LIMIT = 3_000_000
#: ``conntrack_clean`` stops once it has walked more than ``n_conn_limit / CLEAN_LIMIT_DIVISOR``.
CLEAN_LIMIT_DIVISOR = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerConfig:
    """The tracker's knobs (times in ms).

    - ``enabled``: ``other_config:hw-offload`` (``ct_offload_enabled()``);
    - ``sweep_interval``: ``conntrack_get_sweep_interval``, 20 s by default;
    - ``udp_first``, ``udp_single``, ``udp_multiple``: the timeout policy's values for UDP-like
      connections (``CT_DPIF_TP_ATTR_UDP_*``; OVS's defaults 60 s, 60 s and 30 s; TRACK-TIMEOUT);
      the tracker scenario's ``timeout_new`` sets the first two and ``timeout_established`` the
      third;
    - ``n_conn_limit``: the table's size limit (3,000,000 by default); a sweep walks at most
      about a 64th of it (TRACK-SWEEP);
    - ``dpif_classes``: the names of the registered dpif offload classes (``dpif_offload_module_init``
      registers "dummy" and "dummy_x" in every build, whatever the datapath);
    - ``requested``: the ct offload providers the user asked for by name (strict only);
    - ``batch_sweep``: the sweep refreshes offloaded connections with one batch per expiry list (the
      RFC); False sends one single-op UPD per connection (for comparison only).
    """

    enabled: bool = True
    sweep_interval: int = 20_000
    udp_first: int = CT_DPIF_TP_ATTR_UDP_FIRST
    udp_single: int = CT_DPIF_TP_ATTR_UDP_SINGLE
    udp_multiple: int = CT_DPIF_TP_ATTR_UDP_MULTIPLE
    n_conn_limit: int = DEFAULT_N_CONN_LIMIT
    dpif_classes: tuple[str, ...] = ("dummy", "dummy_x")
    requested: tuple[str, ...] = ()
    batch_sweep: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracked:
    """One connection of the table: its identity, flow, expiry list, expiry and state."""

    id: int
    flow: int
    exp_list: int
    expiration: int
    state: OtherState = OtherState.FIRST
    forced: bool = False

    @property
    def established(self) -> bool:
        """Whether the connection has seen a reply (its state is BIDIR)."""
        return self.state is OtherState.BIDIR


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerState:
    """The conntrack table, the offload layer underneath, and the counters of ``struct conntrack``.

    ``by_flow`` maps a flow to its connections' ids in creation order (a flow may have several:
    an expired one not yet swept, or, under the RFC, a resurrected duplicate). ``next_list`` is
    the expiry list the next connection joins, ``next_sweep`` the list the next sweep starts at.
    ``removing`` (strict only) holds the cleaned connections whose removal a provider failed, by
    id, with their flow (TRACK-RETRY).
    """

    config: TrackerConfig
    layer: LayerState
    conns: PersistentMap[int, Tracked] = field(default_factory=HamtMap)
    by_flow: PersistentMap[int, tuple[int, ...]] = field(default_factory=HamtMap)
    next_id: int = 1
    next_list: int = 0
    next_sweep: int = 0
    removing: PersistentMap[int, int] = field(default_factory=HamtMap)

    @property
    def profile(self) -> Profile:
        """The profile of the layer (and of the tracker's own rules)."""
        return self.layer.profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    """A packet of ``flow`` in the original direction through ``ct(commit)``, from ``netdev``."""

    flow: int
    netdev: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """A packet of ``flow`` in the reply direction, from ``netdev``."""

    flow: int
    netdev: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """``conn_key_lookup``: which connection a packet of ``flow`` would find now."""

    flow: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ForceExpire:
    """``conn_force_expire`` of the connection ``flow`` finds (TCP port reuse, ``ct(force)``)."""

    flow: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FlushFlow:
    """``conntrack_flush_tuple``: clean the connection ``flow`` finds."""

    flow: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FlushAll:
    """``dpctl/flush-conntrack`` (and ``conntrack_destroy``): clean every connection."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sweep:
    """One run of ``ct_sweep`` (the clean thread)."""


#: Every tracker event.
TrackerOp = Commit | Reply | Lookup | ForceExpire | FlushFlow | FlushAll | Sweep


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepReport:
    """What one sweep did: connections cleaned (with the reason) and refreshed (new expiry)."""

    cleaned: tuple[tuple[int, str], ...] = ()
    refreshed: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerStep:
    """The observable of one tracker event: its result and the offload layer's provider calls."""

    result: int | None | SweepReport
    trace: tuple[Call, ...]


def flow_ref(flow: int, conn_id: int) -> ConnRef:
    """Connection ``conn_id`` of ``flow``: the flow's zone and tuples, a new identity."""
    return replace(ConnRef.synthetic(flow), id=conn_id)


def start(
    profile: Profile, world: tuple[ProviderSpec, ...], config: TrackerConfig | None = None, *, slot: bool = True
) -> tuple[TrackerState, tuple[Call, ...], tuple[int, ...]]:
    """Rule TRACK-INIT: the tracker and its layer at start, the registration calls and the codes
    ``ct_offload_register`` returned.

    rfc profiles (``ct_offload_module_init``): with offload enabled, every provider class whose
    name is a registered dpif offload class is registered, so a userspace datapath registers the
    dummy provider in production (erratum E-TRACK-DUMMY). strict: only the providers the user
    asked for by name (``config.requested``) are registered, in the order of ``world``.
    """
    config = config or TrackerConfig()
    layer = initial_state(profile, world, slot=slot)
    wanted = config.requested if profile is Profile.STRICT else config.dpif_classes
    calls: list[Call] = []
    codes: list[int] = []
    if config.enabled:
        for ident, spec in enumerate(world):
            if spec.name in wanted:
                layer, observation = step(layer, Register(provider=ident))
                calls.extend(observation.trace)
                assert isinstance(observation.result, int)
                codes.append(observation.result)
    return TrackerState(config=config, layer=layer), tuple(calls), tuple(codes)


def timeout(config: TrackerConfig, conn: Tracked) -> int:
    """The expiry interval a packet gives ``conn`` in its state (TRACK-TIMEOUT)."""
    return {"UDP_FIRST": config.udp_first, "UDP_SINGLE": config.udp_single, "UDP_MULTIPLE": config.udp_multiple}[
        policy_attr(conn.state)
    ]


def lookup(state: TrackerState, flow: int, now: int) -> Tracked | None:
    """Rule TRACK-LOOKUP: the newest connection of ``flow`` that has not expired at ``now``
    (``conn_key_lookup`` skips expired connections, swept or not)."""
    for conn_id in reversed(state.by_flow.get(flow) or ()):
        conn = state.conns.get(conn_id)
        if conn is not None and conn.expiration > now:
            return conn
    return None


def offloaded(state: TrackerState, conn_id: int) -> bool:
    """``ct_offload_conn_is_offloaded``."""
    return mark_of(state.layer, conn_id) is not Mark.NONE


def sequence_checked(state: TrackerState, conn_id: int) -> bool:
    """Whether conntrack checks TCP sequence numbers of ``conn_id``: patch 07's
    ``tcp_bypass_seq_chk`` skips every check for an offloaded connection, so under the rfc
    profiles a connection no provider took goes unchecked (erratum E-TRACK-NOBODY)."""
    return not offloaded(state, conn_id)


def layer_step(state: TrackerState, op: LayerOp, now: int) -> tuple[TrackerState, Result, tuple[Call, ...]]:
    """Step the offload layer underneath."""
    layer, observation = step(state.layer, op, now)
    return replace(state, layer=layer), observation.result, observation.trace


def put(state: TrackerState, conn: Tracked) -> TrackerState:
    """Store ``conn`` (new or changed)."""
    return replace(state, conns=state.conns.set(conn.id, conn))


def clean(state: TrackerState, conn: Tracked, now: int) -> tuple[TrackerState, tuple[Call, ...]]:
    """Rule TRACK-CLEAN (``conn_clean``): remove ``conn`` from the table and its expiry list and
    tell the layer: rfc-v1 sends ``conn_del`` for every cleaned connection when offload is enabled;
    rfc-v2 and strict only for an offloaded one (gated on nothing else). Under strict, a connection
    still offloaded after its ``conn_del`` (a provider failed to remove it, STRICT-KEEP) is kept
    for TRACK-RETRY."""
    ids = tuple(i for i in (state.by_flow.get(conn.flow) or ()) if i != conn.id)
    by_flow = state.by_flow.set(conn.flow, ids) if ids else state.by_flow.remove(conn.flow)
    tell = state.config.enabled if state.profile is Profile.RFC_V1 else offloaded(state, conn.id)
    state = replace(state, conns=state.conns.remove(conn.id), by_flow=by_flow)
    if not tell:
        return state, ()
    return remove(state, conn.id, conn.flow, now)


def remove(state: TrackerState, conn_id: int, flow: int, now: int) -> tuple[TrackerState, tuple[Call, ...]]:
    """``conn_del`` of a cleaned connection; under strict it is kept in ``removing`` while its mark
    says some provider still holds it, and dropped from there once none does."""
    state, _, calls = layer_step(state, Delete(ctx=Ctx(conn=flow_ref(flow, conn_id))), now)
    if state.profile is Profile.STRICT:
        still = offloaded(state, conn_id)
        removing = state.removing.set(conn_id, flow) if still else state.removing.remove(conn_id)
        state = replace(state, removing=removing)
    return state, calls


def retry_removals(state: TrackerState, now: int) -> tuple[TrackerState, tuple[Call, ...]]:
    """Rule TRACK-RETRY (strict; the RFC has none: erratum E-DEL-LOST): every connection whose
    removal a provider failed gets ``conn_del`` again, in id order, at the start of each sweep and
    of each flush, until no provider holds it. A DEL asks only the remaining holders (STRICT-GATE),
    so the hardware entry is removed once the device cooperates, and is never leaked."""
    calls: list[Call] = []
    for conn_id, flow in sorted(state.removing.items()):
        state, made = remove(state, conn_id, flow, now)
        calls.extend(made)
    return state, tuple(calls)


def commit(state: TrackerState, op: Commit, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-COMMIT: a packet of a flow that has a live connection updates it (its state moves
    on, TRACK-TIMEOUT, and its expiry becomes now + the state's timeout). Otherwise, if the table
    holds fewer than ``n_conn_limit`` connections, a new connection is created in state FIRST,
    joins expiry list ``next_list`` (round robin over ``N_EXP_LISTS``, at the front), and with
    offload enabled the layer gets ``conn_add`` at once (before establishment; its result is
    ignored, as in ``process_one``); at the limit nothing is created (result None). The result is
    the connection's id."""
    live = lookup(state, op.flow, now)
    if live is not None:
        moved = replace(live, state=next_state(live.state, reply=False))
        state = put(state, replace(moved, expiration=now + timeout(state.config, moved)))
        return state, TrackerStep(result=live.id, trace=())
    if len(state.conns) >= state.config.n_conn_limit:
        return state, TrackerStep(result=None, trace=())
    conn = Tracked(id=state.next_id, flow=op.flow, exp_list=state.next_list, expiration=now)
    conn = replace(conn, expiration=now + timeout(state.config, conn))
    ids = (*(state.by_flow.get(op.flow) or ()), conn.id)
    state = replace(
        put(state, conn),
        by_flow=state.by_flow.set(op.flow, ids),
        next_id=conn.id + 1,
        next_list=(state.next_list + 1) % N_EXP_LISTS,
    )
    if not state.config.enabled:
        return state, TrackerStep(result=conn.id, trace=())
    ctx = Ctx(conn=flow_ref(op.flow, conn.id), netdev_in=op.netdev)
    state, _, calls = layer_step(state, Add(ctx=ctx), now)
    return state, TrackerStep(result=conn.id, trace=calls)


def reply(state: TrackerState, op: Reply, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-REPLY: a reply packet of a live connection makes it BIDIR (established; expiry
    now + its timeout, TRACK-TIMEOUT); if offload is enabled and it is offloaded but not yet
    established there (mark ADDED), the layer gets ``conn_established`` with the reply's netdev. A
    reply that finds no live connection does nothing (result None)."""
    live = lookup(state, op.flow, now)
    if live is None:
        return state, TrackerStep(result=None, trace=())
    conn = replace(live, state=next_state(live.state, reply=True))
    state = put(state, replace(conn, expiration=now + timeout(state.config, conn)))
    if not (state.config.enabled and mark_of(state.layer, conn.id) is Mark.ADDED):
        return state, TrackerStep(result=conn.id, trace=())
    ctx = Ctx(conn=flow_ref(op.flow, conn.id), netdev_in=op.netdev)
    state, _, calls = layer_step(state, Established(ctx=ctx), now)
    return state, TrackerStep(result=conn.id, trace=calls)


def force_expire(state: TrackerState, op: ForceExpire, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-FORCE (``conn_force_expire``): the connection ``flow`` finds gets expiry 0, so
    lookups miss it and the next commit creates a new connection; it stays in the table until the
    sweep. Under strict it is also marked forced, so the sweep cleans it without asking the
    hardware (erratum E-TRACK-FORCE)."""
    live = lookup(state, op.flow, now)
    if live is None:
        return state, TrackerStep(result=None, trace=())
    forced = state.profile is Profile.STRICT
    return put(state, replace(live, expiration=0, forced=forced)), TrackerStep(result=live.id, trace=())


def flush_flow(state: TrackerState, op: FlushFlow, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-FLUSH-FLOW (``conntrack_flush_tuple``): clean the connection ``flow`` finds."""
    live = lookup(state, op.flow, now)
    if live is None:
        return state, TrackerStep(result=None, trace=())
    state, calls = clean(state, live, now)
    return state, TrackerStep(result=live.id, trace=calls)


def flush_all(state: TrackerState, now: int) -> tuple[TrackerState, TrackerStep]:
    """Rule TRACK-FLUSH (``dpctl/flush-conntrack``, ``conntrack_flush``): clean every connection,
    expired ones included; the result is how many. The C code walks each zone's hash map, whose
    order depends on a random hash seed: the order of the flush's cleans, and so of its provider
    calls, is unspecified. The model cleans in id order; conformance compares a flush's provider
    calls as a multiset. Under strict, the removals a provider failed are retried first
    (TRACK-RETRY)."""
    state, retried = retry_removals(state, now)
    calls = list(retried)
    conns = sorted((conn for _, conn in state.conns.items()), key=lambda c: c.id)
    for conn in conns:
        state, made = clean(state, conn, now)
        calls.extend(made)
    return state, TrackerStep(result=len(conns), trace=tuple(calls))
