"""``python -m impl devlink`` on the simulated device: what it sets persists and the provider sees it,
faults included; reload actions and health dumps of the simulated device's tool port."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from impl.layer import OffloadLayer
from impl.switchdev.ports import DevlinkError
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_devlink import SIM_HANDLE
from impl.switchdev.sim_devlink_tool import SimDevlinkTool
from model.conn import Ctx
from model.vocab import Profile


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


def test_faults_set_from_the_command_line_persist_and_the_simulation_sees_them(tmp_path: Path) -> None:
    state = tmp_path / "device.json"
    done = _impl(["devlink", "dev", "fault", "set", "force_full", "true", "fail_next_errno", "ENOSPC"], state)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert json.loads(state.read_text())["faults"]["force_full"] is True
    shown = _impl(["devlink", "-j", "dev", "fault", "show"], state)
    assert json.loads(shown.stdout)["fault"]["sim/ctoffload0"]["fail_next_errno"] == 28
    before = state.read_text()
    bad = _impl(["devlink", "dev", "fault", "set", "fail_rate", "1.5"], state)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "fail_rate" in bad.stderr
    assert state.read_text() == before  # a refused command changes nothing
    run = _impl(["simulate", "--provider", "switchdev", "--duration", "60", "--json"], state)
    summary = json.loads(run.stdout)
    assert summary["tracker"]["offloaded"] == 0
    assert any("force_full" in item["cause"] for item in summary["anomalies"])
    assert _impl(["devlink", "dev", "fault", "clear"], state).returncode == 0
    assert json.loads(state.read_text())["faults"]["force_full"] is False


def test_reload_actions_and_the_health_dump(tmp_path: Path) -> None:
    state = tmp_path / "device.json"
    assert _impl(["devlink", "resource", "set", "path", "/ct/entries", "size", "1000"], state).returncode == 0
    done = _impl(["devlink", "dev", "rel", "sim/ctoffload0", "act", "fw_activate"], state)
    assert done.stdout == "reload_actions_performed:\n    driver_reinit fw_activate\n", done.stderr
    assert json.loads(state.read_text())["resources"]["/ct/entries"]["size"] == 1000
    dump = _impl(["devlink", "-j", "health", "dump", "show", "reporter", "ct_offload"], state)
    assert json.loads(dump.stdout)["size"] == 1000 and json.loads(dump.stdout)["entries"] == []
    assert _impl(["devlink", "health", "dump", "clear", "reporter", "ct_offload"], state).returncode == 0
    assert _impl(["devlink", "-V"], state).stdout.startswith("devlink utility, ct-offload")


def test_the_tool_port_on_a_busy_device() -> None:
    provider, device = SwitchdevProvider.simulated(clock=lambda: 1000)
    layer = OffloadLayer(Profile.STRICT)
    layer.register(provider.offload_class())
    assert layer.conn_add(Ctx.of(7)) == 0
    tool = SimDevlinkTool(device)
    with pytest.raises(DevlinkError) as busy:
        tool.reload_action(SIM_HANDLE, "fw_activate", None)
    assert busy.value.errno == errno.EBUSY
    with pytest.raises(DevlinkError) as limited:
        tool.reload_action(SIM_HANDLE, "driver_reinit", "no_reset")
    assert limited.value.errno == errno.EOPNOTSUPP
    entries = tool.health_dump(SIM_HANDLE, "ct_offload")["entries"]
    assert isinstance(entries, list) and [entry["conn"] for entry in entries] == [7]
    with pytest.raises(DevlinkError) as bad:
        tool.set_faults(SIM_HANDLE, {"fail_rate": 0.5, "fail_next_errno": 0})
    assert bad.value.errno == errno.EINVAL and "fail_next_errno" in str(bad.value.strerror)
    assert tool.faults(SIM_HANDLE)["fail_rate"] == 0.0  # all or nothing
    with pytest.raises(DevlinkError) as unknown:
        tool.health_dump(SIM_HANDLE, "fw")
    assert unknown.value.errno == errno.EINVAL
