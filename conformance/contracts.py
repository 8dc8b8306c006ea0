"""Running CrossHair over the contracts and reporting, per condition, what it explored.

Purpose: ``python -m conformance contracts`` (the ``nox -s contracts`` session). A contract is a
function whose docstring holds PEP 316 ``post:`` conditions: every such function of the model, and
the contracts that relate impl to the model (``conformance.contracts_impl``). Each condition is
checked by CrossHair in its own process (``conformance.contracts_worker``) until it has explored
every path or spent its budget, a number of paths (the function's ``# crosshair: max_iterations=N``
directive, else ``DEFAULT_ITERATIONS``) -- not a time, so the verdict does not depend on machine
load. A condition is reported as confirmed (every path explored), not confirmed (the budget ran out
first: evidence, not proof) or refuted (with the counterexample), with the paths explored.

Two kinds of contract are not checked in place, and the report says so for each of their conditions:

- ``SCOPED``: a contract over inputs of any size (a tuple of any length) is checked under an added
  precondition that bounds them, named in the report's scope column; ``prove`` checks it further;
- ``RESTATED``: a contract whose inputs CrossHair cannot exhaust at any useful size (symbolic
  ``BatchOp`` values) is checked through its restatement over builtin values in ``model.laws``
  (itself a contract here) and by ``python -m conformance prove`` on a larger scope.

Safety nets that should never bind: ``PATH_LIMIT`` CPU seconds per path and ``CONDITION_LIMIT``
per condition (CrossHair's own clocks are process CPU time); a condition stopped by one is reported
not confirmed, never confirmed.

Promises: exit status 0 when nothing is refuted or not confirmed, 1 when a condition is refuted or
not confirmed, 2 when CrossHair itself fails; the report lists every condition, whatever its status.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import model
from conformance import contracts_impl

#: Paths a condition may explore when its function names no budget.
DEFAULT_ITERATIONS = 2000
#: CPU seconds one path may take, and one condition, before CrossHair gives up (safety nets).
PATH_LIMIT = 60.0
CONDITION_LIMIT = 1800.0
_DIRECTIVE = re.compile(r"#\s*crosshair:\s*max_iterations=(\d+)")

#: Contracts checked under an added precondition (their inputs have no size bound of their own).
SCOPED: dict[str, tuple[str, ...]] = {
    "model.verdict.combine_any": ("len(errors) <= 6",),
    "model.verdict.combine_all": ("len(errors) <= 6",),
}
#: Contracts checked through a restatement, and where the rest of their scope is proven.
RESTATED: dict[str, str] = {
    "model.strict_batch.segments": (
        "restated as model.laws.check_segments (batches of up to 2 ops, every type value, connections"
        " 0, 1 and NULL); prove: every batch of up to 4 ops"
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """One function with conditions, and how it is checked."""

    target: str
    iterations: int
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """The status of one condition, and what CrossHair explored for it."""

    target: str
    condition: str
    status: str
    detail: str = ""
    scope: str = ""
    paths: int = 0
    exhausted: bool = False
    iterations: int = 0
    seconds: float = 0.0


def _functions(module: object) -> Iterator[tuple[str, object]]:
    name = getattr(module, "__name__", "")
    for attr, func in inspect.getmembers(module, inspect.isfunction):
        if func.__module__ == name and "post:" in (func.__doc__ or ""):
            yield f"{name}.{attr}", func


def _budget(func: object) -> int:
    found = _DIRECTIVE.search(inspect.getsource(func))  # type: ignore[arg-type]
    return int(found.group(1)) if found else DEFAULT_ITERATIONS


def contracts() -> Iterator[Contract]:
    """Every contract checked in place: the model's, in module order, then impl against the model."""
    modules = [
        importlib.import_module(f"model.{info.name}")
        for info in sorted(pkgutil.iter_modules(model.__path__), key=lambda m: m.name)
    ]
    for module in [*modules, contracts_impl]:
        for target, func in _functions(module):
            if target not in RESTATED:
                yield Contract(target=target, iterations=_budget(func), scope=SCOPED.get(target, ()))


def restated() -> Iterator[Finding]:
    """One finding per condition of each ``RESTATED`` contract, naming where it is checked."""
    for target, where in RESTATED.items():
        module, _, name = target.rpartition(".")
        func = getattr(importlib.import_module(module), name)
        for line in (func.__doc__ or "").splitlines():
            if line.strip().startswith("post:"):
                yield Finding(target=target, condition=line.strip(), status="restated", detail=where)


