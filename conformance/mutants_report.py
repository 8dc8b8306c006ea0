"""The report of a mutation run (``nox -s mutants``): mutmut's results as reports/mutants.md.

Purpose: mutmut 3 (configured in pyproject.toml's ``[tool.mutmut]``) mutates impl's dispatch, batch
and mark code into ``mutants/`` and records every mutant's verdict in ``mutants/**/*.py.meta``. This
module reads those files, counts the verdicts, computes the mutation score and lists every mutant
the tests did not kill, each with its place in the original source (file:line, function) and its
diff (from ``mutmut show``), then writes the Markdown report and prints the score.
``python -m conformance.mutants_report --report reports/mutants.md --min-score 90``.

Promises:

- the score is mutmut's own: (killed + timed out) / (all mutants - skipped), in percent; a mutant
  whose function no selected test calls ("no tests") counts as not killed; survivors judged equivalent
  (``conformance.mutants_equivalent``) are marked with the reason and still count as not killed,
  the report giving the score over the other mutants beside the real one;
- every mutant that counts as not killed (survived, no tests, suspicious, segfault) is
  listed, and so is every timed-out one (it counts as killed, but a loaded machine can cause one);
  mutants a stopped run never checked are counted (they too count as not killed), not listed;
- the exit status is 0 when the score reaches ``--min-score``, 1 when it does not, 2 when there are no
  results to report (no run, or an interrupted one that checked nothing); the report is written
  whenever there are results;
- nothing here runs a test or changes ``mutants/``; without mutmut installed the diffs read
  "unavailable" and the rest of the report is unchanged.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from conformance.mutants_equivalent import EQUIVALENT

ROOT = Path(__file__).resolve().parents[1]

#: mutmut 3's verdict for each exit code of a mutant's test run (``mutmut.stats.status_by_exit_code``);
#: any other code is "suspicious", as there.
STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    2: "interrupted",
    None: "not checked",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
}
#: The verdicts in the order the report gives them.
STATUSES = (
    "killed",
    "timeout",
    "caught by type check",
    "survived",
    "no tests",
    "suspicious",
    "segfault",
    "interrupted",
    "not checked",
    "skipped",
)
#: Verdicts that count as detected by the tests (the score's numerator).
DETECTED = frozenset({"killed", "timeout"})
#: Verdicts left out of the score's denominator.
EXCLUDED = frozenset({"skipped"})
#: Mutmut's separator between class and method in a mangled name (``xǁClassǁmethod``).
CLASS_SEPARATOR = "ǁ"
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name for it, its verdict and its run time (None if not run)."""

    name: str
    status: str
    seconds: float | None

    @property
    def module(self) -> str:
        """The mutated module (``impl.strict_rules``)."""
        return self.name.rpartition(".")[0]

    @property
    def path(self) -> str:
        """The mutated file, relative to the project root."""
        return self.module.replace(".", "/") + ".py"

    @property
    def function(self) -> str:
        """The mutated function as ``Class.method`` or ``function``."""
        mangled = self.name.rpartition(".")[2].rpartition("__mutmut_")[0]
        if mangled.startswith("x" + CLASS_SEPARATOR):
            _, cls, method = mangled.split(CLASS_SEPARATOR, 2)
            return f"{cls}.{method}"
        return mangled.removeprefix("x_")


@dataclass(frozen=True)
class Summary:
    """The counts of one run."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Every mutant, whatever its verdict."""
        return sum(self.counts.values())

    @property
    def detected(self) -> int:
        """Mutants the tests detected (killed or timed out)."""
        return sum(self.counts.get(status, 0) for status in DETECTED)

    @property
    def scored(self) -> int:
        """The score's denominator: every mutant but the skipped ones."""
        return self.total - sum(self.counts.get(status, 0) for status in EXCLUDED)

    @property
    def checked(self) -> int:
        """Mutants that have a verdict."""
        return self.total - self.counts.get("not checked", 0)

    @property
    def score(self) -> float:
        """The mutation score in percent (0 when there is nothing to score)."""
        return 100.0 * self.detected / self.scored if self.scored else 0.0


def load(mutants_dir: Path) -> list[Mutant]:
    """Every mutant recorded under ``mutants_dir`` (its ``*.py.meta`` files), sorted by name."""
    found: list[Mutant] = []
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data.get("exit_code_by_key", {}) if isinstance(data, dict) else {}
        durations = data.get("durations_by_key", {}) if isinstance(data, dict) else {}
        for name, code in codes.items():
            status = STATUS_BY_EXIT_CODE.get(code, "suspicious") if code is None or isinstance(code, int) else "?"
            seconds = durations.get(name)
            found.append(Mutant(str(name), status, float(seconds) if isinstance(seconds, int | float) else None))
    return sorted(found, key=lambda m: (m.path, _number(m.name)))


