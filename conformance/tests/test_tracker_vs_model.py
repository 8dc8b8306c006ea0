"""impl's tracker and the model's give the same result for generated tracker scenarios."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import summary
from conformance.tracker_machine import tracker_provider
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker
from conformance.tracker_targets import impl_tracker, model_tracker
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any


@st.composite
def tracker_scenario(draw: st.DrawFn) -> dict[str, JSON]:
    providers = [draw(tracker_provider(i)) for i in range(draw(st.integers(0, 2)))]
    words = ["commit", "commit", "reply", "lookup", "force", "flush_flow", "flush", "sweep", "sweep"]
    events = []
    now = 0
    for _ in range(draw(st.integers(0, 14))):
        now += draw(st.sampled_from([0, 1000, 5000, 15000, 20000, 29000, 31000, 61000]))
        word = draw(st.sampled_from(words))
        event: dict[str, JSON] = {"at": now, "do": word}
        if word not in ("flush", "sweep"):
            event["flow"] = draw(st.integers(0, 4))
        events.append(event)
    config: dict[str, JSON] = {
        "batch_sweep": draw(st.booleans()),
        "enabled": draw(st.sampled_from([True, True, False])),
    }
    # A small table limit makes the sweep stop early and resume (and refuses commits at the limit).
    limit = draw(st.sampled_from([None, None, 2, 3, 64, 130]))
    if limit is not None:
        config["n_conn_limit"] = limit
    if draw(st.booleans()):
        config["timeout_new"] = draw(st.sampled_from([10000, 30000]))
    return {"id": 0, "providers": providers, "config": config, "events": events}


def _run(obj: dict[str, JSON], target: Any, profile: Profile) -> JSON:
    scenario = parse_tracker_scenario(obj)
    return json.loads(json.dumps(run_tracker(scenario, target(scenario, profile))))


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
@given(obj=tracker_scenario())
def test_impl_tracker_agrees_with_the_model(profile: Profile, obj: dict[str, JSON]) -> None:
    assert _run(obj, impl_tracker, profile) == _run(obj, model_tracker, profile)
    summary.count("compared", len(obj["events"]))


def test_a_sweep_that_does_not_move_an_expiry_does_not_call_it_refreshed() -> None:
    """Found by checking impl against the model: a stale timestamp on a connection that has not
    expired yet leaves its expiry where it was, and the report does not list it."""
    obj = {
        "providers": [{"callbacks": ["add", "del", "upd"], "upd": {"1": 1}}],
        "config": {"timeout_new": 30000, "timeout_established": 60000},
        "events": [
            {"at": 0, "do": "commit", "flow": 0},
            {"at": 5000, "do": "commit", "flow": 0},
            {"at": 20000, "do": "sweep"},
        ],
    }
    for target in (impl_tracker, model_tracker):
        out = _run(obj, target, Profile.STRICT)
        assert out["results"][2] == {"cleaned": [], "refreshed": []}
        assert out["table"] == {"1": [0, 35000, False, False, False]}
