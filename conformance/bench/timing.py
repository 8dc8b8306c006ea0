"""Timing helpers shared by the benchmarks: best-of-N wall time of a callable."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One benchmark's findings: a title, a markdown table, the headline ratios, and failures."""

    title: str
    table: list[str]
    notes: list[str]
    #: What went wrong while measuring (a wrong result, not a slow one): any fails the bench.
    failures: list[str] = field(default_factory=list)


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """The smallest wall time (s) of ``repeats`` calls of ``func``: the least disturbed run.

    The garbage collector is paused while timing (and run before), so a collection of an unrelated
    large heap is not charged to whichever call it happens to interrupt.
    """
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            func()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best
