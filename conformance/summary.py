"""Counters for the conformance run's closing summary (``nox -s conformance``), and its CPU time.

Purpose: the numbers the summary table reports: operations compared between impl and the model,
histories checked for linearizability, vectors replayed, the CrossHair contract results of the
same session (read from its report), and the CPU time the run took (issue 16: the suite should
check more per CPU-second, so what it costs is reported next to what it checked). ``record``
keeps them in ``SUMMARY_FILE`` for ``nox -s bench``, which compares them with ``BASELINE``.

Promises: process-local counters, incremented by the checks themselves; ``cpu_seconds`` is the
user and system time of this process and of its children that have ended (the C harnesses the
suite builds and runs, the programs ``check --external`` drives), as ``getrusage`` reports them.
"""

from __future__ import annotations

import json
import re
import resource
import time
from collections import Counter
from pathlib import Path

COUNTS: Counter[str] = Counter()
CONTRACTS_REPORT = Path("reports/contracts.md")
SUMMARY_FILE = Path("reports/conformance-summary.json")
#: The counts the summary compares (examples run, and events compared with the model).
COMPARED = ("examples", "model ops", "compared", "histories", "history ops", "vectors")
#: The default conformance run (pytest -m conformance, HYPOTHESIS_PROFILE=conformance) before
#: issue 16, measured on this project's 2-core machine at commit f2dc4d1: CPU seconds of the
#: pytest process and its children (``/usr/bin/time``: 220.5 s user + 4.5 s system), and what it
#: checked. A run is only comparable when it checked at least as much.
BASELINE_CPU_S = 225.0
BASELINE_COUNTS: dict[str, int] = {
    "examples": 16964,
    "model ops": 61807,
    "compared": 127750,
    "histories": 529,
    "history ops": 73054,
    "vectors": 666,
}


#: How much less than the baseline a count may be and still compare: Hypothesis's derandomised
#: runs vary by a few examples in 17,000 (0.05%, measured) from one run to the next.
TOLERANCE = 0.005


def comparable(counts: dict[str, int]) -> bool:
    """Whether a run that checked ``counts`` checked as much as the baseline run did (each count
    at least the baseline's, less ``TOLERANCE``)."""
    return all(counts.get(key, 0) >= value * (1 - TOLERANCE) for key, value in BASELINE_COUNTS.items())


def cpu_seconds() -> tuple[float, float]:
    """(this process, its ended children): user + system CPU seconds so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def record(path: Path = SUMMARY_FILE) -> None:
    """Write the counts and the CPU time so far to ``path`` (JSON), for ``nox -s bench``."""
    own, children = cpu_seconds()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu_s": round(own + children, 1),
        "cpu_process_s": round(own, 1),
        "cpu_children_s": round(children, 1),
        "counts": {key: COUNTS[key] for key in COMPARED},
    }
    path.write_text(json.dumps(data, indent=1) + "\n")


def count(what: str, n: int = 1) -> None:
    """Add ``n`` to counter ``what``."""
    COUNTS[what] += n


def lines() -> list[str]:
    """The summary lines."""
    out = [
        f"Hypothesis examples run: {COUNTS['examples']}",
        f"operations applied to the model: {COUNTS['model ops']}",
        f"layer and tracker events compared with impl: {COUNTS['compared']}",
        f"histories checked for linearizability: {COUNTS['histories']} ({COUNTS['history ops']} operations)",
        f"vectors replayed on impl: {COUNTS['vectors']}",
    ]
    own, children = cpu_seconds()
    versus = (
        f"{BASELINE_CPU_S / (own + children):.2f}x lower than before issue 16 ({BASELINE_CPU_S:,.0f} s)"
        if comparable({key: COUNTS[key] for key in COMPARED})
        else "not comparable with the run before issue 16 (it checked less)"
    )
    out.append(
        f"CPU time: {own + children:,.1f} s ({own:,.1f} s this process, {children:,.1f} s its children); {versus}"
    )
    if CONTRACTS_REPORT.exists():
        last = CONTRACTS_REPORT.read_text().strip().splitlines()[-1]
        found = re.search(r"(\d+) confirmed, (\d+) not confirmed, (\d+) refuted", last)
        out.append(f"contracts: {last}" if found else "contracts: report unreadable")
    else:
        out.append("contracts: not run in this session")
    return out
