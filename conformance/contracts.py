"""Running CrossHair over the model's contracts and reporting each one honestly.

Purpose: ``python -m conformance contracts`` (the ``nox -s contracts`` session). Every model
function whose docstring holds a PEP 316 ``post:`` condition is a contract; each is checked by
``crosshair check`` within the time limit its ``# crosshair: per_condition_timeout=N`` directive
sets, and every condition is reported as confirmed (over all paths), not confirmed (no
counterexample found within the limit: evidence, not proof) or refuted (with the counterexample).

Promises: exit status 0 when nothing is refuted, 1 when a condition is refuted, 2 when CrossHair
itself fails; the report lists every condition, whatever its status.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
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

DEFAULT_LIMIT = 20
_DIRECTIVE = re.compile(r"#\s*crosshair:\s*per_condition_timeout=(\d+)")
_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<level>info|error): (?P<message>.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """One function with conditions."""

    target: str
    path: str
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """The status of one condition."""

    target: str
    condition: str
    status: str
    detail: str
    limit: int
    seconds: float


def contracts() -> Iterator[Contract]:
    """Every model function with a ``post:`` condition, in module order."""
    for info in sorted(pkgutil.iter_modules(model.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"model.{info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ != module.__name__ or "post:" not in (func.__doc__ or ""):
                continue
            found = _DIRECTIVE.search(inspect.getsource(func))
            limit = int(found.group(1)) if found else DEFAULT_LIMIT
            yield Contract(target=f"{module.__name__}.{name}", path=inspect.getfile(func), limit=limit)


def _condition_at(path: str, line: int) -> str:
    text = Path(path).read_text().splitlines()[line - 1].strip()
    return text


def check(contract: Contract) -> list[Finding]:
    """Run CrossHair on one contract; one Finding per condition it reports."""
    start = time.monotonic()
    cmd = [sys.executable, "-m", "crosshair", "check", "--report_all", contract.target]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=contract.limit * 20 + 120)
    seconds = time.monotonic() - start
    findings = []
    for raw in done.stdout.splitlines():
        match = _LINE.match(raw)
        if not match:
            continue
        message = match["message"]
        if match["level"] == "error":
            status = "refuted"
        elif message.startswith("Confirmed"):
            status = "confirmed"
        else:
            status = "not confirmed"
        condition = _condition_at(match["path"], int(match["line"]))
        detail = message if status == "refuted" else ""
        findings.append(
            Finding(
                target=contract.target,
                condition=condition,
                status=status,
                detail=detail,
                limit=contract.limit,
                seconds=seconds,
            )
        )
    if done.returncode not in (0, 1) or (done.returncode == 1 and not any(f.status == "refuted" for f in findings)):
        why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        findings.append(
            Finding(
                target=contract.target,
                condition="(crosshair run)",
                status="error",
                detail=why[0],
                limit=contract.limit,
                seconds=seconds,
            )
        )
    return findings


def report(findings: list[Finding]) -> str:
    """The markdown report."""
    counts = {s: sum(f.status == s for f in findings) for s in ("confirmed", "not confirmed", "refuted", "error")}
    lines = [
        "# CrossHair contracts of the model",
        "",
        "Confirmed: CrossHair explored every path. Not confirmed: no counterexample within the time limit"
        " (evidence, not proof). Refuted: a counterexample, shown.",
        "",
        "| contract | condition | status | limit (s/condition) | wall time (s) |",
        "|---|---|---|---|---|",
    ]
    for f in findings:
        status = f.status + (f": {f.detail}" if f.detail else "")
        lines.append(f"| `{f.target}` | `{f.condition}` | {status} | {f.limit} | {f.seconds:.0f} |")
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items())]
    return "\n".join(lines) + "\n"


def main(report_path: str | None, jobs: int = 2) -> int:
    """Check every contract (``jobs`` at a time), print and optionally write the report."""
    if importlib.util.find_spec("crosshair") is None:
        print("contracts: needs CrossHair ('pip install crosshair-tool', or run 'python3 -m nox -s contracts')")
        return 2
    todo = list(contracts())
    print(f"checking {len(todo)} contracts with CrossHair, {jobs} at a time", flush=True)
    findings: list[Finding] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(check, todo):
            for f in result:
                print(f"  {f.status:>13}  {f.target}: {f.condition} {f.detail}".rstrip(), flush=True)
            findings.extend(result)
    text = report(findings)
    if report_path:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(text)
        print(f"report written to {report_path}")
    print(text.splitlines()[-1])
    if any(f.status == "error" for f in findings):
        return 2
    return 1 if any(f.status == "refuted" for f in findings) else 0
