"""Where a benchmark's time goes: its workloads run once under cProfile (``bench --cprofile N``).

Purpose: a figure of the bench says how fast, not why. A benchmark module that exposes
``workloads()`` hands over the work of the sides of its figures that matter (the sweep batched and
one UPD at a time at 100,000 connections, the model target on the vectors, the ctnetlink engine's
adds and deletes at 8,192 per push, ...), each already set up; ``section`` runs each once under
cProfile and writes, per workload, the ``N`` functions with the most own time (``tottime``), with
their share of the workload's total own time and their call counts, so that a developer sees
which code to make cheaper, or that the rest is the providers' or the kernel's.

Promises:

- profiling happens only with ``--cprofile``, and never while a figure is timed:
  ``conformance.bench.report`` calls a benchmark's ``run()`` exactly as without the option, and
  only after it returns asks for its workloads, so every figure and goal is unaffected;
- a workload's setup (tables built, inputs encoded) is done before it is handed over and is not
  profiled; the workload runs once, with the garbage collector paused as in the timed runs;
- a function is named ``module:function``, the module relative to the repository (``impl.layer``)
  or to the ``sys.path`` entry holding it (``json.decoder``); a built-in is named by its owner and
  name with ``(C)`` (``list.append (C)``; ``<string>:__init__`` is a dataclass's generated
  ``__init__``); two functions of one name in one module in one table get their line number
  (``module:function:42``); a line above each table gives the modules with the most own time;
- the profiler's own cost falls on every Python call (some 0.1-0.5 µs), so under it the workload is
  slower than timed and functions called very often weigh more: read the shares as where the time
  goes, never as speeds.
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.bench.timing import Section

ROOT = Path(__file__).resolve().parents[2]
#: A pstats entry's key: (file, first line, function name); built-ins have file "~".
Key = tuple[str, int, str]
_METHOD = re.compile(r"<method '(?P<name>[^']+)' of '(?P<owner>[^']+)' objects>")
_BUILTIN = re.compile(r"<built-in method (?P<name>[\w.]+)(?: of (?P<kind>\w+) object at 0x[0-9a-f]+)?>")
_PROFILER = "_lsprof.Profiler"


@dataclass(frozen=True, slots=True)
class Workload:
    """One side of a figure, set up: ``work()`` does once what the timed run times (and may work
    only once: a sweep leaves its connections refreshed)."""

    label: str
    work: Callable[[], object]


#: What a benchmark module exposes as ``workloads``: its workloads in order, each set up just
#: before it is yielded (a generator may hold a resource, a namespace, until it is exhausted).
Workloads = Callable[[], Iterable[Workload]]


@dataclass(frozen=True, slots=True)
class Row:
    """One function of a profile: its name, own seconds, share of the total own time, calls."""

    name: str
    own: float
    share: float
    calls: int


def profile(work: Callable[[], object]) -> pstats.Stats:
    """``work()`` once under cProfile, with the garbage collector paused; its stats."""
    profiler = cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        profiler.runcall(work)
    finally:
        gc.enable()
    return pstats.Stats(profiler)


def _module(path: str) -> str:
    """The dotted module of a source file: relative to the repository or the longest ``sys.path``
    entry holding it; an installed package's from its site-packages (which may lie in the repository's .nox)."""
    file = Path(os.path.abspath(path))
    if "site-packages" in file.parts:  # an installed package, whichever environment holds it
        parts = file.with_suffix("").parts[len(file.parts) - file.parts[::-1].index("site-packages") :]
    else:
        bases = {str(ROOT), *(os.path.abspath(entry) for entry in sys.path if entry)}
        holding = [base for base in bases if str(file).startswith(base.rstrip(os.sep) + os.sep)]
        if not holding:
            return path  # "<string>", "<frozen ...>": as cProfile says
        parts = Path(os.path.relpath(file, max(holding, key=len))).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def function_name(key: Key) -> str:
    """``module:function`` (see the module's promises)."""
    path, _, name = key
    if path != "~":
        return f"{_module(path)}:{name}"
    method = _METHOD.fullmatch(name)
    if method:
        return f"{method['owner']}.{method['name']} (C)"
    builtin = _BUILTIN.fullmatch(name)
    if builtin and builtin["kind"]:
        return f"{builtin['name']} of a {builtin['kind']} (C)"  # object.__new__: "__new__ of a type"
    return f"{builtin['name']} (C)" if builtin else f"{name} (C)"


def _entries(stats: pstats.Stats) -> dict[Key, tuple[int, int, float, float, object]]:
    """Key -> (primitive calls, calls, own s, cumulative s, callers), the profiler's own entry left out."""
    entries: dict[Key, tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    return {key: value for key, value in entries.items() if _PROFILER not in key[2]}


def modules(stats: pstats.Stats, top: int = 6) -> list[tuple[str, float]]:
    """The ``top`` modules by own time with their share of it (built-ins together as ``(C)``): a
    flat profile, whose top functions hold little, is still told apart."""
    own = _entries(stats)
    total = sum(value[2] for value in own.values())
    summed: dict[str, float] = {}
    for key, value in own.items():
        name = "(C)" if key[0] == "~" else _module(key[0])
        summed[name] = summed.get(name, 0.0) + value[2]
    ranked = sorted(summed.items(), key=lambda item: item[1], reverse=True)[:top]
    return [(name, seconds / total if total > 0 else 0.0) for name, seconds in ranked]


def rows(stats: pstats.Stats, top: int) -> tuple[list[Row], float, int]:
    """The ``top`` functions by own time; the total own time and the total calls (the profiler's
    own entry left out)."""
    own = _entries(stats)
    total = sum(value[2] for value in own.values())
    calls = sum(value[1] for value in own.values())
    chosen = sorted(own, key=lambda key: own[key][2], reverse=True)[:top]
    names = {key: function_name(key) for key in chosen}
    clashes = Counter(names.values())
    return (
        [
            Row(
                name=names[key] if clashes[names[key]] == 1 else f"{names[key]}:{key[1]}",
                own=own[key][2],
                share=own[key][2] / total if total > 0 else 0.0,
                calls=own[key][1],
            )
            for key in chosen
        ],
        total,
        calls,
    )


def table(label: str, stats: pstats.Stats, top: int) -> list[str]:
    """The markdown of one workload's profile: a line saying what ran, then its top functions."""
    found, total, calls = rows(stats, top)
    held = sum(row.share for row in found)
    lines = [
        f"**{label}**: {total * 1e3:,.0f} ms under cProfile, {calls:,} calls; these {len(found)} functions hold "
        f"{held:.0%} of the own time; by module: "
        + ", ".join(f"`{module}` {share:.0%}" for module, share in modules(stats)),
        "",
        "| function | own ms | share | calls | own µs/call |",
        "|---|---|---|---|---|",
    ]
    for row in found:
        per_call = row.own / row.calls * 1e6 if row.calls else 0.0
        lines.append(f"| `{row.name}` | {row.own * 1e3:,.1f} | {row.share:.1%} | {row.calls:,} | {per_call:,.2f} |")
    return [*lines, ""]


def section(name: str, workloads: Iterable[Workload], top: int) -> Section:
    """Each of ``workloads`` run once under cProfile, as one report section of ``top``-row tables."""
    if top < 1:
        raise ValueError(f"--cprofile needs at least 1 function per table, got {top}")
    lines: list[str] = []
    for workload in workloads:
        lines += table(workload.label, profile(workload.work), top)
    notes = [
        "each workload run once under cProfile after the timed repetitions (the figures above are not "
        "profiled); own time = time in the function itself, not in what it calls; the profiler's cost per "
        "call inflates functions called very often: shares say where the time goes, not how fast it is"
    ]
    if not lines:
        notes.insert(0, "nothing profiled: the benchmark was skipped (its section says why)")
    return Section(
        title=f"Where the time goes: {name} (cProfile, top {top} functions by own time)", table=lines, notes=notes
    )
