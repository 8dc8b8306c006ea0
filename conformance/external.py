"""Checking an external implementation (any language) against the model.

Purpose: ``python -m conformance check --external 'COMMAND' --profile P`` starts COMMAND once, feeds
it scenarios on stdin one JSON line at a time, reads one result line per scenario from its stdout,
and compares each with the model. It first replays the committed vectors, then lets Hypothesis
generate scenarios; any disagreement is shrunk (by Hypothesis) to a minimal scenario, which is
printed with the fields that differ. ``--tracker`` does the same with tracker scenarios.

Promises: exit status 0 when nothing disagrees, 1 when something does (the minimal scenario is
printed), 2 when the external program fails (dies, answers garbage or times out; its stderr tail
is printed).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import shlex
import subprocess
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from conformance import vectors
from conformance.model_target import run_on_model
from conformance.runner import run_object
from conformance.scenario import uses_extensions
from conformance.strategies import scenario
from conformance.tracker_machine import tracker_provider
from model.vocab import Profile

JSON = Any


class ExternalError(RuntimeError):
    """The external program failed; the message says how."""


class External:
    """A running external implementation speaking the scenario protocol on stdin/stdout."""

    def __init__(self, command: str, *, timeout: float = 20.0) -> None:
        self.command = command
        self.timeout = timeout
        self.proc = subprocess.Popen(
            command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)

    def ask(self, obj: dict[str, JSON]) -> dict[str, JSON]:
        """The program's result for one scenario."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(obj) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError as exc:
            raise ExternalError(f"{self.command!r} closed its input{self._stderr()}") from exc
        if not self._selector.select(self.timeout):
            raise ExternalError(f"{self.command!r} gave no result within {self.timeout:.0f} s{self._stderr()}")
        line = self.proc.stdout.readline()
        if not line:
            raise ExternalError(f"{self.command!r} exited (status {self.proc.poll()}){self._stderr()}")
        try:
            answer = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExternalError(f"{self.command!r} answered something that is not JSON: {line[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise ExternalError(f"{self.command!r} answered {line[:200]!r}, not a JSON object")
        return answer

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        tail = self.proc.stderr.read()[-800:]
        return f"; its stderr ends with:\n{tail}" if tail else ""

    def close(self) -> None:
        """Stop the program."""
        if self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # the program has already exited
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._selector.close()


def differing_fields(expected: dict[str, JSON], got: dict[str, JSON]) -> list[str]:
    """The top-level result fields that differ, with per-step detail for list fields."""
    out = []
    for key in sorted(set(expected) | set(got)):
        want, have = expected.get(key), got.get(key)
        if want == have:
            continue
        if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
            for i, (w, h) in enumerate(zip(want, have, strict=True)):
                if w != h:
                    out.append(f"{key}[{i}]: model {json.dumps(w)}, external {json.dumps(h)}")
                    break
        else:
            out.append(f"{key}: model {json.dumps(want)}, external {json.dumps(have)}")
    return out


@st.composite
def _tracker_scenario(draw: st.DrawFn) -> dict[str, JSON]:
    providers = [draw(tracker_provider(i)) for i in range(draw(st.integers(0, 2)))]
    events, now = [], 0
    for _ in range(draw(st.integers(1, 10))):
        now += draw(st.sampled_from([0, 1000, 15000, 20000, 31000]))
        word = draw(st.sampled_from(["commit", "reply", "lookup", "force", "flush_flow", "flush", "sweep"]))
        event: dict[str, JSON] = {"at": now, "do": word}
        if word not in ("flush", "sweep"):
            event["flow"] = draw(st.integers(0, 2))
        events.append(event)
    return {"id": "t", "providers": providers, "events": events}


def run(
    command: str,
    profile: Profile,
    *,
    count: int,
    tracker: bool = False,
    extensions: bool = False,
    out: Callable[[str], None] = print,
) -> int:
    """The ``check`` command. Without ``extensions`` only what DESIGN.md section 5 defines is sent
    (vectors using the project's extensions are skipped)."""
    expected_of: Callable[[dict[str, JSON]], dict[str, JSON]]
    if tracker:
        expected_of = lambda obj: vectors.tracker_result(obj, profile)  # noqa: E731
        cases = vectors.load(f"tracker-{profile.value}.jsonl")
        strategy: st.SearchStrategy[dict[str, JSON]] = _tracker_scenario()
    else:
        expected_of = lambda obj: run_object(obj, run_on_model, profile)  # noqa: E731
        cases = [
            c for c in vectors.load(f"layer-{profile.value}.jsonl") if extensions or not uses_extensions(c["scenario"])
        ]
        strategy = scenario(portable=not extensions)
    external = External(command)
    try:
        bad = [c for c in cases if external.ask(c["scenario"]) != c["expect"]]
        out(f"vectors: {len(cases) - len(bad)} of {len(cases)} agree")

        def disagrees(obj: dict[str, JSON]) -> bool:
            return external.ask(obj) != expected_of(obj)

        quick = settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        try:
            minimal = find(strategy, disagrees, settings=quick)
        except NoSuchExample:
            minimal = None
        if minimal is None and bad:
            minimal = bad[0]["scenario"]
        if minimal is None:
            out(f"generated: {count} scenarios, no disagreement with the model ({profile.value})")
            return 0
        got = external.ask(minimal)
        out("the external implementation disagrees with the model; minimal scenario:")
        out("  " + json.dumps(minimal))
        for line in differing_fields(expected_of(minimal), got):
            out("  " + line)
        return 1
    except ExternalError as exc:
        out(f"error: {exc}")
        return 2
    finally:
        external.close()


def command_line(argv: list[str]) -> str:
    """A command line for ``argv``, quoted for the shell (for tests and examples)."""
    return " ".join(shlex.quote(a) for a in argv)


__all__ = ["External", "ExternalError", "command_line", "differing_fields", "run"]
