"""Benchmark: how fast the suite itself checks (issue 16, item 5).

Purpose: three figures of the conformance suite's own speed.

- The model as a scenario target: every layer vector of every profile (``conformance/vectors``)
  through ``conformance.runner.serve`` with the ``scenarios --target model`` handle, as the
  command line runs them (read, parse, run, encode, write), in one process; scenarios per second.
- ``check --external`` end to end against a fast program: ``conformance.external.run`` with
  docs/examples/minimal_harness.py as the program, the vectors then ``COUNT`` generated
  scenarios (seed fixed), program start and stop included; scenarios sent per second.
- The default conformance run's CPU time, as its closing summary last recorded it
  (``reports/conformance-summary.json``, written by ``nox -s conformance``), next to the baseline
  of issue 16 with the examples and events each compared. Too long to run inside the bench (about
  7 minutes on 2 cores), it is read, never measured here, and the row says when it was recorded.

Promises: each throughput is the best of ``REPEATS`` repetitions with its spread; a wrong answer
(a vector that disagrees, a check that does not exit 0) fails the bench. ``workloads`` hands
``--cprofile`` the model target's run, built the same way.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from conformance import external
from conformance.bench.profiling import Workload
from conformance.bench.timing import Goal, Section, interleaved, rate_goal, spread_text, timed
from conformance.runner import serve
from conformance.summary import BASELINE_COUNTS, BASELINE_CPU_S, SUMMARY_FILE, comparable
from model.vocab import Profile

MODEL_GOAL = 5_000.0
EXTERNAL_GOAL = 100.0
CPU_GOAL = 2.0
COUNT = 300
SEED = 16
HARNESS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "minimal_harness.py"


def _vector_input(profile: Profile) -> tuple[bytes, list[dict[str, object]]]:
    """The scenario lines of ``profile``'s layer vectors, and what each must answer."""
    cases = [
        json.loads(line)
        for line in (Path(__file__).resolve().parents[1] / "vectors" / f"layer-{profile.value}.jsonl")
        .read_text()
        .splitlines()
        if line.strip()
    ]
    data = "".join(json.dumps(case["scenario"]) + "\n" for case in cases).encode()
    return data, [case["expect"] for case in cases]


Inputs = dict[Profile, tuple[bytes, list[dict[str, object]]]]


def _model_work() -> tuple[Callable[[], None], Inputs, dict[Profile, str]]:
    """What the model target's figure times (every profile's vectors through ``serve``), the
    inputs with their expected answers, and where the answers are written."""
    from conformance.cli import stream_handle  # noqa: PLC0415 - the command line imports this package

    inputs = {profile: _vector_input(profile) for profile in Profile}
    handles = {profile: stream_handle("scenarios", "model", profile) for profile in Profile}
    outputs: dict[Profile, str] = {}

    def go() -> None:
        for profile, (data, _) in inputs.items():
            sink = io.StringIO()
            serve(io.BytesIO(data), sink, handles[profile])
            outputs[profile] = sink.getvalue()

    return go, inputs, outputs


def _model_target() -> tuple[Goal, list[str], list[str]]:
    go, inputs, outputs = _model_work()
    figure = interleaved({"model": timed(go)})["model"]
    failures = []
    for profile, (_, expected) in inputs.items():
        answers = [json.loads(line) for line in outputs[profile].splitlines()]
        if answers != expected:
            failures.append(f"scenarios --target model: {profile.value} answers differ from the vectors")
    total = sum(len(expected) for _, expected in inputs.values())
    row = (
        f"| `scenarios --target model`, the layer vectors of every profile | {total} scenarios "
        f"| {figure.rate(total):,.0f} scenarios/s | {spread_text(figure.spread, figure.repeats)} |"
    )
    goal = rate_goal(5, "`scenarios --target model` on the vectors", figure, total, bound=MODEL_GOAL, unit=" scen/s")
    return goal, [row], failures


def _external() -> tuple[list[Goal], list[str], list[str]]:
    goals, rows, failures = [], [], []
    for profile in (Profile.RFC_V1, Profile.STRICT):
        said: list[str] = []
        codes: list[int] = []
        command = f"{sys.executable} {HARNESS} {profile.value}"

        def check(
            profile: Profile = profile, said: list[str] = said, codes: list[int] = codes, command: str = command
        ) -> float:
            said.clear()
            start = time.perf_counter()
            codes.append(external.run(command, profile, count=COUNT, seed=SEED, out=said.append))
            return time.perf_counter() - start

        figure = interleaved({"check": check})["check"]
        if set(codes) != {0}:
            failures.append(f"check --external {profile.value}: exit status {codes}: {said}")
            continue
        vectors = int(said[0].split(" of ")[1].split()[0])  # "vectors: N of M agree ..."
        sent = vectors + COUNT
        rows.append(
            f"| `check --external` minimal_harness.py, {profile.value}: {vectors} vectors + {COUNT} generated "
            f"| {sent} scenarios | {figure.rate(sent):,.0f} scenarios/s "
            f"| {spread_text(figure.spread, figure.repeats)} |"
        )
        goals.append(
            rate_goal(
                5, f"`check --external` end to end, {profile.value}", figure, sent, bound=EXTERNAL_GOAL, unit=" scen/s"
            )
        )
    return goals, rows, failures


def _conformance_cpu() -> tuple[list[Goal], list[str]]:
    """The last recorded conformance run against the baseline of issue 16."""
    if not SUMMARY_FILE.exists():
        return [], [f"no `{SUMMARY_FILE}`: run `nox -s conformance` to record the CPU time of the default run"]
    last = json.loads(SUMMARY_FILE.read_text())
    now, counts = float(last["cpu_s"]), last["counts"]
    same = comparable(counts)
    checked = ", ".join(f"{key} {counts.get(key, 0):,} (baseline {value:,})" for key, value in BASELINE_COUNTS.items())
    notes = [
        f"default conformance run (pytest -m conformance: the process and its children), recorded {last['when']}: "
        f"{now:,.0f} s CPU, baseline {BASELINE_CPU_S:,.0f} s: {BASELINE_CPU_S / now:.2f}x lower; checked: {checked}"
        + ("" if same else " -- LESS than the baseline: the comparison does not hold"),
    ]
    lower = BASELINE_CPU_S / now if same else 0.0
    goal = Goal(5, "conformance run CPU, baseline / last run (as much checked)", lower, CPU_GOAL, True, "x", 0.0, 1)
    return [goal], notes


def workloads() -> Iterator[Workload]:
    """For ``--cprofile``: the model target on every profile's layer vectors (the external check
    runs in a child process cProfile cannot see; the conformance run is only read)."""
    go, inputs, _ = _model_work()
    total = sum(len(expected) for _, expected in inputs.values())
    yield Workload(f"`scenarios --target model`, the layer vectors of every profile ({total} scenarios)", go)


def run() -> Section:
    """The model target, the external checker, and the recorded conformance CPU time."""
    table = ["| what | work | throughput | repetitions, spread |", "|---|---|---|---|"]
    model_goal, model_rows, failures = _model_target()
    external_goals, external_rows, external_failures = _external()
    cpu_goals, notes = _conformance_cpu()
    return Section(
        title="The suite's own speed",
        table=table + model_rows + external_rows,
        notes=notes,
        goals=[model_goal, *external_goals, *cpu_goals],
        failures=failures + external_failures,
    )
