r"""Programs that break the scenario protocol, one way each, for the external checker's tests.

Purpose: ``python broken_harness.py BEHAVIOUR N [--ignore-term] [--fork] [--tracker]`` answers
the first N-1 scenario lines correctly (rfc-v1: ``mutant_harness.run``, unmutated; with
``--tracker``, the model's tracker answers) and misbehaves on the N-th as BEHAVIOUR says (N = 0:
never). ``--ignore-term`` ignores SIGTERM; ``--fork`` leaves a child process sleeping in the
same process group. Every line received is appended to the file ``$CT_LOG`` (if set), and the
program's process group id is written to ``$CT_PGID`` (if set) before anything else.

Promises: each behaviour does exactly what ``BEHAVIOURS`` says, once, at line N.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from conformance.tests.mutant_harness import run

JSON = Any
BEHAVIOURS = {
    "crash": "writes a message on stderr and exits with status 3",
    "segv": "dies of SIGSEGV",
    "garbage": "answers a line that is not JSON",
    "non-utf8": "answers bytes that are not UTF-8",
    "deep": "answers JSON nested 100000 deep",
    "huge-int": "answers an integer of 5000 digits",
    "nan": "answers NaN, which is not standard JSON",
    "not-object": "answers a JSON array",
    "wrong-id": "answers with another id",
    "no-id": "answers without an id",
    "twice": "answers twice",
    "partial": "writes part of an answer, then stalls",
    "stall": "stalls without writing anything",
    "huge-line": "writes 20 MiB without a newline",
    "close": "closes its stdin and stdout and keeps running",
    "chatty": "answers correctly, writing 100 KiB on stderr for every scenario (N: ignored)",
    "disagree": "answers every scenario with wrong returns from line N on",
    "disagree-crash": "as disagree, then crashes at line N + 3 (while the checker shrinks)",
}


def correct(scenario: dict[str, JSON], tracker: bool) -> dict[str, JSON]:
    """The right answer."""
    if tracker:
        from conformance.vectors import tracker_result  # noqa: PLC0415 (only the tracker tests pay for it)
        from model.vocab import Profile  # noqa: PLC0415

        answer: dict[str, JSON] = tracker_result(scenario, Profile.RFC_V1)
        return answer
    return run(scenario, 1)


def sleep_for_ever() -> None:
    """Sleep until killed."""
    while True:
        time.sleep(60)


def misbehave(behaviour: str, scenario: dict[str, JSON], out: Any, tracker: bool) -> None:
    """Do what ``behaviour`` says for ``scenario``."""
    ident = scenario.get("id")
    if behaviour == "crash":
        sys.stderr.write("broken_harness: out of cheese\n")
        sys.stderr.flush()
        sys.exit(3)
    if behaviour == "segv":
        sys.stderr.write("broken_harness: about to dereference NULL\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    lines = {
        "garbage": b"nope\n",
        "non-utf8": b'{"id": 1, "x": "\xff\xfe"}\n',
        "deep": b"[" * 100000 + b"]" * 100000 + b"\n",
        "huge-int": b'{"id": 1, "x": 1' + b"0" * 5000 + b"}\n",
        "nan": json.dumps({"id": ident, "x": float("nan")}).encode() + b"\n",
        "not-object": b"[1, 2]\n",
        "partial": b'{"id": ',
        "huge-line": b" " * (20 * 1024 * 1024),
    }
    answer = correct(scenario, tracker)
    if behaviour in lines:
        out.write(lines[behaviour])
    elif behaviour == "wrong-id":
        out.write(json.dumps({**answer, "id": [ident]}).encode() + b"\n")
    elif behaviour == "no-id":
        out.write(json.dumps({k: v for k, v in answer.items() if k != "id"}).encode() + b"\n")
    elif behaviour == "twice":
        out.write((json.dumps(answer) + "\n").encode() * 2)
    elif behaviour == "close":
        out.flush()
        os.close(0)
        os.close(1)
        sleep_for_ever()
    out.flush()
    if behaviour in ("partial", "stall", "huge-line"):
        sleep_for_ever()


def main() -> None:
    """Answer stdin as the arguments say."""
    behaviour, at = sys.argv[1], int(sys.argv[2])
    options = set(sys.argv[3:])
    if "CT_PGID" in os.environ:
        Path(os.environ["CT_PGID"]).write_text(str(os.getpgid(0)))
    if "--ignore-term" in options:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--fork" in options and os.fork() == 0:
        os.close(0)
        os.close(1)
        sleep_for_ever()
    tracker = "--tracker" in options
    log = os.environ.get("CT_LOG")
    out = sys.stdout.buffer
    for number, line in enumerate(sys.stdin, 1):
        if log:
            with open(log, "a") as f:
                f.write(line)
        scenario = json.loads(line)
        if behaviour == "chatty":
            sys.stderr.write("x" * 100 * 1024 + "\n")
            sys.stderr.flush()
        if behaviour == "disagree-crash" and number == at + 3:
            misbehave("crash", scenario, out, tracker)
        if number == at and behaviour not in ("chatty", "disagree", "disagree-crash"):
            misbehave(behaviour, scenario, out, tracker)
            continue
        answer = correct(scenario, tracker)
        if behaviour.startswith("disagree") and number >= at:
            answer["returns"] = [0 for _ in answer.get("returns", [])]
        out.write((json.dumps(answer) + "\n").encode())
        out.flush()


if __name__ == "__main__":
    main()
