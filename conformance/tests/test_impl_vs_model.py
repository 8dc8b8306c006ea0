"""impl and the model give the same result for generated scenarios, through the protocol."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from conformance import summary
from conformance.impl_target import run_on_impl
from conformance.model_target import run_on_model
from conformance.outcome import agrees
from conformance.runner import run_object
from conformance.strategies import scenario
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
@given(obj=scenario(max_steps=10))
def test_impl_agrees_with_the_model(profile: Profile, obj: dict[str, JSON]) -> None:
    obj["batch_timestamps"] = True
    expected = run_object(obj, run_on_model, profile)
    got = run_object(obj, run_on_impl, profile)
    assert agrees(expected, got), (expected, got)
    summary.count("compared", len(obj["steps"]))
