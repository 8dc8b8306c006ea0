"""Timing shared by the benchmarks: repeated, interleaved measurements, their spread, and goals.

Purpose: a figure of the bench is only worth steering by if it can be trusted, so every figure is
the best of at least ``REPEATS`` repetitions and carries its spread, and the sides of a ratio are
measured interleaved (A, B, A, B, ...), so that a change of the machine's load during the run
falls on both sides alike. ``Goal`` is one target of the bench (issue 16) with the figure that
meets it or not; the report lists them all at its top.

Promises:

- ``interleaved`` runs each of its runs ``repeats`` times, round robin, and returns one ``Figure``
  per run; ``timed`` turns a plain callable into a run that times itself with the garbage
  collector paused (collected before), so a collection of an unrelated heap is charged to nobody;
- a ``Figure``'s ``spread`` is (median - best) / best: how far a typical repetition is from the
  least disturbed one; a figure whose spread exceeds ``SPREAD_LIMIT`` is flagged as too wide to
  trust, and so is a ratio one of whose sides is (a ratio's spread is the sum of its sides').
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: The fewest repetitions of any figure (issue 16: "the best of at least 5").
REPEATS = 5
#: A spread above this (10%) makes a figure too wide to trust: the report flags it.
SPREAD_LIMIT = 0.10

#: One measured run: does the work once and answers the seconds it took (setup excluded).
Run = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Figure:
    """The seconds of every repetition of one run."""

    samples: tuple[float, ...]

    @property
    def best(self) -> float:
        """The least disturbed repetition (the figure reported)."""
        return min(self.samples)

    @property
    def median(self) -> float:
        """The typical repetition."""
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(median - best) / best."""
        return (self.median - self.best) / self.best if self.best > 0 else 0.0

    @property
    def repeats(self) -> int:
        """How many repetitions were timed."""
        return len(self.samples)

    def rate(self, items: int) -> float:
        """``items`` per second at the best repetition."""
        return items / self.best


@dataclass(frozen=True, slots=True)
class Ratio:
    """``top.best / bottom.best`` with the spread of both sides."""

    top: Figure
    bottom: Figure

    @property
    def value(self) -> float:
        """The ratio of the best repetitions."""
        return self.top.best / self.bottom.best

    @property
    def spread(self) -> float:
        """The sides' spreads added (relative uncertainties add under division)."""
        return self.top.spread + self.bottom.spread

    @property
    def repeats(self) -> int:
        """The fewer repetitions of the two sides."""
        return min(self.top.repeats, self.bottom.repeats)


def timed(func: Callable[[], object]) -> Run:
    """A run timing one call of ``func`` with the garbage collector paused."""

    def run() -> float:
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            func()
            return time.perf_counter() - start
        finally:
            gc.enable()

    return run


def interleaved(runs: Mapping[str, Run], repeats: int = REPEATS) -> dict[str, Figure]:
    """Every run ``repeats`` times, round robin (run 1, run 2, ..., run 1, run 2, ...)."""
    if repeats < REPEATS:
        raise ValueError(f"at least {REPEATS} repetitions, got {repeats}")
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: Figure(tuple(values)) for name, values in samples.items()}


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """The smallest wall time (s) of ``repeats`` timed calls of ``func``."""
    return interleaved({"only": timed(func)}, repeats)["only"].best


def spread_text(spread: float, repeats: int) -> str:
    """``best of 5, spread 3%`` and, past ``SPREAD_LIMIT``, a warning."""
    text = f"best of {repeats}, spread {spread:.0%}"
    return text + " **TOO WIDE TO TRUST**" if spread > SPREAD_LIMIT else text


@dataclass(frozen=True, slots=True)
class Goal:
    """One target of issue 16: the figure measured, the bound, and which way is better."""

    item: int
    what: str
    value: float
    bound: float
    at_least: bool
    unit: str
    spread: float
    repeats: int

    @property
    def met(self) -> bool:
        """Whether the figure is on the right side of its bound."""
        return self.value >= self.bound if self.at_least else self.value <= self.bound

    @property
    def trusted(self) -> bool:
        """Whether the figure's spread is within ``SPREAD_LIMIT``."""
        return self.spread <= SPREAD_LIMIT

    def row(self) -> str:
        """The goal as a row of the report's goal table."""
        sign = ">=" if self.at_least else "<="
        fmt = "{:,.2f}" if abs(self.value) < 100 else "{:,.0f}"
        value, bound = fmt.format(self.value) + self.unit, fmt.format(self.bound) + self.unit
        verdict = "met" if self.met else "**NOT met**"
        spread = spread_text(self.spread, self.repeats)
        return f"| {self.item} | {self.what} | {value} | {sign} {bound} | {verdict} | {spread} |"


def ratio_goal(item: int, what: str, ratio: Ratio, bound: float, *, at_least: bool) -> Goal:
    """A goal on a ratio of two figures (unit ``x``)."""
    return Goal(item, what, ratio.value, bound, at_least, "x", ratio.spread, ratio.repeats)


def rate_goal(item: int, what: str, figure: Figure, items: int, *, bound: float, unit: str) -> Goal:
    """A goal on a rate (``items`` per second at the best repetition), at least ``bound``."""
    return Goal(item, what, figure.rate(items), bound, True, unit, figure.spread, figure.repeats)


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One benchmark's findings: a title, a markdown table, notes, its goals, and failures."""

    title: str
    table: list[str]
    notes: list[str]
    goals: list[Goal] = field(default_factory=list)
    #: What went wrong while measuring (a wrong result, not a slow one): any fails the bench.
    failures: list[str] = field(default_factory=list)
