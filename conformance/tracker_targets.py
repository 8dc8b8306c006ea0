"""The model's and impl's trackers as tracker-scenario targets.

Purpose: ``ModelTracker`` drives ``model.tracker_sweep.tracker_step`` and ``ImplTracker`` drives
``impl.tracker.ConnTracker``, for ``conformance.tracker_scenario.run_tracker`` and for the tracker
state machines.

Promises: the providers are built exactly as the layer targets build them (the model's specs,
impl's recording classes); registration at start follows TRACK-INIT on each side.
"""

from __future__ import annotations

from dataclasses import fields
from typing import assert_never

from conformance.impl_target import ImplRunner
from conformance.model_target import provider_spec
from conformance.scenario import ProviderDecl
from conformance.tracker_scenario import TrackerScenario
from impl.tracker import ConnTracker, register_providers
from impl.tracker import TrackerConfig as ImplConfig
from model.ops import Call
from model.state import mark_of
from model.tracker import (
    Commit,
    FlushAll,
    FlushFlow,
    ForceExpire,
    Lookup,
    Reply,
    Sweep,
    SweepReport,
    TrackerConfig,
    TrackerOp,
    sequence_checked,
    start,
)
from model.tracker_sweep import tracker_step
from model.vocab import Mark, Profile


class ModelTracker:
    """The model's tracker, event by event."""

    def __init__(
        self, providers: tuple[ProviderDecl, ...], profile: Profile, config: TrackerConfig, *, private_slot: bool = True
    ) -> None:
        world = tuple(provider_spec(decl) for decl in providers)
        self.state, self.start_trace, self.register = start(profile, world, config, slot=private_slot)

    def apply(self, op: TrackerOp, now: int) -> tuple[int | None | SweepReport, tuple[Call, ...]]:
        """Apply ``op`` at ``now``."""
        self.state, observed = tracker_step(self.state, op, now)
        return observed.result, observed.trace

    def table(self) -> dict[int, tuple[int, int, bool, bool, bool]]:
        """The table now."""
        return {
            conn.id: (conn.flow, conn.expiration, conn.established, conn.forced, sequence_checked(self.state, conn.id))
            for _, conn in self.state.conns.items()
        }

    def mark(self, conn_id: int) -> Mark:
        """The layer's mark of ``conn_id``."""
        return mark_of(self.state.layer, conn_id)


def model_tracker(scenario: TrackerScenario, profile: Profile) -> ModelTracker:
    """The model tracker for ``scenario``."""
    return ModelTracker(scenario.providers, profile, scenario.config, private_slot=scenario.private_slot)


class ImplTracker:
    """impl's tracker (``impl.tracker.ConnTracker``) over impl's layer, event by event.

    The providers are those of ``conformance.impl_target.ImplRunner`` (real ``OffloadClass``
    objects recording every call); registration at start goes through
    ``impl.tracker.register_providers``.
    """

    def __init__(
        self, providers: tuple[ProviderDecl, ...], profile: Profile, config: TrackerConfig, *, private_slot: bool = True
    ) -> None:
        self.runner = ImplRunner(providers, profile, private_slot=private_slot)
        impl_config = ImplConfig(**{f.name: getattr(config, f.name) for f in fields(TrackerConfig)})
        self.register = tuple(register_providers(self.runner.layer, self.runner.classes, impl_config))
        self.start_trace = tuple(self.runner.recorder.calls)
        self.tracker = ConnTracker(self.runner.layer, impl_config)

    def apply(self, op: TrackerOp, now: int) -> tuple[int | None | SweepReport, tuple[Call, ...]]:
        """Apply ``op`` at ``now`` through the tracker's public API."""
        self.runner.now = now
        start = len(self.runner.recorder.calls)
        result = self._call(op, now)
        return result, tuple(self.runner.recorder.calls[start:])

    def _call(self, op: TrackerOp, now: int) -> int | None | SweepReport:
        tracker = self.tracker
        match op:
            case Commit(flow=flow, netdev=netdev):
                return tracker.commit(flow, now, netdev)
            case Reply(flow=flow, netdev=netdev):
                return tracker.reply(flow, now, netdev)
            case Lookup(flow=flow):
                return tracker.lookup(flow, now)
            case ForceExpire(flow=flow):
                return tracker.force_expire(flow, now)
            case FlushFlow(flow=flow):
                return tracker.flush_flow(flow, now)
            case FlushAll():
                return tracker.flush_all(now)
            case Sweep():
                report = tracker.sweep(now)
                return SweepReport(cleaned=tuple(report.cleaned), refreshed=tuple(report.refreshed))
            case _:
                assert_never(op)

    def table(self) -> dict[int, tuple[int, int, bool, bool, bool]]:
        """The table now, with sequence checking."""
        return {i: (*row, self.tracker.sequence_checked(i)) for i, row in self.tracker.table().items()}

    def mark(self, conn_id: int) -> Mark:
        """The mark impl gives ``conn_id``."""
        return self.runner.layer.mark(conn_id)


def impl_tracker(scenario: TrackerScenario, profile: Profile) -> ImplTracker:
    """The impl tracker for ``scenario``."""
    return ImplTracker(scenario.providers, profile, scenario.config, private_slot=scenario.private_slot)
