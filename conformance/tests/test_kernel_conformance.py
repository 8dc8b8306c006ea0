"""The switchdev provider on the kernel (ctnetlink) engine against the device model, and the whole
strict stack on it with removal faults, leaking nothing.

Needs root (CAP_NET_ADMIN) and ctnetlink: the probe says why it skips where they are missing; CI
runs as root and runs it. The host's conntrack table is checked unchanged around the whole run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from conformance.kernel_machine import KernelProviderMachine
from conformance.kernel_stack_machine import KernelStackMachine
from conformance.tests.test_ctnetlink import host_count
from impl.switchdev.ctnetlink import probe

RUNNABLE, WHY = probe()
pytestmark = [pytest.mark.conformance, pytest.mark.skipif(not RUNNABLE, reason=WHY)]


@pytest.fixture(autouse=True, scope="module")
def host_table_untouched() -> Iterator[None]:
    before = host_count()
    yield
    assert host_count() == before, "the host's conntrack table changed"


TestKernelProvider = KernelProviderMachine.TestCase
# One namespace per example: a third of the profile's examples keeps the run short.
TestKernelProvider.settings = settings(stateful_step_count=30, max_examples=max(10, settings().max_examples // 3))

TestKernelStack = KernelStackMachine.TestCase
TestKernelStack.settings = settings(stateful_step_count=40, max_examples=max(10, settings().max_examples // 3))
