"""Counters for the conformance run's closing summary (``nox -s conformance``).

Purpose: the numbers the summary table reports: operations compared between impl and the model,
histories checked for linearizability, vectors replayed, and the CrossHair contract results of the
same session (read from its report).

Promises: process-local counters, incremented by the checks themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

COUNTS: Counter[str] = Counter()
CONTRACTS_REPORT = Path("reports/contracts.md")


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
    if CONTRACTS_REPORT.exists():
        last = CONTRACTS_REPORT.read_text().strip().splitlines()[-1]
        found = re.search(r"(\d+) confirmed, (\d+) not confirmed, (\d+) refuted", last)
        out.append(f"contracts: {last}" if found else "contracts: report unreadable")
    else:
        out.append("contracts: not run in this session")
    return out
