"""``python -m conformance prove``: every law holds within the CI scope, and a broken law is caught
with a minimal counterexample."""

from __future__ import annotations

import json
import os

import pytest

from conformance.model_target import run_on_model
from conformance.outcome import Outcome, encode
from conformance.prove import checks
from conformance.prove.run import LawFailed, Tally, prove, render, run_task
from conformance.prove.scope import Family, Scope, scenario, scenario_json, sequences, worlds
from conformance.prove.scopes import SCOPES
from conformance.runner import run_object
from model.vocab import Profile

pytestmark = pytest.mark.conformance


def test_every_law_holds_within_the_ci_scope() -> None:
    """The CI scope (``small``, or ``$CT_OFFLOAD_PROVE_SCOPE``); one process, stopping at the first
    failing case (the mutation run of the model relies on that)."""
    scope = SCOPES[os.environ.get("CT_OFFLOAD_PROVE_SCOPE", "small")]
    tally, _ = prove(scope, 1, fail_fast=True)
    laws = {law for law, _ in tally.cases}
    assert {"impl-equals-model", "rfc-versions-differ-only-in-upd", "batch-refines", "mark-transitions"} <= laws
    assert all(n > 0 for n in tally.cases.values())
    assert not tally.failures


def test_the_report_names_the_scope_and_counts_cases() -> None:
    scope = SCOPES["small"]
    tally = Tally()
    tally.cases[("impl-equals-model", "strict")] = 7
    lines = render(scope, tally, 1.0, 1)
    assert "- impl-equals-model [strict]: holds for all 7 cases within scope small (0.0 s)" in lines
    assert any(line.startswith("- shapes: ") for line in lines)


TEST_SCOPE = Scope(
    name="test", families=(Family(name="t", providers=(0, 1), steps=1, batch_ops=1),), segment_ops=1, verdicts=1
)


def test_enumeration_is_smallest_first_and_replayable() -> None:
    family = Family(name="t", providers=(0, 1), steps=2, batch_ops=1)
    seen = list(worlds(family))
    assert seen[0] == () and len(seen[1]) == 1 and not seen[1][0].callbacks
    sizes = [(len(s), sum(len(x[1]) for x in s if x[0] == "batch")) for s in sequences(family, 1)]
    assert sizes == sorted(sizes)
    world = seen[-1]
    steps = next(s for s in sequences(family, 1) if len(s) == 2 and s[0][0] == "batch")
    for profile in Profile:
        direct = checks.model_outcome(checks.specs_of(world), scenario(world, steps), profile)
        assert run_object(scenario_json(world, steps), run_on_model, profile) == {**encode(direct), "id": 0}


def test_a_broken_law_is_reported_with_its_minimal_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    """impl made to differ from the model whenever a batch is submitted: the counterexample is the
    smallest such scenario (no provider, one step, a batch of one op)."""
    real = checks.impl_equals_model

    def broken(expected: Outcome, got: Outcome) -> bool:
        return real(expected, got) and not any(isinstance(r, tuple) for r in got.returns)

    monkeypatch.setattr(checks, "impl_equals_model", broken)
    monkeypatch.setitem(SCOPES, "test", TEST_SCOPE)
    tally = run_task("test", 0, 0, 3)
    size, shown = tally.failures[("impl-equals-model", "strict")]
    assert json.loads(shown)["steps"] == [{"do": "batch", "ops": [["ADD", 0]]}]
    assert json.loads(shown)["providers"] == []
    assert size[:3] == (1, 1, 0)
    with pytest.raises(LawFailed):
        run_task("test", 0, 0, 3, fail_fast=True)
