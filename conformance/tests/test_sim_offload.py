"""The simulation behaves like offload: hardware carries established flows, the sweep's refresh
keeps the active ones, idle ones age out, and every run is the same for the same arguments.

The flows of a run are known in advance (``Arrivals`` is a pure function of the seed and the
model), so the tests can say which flow was active when each sweep refreshed or cleaned its
connection.
"""

from __future__ import annotations

from collections import Counter

import pytest

from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.sim_providers import PROVIDERS, ProviderSetup
from impl.sim_timeline import Timeline
from impl.sim_traffic import Arrivals, Flow, TrafficModel
from impl.tracker import ConnTracker, SweepReport, TrackerConfig, register_providers
from model.vocab import Profile

MODEL = TrafficModel(rate=4.0, lifetime=25_000, long_share=0.2, long_lifetime=None, interval=5_000)
DURATION = 240_000


@pytest.fixture(autouse=True)
def _no_saved_device(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CT_OFFLOAD_SIM_STATE", f"{tmp_path}/no-such-state.json")


def _flows(model: TrafficModel, seed: int, count: int) -> dict[int, Flow]:
    arrivals = Arrivals(model, seed=seed, start=0, workers=1, conns=count)
    flows = {}
    while (flow := arrivals.next_for(0)) is not None:
        flows[flow.id] = flow
    return flows


def _last_exchange(flow: Flow, at: int, interval: int) -> int | None:
    """The scheduled time of ``flow``'s last exchange at or before ``at`` (None: none yet)."""
    if flow.opens_at > at:
        return None
    k = (at - flow.opens_at) // interval
    if flow.ends_at is not None:
        k = min(k, max(0, -(-(flow.ends_at - flow.opens_at) // interval) - 1))
    return flow.opens_at + k * interval


class Run:
    """A switchdev run whose sweeps and connections are recorded."""

    def __init__(self, profile: Profile, provider: str = "switchdev", **faults: object) -> None:
        clock = VirtualClock()
        self.setup: ProviderSetup = PROVIDERS[provider](clock, faults=faults or None)
        names = tuple(cls.name for cls in self.setup.classes)
        config = TrackerConfig(requested=names if profile is Profile.STRICT else (), dpif_classes=names)
        self.layer = OffloadLayer(profile)
        register_providers(self.layer, self.setup.classes, config)
        self.tracker = ConnTracker(self.layer, config)
        self.timeline = Timeline(self.tracker, self.layer, self.setup)
        self.flow_of: dict[int, int] = {}
        self.sweeps: list[tuple[int, SweepReport]] = []

        def on_sweep(now: int, report: SweepReport) -> None:
            self.sweeps.append((now, report))
            self.timeline.record(self.sim, now, report)

        self.sim = Simulation(
            self.layer, self.tracker, clock, workers=3, duration=DURATION, traffic=MODEL, seed=5,
            hardware=self.setup.hardware, on_packet=self._seen,
            on_sweep=on_sweep,
        )  # fmt: skip
        self.final = self.sim.run()

    def _seen(self, flow: int, conn_id: int) -> None:
        self.flow_of[conn_id] = flow


def test_active_offloaded_flows_are_refreshed_by_sweeps_and_idle_ones_cleaned_as_stale() -> None:
    run = Run(Profile.STRICT)
    flows = _flows(MODEL, 5, run.final.flows)
    stats = run.final.stats
    # The hardware carried the established flows: software saw only each flow's first exchange.
    assert run.final.hw_packets > 0
    assert run.final.packets - run.final.hw_packets == 2 * run.final.flows
    assert stats.created == run.final.flows  # no flow ever lost its connection while sending
    assert stats.refreshed > 0 and stats.cleaned.get("stale", 0) > 0
    assert set(stats.cleaned) == {"stale"} and stats.sweep_errors == {}
    grace = run.tracker.config.udp_multiple + 2 * 1000  # the timeout, the tick and the stats period
    for now, report in run.sweeps:
        for conn_id, _ in report.refreshed:
            last = _last_exchange(flows[run.flow_of[conn_id]], now, MODEL.interval)
            assert last is not None and last > now - grace, f"conn {conn_id} refreshed at {now} but idle since {last}"
        for conn_id, reason in report.cleaned:
            flow = flows[run.flow_of[conn_id]]
            assert reason == "stale"
            assert flow.ends_at is not None and flow.ends_at <= now, f"active flow {flow} cleaned at {now}"
    # Every flow still sending at the end has its connection, offloaded.
    table = run.tracker.table()
    active = {f.id for f in flows.values() if f.ends_at is None or f.ends_at > DURATION}
    held = {flow for conn_id, (flow, *_) in table.items() if run.layer.is_offloaded(conn_id)}
    assert active <= held
    assert run.timeline.rows[-1].idle_kept == 0


def test_the_dummy_keeps_idle_flows_for_ever() -> None:
    run = Run(Profile.STRICT, provider="dummy")
    assert run.final.hw_packets == 0  # no hardware: everything goes through software
    assert run.final.stats.cleaned == {}
    assert run.timeline.rows[-1].idle_kept > 0
    assert run.final.table_size == run.final.flows


def test_a_run_is_the_same_for_the_same_arguments() -> None:
    first, second = Run(Profile.STRICT, fail_rate=0.05), Run(Profile.STRICT, fail_rate=0.05)
    assert first.timeline.rows == second.timeline.rows
    assert first.final.stats == second.final.stats
    assert [r for _, r in first.sweeps] == [r for _, r in second.sweeps]


def test_arrivals_depend_on_the_seed_only() -> None:
    by_one = _flows(MODEL, 9, 200)
    four = Arrivals(MODEL, seed=9, start=0, workers=4, conns=200)
    by_four = {}
    for worker in (3, 1, 0, 2) * 60:
        flow = four.next_for(worker)
        if flow is not None:
            assert flow.id % 4 == worker
            by_four[flow.id] = flow
    assert by_four == by_one
    assert _flows(MODEL, 10, 200) != by_one
    gaps = [b.opens_at - a.opens_at for a, b in zip(list(by_one.values()), list(by_one.values())[1:], strict=False)]
    assert all(gap >= 0 for gap in gaps)
    assert 150 < sum(gaps) / len(gaps) < 350  # about 1000 / rate ms
    assert 0.1 < Counter(flow.long for flow in by_one.values())[True] / 200 < 0.3


def test_the_traffic_model_refuses_bad_values() -> None:
    for field, value, kind in (
        ("rate", 0, ValueError),
        ("rate", float("nan"), ValueError),
        ("lifetime", -1, ValueError),
        ("lifetime", 1.5, TypeError),
        ("long_share", 1.5, ValueError),
        ("interval", 0, ValueError),
        ("long_lifetime", True, TypeError),
    ):
        with pytest.raises(kind, match=field):
            TrafficModel(**{field: value})  # type: ignore[arg-type]