def check(contract: Contract) -> list[Finding]:
    """Run CrossHair on one contract (in its own process); one Finding per condition."""
    start = time.monotonic()
    cmd = [
        sys.executable,
        "-m",
        "conformance.contracts_worker",
        contract.target,
        "--max-iterations",
        str(contract.iterations),
        "--per-path-timeout",
        str(PATH_LIMIT),
        "--per-condition-timeout",
        str(CONDITION_LIMIT),
        *(arg for pre in contract.scope for arg in ("--pre", pre)),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    findings: list[Finding] = []
    for raw in done.stdout.splitlines():
        if not raw.startswith("{"):
            continue
        row = json.loads(raw)
        findings.append(
            Finding(
                target=contract.target,
                condition=f"post: {row['condition']}",
                status=row["status"],
                detail=row["detail"],
                scope=" and ".join(contract.scope),
                paths=row["paths"],
                exhausted=row["exhausted"],
                iterations=contract.iterations,
                seconds=row["seconds"],
            )
        )
    if done.returncode != 0 or not findings:
        why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        findings.append(
            Finding(
                target=contract.target,
                condition="(crosshair run)",
                status="error",
                detail=why[0],
                seconds=time.monotonic() - start,
            )
        )
    return findings


STATUSES = ("confirmed", "not confirmed", "refuted", "error", "restated")


def report(findings: list[Finding]) -> str:
    """The markdown report."""
    counts = {s: sum(f.status == s for f in findings) for s in STATUSES}
    lines = [
        "# CrossHair contracts: the model's, and impl against the model",
        "",
        "Confirmed: CrossHair explored every path (exhausted). Not confirmed: the budget of paths ran out first"
        " (evidence, not proof). Refuted: a counterexample, shown. Restated: checked through a restatement, named.",
        f"Budgets are counts of paths (`# crosshair: max_iterations=N`, default {DEFAULT_ITERATIONS}), so a verdict"
        f" does not depend on machine load; safety nets of {PATH_LIMIT:g} CPU s per path and {CONDITION_LIMIT:g}"
        " CPU s per condition never bind in a confirmed run.",
        "",
        "| contract | condition | scope | status | paths explored | exhausted | budget (paths) | CPU s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in findings:
        if f.status == "restated":
            continue
        status = f.status + (f": {f.detail}" if f.detail and f.status != "confirmed" else "")
        scope = f"`{f.scope}`" if f.scope else "as stated"
        lines.append(
            f"| `{f.target}` | `{f.condition}` | {scope} | {status} | {f.paths} | {'yes' if f.exhausted else 'no'}"
            f" | {f.iterations} | {f.seconds:.1f} |"
        )
    moved = [f for f in findings if f.status == "restated"]
    if moved:
        lines += ["", "Checked through a restatement:", "", "| contract | condition | where |", "|---|---|---|"]
        lines += [f"| `{f.target}` | `{f.condition}` | {f.detail} |" for f in moved]
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items())]
    return "\n".join(lines) + "\n"


def main(report_path: str | None, jobs: int = 2) -> int:
    """Check every contract (``jobs`` at a time), print and optionally write the report."""
    if importlib.util.find_spec("crosshair") is None:
        print("contracts: needs CrossHair ('pip install crosshair-tool', or run 'python3 -m nox -s contracts')")
        return 2
    todo = sorted(contracts(), key=lambda c: -c.iterations)
    print(f"checking {len(todo)} contracts with CrossHair, {jobs} at a time", flush=True)
    findings: list[Finding] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(check, todo):
            for f in result:
                explored = f"{f.paths} paths{', exhausted' if f.exhausted else ''}"
                print(f"  {f.status:>13}  {f.target}: {f.condition} ({explored}) {f.detail}".rstrip(), flush=True)
            findings.extend(result)
    findings.sort(key=lambda f: f.target)
    findings.extend(restated())
    text = report(findings)
    if report_path:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(text)
        print(f"report written to {report_path}")
    print(text.splitlines()[-1])
    if any(f.status == "error" for f in findings):
        return 2
    return 1 if any(f.status in ("refuted", "not confirmed") for f in findings) else 0
