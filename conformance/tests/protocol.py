"""Test helpers: run a scenario through the scenario protocol exactly as a user would."""

from __future__ import annotations

from typing import Any

from conformance.model_target import run_on_model
from conformance.runner import run_object
from model.vocab import Profile

JSON = Any


def run(scenario: dict[str, JSON], profile: str = "rfc-v1") -> dict[str, JSON]:
    """The protocol's result object for ``scenario`` on the model (through JSON text both ways)."""
    return run_object(scenario, run_on_model, Profile.parse(profile))
