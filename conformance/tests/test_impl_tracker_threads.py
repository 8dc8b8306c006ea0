"""impl's threaded tracker: clean start and stop, concurrent use, and the simulate command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from impl.clock import VirtualClock
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_a_simulation_leaves_no_thread_or_file_behind(profile: Profile) -> None:
    threads, fds = set(threading.enumerate()), _open_fds()
    layer = OffloadLayer(profile)
    dummy = DummyProvider()
    config = TrackerConfig(requested=("dummy",))
    register_providers(layer, [dummy.offload_class()], config)
    tracker = ConnTracker(layer, config)
    clock = VirtualClock()
    with Simulation(layer, tracker, clock, conns=300, workers=3, duration=90_000) as sim:
        sim.wait(timeout=60)
    assert set(threading.enumerate()) == threads
    assert _open_fds() == fds
    assert tracker.stats().created == 300
    assert len(dummy) == sum(layer.is_offloaded(i) for i in tracker.table())


def test_stopping_an_endless_simulation_joins_every_thread() -> None:
    threads = set(threading.enumerate())
    layer = OffloadLayer(Profile.STRICT)
    tracker = ConnTracker(layer, TrackerConfig(requested=()))
    sim = Simulation(layer, tracker, VirtualClock(), conns=50, workers=2)
    sim.start()
    sim.stop()
    sim.stop()  # idempotent
    assert set(threading.enumerate()) == threads


def test_concurrent_events_keep_the_provider_and_the_marks_in_step() -> None:
    layer = OffloadLayer(Profile.STRICT)
    dummy = DummyProvider(clock=lambda: 1)
    config = TrackerConfig(requested=("dummy",))
    register_providers(layer, [dummy.offload_class()], config)
    tracker = ConnTracker(layer, config)

    def work(base: int) -> None:
        for i in range(200):
            flow = base + i % 50
            tracker.commit(flow, i * 100)
            tracker.reply(flow, i * 100)
            if i % 7 == 0:
                tracker.force_expire(flow, i * 100)
            if i % 11 == 0:
                tracker.sweep(i * 100)

    workers = [threading.Thread(target=work, args=(t * 1000,)) for t in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    offloaded = {i for i in tracker.table() if layer.is_offloaded(i)}
    assert {i for i in offloaded if dummy.contains(i)} == offloaded
    assert len(dummy) == len(offloaded)


def _simulate(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "impl", "simulate", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_the_simulate_command_prints_a_summary() -> None:
    done = _simulate("--conns", "500", "--duration", "100", "--profile", "rfc-v2", "--quiet")
    assert done.returncode == 0, done.stderr
    for line in ("connections created: 500", "offloaded", "refreshed", "cleaned", "sweep errors", "provider occupancy"):
        assert line in done.stdout
    assert done.stderr == ""


def test_the_simulate_command_names_a_bad_argument() -> None:
    for args, fragment in (
        (["--conns", "-1"], "--conns"),
        (["--profile", "rfc-v9"], "--profile"),
        (["--sweep-interval", "0"], "interval"),
    ):
        done = _simulate(*args)
        assert done.returncode == 2
        assert fragment in done.stderr