def _number(name: str) -> tuple[str, int]:
    head, _, tail = name.rpartition("__mutmut_")
    return (head, int(tail) if tail.isdigit() else 0)


def summarise(mutants: Sequence[Mutant]) -> Summary:
    """The verdict counts of ``mutants``."""
    return Summary(dict(Counter(m.status for m in mutants)))


def mutmut_diff(name: str, cwd: Path = ROOT) -> str | None:
    """``mutmut show NAME`` without its heading line, or None if mutmut cannot show it."""
    try:
        shown = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = shown.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("---")), None)
    if shown.returncode != 0 or start is None:
        return None
    return "\n".join(lines[start:])


def changed_lines(diff: str) -> tuple[int | None, list[str]]:
    """The first removed line's number within the diffed function (1-based) and the -/+ lines."""
    first: int | None = None
    old = 0
    changes: list[str] = []
    for line in diff.splitlines():
        hunk = _HUNK.match(line)
        if hunk:
            old = int(hunk.group(1))
            continue
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            first = old if first is None else first
            changes.append(line)
            old += 1
        elif line.startswith("+"):
            changes.append(line)
        else:
            old += 1
    return first, changes


def function_span(source: str, qualname: str) -> tuple[int, int] | None:
    """The first and last line of ``function`` or ``Class.method`` at the top level of ``source``."""
    body: list[ast.stmt] = ast.parse(source).body
    *outer, name = qualname.split(".")
    for cls_name in outer:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == cls_name), None)
        if cls is None:
            return None
        body = cls.body
    fn = next((n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name), None)
    if fn is None:
        return None
    first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
    return first, fn.end_lineno or fn.lineno


def source_line(mutant: Mutant, diff: str | None, root: Path = ROOT) -> int | None:
    """The line of the original file that the mutant changes (None if it cannot be placed)."""
    path = root / mutant.path
    if diff is None or not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")
    span = function_span(source, mutant.function)
    if span is None:
        return None
    offset, changes = changed_lines(diff)
    removed = next((line[1:].strip() for line in changes if line.startswith("-")), None)
    lines = source.splitlines()
    candidates = range(span[0], span[1] + 1)
    if removed is not None:
        matching = [n for n in candidates if lines[n - 1].strip() == removed]
        if matching:
            # The function's own line number is the best guess; the nearest match to it wins.
            guess = span[0] + (offset or 1) - 1
            return min(matching, key=lambda n: abs(n - guess))
    return span[0] + offset - 1 if offset is not None else span[0]


def judgement(mutant: Mutant, diff: str | None) -> str | None:
    """Why ``mutant`` is equivalent, if ``conformance.mutants_equivalent`` records its mutated line
    (for a mutant that only deletes lines: its first deleted line, prefixed with ``-``)."""
    if diff is None:
        return None
    changes = changed_lines(diff)[1]
    added = next((line[1:].strip() for line in changes if line.startswith("+")), None)
    if added is None:
        added = next(("-" + line[1:].strip() for line in changes if line.startswith("-")), None)
    return None if added is None else EQUIVALENT.get((mutant.path, mutant.function, added))


