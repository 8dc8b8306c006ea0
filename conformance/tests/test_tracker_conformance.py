"""Sequential conformance of impl's tracker against the model's, one machine per profile."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conformance.tracker_machine import tracker_machine
from model.vocab import Profile

pytestmark = pytest.mark.conformance

_STEPS = settings(stateful_step_count=40)
TestTrackerRfcV1 = tracker_machine(Profile.RFC_V1).TestCase
TestTrackerRfcV1.settings = _STEPS
TestTrackerRfcV2 = tracker_machine(Profile.RFC_V2).TestCase
TestTrackerRfcV2.settings = _STEPS
TestTrackerStrict = tracker_machine(Profile.STRICT).TestCase
TestTrackerStrict.settings = _STEPS
