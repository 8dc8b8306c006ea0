"""Strict under device faults: a removal the device failed is kept and retried, so no hardware entry
is ever leaked (STRICT-KEEP, TRACK-RETRY, erratum E-DEL-LOST), on the switchdev provider over the
simulated device, through the layer alone and through the tracker, and with random faults in a
whole threaded simulation."""

from __future__ import annotations

import errno

import pytest

from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.switchdev.provider import SwitchdevProvider
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.conn import Ctx
from model.vocab import Mark, Profile

pytestmark = pytest.mark.conformance


def test_a_failed_remove_is_kept_and_a_fault_free_retry_removes_it() -> None:
    provider, device = SwitchdevProvider.simulated(clock=lambda: 0)
    layer = OffloadLayer(Profile.STRICT)
    assert layer.register(provider.offload_class()) == 0
    assert layer.conn_add(Ctx.of(1)) == 0
    device.set_faults(fail_next_count=1, fail_next_errno=errno.EIO)
    layer.conn_del(Ctx.of(1))
    assert (layer.mark(1), device.conns) == (Mark.ADDED, 1)  # the mark says what the device holds
    assert layer.conn_add(Ctx.of(1)) == errno.EEXIST  # it is still there
    layer.conn_del(Ctx.of(1))  # the retry, fault-free
    assert (layer.mark(1), device.conns) == (Mark.NONE, 0)
    assert layer.conn_add(Ctx.of(1)) == 0


def test_a_failed_flush_keeps_what_the_device_kept() -> None:
    provider, device = SwitchdevProvider.simulated(clock=lambda: 0)
    layer = OffloadLayer(Profile.STRICT)
    assert layer.register(provider.offload_class()) == 0
    assert [layer.conn_add(Ctx.of(c)) for c in (1, 2)] == [0, 0]
    device.set_faults(fail_next_count=1, fail_next_errno=errno.EIO)
    layer.flush()
    assert (layer.marks(), device.conns) == ({1: Mark.ADDED, 2: Mark.ADDED}, 2)
    layer.flush()
    assert (layer.marks(), device.conns) == ({}, 0)


def test_the_tracker_retries_a_failed_removal_at_the_next_sweep() -> None:
    provider, device = SwitchdevProvider.simulated(clock=lambda: 0)
    layer = OffloadLayer(Profile.STRICT)
    config = TrackerConfig(requested=("switchdev",))
    assert register_providers(layer, [provider.offload_class()], config) == [0]
    tracker = ConnTracker(layer, config)
    conn = tracker.commit(0, 0)
    assert conn is not None
    assert tracker.reply(0, 0) == conn  # established: UDP entries are programmed at establishment
    assert device.conns == 1
    device.set_faults(fail_next_count=1, fail_next_errno=errno.EIO)
    assert tracker.flush_flow(0, 1) == conn
    assert (tracker.table(), tracker.removing(), device.conns) == ({}, (conn,), 1)
    assert tracker.lookup(0, 1) is None  # conntrack has let it go; only the removal is pending
    tracker.sweep(20_000)
    assert (tracker.removing(), device.conns, layer.mark(conn)) == ((), 0, Mark.NONE)
    assert tracker.stats().removal_retries == 1


def test_a_simulation_with_device_faults_leaves_no_entry_behind() -> None:
    # 10% of the device's completions fail; once the faults stop, one more sweep retries every
    # failed removal, and the device holds exactly the connections whose mark is not NONE.
    clock = VirtualClock()
    provider, device = SwitchdevProvider.simulated(clock=clock.now)
    device.set_faults(fail_rate=0.1, seed=7)
    layer = OffloadLayer(Profile.STRICT)
    config = TrackerConfig(requested=("switchdev",))
    register_providers(layer, [provider.offload_class()], config)
    tracker = ConnTracker(layer, config)
    with Simulation(layer, tracker, clock, conns=400, workers=2, duration=200_000) as sim:
        sim.wait(timeout=120)
    device.set_faults(fail_rate=0.0)
    tracker.sweep(clock.now() + 1)
    marked = set(layer.marks())
    on_device = set(device.table())
    assert tracker.stats().removal_retries > 0  # the faults did hit removals
    assert tracker.removing() == ()
    assert on_device == marked, f"device only: {on_device - marked}, marked only: {marked - on_device}"
    assert on_device <= set(tracker.table())
