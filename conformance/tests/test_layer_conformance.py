"""Sequential conformance of impl against the model, one machine per profile (layer 1 of the
suite, docs/conformance.rst)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conformance.machine import layer_machine
from model.vocab import Profile

pytestmark = pytest.mark.conformance

_STEPS = settings(stateful_step_count=30)
TestRfcV1 = layer_machine(Profile.RFC_V1).TestCase
TestRfcV1.settings = _STEPS
TestRfcV2 = layer_machine(Profile.RFC_V2).TestCase
TestRfcV2.settings = _STEPS
TestStrict = layer_machine(Profile.STRICT).TestCase
TestStrict.settings = _STEPS
