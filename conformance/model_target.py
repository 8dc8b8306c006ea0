"""The model as a scenario target: build the world from the declarations and step through it.

Purpose: ``python -m conformance scenarios --target model`` and every comparison against the model
go through ``ModelRunner``.

Promises: the scenario's providers become ``model.provider`` specs with exactly the declared
callbacks; every op goes through ``model.step.step``.
"""

from __future__ import annotations

from conformance import coverage, summary
from conformance.outcome import Outcome, run_scenario
from conformance.scenario import ProviderDecl, Scenario
from model.device import DeviceConfig
from model.ops import Call, LayerOp, Result
from model.provider import ProviderSpec, Scripted, dummy_spec
from model.state import LayerState, initial_state, mark_of
from model.step import step
from model.switchdev import switchdev_spec
from model.vocab import Callback, Mark, Profile


def scripted_behaviour(decl: ProviderDecl) -> Scripted:
    """The scripted provider's answers, as the model describes them (also used by the impl target's
    providers: they are the scenario's inputs, not the layer under test)."""
    return Scripted(
        can_table=decl.can,
        add_table=decl.add,
        upd_table=decl.upd,
        batch_errors=decl.batch_errors,
        init_result=decl.init or 0,
        raising=decl.raises,
        has_can=Callback.CAN in decl.callbacks,
    )


def provider_spec(decl: ProviderDecl) -> ProviderSpec:
    """The model's description of one declared provider."""
    if decl.kind == "dummy":
        return dummy_spec(decl.name)
    if decl.kind == "switchdev":
        return switchdev_spec(decl.name, DeviceConfig(**dict(decl.device)))  # type: ignore[arg-type]
    return ProviderSpec(name=decl.name, callbacks=decl.callbacks, behaviour=scripted_behaviour(decl))


class ModelRunner:
    """Steps the model through a scenario's ops, one at a time."""

    def __init__(self, providers: tuple[ProviderDecl, ...], profile: Profile, *, private_slot: bool = True) -> None:
        world = tuple(provider_spec(decl) for decl in providers)
        self.state: LayerState = initial_state(profile, world, slot=private_slot)

    def apply(self, op: LayerOp, now: int) -> tuple[Result, tuple[Call, ...]]:
        """Apply ``op`` at ``now``: its result and trace (counted for the coverage gate)."""
        before = self.state
        self.state, observation = step(self.state, op, now)
        coverage.record(before, op, observation.result, observation.trace)
        summary.count("model ops")
        return observation.result, observation.trace

    def mark(self, conn: int) -> Mark:
        """The mark of ``conn`` now."""
        return mark_of(self.state, conn)


def run_on_model(scenario: Scenario, profile: Profile) -> Outcome:
    """Run ``scenario`` on the model under ``profile``."""
    return run_scenario(scenario, ModelRunner(scenario.providers, profile, private_slot=scenario.private_slot))
