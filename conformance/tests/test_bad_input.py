"""Bad input through the scenario protocol: a clear error naming what is wrong, and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from conformance.tests.protocol import run

JSON = Any


@pytest.mark.parametrize(
    ("scenario", "fragment"),
    [
        ({"id": 1, "bogus": 1}, "scenario: unknown key 'bogus'"),
        ({"id": 2, "providers": {}}, "providers: expected a list"),
        ({"id": 3, "providers": [{"colour": "red"}]}, "providers[0]: unknown key 'colour'"),
        (
            {"id": 4, "providers": [{"callbacks": ["add", "frob"]}]},
            "providers[0].callbacks[1]: unknown callback 'frob'",
        ),
        ({"id": 5, "providers": [{"add": {"x": 1}}]}, "providers[0].add: key 'x' is not a connection"),
        ({"id": 6, "providers": [{"add": {"0": "EIO"}}]}, "providers[0].add['0']: expected an integer"),
        ({"id": 7, "providers": [{"can": {"0": 1}}]}, "providers[0].can['0']: expected true or false"),
        ({"id": 8, "providers": [{"batch": False, "callbacks": ["batch"]}]}, "'batch' is false but"),
        ({"id": 9, "providers": [{"raises": ["add"], "callbacks": []}]}, "callback 'add' does not exist"),
        ({"id": 10, "providers": [{"kind": "dummy", "add": {}}]}, "a dummy provider takes only"),
        ({"id": 11, "steps": [{"conn": 0}]}, "steps[0]: expected an object with a 'do' key"),
        ({"id": 12, "steps": [{"do": "frob"}]}, "steps[0].do: unknown action 'frob'"),
        ({"id": 13, "steps": [{"do": "add"}]}, "steps[0]: 'add' needs a 'conn'"),
        ({"id": 14, "steps": [{"do": "add", "conn": -1}]}, "steps[0].conn: a connection is a non-negative integer"),
        ({"id": 15, "steps": [{"do": "add", "conn": True}]}, "steps[0].conn: a connection is a non-negative integer"),
        ({"id": 16, "steps": [{"do": "flush", "conn": 0}]}, "steps[0]: unknown key 'conn'"),
        ({"id": 17, "steps": [{"do": "batch", "ops": [["ADD"]]}]}, "steps[0].ops[0]: expected [TYPE, CONN]"),
        ({"id": 18, "steps": [{"do": "batch", "ops": [["MOVE", 0]]}]}, "steps[0].ops[0]: unknown op type 'MOVE'"),
        ({"id": 19, "steps": [{"do": "batch", "ops": [[1.5, 0]]}]}, "an op type is a name or an integer"),
        ({"id": 20, "steps": [{"do": "batch", "ops": [["ADD", "0"]]}]}, "steps[0].ops[0][1]: a connection"),
        ({"id": 21, "steps": [{"do": "register", "provider": 0}]}, "steps[0].provider: 0 is not an index"),
        ({"id": 22, "private_slot": "yes"}, "private_slot: expected true or false"),
        ({"id": 23, "steps": [{"do": "batch"}]}, "steps[0].ops: expected a list"),
    ],
)
def test_a_malformed_scenario_gets_an_error_naming_the_problem(scenario: dict[str, JSON], fragment: str) -> None:
    out = run(scenario)
    assert out.keys() == {"id", "error"}
    assert out["id"] == scenario["id"]
    assert fragment in out["error"]


@pytest.mark.parametrize("profile", ["rfc-v1", "rfc-v2", "strict"])
def test_an_invalid_op_type_answers_einval_for_that_op_only(profile: str) -> None:
    ops = [["ADD", 0], [6, 0], [-1, None], ["UPD", 0], [255, 1]]
    out = run({"providers": [{"upd": {"0": 9}}], "steps": [{"do": "batch", "ops": ops}]}, profile)
    assert out["returns"] == [[0, 22, 22, 0, 22]]
    assert out["marks"] == [{"0": "ADDED", "1": "NONE"}]


def test_an_integer_op_type_in_range_is_that_op_type() -> None:
    out = run({"steps": [{"do": "batch", "ops": [[2, 0], [3, 0]]}]})
    assert out["returns"] == [[61, 1]]


def _cli(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "conformance", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_the_command_line_answers_each_line_and_goes_on_after_bad_ones() -> None:
    lines = [
        "not json",
        "",
        json.dumps({"id": "x", "steps": [{"do": "add", "conn": 0}]}),
        "[1, 2]",
        '{"id": 7, "z": 0}',
    ]
    done = _cli("\n".join(lines) + "\n", "scenarios", "--profile", "strict")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == [None, "x", None, 7]
    assert "not JSON" in out[0]["error"]
    assert out[1]["returns"] == [95]
    assert "expected an object" in out[2]["error"]
    assert "unknown key 'z'" in out[3]["error"]


def test_the_command_line_rejects_an_unknown_profile_by_name() -> None:
    done = _cli("", "scenarios", "--profile", "rfc-v3")
    assert done.returncode == 2
    assert "unknown profile 'rfc-v3'" in done.stderr
    assert "rfc-v1, rfc-v2, strict" in done.stderr
