"""The external checker against a conforming program, a buggy one and a broken one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conformance.external import command_line, run
from model.vocab import Profile

pytestmark = pytest.mark.conformance
ROOT = Path(__file__).resolve().parents[2]


def _check(argv: list[str], profile: Profile = Profile.STRICT, count: int = 60) -> tuple[int, list[str]]:
    lines: list[str] = []
    status = run(command_line(argv), profile, count=count, out=lines.append)
    return status, lines


def test_impl_behind_the_protocol_agrees_with_the_model() -> None:
    status, lines = _check(
        [sys.executable, "-m", "conformance", "scenarios", "--profile", "strict", "--target", "impl"]
    )
    assert status == 0, lines
    assert lines[0].startswith("vectors: ") and "no disagreement" in lines[-1]


def test_a_buggy_implementation_is_shrunk_to_a_minimal_scenario() -> None:
    status, lines = _check([sys.executable, str(ROOT / "docs/examples/buggy_external.py")], count=200)
    assert status == 1
    assert '"steps": [{"do": "batch", "ops": [["UPD", 0]]}]' in lines[2]
    assert lines[3].strip() == "returns[0]: model [61], external [0]"


def test_a_program_that_answers_garbage_is_reported() -> None:
    status, lines = _check([sys.executable, "-c", "import sys; sys.stdin.readline(); print('nope', flush=True)"])
    assert status == 2
    assert "not JSON" in lines[-1]


def test_the_tracker_protocol_can_be_checked_too() -> None:
    argv = [sys.executable, "-m", "conformance", "tracker", "--profile", "rfc-v1", "--target", "impl"]
    lines: list[str] = []
    assert run(command_line(argv), Profile.RFC_V1, count=30, tracker=True, out=lines.append) == 0, lines
    assert lines[0].startswith("vectors: ")
