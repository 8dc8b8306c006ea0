"""The tracker model as a tracker-scenario target (impl's tracker is added beside it).

Purpose: ``ModelTracker`` drives ``model.tracker_sweep.tracker_step`` for
``conformance.tracker_scenario.run_tracker`` and for the tracker state machines.

Promises: the providers are built exactly as the layer target builds them
(``conformance.model_target.provider_spec``); registration at start follows TRACK-INIT.
"""

from __future__ import annotations

from conformance.model_target import provider_spec
from conformance.scenario import ProviderDecl
from conformance.tracker_scenario import TrackerScenario
from model.ops import Call
from model.state import mark_of
from model.tracker import SweepReport, TrackerConfig, TrackerOp, sequence_checked, start
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
