"""Running the benchmarks and writing their report; a benchmark that found a wrong result fails the run."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from conformance.bench import checker, ctnetlink, dispatch, model_step, sweep, switchdev, threads
from conformance.bench.timing import Section

BENCHMARKS = {
    "model-step": model_step.run,
    "dispatch": dispatch.run,
    "threads": threads.run,
    "sweep": sweep.run,
    "ctnetlink": ctnetlink.run,
    "switchdev": switchdev.run,
    "checker": checker.run,
}


def main(report_path: str | None, only: list[str]) -> int:
    """Run the named benchmarks (all by default), print and optionally write the report."""
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    sections: list[Section] = []
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        print(f"running {name} ...", flush=True)
        sections.append(bench())
    lines = ["# ct-offload benchmarks", "", f"Python {platform.python_version()} on {platform.machine()}, one run.", ""]
    for section in sections:
        lines += [f"## {section.title}", "", *section.table, "", *(f"- {note}" for note in section.notes), ""]
        lines += [f"**FAILED**: {failure}" for failure in section.failures]
    text = "\n".join(lines)
    print(text)
    if report_path:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(text)
    failed = [section.title for section in sections if section.failures]
    for title in failed:
        print(f"bench failed: {title}", file=sys.stderr)
    return 1 if failed else 0
