"""Running ``python -m conformance prove``: every case of a scope, on every core, one line per law.

Purpose: the driver of the bounded exhaustive checker. It cuts each family of the scope
(``conformance.prove.scope``) into tasks of a few worlds, runs them in worker processes
(``--jobs``), adds up the cases each law decided per profile and the time spent deciding them, and
keeps, per law and profile, the smallest failing case (fewest steps, then fewest batch ops, then
fewest providers, then fewest callbacks: the enumeration order, so it is minimal by construction).

Promises: prints, per law and profile, "holds for all N cases within scope S" or the minimal
counterexample (a scenario of the protocol, replayable with ``python -m conformance scenarios``),
then the scope in words and the wall time; exit status 0 when every law holds, 1 when one fails, 2
on bad arguments. ``--report FILE`` also writes the same as Markdown. The result does not depend
on ``--jobs`` or on machine load: only the time does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice, product
from pathlib import Path
from typing import Any

from conformance.prove import checks
from conformance.prove.scope import (
    Family,
    Scope,
    Step,
    batches,
    describe,
    scenario,
    scenario_json,
    sequences,
    worlds,
)
from conformance.prove.scopes import SCOPES
from conformance.scenario import ProviderDecl
from model.vocab import OpType, Profile

JSON = Any
#: A law's name and the profile (or profile pair) it was checked in.
Key = tuple[str, str]
#: How a failing case sorts: (steps, batch ops, providers, callbacks, then discovery order).
Size = tuple[int, ...]
#: Worlds per task.
CHUNK = 4


class LawFailed(AssertionError):
    """Raised at the first failing case when the run stops there (``fail_fast``: the mutation run)."""


@dataclass
class Tally:
    """What one task (or the whole run) found: cases and seconds per law, and the smallest failure."""

    cases: Counter[Key] = field(default_factory=Counter)
    seconds: defaultdict[Key, float] = field(default_factory=lambda: defaultdict(float))
    failures: dict[Key, tuple[Size, str]] = field(default_factory=dict)
    fail_fast: bool = False

    def fail(self, key: Key, size: Size, what: str) -> None:
        """Record a failing case, keeping the smallest per law (or raise ``LawFailed``: ``fail_fast``)."""
        if self.fail_fast:
            raise LawFailed(f"{key[0]} [{key[1]}] fails: {what}")
        if key not in self.failures or size < self.failures[key][0]:
            self.failures[key] = (size, what)

    def add(self, other: Tally) -> None:
        """Fold another tally into this one."""
        self.cases.update(other.cases)
        for key, spent in other.seconds.items():
            self.seconds[key] += spent
        for key, (size, what) in other.failures.items():
            self.fail(key, size, what)


def _world_size(world: tuple[ProviderDecl, ...]) -> tuple[int, int]:
    return len(world), sum(len(d.callbacks) for d in world)


def _steps_size(steps: tuple[Step, ...]) -> tuple[int, int]:
    return len(steps), sum(len(s[1]) for s in steps if s[0] == "batch")


def _show(world: tuple[ProviderDecl, ...], steps: tuple[Step, ...], **kw: bool) -> str:
    return json.dumps(scenario_json(world, steps, **kw), separators=(",", ":"))


def _scenarios(family: Family, world: tuple[ProviderDecl, ...], order: int, tally: Tally) -> None:
    """Impl == model in every profile and the rfc-v1/rfc-v2 law, on every scenario of ``world``."""
    specs = checks.specs_of(world)
    for slot, at_start in product(family.slots, family.register_at_start):
        for index, steps in enumerate(sequences(family, len(world))):
            scen = scenario(world, steps, slot=slot, at_start=at_start)
            size = (*_steps_size(steps), *_world_size(world), order, index)
            expected: dict[Profile, Any] = {}
            for profile in Profile:
                key = ("impl-equals-model", profile.value)
                start = time.perf_counter()
                model = checks.model_outcome(specs, scen, profile)
                ok = checks.impl_equals_model(model, checks.impl_outcome(scen, profile))
                tally.seconds[key] += time.perf_counter() - start
                tally.cases[key] += 1
                expected[profile] = model
                if not ok:
                    tally.fail(key, size, _show(world, steps, slot=slot, at_start=at_start))
            key = ("rfc-versions-differ-only-in-upd", "rfc-v1/rfc-v2")
            start = time.perf_counter()
            ok = checks.versions_differ_only_in_upd(expected[Profile.RFC_V1], expected[Profile.RFC_V2], steps)
            tally.seconds[key] += time.perf_counter() - start
            tally.cases[key] += 1
            if not ok:
                tally.fail(key, size, _show(world, steps, slot=slot, at_start=at_start))


def _states(family: Family, world: tuple[ProviderDecl, ...], order: int, tally: Tally) -> None:
    """The laws stated on reachable states: batch refinement, the mark table, hidden native errors."""
    specs = checks.specs_of(world)
    all_native = bool(specs) and all(spec.native for spec in specs)
    for profile in Profile:
        refine = family.refine_ops and checks.refines_applies(specs, profile)
        marks = len(specs) == 1
        hides = all_native and profile is not Profile.STRICT
        if not (refine or marks or hides):
            continue
        start = time.perf_counter()
        states = checks.reachable(family, specs, profile)
        spent = time.perf_counter() - start
        for law in ("batch-refines", "mark-transitions", "rfc-hides-native-errors"):
            tally.seconds[(law, profile.value)] += (
                spent if {"batch-refines": refine, "mark-transitions": marks}.get(law, hides) else 0.0
            )
        for found, (state, path) in enumerate(states):
            base = (len(path), 0, *_world_size(world), order, found)
            if refine:
                _refines(family, world, state, path, base, tally)
            if family.refine_ops and profile is Profile.RFC_V1:
                _versions(family, world, state, path, base, tally)
            if marks:
                key = ("mark-transitions", profile.value)
                start = time.perf_counter()
                for kind, conn in product(OpType, family.conns):
                    tally.cases[key] += 1
                    if not checks.mark_transitions(state, kind, conn):
                        word = {OpType.POLICY: "can", OpType.FLUSH: "flush"}.get(kind, kind.name.lower())
                        last: Step = ("flush",) if kind is OpType.FLUSH else (word, conn)
                        tally.fail(key, (base[0] + 1, *base[1:]), _show(world, (*path, last)))
                tally.seconds[key] += time.perf_counter() - start
            if hides:
                key = ("rfc-hides-native-errors", profile.value)
                start = time.perf_counter()
                for conn in family.conns:
                    tally.cases[key] += 1
                    if not checks.hides_native_errors(state, conn):
                        tally.fail(key, (base[0] + 1, 1, *base[2:]), _show(world, (*path, ("batch", ((0, conn),)))))
                tally.seconds[key] += time.perf_counter() - start


def _refines(  # noqa: PLR0917 (one case's parts, passed as they were found)
    family: Family, world: tuple[ProviderDecl, ...], state: Any, path: tuple[Step, ...], base: Size, tally: Tally
) -> None:
    """Law batch-refines on one reachable state, every batch of the family."""
    key = ("batch-refines", state.profile.value)
    start = time.perf_counter()
    for raw in batches(family, family.refine_ops):
        if state.profile is not Profile.STRICT and not checks.rfc_defined(raw):
            continue
        tally.cases[key] += 1
        if not checks.batch_refines(state, raw):
            tally.fail(key, (base[0] + 1, len(raw), *base[2:]), _show(world, (*path, ("batch", raw))))
    tally.seconds[key] += time.perf_counter() - start


def _versions(  # noqa: PLR0917
    family: Family, world: tuple[ProviderDecl, ...], state: Any, path: tuple[Step, ...], base: Size, tally: Tally
) -> None:
    """Law rfc-versions-differ-only-in-upd on one rfc-v1 state and the same state under rfc-v2,
    every batch of up to ``refine_ops`` ops the rfc profiles define."""
    key = ("rfc-versions-differ-only-in-upd", "rfc-v1/rfc-v2")
    start = time.perf_counter()
    for raw in batches(family, family.refine_ops):
        if not checks.rfc_defined(raw):
            continue
        tally.cases[key] += 1
        if not checks.versions_on_state(state, raw):
            tally.fail(key, (base[0] + 1, len(raw), *base[2:]), _show(world, (*path, ("batch", raw))))
    tally.seconds[key] += time.perf_counter() - start


def run_task(scope_name: str, family_index: int, first: int, stop: int, fail_fast: bool = False) -> Tally:
    """One task: the worlds ``first`` to ``stop - 1`` of one family of the named scope."""
    family = SCOPES[scope_name].families[family_index]
    tally = Tally(fail_fast=fail_fast)
    for order, world in enumerate(islice(worlds(family), first, stop), start=first):
        if family.scenarios:
            _scenarios(family, world, order, tally)
        _states(family, world, order, tally)
    return tally


def run_contracts(scope: Scope, fail_fast: bool = False) -> Tally:
    """The model's contracts on their finite domains (``conformance.prove.checks.contract_domains``)."""
    tally = Tally(fail_fast=fail_fast)
    for name, (func, domain, _) in checks.contract_domains(scope.segment_ops, scope.verdicts).items():
        key = (f"contract {name}", "all")
        start = time.perf_counter()
        for order, args in enumerate(domain()):
            failed = checks.contract_holds(func, args)
            if failed == "excluded":
                continue
            tally.cases[key] += 1
            if failed is not None:
                tally.fail(key, (order,), f"{failed!r} fails for {args!r}")
        tally.seconds[key] += time.perf_counter() - start
    return tally


