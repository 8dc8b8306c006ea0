"""The model as a scenario target: build the world from the declarations and step through it.

Purpose: ``python -m conformance scenarios --target model`` and every comparison against the model
go through ``run_on_model``.

Promises: the scenario's providers become ``model.provider`` specs with exactly the declared
callbacks; registration at start, then each step, goes through ``model.step.step``.
"""

from __future__ import annotations

from conformance.outcome import Outcome
from conformance.scenario import ProviderDecl, Scenario
from model.ops import Call, Register, Result
from model.provider import ProviderSpec, Scripted, dummy_spec
from model.state import initial_state, mark_of
from model.step import step
from model.vocab import Callback, Mark, Profile


def provider_spec(decl: ProviderDecl) -> ProviderSpec:
    """The model's description of one declared provider."""
    if decl.kind == "dummy":
        return dummy_spec(decl.name)
    behaviour = Scripted(
        can_table=decl.can,
        add_table=decl.add,
        upd_table=decl.upd,
        batch_errors=decl.batch_errors,
        init_result=decl.init or 0,
        raising=decl.raises,
        has_can=Callback.CAN in decl.callbacks,
    )
    return ProviderSpec(name=decl.name, callbacks=decl.callbacks, behaviour=behaviour)


def run_on_model(scenario: Scenario, profile: Profile) -> Outcome:
    """Run ``scenario`` on the model under ``profile``."""
    world = tuple(provider_spec(decl) for decl in scenario.providers)
    state = initial_state(profile, world, slot=scenario.private_slot)
    trace: list[Call] = []
    initial: list[int] = []
    if scenario.register_all_at_start:
        for ident in range(len(world)):
            state, observation = step(state, Register(provider=ident), 0)
            trace.extend(observation.trace)
            initial.append(int(observation.result))  # type: ignore[arg-type]
    returns: list[Result] = []
    marks: list[tuple[tuple[int, Mark], ...]] = []
    named: dict[int, None] = {}
    for scenario_step in scenario.steps:
        state, observation = step(state, scenario_step.op, scenario_step.now)
        trace.extend(observation.trace)
        returns.append(observation.result)
        named.update(dict.fromkeys(scenario_step.conns))
        marks.append(tuple((conn, mark_of(state, conn)) for conn in sorted(named)))
    return Outcome(
        id=scenario.id,
        initial_register=tuple(initial),
        trace=tuple(trace),
        returns=tuple(returns),
        marks=tuple(marks),
        batch_timestamps=scenario.batch_timestamps,
    )
