"""Running the benchmarks and writing their report (``nox -s bench``, ``python -m conformance bench``).

Purpose: one run of the named benchmarks (all by default), reported so that a reader can judge
whether to trust it: the machine (CPU model, cores, Python), the load average when the run began
and when it ended, then every goal of issue 16 with its figure, its bound, whether it is met and
its repetitions and spread (a spread too wide to trust is flagged), then each benchmark's table.

With ``cprofile`` (``--cprofile N``), each benchmark that has workloads (``WORKLOADS``) is
followed by a section of where its time goes (``conformance.bench.profiling``).

Promises: a benchmark that found a wrong result (not a slow one) fails the run (exit status 1);
a goal not met does not (speed is reported, never asserted); the report is printed and, with a
path, written there; profiling runs only after a benchmark's ``run()`` has returned, so no figure
is measured under the profiler, and without ``cprofile`` nothing is profiled.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from conformance.bench import checker, ctnetlink, dispatch, model_step, profiling, suite, sweep, switchdev, threads
from conformance.bench.timing import REPEATS, SPREAD_LIMIT, Section

BENCHMARKS = {
    "model-step": model_step.run,
    "dispatch": dispatch.run,
    "threads": threads.run,
    "sweep": sweep.run,
    "ctnetlink": ctnetlink.run,
    "switchdev": switchdev.run,
    "checker": checker.run,
    "suite": suite.run,
}
#: The benchmarks ``--cprofile`` profiles, and what each hands over (threads: cProfile sees one
#: thread; checker and switchdev: not hooked).
WORKLOADS: dict[str, profiling.Workloads] = {
    "model-step": model_step.workloads,
    "dispatch": dispatch.workloads,
    "sweep": sweep.workloads,
    "ctnetlink": ctnetlink.workloads,
    "suite": suite.workloads,
}


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it (the machine's architecture elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine_lines(load_at_start: str) -> list[str]:
    """The report's header: what ran it, and how busy the machine was when it began."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- machine: {cpu_model()}, {os.cpu_count()} cores ({usable} usable), {platform.machine()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()}",
        f"- load average (1, 5, 15 min) at start: {load_at_start}; at end: {_load()}",
        f"- every figure is the best of at least {REPEATS} repetitions, the sides of a ratio measured "
        f"interleaved; spread = (median - best) / best; a spread above {SPREAD_LIMIT:.0%} is flagged "
        "**TOO WIDE TO TRUST**",
    ]


def render(sections: list[Section], load_at_start: str) -> str:
    """The whole report as markdown."""
    lines = ["# ct-offload benchmarks", "", *machine_lines(load_at_start), ""]
    goals = [goal for section in sections for goal in section.goals]
    if goals:
        met = sum(goal.met for goal in goals)
        lines += [
            f"## Goals (issue 16): {met} of {len(goals)} met",
            "",
            "| item | what | measured | goal | verdict | repetitions, spread |",
            "|---|---|---|---|---|---|",
            *(goal.row() for goal in sorted(goals, key=lambda goal: goal.item)),
            "",
        ]
    for section in sections:
        lines += [f"## {section.title}", "", *section.table, "", *(f"- {note}" for note in section.notes), ""]
        lines += [f"**FAILED**: {failure}" for failure in section.failures]
    return "\n".join(lines)


def main(report_path: str | None, only: list[str], cprofile: int = 0) -> int:
    """Run the named benchmarks (all by default), print and optionally write the report; with
    ``cprofile``, also profile each one's workloads once, after it ran, and report its top
    ``cprofile`` functions."""
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    load_at_start = _load()
    sections: list[Section] = []
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        print(f"running {name} ...", flush=True)
        sections.append(bench())
        if cprofile and name in WORKLOADS:
            print(f"profiling {name} ...", flush=True)
            sections.append(profiling.section(name, WORKLOADS[name](), cprofile))
        elif cprofile:
            print(f"({name} has no workloads to profile)", flush=True)
    text = render(sections, load_at_start)
    print(text)
    if report_path:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(text)
    failed = [section.title for section in sections if section.failures]
    for title in failed:
        print(f"bench failed: {title}", file=sys.stderr)
    return 1 if failed else 0