def _tasks(scope: Scope) -> Iterator[tuple[str, int, int, int]]:
    for index, family in enumerate(scope.families):
        count = sum(1 for _ in worlds(family))
        for first in range(0, count, CHUNK):
            yield scope.name, index, first, min(first + CHUNK, count)


def prove(scope: Scope, jobs: int, *, fail_fast: bool = False) -> tuple[Tally, float]:
    """Every case of ``scope`` on ``jobs`` processes: the tally and the wall time. With
    ``fail_fast`` (one process only), raise ``LawFailed`` at the first failing case instead."""
    start = time.monotonic()
    tally = run_contracts(scope, fail_fast)
    tasks = list(_tasks(scope))
    if jobs <= 1 or fail_fast:
        for task in tasks:
            tally.add(run_task(*task, fail_fast=fail_fast))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for part in pool.map(run_task, *zip(*tasks, strict=True)):
                tally.add(part)
    return tally, time.monotonic() - start


#: The order laws are reported in.
LAWS = (
    "impl-equals-model",
    "rfc-versions-differ-only-in-upd",
    "batch-refines",
    "mark-transitions",
    "rfc-hides-native-errors",
)


def _keys(tally: Tally) -> list[Key]:
    def order(key: Key) -> tuple[int, str, str]:
        law, profile = key
        return (LAWS.index(law) if law in LAWS else len(LAWS), law, profile)

    return sorted(tally.cases, key=order)


