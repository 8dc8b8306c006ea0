"""``python -m impl simulate`` when it is interrupted, asked for a huge run, read by ``head``, or
shown on a terminal.

Ctrl-C (SIGINT) prints the summary so far under a line saying it was interrupted and exits 130,
with no traceback and no thread left; a huge ``--conns`` is generated as flows open, so the run
starts at once and stops when asked; a reader that goes away ends the command quietly; progress
shows on a terminal only (or with ``--progress``), with the rate and the time left.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from impl import sim_cli
from impl.clock import VirtualClock
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile

LONG_RUN = ["simulate", "--conns", "200000", "--duration", "1000000", "--workers", "2"]


def _sim_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sim-")]


def test_ctrl_c_prints_a_partial_summary_and_exits_130() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "impl", *LONG_RUN, "--progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        progress = child.stderr.readline()  # the run is under way once it reports progress
        assert progress.startswith("[simulate]"), progress
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert lines[0].startswith("INTERRUPTED (Ctrl-C) at ") and "partial" in lines[0]
    assert any(line.startswith("connections created: ") for line in lines)
    assert lines[-1].startswith("wall time: ")


@pytest.mark.parametrize("output", ["text", "json"])
def test_ctrl_c_in_process_leaves_no_thread(
    output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only, and this test does not run there")
    waiting = threading.Event()
    wait = Simulation.wait

    def signalled_wait(self: Simulation, timeout: float | None = None) -> bool:
        waiting.set()
        return wait(self, timeout)

    monkeypatch.setattr(Simulation, "wait", signalled_wait)
    main = threading.main_thread().ident
    assert main is not None

    def interrupt() -> None:
        waiting.wait()
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    timeline = tmp_path / "t.csv"
    extra = ["--json", "--timeline", str(timeline)] if output == "json" else []
    assert sim_cli.main([*LONG_RUN, "--quiet", *extra]) == 130
    assert _sim_threads() == []
    out = capsys.readouterr().out
    if output == "text":
        assert out.startswith("INTERRUPTED (Ctrl-C)")
    else:  # the partial summary, and the sweeps so far
        assert json.loads(out)["interrupted"] is True
        assert timeline.read_text().startswith("time_s,")


def _simulation(conns: int) -> tuple[Simulation, ConnTracker]:
    clock = VirtualClock()
    dummy = DummyProvider(clock=clock.now)
    config = TrackerConfig(requested=("dummy",))
    layer = OffloadLayer(Profile.STRICT)
    register_providers(layer, (dummy.offload_class("dummy"),), config)
    tracker = ConnTracker(layer, config)
    return Simulation(layer, tracker, clock, conns=conns, workers=2, duration=None), tracker


def test_a_huge_run_starts_at_once_and_stops_when_asked() -> None:
    sim, tracker = _simulation(10**12)
    grown = threading.Event()
    sim.start()
    try:
        watcher = threading.Thread(target=lambda: grown.set() if _table_grows(tracker, sim) else None)
        watcher.start()
        watcher.join(timeout=120)
    finally:
        sim.stop()  # raises if a thread did not end
    assert grown.is_set(), "no flow opened"
    assert _sim_threads() == []
    assert 0 < len(tracker) < 10**8


def _table_grows(tracker: ConnTracker, sim: Simulation) -> bool:
    """Wait until the tracker holds a connection (or the run ended)."""
    while not sim.wait(0.01):
        if len(tracker) > 0:
            return True
    return len(tracker) > 0


def test_a_reader_that_goes_away_ends_it_quietly() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "impl", "simulate", "--conns", "100", "--duration", "30", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # as `| head` does once it has what it wants
    err = child.stderr.read()
    assert child.wait(timeout=120) == 1
    assert err == b""


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    """What the terminal ``fd`` shows until ``wanted`` appears (or the deadline passes)."""
    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_progress_on_a_terminal_shows_the_rate_and_the_time_left() -> None:
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "impl", *LONG_RUN], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    try:
        shown = _read_until(master, b" left", time.monotonic() + 60)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    line = shown.decode().rsplit("\r", 1)[-1]
    assert shown.startswith(b"\r") and "[simulate] t=" in line, shown
    assert "/s)" in line and "virtual s per wall s" in line and line.endswith(" left"), line
    assert child.returncode == 130
    assert out.decode().startswith("INTERRUPTED (Ctrl-C)")


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "impl", "simulate", "--conns", "50", "--duration", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[-1].startswith("wall time: ")
