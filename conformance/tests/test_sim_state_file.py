"""The simulated device's state file under concurrent writers and when it cannot be read or written.

``python -m impl devlink ... set`` runs as many processes at once lose no update (an exclusive lock
around read-modify-write, a unique temporary file, an atomic rename); a corrupt or unreadable
state file, or a state directory that cannot be written, gets one line on stderr naming the file
and what is wrong (exit status 2) from every command that reads or writes it, and is left as it
was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: One devlink command per independent part of the state, by round: each sets its part to a value
#: that differs from the round before, so an update lost to a concurrent writer shows.
SETTERS: dict[str, Callable[[int], list[str]]] = {
    "mode": lambda r: ["dev", "eswitch", "set", "mode", "legacy" if r % 2 else "switchdev"],
    "nat": lambda r: ["dev", "param", "set", "name", "ct_action_on_nat_conns", "value", str(r % 2 == 0).lower()],
    "labels": lambda r: ["dev", "param", "set", "name", "ct_labels_mapping", "value", str(r % 2 == 1).lower()],
    "max": lambda r: ["dev", "param", "set", "name", "ct_max_offloaded_conns", "value", str(1000 + r)],
    "size": lambda r: ["resource", "set", "path", "/ct/entries", "size", str(2000 + r)],
}
SET = ["dev", "param", "set", "name", "ct_max_offloaded_conns", "value", "7", "cmode", "runtime"]


def _env(state: Path) -> dict[str, str]:
    return {**os.environ, "CT_OFFLOAD_SIM_STATE": str(state)}


def impl(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "impl", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env(state), check=False)


def parts(state: Path) -> dict[str, object]:
    data = json.loads(state.read_text())
    params = data["params"]
    return {
        "mode": data["eswitch_mode"],
        "nat": params["ct_action_on_nat_conns"],
        "labels": params["ct_labels_mapping"],
        "max": params["ct_max_offloaded_conns"],
        "size": data["resources"]["/ct/entries"]["size_new"],
    }


def expected(round_: int) -> dict[str, object]:
    return {
        "mode": "legacy" if round_ % 2 else "switchdev",
        "nat": round_ % 2 == 0,
        "labels": round_ % 2 == 1,
        "max": 1000 + round_,
        "size": 2000 + round_,
    }


def test_concurrent_sets_lose_no_update(tmp_path: Path) -> None:
    state = tmp_path / "state" / "device.json"
    for round_ in range(1, 7):
        commands = [setter(round_) for setter in SETTERS.values()] * 2  # each part by two writers at once
        runs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "impl",
                    "devlink",
                    *command,
                    *(["cmode", "runtime"] if "param" in command else []),
                ],
                env=_env(state),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
        assert parts(state) == expected(round_), f"round {round_}: an update was lost"
    assert sorted(p.name for p in state.parent.iterdir()) == ["device.json", "device.json.lock"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not JSON: Expecting property name"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b'{"params": {"ct_max_offloaded_conns": 99999999999}}', "is not a device state"),
        (b'{"faults": {"fail_rate": NaN}}', "is not a device state"),
        (b"[" * 100_000, "nested too deep"),
        (b'{"eswitch_mode": ' + b"9" * 5000 + b"}", "is not JSON this tool reads"),
        (b"[]", "is not a device state"),
    ],
)
def test_a_bad_state_file_is_one_line_from_every_command(tmp_path: Path, content: bytes, problem: str) -> None:
    state = tmp_path / "device.json"
    state.write_bytes(content)
    for args in (["devlink", "dev", "show"], ["devlink", *SET], ["simulate", "--provider", "switchdev", "--quiet"]):
        done = impl(state, *args)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and str(state) in lines[0] and problem in lines[0], (args, done.stderr)
        assert done.stdout == ""
        assert state.read_bytes() == content


def test_a_state_path_that_is_no_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")
    for state, problem in ((tmp_path / "dir.json", "Is a directory"), (tmp_path / "fifo.json", "not a regular file")):
        for args in (["devlink", "dev", "show"], ["devlink", *SET], ["simulate", "--provider", "switchdev"]):
            done = impl(state, *args)
            assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
            assert str(state) in done.stderr and problem in done.stderr


def test_a_state_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    state = blocker / "device.json"
    done = impl(state, "devlink", *SET)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert str(state) in done.stderr and "is not a directory" in done.stderr


def _without_dac_override() -> list[str]:
    """The command prefix that makes root obey file permissions (root ignores them through
    CAP_DAC_OVERRIDE; ``setpriv`` drops it), or nothing when not root; skips where root cannot."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and there is no setpriv (util-linux) to drop CAP_DAC_OVERRIDE with")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_read_only_state_directory_refuses_a_set_and_still_shows(tmp_path: Path) -> None:
    prefix = _without_dac_override()
    state = tmp_path / "ro" / "device.json"
    assert impl(state, "devlink", *SET).returncode == 0
    (state.parent / "device.json.lock").unlink()
    state.parent.chmod(0o555)

    def obeying(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [*prefix, sys.executable, "-m", "impl", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env(state), check=False)

    try:
        shown = obeying("devlink", "dev", "param", "show", "name", "ct_max_offloaded_conns")
        assert shown.returncode == 0 and "value 7" in shown.stdout
        done = obeying("devlink", *SET[:-3], "8", "cmode", "runtime")
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
        assert str(state) in done.stderr and "Permission denied" in done.stderr
    finally:
        state.parent.chmod(0o755)
    assert parts(state)["max"] == 7
