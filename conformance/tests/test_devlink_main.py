"""``python -m impl devlink`` on the simulated device: what it sets persists and the provider sees it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _impl(args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CT_OFFLOAD_SIM_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "impl", *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_a_param_set_persists_and_the_simulation_sees_it(tmp_path: Path) -> None:
    state = tmp_path / "device.json"
    shown = _impl(["devlink", "dev", "param", "show", "name", "ct_max_offloaded_conns"], state)
    assert shown.returncode == 0 and "value 4294967295" in shown.stdout
    assert not state.exists()  # a show changes nothing, so nothing is written
    done = _impl(
        [
            "devlink",
            "dev",
            "param",
            "set",
            "sim/ctoffload0",
            "name",
            "ct_max_offloaded_conns",
            "value",
            "40",
            "cmode",
            "runtime",
        ],
        state,
    )
    assert done.returncode == 0, done.stderr
    assert state.exists()
    assert "value 40" in _impl(["devlink", "dev", "param", "show", "name", "ct_max_offloaded_conns"], state).stdout
    run = _impl(["simulate", "--provider", "switchdev", "--conns", "100", "--duration", "30", "--quiet"], state)
    assert run.returncode == 0, run.stderr
    assert "provider occupancy: 40" in run.stdout


def test_a_refusal_and_a_bad_state_file_are_reported(tmp_path: Path) -> None:
    state = tmp_path / "device.json"
    refused = _impl(
        [
            "devlink",
            "dev",
            "param",
            "set",
            "sim/ctoffload0",
            "name",
            "flow_steering_mode",
            "value",
            "dmfs",
            "cmode",
            "runtime",
        ],
        state,
    )
    assert refused.returncode == 1
    assert "EBUSY" in refused.stderr
    state.write_text("{not json")
    broken = _impl(["devlink", "dev", "show"], state)
    assert broken.returncode == 2
    assert str(state) in broken.stderr
    assert state.read_text() == "{not json"
