"""The shipped JSON Schemas (conformance/schema/) say what the parsers say.

The scenario schema and ``conformance.scenario.parse_scenario``, and the tracker schema and
``conformance.tracker_scenario.parse_tracker_scenario``, accept and refuse the same near-valid
objects (valid scenarios damaged in one to three places), except where a check is one no schema
can state: those are listed in docs/schema.rst and excluded here by ``beyond_schema``, one rule
each. The keys each schema names are the keys each parser takes, and every vector and its
expected result validate.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import fields
from importlib import resources
from typing import Any, cast

from hypothesis import given

from conformance import scenario as sc
from conformance import strategies as cs
from conformance import tracker_scenario as ts
from conformance.scenario import ScenarioError, parse_scenario
from conformance.tests.hostile import near_valid, schema_validator, tracker_scenario
from conformance.tracker_scenario import parse_tracker_scenario
from model.tracker import TrackerConfig

JSON = Any
SCENARIO, TRACKER = schema_validator("scenario"), schema_validator("tracker")
SCENARIO_RESULT = schema_validator("scenario-result")


def _values(value: JSON) -> Iterator[JSON]:
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _values(child)
    elif isinstance(value, list):
        for child in value:
            yield from _values(child)


def _integral_float(obj: JSON) -> bool:
    """JSON Schema's "integer" takes 1.0; the parsers take integers written as integers only."""
    return any(isinstance(v, float) and v.is_integer() for v in _values(obj))


def _provider_index_beyond(obj: JSON) -> bool:
    """A register or unregister step names an index the providers list does not have."""
    if not (isinstance(obj, dict) and isinstance(obj.get("steps"), list)):
        return False
    providers = obj.get("providers", [])
    count = len(providers) if isinstance(providers, list) else 0
    return any(
        isinstance(step, dict)
        and isinstance(step.get("provider"), int)
        and not isinstance(step.get("provider"), bool)
        and step["provider"] >= count
        for step in obj["steps"]
    )


def _events_back_in_time(obj: JSON) -> bool:
    """An event's ``at`` is before the previous event's."""
    if not (isinstance(obj, dict) and isinstance(obj.get("events"), list)):
        return False
    times = [e.get("at") for e in obj["events"] if isinstance(e, dict)]
    ints = [t for t in times if isinstance(t, int) and not isinstance(t, bool)]
    return any(later < earlier for earlier, later in itertools.pairwise(ints))


def beyond_schema(obj: JSON) -> bool:
    """Whether ``obj`` meets one of the checks docs/schema.rst lists as beyond a schema."""
    return _integral_float(obj) or _provider_index_beyond(obj) or _events_back_in_time(obj)


def parses(parse: Any, obj: JSON) -> bool:
    try:
        parse(obj)
    except ScenarioError:
        return False
    return True


@given(near_valid(cs.scenario()))
def test_the_scenario_schema_and_the_parser_agree(obj: JSON) -> None:
    if beyond_schema(obj):
        return
    assert parses(parse_scenario, obj) == SCENARIO.is_valid(obj), obj


@given(near_valid(tracker_scenario()))
def test_the_tracker_schema_and_the_parser_agree(obj: JSON) -> None:
    if beyond_schema(obj):
        return
    assert parses(parse_tracker_scenario, obj) == TRACKER.is_valid(obj), obj


def test_each_check_beyond_the_schema_is_one_the_parser_makes() -> None:
    cases = [
        (parse_scenario, SCENARIO, {"steps": [{"do": "add", "conn": 1.0}]}),
        (parse_scenario, SCENARIO, {"providers": [], "steps": [{"do": "register", "provider": 0}]}),
        (parse_tracker_scenario, TRACKER, {"events": [{"at": 5, "do": "sweep"}, {"at": 4, "do": "flush"}]}),
    ]
    for parse, schema, obj in cases:
        assert beyond_schema(obj)
        assert schema.is_valid(obj) and not parses(parse, obj)


def _properties(schema: dict[str, JSON], *path: str) -> set[str]:
    node = schema
    for step in path:
        node = node[step]
    return set(node["properties"])


def test_the_schemas_name_the_keys_the_parsers_take() -> None:
    scenario, tracker = cast(dict[str, JSON], SCENARIO.schema), cast(dict[str, JSON], TRACKER.schema)
    defs = scenario["$defs"]
    assert _properties(scenario) == sc._TOP_KEYS
    assert _properties(defs, "scripted") == sc._PROVIDER_KEYS - {"device"}
    assert _properties(defs, "switchdev") == {"name", "kind", "device"}
    assert _properties(defs, "device") == sc._DEVICE_KEYS
    assert _properties(defs, "attributes") == sc._CONN_KEYS
    for action, keys in sc._STEP_KEYS.items():
        assert _properties(defs, f"step_{action}") == keys, action
    assert _properties(tracker) == ts._TOP
    assert _properties(tracker["$defs"], "config") == ts._CONFIG >= {f.name for f in fields(TrackerConfig)}
    events = tracker["$defs"]["event"]
    assert set(events["properties"]["do"]["enum"]) == ts._EVENTS
    for rule in events["allOf"]:
        assert set(rule["then"]["properties"]) <= {"at", "do", "flow", "netdev"}


def test_every_vector_and_its_result_validate() -> None:
    folder = resources.files("conformance") / "vectors"
    layer = [p for p in folder.iterdir() if p.name.startswith("layer-")]
    tracker = [p for p in folder.iterdir() if p.name.startswith("tracker-")]
    assert layer and tracker
    for path in layer:
        for line in path.read_text().splitlines():
            case = json.loads(line)
            SCENARIO.validate(case["scenario"])
            SCENARIO_RESULT.validate(case["expect"])
    tracker_result = schema_validator("tracker-result")
    for path in tracker:
        for line in path.read_text().splitlines():
            case = json.loads(line)
            TRACKER.validate(case["scenario"])
            tracker_result.validate(case["expect"])
