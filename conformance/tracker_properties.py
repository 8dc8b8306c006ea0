"""The tracker defects as properties: each holds under strict and fails under the rfc profiles.

Purpose: issue-level statements of what the RFC's conntrack wiring gets wrong (errata E-TRACK-*),
each a function ``holds(profile, events) -> bool`` over a timed event list on a fixed world, plus
the Hypothesis strategy that generates event lists for it. The tests check each property under
strict for generated events, and let Hypothesis find (and shrink) a counterexample under rfc-v1.

Promises: every property runs the model's tracker only (``conformance.tracker_targets``); the
worlds are as small as the defect needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.errata import erratum
from conformance.scenario import parse_scenario
from conformance.tracker_scenario import parse_tracker_scenario
from conformance.tracker_targets import ModelTracker
from model.tracker import Commit, ForceExpire, Lookup, Reply, Sweep, TrackerConfig, TrackerOp
from model.vocab import Mark, Profile

Events = list[tuple[int, TrackerOp]]
INTERVAL = TrackerConfig().sweep_interval


def tracker(providers: list[dict[str, object]], profile: Profile, config: TrackerConfig) -> ModelTracker:
    """A model tracker over the scenario-protocol providers ``providers``."""
    decls = parse_scenario({"providers": providers}).providers
    return ModelTracker(decls, profile, config)


@dataclass(frozen=True, slots=True, kw_only=True)
class Defect:
    """One tracker defect: its erratum, the property, and how to generate events for it."""

    erratum: str
    statement: str
    holds: Callable[[Profile, Events], bool]
    events: st.SearchStrategy[Events]


def _op(flows: int, *, lookups: bool = False) -> st.SearchStrategy[TrackerOp]:
    flow = st.integers(0, flows - 1)
    options: list[st.SearchStrategy[TrackerOp]] = [
        flow.map(lambda f: Commit(flow=f)),
        flow.map(lambda f: Reply(flow=f)),
        flow.map(lambda f: ForceExpire(flow=f)),
        st.just(Sweep()),
    ]
    if lookups:
        options.append(flow.map(lambda f: Lookup(flow=f)))
    return st.one_of(options)


def timed(
    ops: st.SearchStrategy[TrackerOp], *, max_size: int = 12, regular_sweeps: bool = False
) -> st.SearchStrategy[Events]:
    """Events at non-decreasing times (steps of up to 65 s); with ``regular_sweeps`` a sweep is also
    inserted at every multiple of the sweep interval, as the clean thread does."""

    def build(pairs: list[tuple[int, TrackerOp]]) -> Events:
        events: Events = []
        now = 0
        for gap, op in pairs:
            later = now + gap
            if regular_sweeps:
                for tick in range((now // INTERVAL + 1) * INTERVAL, later + 1, INTERVAL):
                    events.append((tick, Sweep()))
            now = later
            events.append((now, op))
        return events

    gaps = st.sampled_from([0, 1000, 5000, 15000, 25000, 35000, 45000, 65000])
    return st.lists(st.tuples(gaps, ops), max_size=max_size).map(build)


def _dummy_not_offloaded(profile: Profile, events: Events) -> bool:
    """E-TRACK-DUMMY: with the default configuration (nothing asked for) on a userspace datapath,
    no connection is ever offloaded to the dummy provider."""
    t = tracker([{"kind": "dummy", "name": "dummy"}], profile, TrackerConfig())
    for now, op in events:
        result, _ = t.apply(op, now)
        if isinstance(op, Commit) and isinstance(result, int) and t.mark(result) is not Mark.NONE:
            return False
    return True


def _nobody_keeps_checks(profile: Profile, events: Events) -> bool:
    """E-TRACK-NOBODY: with offload on and no provider able to take a connection, every connection
    keeps TCP sequence checking."""
    t = tracker(
        [{"callbacks": ["del", "upd", "can", "est", "flush"]}],
        profile,
        TrackerConfig(requested=("p0",), dpif_classes=("p0",)),
    )
    for now, op in events:
        t.apply(op, now)
        if not all(row[4] for row in t.table().values()):
            return False
    return True


HW_STAMP = 1  # ms: the hardware's last-used time for every connection, forever


def _stale_expires(profile: Profile, events: Events) -> bool:
    """E-TRACK-STALE: when the hardware's last-used time never advances (it answers 1 ms for every
    connection), a sweep leaves no connection whose last activity (its last software packet, or
    the hardware's 1 ms if that is later) is older than its timeout."""
    config = TrackerConfig(requested=("hw",), dpif_classes=("hw",))
    stamps = {str(c): HW_STAMP for c in range(1, 40)}
    t = tracker([{"name": "hw", "callbacks": ["add", "del", "upd"], "upd": stamps}], profile, config)
    last: dict[int, int] = {}
    for now, op in events:
        result, _ = t.apply(op, now)
        if isinstance(op, Commit | Reply) and isinstance(result, int):
            last[result] = now
        if isinstance(op, Sweep):
            for conn_id, (_, _, established, forced, _) in t.table().items():
                # Before a reply a connection's timeout is UDP_FIRST or UDP_SINGLE (equal by default).
                timeout = config.udp_multiple if established else max(config.udp_first, config.udp_single)
                if not forced and max(last[conn_id], HW_STAMP) + timeout <= now:
                    return False
    return True


def _forced_gone(profile: Profile, events: Events) -> bool:
    """E-TRACK-FORCE: a force-expired connection is gone after the next sweep, so no flow ever has
    two live connections after a sweep."""
    config = TrackerConfig(requested=("hw",), dpif_classes=("hw",))
    stamps = {str(c): 10**12 for c in range(1, 40)}
    t = tracker([{"name": "hw", "callbacks": ["add", "del", "upd"], "upd": stamps}], profile, config)
    forced: set[int] = set()
    for now, op in events:
        result, _ = t.apply(op, now)
        if isinstance(op, ForceExpire) and isinstance(result, int):
            forced.add(result)
        if isinstance(op, Sweep) and forced & set(t.table()):
            return False
    return True


def _no_window(profile: Profile, events: Events) -> bool:
    """E-TRACK-WINDOW: with the clean thread sweeping every interval and the hardware reporting
    every offloaded connection active, a lookup never misses a flow's offloaded connection."""
    t = tracker([{"kind": "dummy", "name": "dummy"}], profile, TrackerConfig(requested=("dummy",)))
    for now, op in events:
        result, _ = t.apply(op, now)
        if isinstance(op, Lookup) and result is None:
            live = [
                i for i, row in t.table().items() if row[0] == op.flow and not row[3] and t.mark(i) is not Mark.NONE
            ]
            if live:
                return False
    return True


DEFECTS: tuple[Defect, ...] = (
    Defect(
        erratum="E-TRACK-DUMMY",
        statement=_dummy_not_offloaded.__doc__ or "",
        holds=_dummy_not_offloaded,
        events=timed(_op(2)),
    ),
    Defect(
        erratum="E-TRACK-NOBODY",
        statement=_nobody_keeps_checks.__doc__ or "",
        holds=_nobody_keeps_checks,
        events=timed(_op(2)),
    ),
    Defect(erratum="E-TRACK-STALE", statement=_stale_expires.__doc__ or "", holds=_stale_expires, events=timed(_op(2))),
    Defect(erratum="E-TRACK-FORCE", statement=_forced_gone.__doc__ or "", holds=_forced_gone, events=timed(_op(2))),
    Defect(
        erratum="E-TRACK-WINDOW",
        statement=_no_window.__doc__ or "",
        holds=_no_window,
        events=timed(_op(2, lookups=True), regular_sweeps=True),
    ),
)


def kept(erratum_id: str) -> Events:
    """The events of the erratum's counterexample (the kept minimal counterexample)."""
    scenario = parse_tracker_scenario(erratum(erratum_id).scenario)
    return [(event.at, event.op) for event in scenario.events]
