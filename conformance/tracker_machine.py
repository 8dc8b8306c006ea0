"""Sequential conformance of the tracker: impl's tracker against the model's, event by event.

Purpose: issue-level check that ``impl.tracker.ConnTracker`` over ``impl.layer.OffloadLayer``
behaves as ``model.tracker_sweep.tracker_step`` over the model's layer, in each profile: every
event's result, the provider calls it caused, the whole table (expiry, state, sequence checking)
and every connection's mark are compared after each event. Time moves forward by drawn gaps;
providers (scripted, the dummy, the switchdev provider on a simulated device, whose table is
compared too) and the configuration (batched sweep or not, offload on or off)
are drawn at the start.

Device faults (the next completions of a switchdev provider's device fail) are injected on both
sides alike. Under strict the whole stack keeps one more invariant (STRICT-KEEP, TRACK-RETRY):
after any events and faults, once the faults stop and one sweep has run, every device holds
exactly the connections whose mark is not NONE and that it has taken (or, for a UDP connection
that has not seen a reply, is waiting to program: P-ADD), all of them in the tracker's table;
nothing is left waiting for removal.

Promises: ``tracker_machine(profile)`` returns a machine class; failures print the event sequence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from conformance import summary
from conformance.machine import assert_devices_agree
from conformance.scenario import parse_scenario
from conformance.tracker_targets import ImplTracker, ModelTracker
from model.switchdev import SwitchdevState
from model.tracker import Commit, FlushAll, FlushFlow, ForceExpire, Lookup, Reply, Sweep, TrackerConfig, TrackerOp
from model.vocab import Profile

JSON = Any
FLOWS = st.integers(0, 3)
STAMPS = st.sampled_from([0, 1, 5_000, 40_000, 10**9])


@st.composite
def tracker_provider(draw: st.DrawFn, index: int) -> dict[str, JSON]:
    """A provider for the tracker: the switchdev provider on a simulated device (the whole stack:
    registry, switchdev provider and tracker), the dummy, or a scripted one whose answers are keyed
    by the connection ids the tracker will allocate (1, 2, ...)."""
    special = draw(st.integers(0, 4))  # rare kinds are the largest values, so shrinking drops them
    if special == 4:
        device = {"ct_entries": draw(st.sampled_from([4, 6, 65536])), "queue_size": draw(st.sampled_from([1, 2, 1024]))}
        return {"kind": "switchdev", "name": f"sw{index}", "device": device}
    if special == 3:
        return {"kind": "dummy", "name": f"d{index}"}
    ids = st.integers(1, 12).map(str)
    decl: dict[str, JSON] = {
        "name": f"p{index}",
        "callbacks": draw(
            st.sampled_from(
                [
                    ["add", "del", "upd", "est", "can"],
                    ["add", "del", "upd"],
                    ["batch", "add", "del", "upd"],
                    ["batch"],
                    ["del", "upd"],
                ]
            )
        ),
    }
    decl["upd"] = draw(st.dictionaries(ids, STAMPS, max_size=6))
    decl["add"] = draw(st.dictionaries(ids, st.sampled_from([0, 0, 28, 95]), max_size=3))
    decl["can"] = draw(st.dictionaries(ids, st.booleans(), max_size=3))
    return decl


class TrackerMachine(RuleBasedStateMachine):
    """impl's tracker against the model's under ``profile``."""

    profile: Profile = Profile.STRICT

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.model: ModelTracker | None = None
        self.impl: ImplTracker | None = None

    @initialize(data=st.data(), batch_sweep=st.booleans(), enabled=st.sampled_from([True, True, True, False]))
    def setup(self, data: st.DataObject, batch_sweep: bool, enabled: bool) -> None:
        raw = [data.draw(tracker_provider(i)) for i in range(data.draw(st.integers(0, 2)))]
        decls = parse_scenario({"providers": raw}).providers
        for decl in decls:
            event(f"provider kind {decl.kind}")
        names = tuple(d.name for d in decls)
        config = TrackerConfig(enabled=enabled, batch_sweep=batch_sweep, dpif_classes=names, requested=names)
        self.model = ModelTracker(decls, self.profile, config)
        self.impl = ImplTracker(decls, self.profile, config)
        assert self.impl.register == self.model.register
        assert self.impl.start_trace == self.model.start_trace

    def both(self, op: TrackerOp) -> None:
        """Apply ``op`` to both trackers at the current time and compare everything."""
        assert self.model is not None and self.impl is not None
        expected, expected_trace = self.model.apply(op, self.now)
        got, got_trace = self.impl.apply(op, self.now)
        assert got_trace == expected_trace, f"trace of {op} at {self.now}:\n impl  {got_trace}\n model {expected_trace}"
        assert got == expected, f"result of {op} at {self.now}: impl {got!r}, model {expected!r}"
        table = self.model.table()
        assert self.impl.table() == table, f"table after {op} at {self.now}"
        for conn_id in range(1, max(table, default=0) + 1):
            assert self.impl.mark(conn_id) == self.model.mark(conn_id), f"mark of {conn_id} after {op}"
        assert_devices_agree(self.model.state.layer, self.impl.runner)
        removing = tuple(sorted(conn_id for conn_id, _ in self.model.state.removing.items()))
        assert self.impl.tracker.removing() == removing, f"removals pending after {op}"
        event(type(op).__name__)
        summary.count("compared")

    @rule(gap=st.sampled_from([0, 1_000, 10_000, 20_000, 31_000, 61_000]))
    def wait(self, gap: int) -> None:
        self.now += gap

    @rule(flow=FLOWS, netdev=st.sampled_from([None, "eth0"]))
    def commit(self, flow: int, netdev: str | None) -> None:
        self.both(Commit(flow=flow, netdev=netdev))

    @rule(flow=FLOWS, netdev=st.sampled_from([None, "eth1"]))
    def reply(self, flow: int, netdev: str | None) -> None:
        self.both(Reply(flow=flow, netdev=netdev))

    @rule(flow=FLOWS)
    def lookup(self, flow: int) -> None:
        self.both(Lookup(flow=flow))

    @rule(flow=FLOWS)
    def force_expire(self, flow: int) -> None:
        self.both(ForceExpire(flow=flow))

    @rule(flow=FLOWS)
    def flush_flow(self, flow: int) -> None:
        self.both(FlushFlow(flow=flow))

    @rule()
    def flush_all(self) -> None:
        self.both(FlushAll())

    @rule()
    def sweep(self) -> None:
        self.both(Sweep())

    @rule(count=st.integers(1, 3), error=st.sampled_from([5, 110, 28]))
    def device_fault(self, count: int, error: int) -> None:
        """The next ``count`` completions of every switchdev device fail with ``error``."""
        self._faults(fail_next_count=count, fail_next_errno=error)

    def _faults(self, **changes: Any) -> None:
        assert self.model is not None and self.impl is not None
        layer = self.model.state.layer
        for index, (_, device) in self.impl.runner.switchdevs.items():
            device.set_faults(**changes)
            state = layer.pstate(index)
            assert isinstance(state, SwitchdevState)
            device_model = replace(state.device, faults=replace(state.device.faults, **changes))
            layer = layer.with_pstate(index, replace(state, device=device_model))
        self.model.state = replace(self.model.state, layer=layer)

    @rule()
    def settle(self) -> None:
        """The faults stop and one sweep runs: under strict nothing is leaked (see the module)."""
        assert self.model is not None and self.impl is not None
        self._faults(fail_next_count=0)
        self.both(Sweep())
        if self.profile is not Profile.STRICT:
            return  # the RFC loses failed removals (E-DEL-LOST): nothing to check
        assert self.impl.tracker.removing() == ()
        table = set(self.impl.tracker.table())
        for index, (hardware, device) in self.impl.runner.switchdevs.items():
            layer, name = self.impl.runner.layer, hardware.name  # the layer holds a recording wrapper
            held = {c for c in layer.marks() if any(h.name == name for h in layer.holders(c))}
            known = set(hardware.programmed()) | set(hardware.waiting())
            assert set(device.table()) == set(hardware.programmed()), f"provider {index}: device and provider differ"
            assert known == held, f"provider {index}: holds {sorted(known)}, the marks say {sorted(held)}"
            assert set(device.table()) <= table, f"provider {index}: entries of cleaned connections left"


def tracker_machine(profile: Profile) -> type[TrackerMachine]:
    """The tracker machine class for ``profile``."""
    return type(f"TrackerMachine_{profile.name}", (TrackerMachine,), {"profile": profile})
