"""The committed vectors are what the model gives today, and impl agrees with every one."""

from __future__ import annotations

import json

import pytest

from conformance import summary, vectors
from conformance.impl_target import run_on_impl
from conformance.outcome import agrees
from conformance.runner import run_object
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker
from conformance.tracker_targets import impl_tracker
from model.vocab import Profile

pytestmark = pytest.mark.conformance
PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])


def test_regenerating_the_vectors_gives_no_difference() -> None:
    for name, text in vectors.render().items():
        assert (vectors.DIRECTORY / name).read_text() == text, f"{name} is stale: python -m conformance vectors --write"


@PROFILES
def test_every_layer_vector_replays_on_impl(profile: Profile) -> None:
    cases = vectors.load(f"layer-{profile.value}.jsonl")
    assert len(cases) >= 150
    for case in cases:
        got = run_object(case["scenario"], run_on_impl, profile)
        assert agrees(case["expect"], got), case["scenario"].get("id")
    summary.count("vectors", len(cases))


@PROFILES
def test_every_tracker_vector_replays_on_impl(profile: Profile) -> None:
    cases = vectors.load(f"tracker-{profile.value}.jsonl")
    assert len(cases) >= 40
    for case in cases:
        scenario = parse_tracker_scenario(case["scenario"])
        got = json.loads(json.dumps(run_tracker(scenario, impl_tracker(scenario, profile))))
        assert got == case["expect"], case["scenario"].get("id")
    summary.count("vectors", len(cases))