def diffs(names: Sequence[str], workers: int = 2, root: Path = ROOT) -> dict[str, str | None]:
    """``mutmut_diff`` of each name, run in ``root`` (a few at a time: each is a Python start-up)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(names, pool.map(lambda name: mutmut_diff(name, root), names), strict=True))


def render(
    mutants: Sequence[Mutant],
    shown: dict[str, str | None],
    min_score: float,
    *,
    title: str = "Mutation testing of impl's dispatch, batch and mark code",
    session: str = "mutants",
    root: Path = ROOT,
) -> str:
    """The Markdown report (``session`` names the nox session, ``root`` the tree the mutants came from)."""
    summary = summarise(mutants)
    run_time = sum(m.seconds or 0.0 for m in mutants)
    survivors = [m for m in mutants if m.status not in DETECTED and m.status not in EXCLUDED]
    equivalent = sum(judgement(m, shown.get(m.name)) is not None for m in survivors)
    rest = summary.scored - equivalent
    rest_score = 100.0 * summary.detected / rest if rest else 0.0
    lines = [
        f"# {title}",
        "",
        f"`nox -s {session}`: mutmut mutates the files of `[tool.mutmut] only_mutate` and runs, for",
        "each mutant, the tests of `pytest_add_cli_args_test_selection` that call the mutated function (Hypothesis",
        "profile `mutants`: the ci examples, no shrinking), stopping at the first failure.",
        "",
        f"**Mutation score: {summary.score:.1f}%** ({summary.detected} of {summary.scored} mutants detected;"
        f" threshold {min_score:g}%: {'met' if summary.score >= min_score else 'NOT met'}).",
        "The score is (killed + timed out) / (all - skipped); a mutant no selected test reaches counts as not killed.",
        f"Of the {len(survivors)} not killed, {equivalent} are judged equivalent (conformance/mutants_equivalent.py,"
        f" reasons below); over the other {rest} mutants the score is {rest_score:.1f}%.",
        "",
        "| verdict | mutants |",
        "|---|---|",
    ]
    lines += [f"| {status} | {summary.counts[status]} |" for status in STATUSES if summary.counts.get(status)]
    lines += [
        f"| **total** | **{summary.total}** |",
        "",
        f"Checked {summary.checked} of {summary.total}; the mutants' test runs took {run_time:.0f} s in all.",
        "",
    ]
    by_file = Counter(m.path for m in mutants)
    detected_by_file = Counter(m.path for m in mutants if m.status in DETECTED)
    lines += ["| file | mutants | detected | score |", "|---|---|---|---|"]
    for path in sorted(by_file):
        share = 100.0 * detected_by_file[path] / by_file[path]
        lines.append(f"| `{path}` | {by_file[path]} | {detected_by_file[path]} | {share:.1f}% |")
    lines.append("")
    unchecked = summary.counts.get("not checked", 0)
    if unchecked:
        lines += [
            f"**The run was stopped before it checked {unchecked} mutants** (listed by count only, per file above);"
            " they count as not killed.",
            "",
        ]
    sections: tuple[tuple[str, Callable[[str], bool]], ...] = (
        ("Not killed", lambda s: s not in DETECTED and s not in EXCLUDED and s != "not checked"),
        ("Timed out (counted as killed)", lambda s: s == "timeout"),
    )
    for heading, wanted in sections:
        listed = [m for m in mutants if wanted(m.status)]
        lines += [f"## {heading}: {len(listed)}", ""]
        if not listed:
            lines += ["None.", ""]
        for mutant in listed:
            diff = shown.get(mutant.name)
            line = source_line(mutant, diff, root)
            where = f"{mutant.path}:{line}" if line is not None else mutant.path
            lines.append(f"- `{where}` `{mutant.function}` ({mutant.status}), `{mutant.name}`")
            reason = judgement(mutant, diff)
            if reason is not None and mutant.status not in DETECTED:
                lines.append(f"  judged equivalent: {reason}")
            changes = changed_lines(diff)[1] if diff is not None else []
            if changes:
                lines += ["  ```diff", *(f"  {change}" for change in changes), "  ```"]
            else:
                lines.append("  (diff unavailable)")
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report, print the score; the exit status says whether the threshold is met."""
    parser = argparse.ArgumentParser(prog="python -m conformance.mutants_report", description=__doc__.split("\n")[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's directory (mutants)")
    parser.add_argument("--report", type=Path, default=Path("reports/mutants.md"), help="where to write the report")
    parser.add_argument("--min-score", type=float, default=90.0, help="the lowest passing score, in percent")
    parser.add_argument("--root", type=Path, default=ROOT, help="the tree mutmut ran in (default: this checkout)")
    parser.add_argument("--title", default="Mutation testing of impl's dispatch, batch and mark code")
    parser.add_argument("--session", default="mutants", help="the nox session the report names (default: mutants)")
    args = parser.parse_args(argv)
    mutants = load(args.root / args.mutants)
    summary = summarise(mutants)
    if not mutants or not summary.checked:
        print(f"mutants_report: no mutation results under {args.mutants} (run mutmut first)", file=sys.stderr)
        return 2
    listed = [
        m.name for m in mutants if m.status != "not checked" and (m.status not in DETECTED or m.status == "timeout")
    ]
    shown = diffs(listed, root=args.root)
    report = render(mutants, shown, args.min_score, title=args.title, session=args.session, root=args.root)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report, encoding="utf-8")
    counts = ", ".join(f"{summary.counts[s]} {s}" for s in STATUSES if summary.counts.get(s))
    print(f"mutation score: {summary.score:.1f}% ({summary.detected}/{summary.scored} detected; {counts})")
    print(f"report: {args.report}")
    if summary.score < args.min_score:
        print(f"mutation score {summary.score:.1f}% is below the threshold of {args.min_score:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
