"""Reading scenarios line by line and writing one result per line (the ``scenarios`` command).

Purpose: the stdin/stdout side of the scenario protocol, shared by every target.

Promises: one output line per non-blank input line, in order; a line that is not JSON, or a
scenario that does not validate, gives ``{"id": ..., "error": "..."}`` and nothing else; the run
goes on with the next line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from conformance.outcome import Outcome, encode
from conformance.scenario import Scenario, ScenarioError, parse_scenario, scenario_id
from model.vocab import Profile

JSON = Any
Target = Callable[[Scenario, Profile], Outcome]


def answer_with(line: str, handle: Callable[[JSON], dict[str, JSON]]) -> dict[str, JSON]:
    """The result object for one input line: ``handle(obj)``, or the error object when the line is
    not JSON or ``handle`` finds the scenario malformed (ScenarioError)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}
    try:
        return handle(obj)
    except ScenarioError as exc:
        return {"id": scenario_id(obj), "error": str(exc)}


def answer(line: str, target: Target, profile: Profile) -> dict[str, JSON]:
    """The result object for one line of the scenario protocol."""
    return answer_with(line, lambda obj: encode(target(parse_scenario(obj), profile)))


def run_object(obj: dict[str, JSON], target: Target, profile: Profile) -> dict[str, JSON]:
    """The result object for a scenario given as a Python object, through its JSON text."""
    return json.loads(json.dumps(answer(json.dumps(obj), target, profile)))  # type: ignore[no-any-return]


def answer_all(lines: Iterable[str], handle: Callable[[str], dict[str, JSON]]) -> Iterator[dict[str, JSON]]:
    """One result object per non-blank line, each from ``handle``."""
    for line in lines:
        if line.strip():
            yield handle(line)
