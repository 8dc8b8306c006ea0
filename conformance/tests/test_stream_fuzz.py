"""The ``scenarios`` and ``tracker`` streams answer every line, whatever it holds.

Hostile input (``conformance.tests.hostile``: arbitrary JSON values, damaged scenarios, arbitrary
bytes and every class of line that once killed a stream) goes through ``conformance.runner.serve``
with the handle the command line builds (``conformance.cli.stream_handle``), in process, and once
end to end through ``python -m conformance``. Every example checks: exactly one answer per
non-blank line, in order; only standard JSON out (no NaN, no Infinity), each answer valid under the
shipped result schema; no internal error; and the model and impl targets refuse the same lines with
the same words.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.cli import stream_handle
from conformance.runner import MAX_DEPTH, is_blank, serve
from conformance.tests.hostile import (
    NASTY_LINES,
    json_values,
    near_valid,
    raw_lines,
    schema_validator,
    tracker_scenario,
)
from model.vocab import Profile

JSON = Any
BASES = {"scenarios": cs.scenario(), "tracker": tracker_scenario()}
RESULTS = {"scenarios": schema_validator("scenario-result"), "tracker": schema_validator("tracker-result")}


def _standard(word: str) -> JSON:
    raise AssertionError(f"non-standard JSON constant {word} in the output")


def answers(stream: str, target: str, profile: Profile, lines: list[bytes]) -> list[dict[str, JSON]]:
    """What the stream writes for ``lines``, parsed as strict standard JSON."""
    sink = io.StringIO()
    serve(io.BytesIO(b"\n".join(lines)), sink, stream_handle(stream, target, profile))
    out = sink.getvalue()
    assert out.endswith("\n") or not out
    return [json.loads(line, parse_constant=_standard) for line in out.splitlines()]


def check(stream: str, profile: Profile, lines: list[bytes]) -> None:
    """The promises of the module docstring, for one batch of lines."""
    expected = sum(not is_blank(line) for line in lines)
    by_target = {target: answers(stream, target, profile, lines) for target in ("model", "impl")}
    for target, got in by_target.items():
        assert len(got) == expected, f"{target}: {len(got)} answers to {expected} lines"
        for answer in got:
            assert isinstance(answer, dict) and "id" in answer
            assert not str(answer.get("error", "")).startswith("internal error"), answer
            RESULTS[stream].validate(answer)
    for model, impl in zip(by_target["model"], by_target["impl"], strict=True):
        assert model.get("error") == impl.get("error"), (model, impl)


@pytest.mark.parametrize("stream", sorted(BASES))
@given(data=st.data())
def test_hostile_json_values_get_one_answer_each(stream: str, data: st.DataObject) -> None:
    base = BASES[stream]
    objs = data.draw(st.lists(st.one_of(base, near_valid(base), json_values()), min_size=1, max_size=4))
    check(stream, data.draw(st.sampled_from(Profile)), [json.dumps(obj).encode() for obj in objs])


@pytest.mark.parametrize("stream", sorted(BASES))
@given(data=st.data())
def test_hostile_bytes_get_one_answer_each(stream: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(raw_lines(BASES[stream]), min_size=1, max_size=5))
    check(stream, data.draw(st.sampled_from(Profile)), lines)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"\xff", "not UTF-8"),
        (b'{"id": NaN}', "NaN is not a standard JSON number"),
        (b'{"id": 1e400}', "beyond a double"),
        (b"[" * 1000 + b"]" * 1000, f"nested deeper than {MAX_DEPTH} levels"),
        (b'{"id": ' + b"9" * 5000 + b"}", "an integer of 5000 digits"),
        (b'{"id": 1, "id": 1}', "key 'id' appears twice"),
        (b'{"steps": [{"do": [1]}]}', "steps[0].do: unknown action [1]"),
        (b'{"providers": [{"callbacks": [["add"]]}]}', "providers[0].callbacks[0]: unknown callback ['add']"),
        (b'{"providers": [{"raises": [[]]}]}', "providers[0].raises: expected a list of callback names"),
        (b'{"providers": [{"kind": ["dummy"]}]}', "providers[0].kind: expected 'scripted', 'dummy' or 'switchdev'"),
        (b'{"conns": {"0": {"proto": ["tcp"]}}}', "conns['0'].proto: expected one of tcp, udp, gre"),
        ('{"providers": [{"add": {"²": 1}}]}'.encode(), "key '²' is not a connection"),
        ('{"providers": [{"can": {"٣": false}}]}'.encode(), "key '٣' is not a connection"),
        (b'{"providers": [{"add": {"01": 1}}]}', "key '01' is not a connection"),
        (b'{"conns": {"' + b"9" * 30 + b'": {}}}', "a connection is a non-negative integer as a string"),
        (b'{"steps": [{"do": "add", "conn": 9223372036854775808}]}', "steps[0].conn: a connection is"),
        (b'{"providers": [{"init": 2147483648}]}', "providers[0].init: expected an integer from -2147483648"),
        (
            b'{"providers": [{"kind": "switchdev", "device": {"ct_entries": 4294967297}}]}',
            "providers[0].device.ct_entries: expected an integer from 1 to 4294967296, got 4294967297",
        ),
        (b'{"providers": [{"device": {}}]}', "providers[0].device: only a switchdev provider has a device"),
    ],
)
def test_each_class_of_bad_line_is_named(line: bytes, fragment: str) -> None:
    for target in ("model", "impl"):
        (answer,) = answers("scenarios", target, Profile.STRICT, [line])
        assert answer.keys() == {"id", "error"} and fragment in answer["error"], answer


def test_a_tracker_event_named_by_a_list_is_an_error() -> None:
    line = b'{"events": [{"at": 0, "do": ["commit"], "flow": 1}]}'
    for target in ("model", "impl"):
        (answer,) = answers("tracker", target, Profile.STRICT, [line])
        assert "events[0].do: unknown event ['commit']" in answer["error"]


def test_a_line_too_long_is_skipped_to_its_end_and_answered_once() -> None:
    sink = io.StringIO()
    lines = b'{"id": 1}\n' + b" " * 50 + b"x" * 100 + b'\n{"id": 2}\n'
    serve(io.BytesIO(lines), sink, stream_handle("scenarios", "model", Profile.STRICT), max_line=64)
    got = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [a["id"] for a in got] == [1, None, 2]
    assert got[1]["error"] == "a line longer than 64 bytes"


def test_a_failing_target_answers_an_internal_error_and_the_stream_goes_on() -> None:
    def broken(obj: JSON) -> dict[str, JSON]:
        if obj.get("id") == 2:
            raise ZeroDivisionError("division by zero")
        return {"id": obj.get("id")}

    sink = io.StringIO()
    serve(io.BytesIO(b'{"id": 1}\n{"id": 2}\n{"id": 3}'), sink, broken)
    got = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert got == [{"id": 1}, {"id": 2, "error": "internal error: ZeroDivisionError: division by zero"}, {"id": 3}]


@pytest.mark.parametrize("stream", sorted(BASES))
def test_the_command_line_answers_every_hostile_line(stream: str) -> None:
    valid = json.dumps({"id": "last"}).encode()
    lines = [*NASTY_LINES, valid, b"\xff\xfe", b"", valid]
    stdin = b"\n".join(lines)  # the last line has no LF
    for target in ("model", "impl"):
        done = subprocess.run(
            [sys.executable, "-m", "conformance", stream, "--profile", "rfc-v1", "--target", target],
            input=stdin,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr and not done.stderr
        got = [json.loads(line, parse_constant=_standard) for line in done.stdout.decode("ascii").splitlines()]
        assert got == answers(stream, target, Profile.RFC_V1, lines)
        assert len(got) == sum(not is_blank(line) for line in lines)
        assert got[-1]["id"] == "last"