def render(scope: Scope, tally: Tally, wall: float, jobs: int) -> list[str]:
    """The report's lines (Markdown, readable as plain text)."""
    lines = [f"# prove: scope {scope.name}", ""]
    for key in _keys(tally):
        law, profile = key
        n, spent = tally.cases[key], tally.seconds[key]
        if key in tally.failures:
            lines.append(
                f"- FAILS: {law} [{profile}]: counterexample (minimal in scope {scope.name}): {tally.failures[key][1]}"
            )
        else:
            lines.append(f"- {law} [{profile}]: holds for all {n} cases within scope {scope.name} ({spent:.1f} s)")
    lines += ["", f"Scope {scope.name}:", ""]
    lines += [f"- {describe(family)}" for family in scope.families]
    for name, (_, _, words) in checks.contract_domains(scope.segment_ops, scope.verdicts).items():
        lines.append(f"- contract {name}: {words}")
    lines += [
        "",
        f"{sum(tally.cases.values())} cases, {len(tally.failures)} failing laws; {wall:.0f} s wall on {jobs} processes"
        " (per-law times are summed over the processes).",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance prove [--scope small|published] [--jobs N] [--report FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m conformance prove", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args.scope, args.jobs, args.report)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``prove`` (shared with ``conformance.cli``)."""
    parser.add_argument("--scope", default="small", choices=sorted(SCOPES), help="which scope (default: small)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: every core)")
    parser.add_argument("--report", help="also write the report (Markdown) to this file")


def run(scope_name: str, jobs: int, report: str | None) -> int:
    """Prove every law within the named scope; print (and optionally write) the report."""
    scope = SCOPES[scope_name]
    print(f"prove: scope {scope.name}, {jobs} processes", flush=True)
    tally, wall = prove(scope, max(1, jobs))
    lines = render(scope, tally, wall, max(1, jobs))
    print("\n".join(lines[2:]))
    if report:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        Path(report).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"report written to {report}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
