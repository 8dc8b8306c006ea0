"""The switchdev provider and its device against the pure device model, faults included."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conformance.device_machine import EngineMachine, ProviderMachine

pytestmark = pytest.mark.conformance

TestProvider = ProviderMachine.TestCase
TestProvider.settings = settings(stateful_step_count=30)
TestEngine = EngineMachine.TestCase
TestEngine.settings = settings(stateful_step_count=30)
