"""Replaying the committed layer vectors against a built C harness (``python -m conformance ovs replay``).

Purpose: the first check of a tree: every vector of ``conformance/vectors/layer-<profile>.jsonl`` is
sent to the harness and its answer compared with the vector's expected result. Each vector ends in
exactly one of five verdicts:

- *agree*: the answer is the expected result (compared as JSON, as ``check --external`` compares);
- *disagree*: it is not (the fields that differ are reported);
- *crashed*: the C code under test crashed, failed or hung on a vector whose result is defined (the
  harness answers that as an error naming the signal and the step; should the harness process itself
  die, the vector is reported, the harness restarted, and the replay goes on);
- *undefined*: the expected result holds the key ``"undefined"`` (the model says the RFC code has no
  defined behaviour there, e.g. a NULL connection it dereferences): skipped, whatever the harness did.
  Unlike ``check --external``, the replay still sends these (the harness runs every scenario in a
  process of its own), so that its summary can say how often the C code crashed on them;
- *unsupported*: the scenario uses one of the project's extensions to the protocol and the harness
  answered ``unsupported by the C harness: ...``: skipped. (An extension-free scenario answered so is
  a disagreement: the harness must run every portable scenario.)

Promises: ``replay`` raises nothing for what the harness does to one vector (only ``HarnessBroken``
when it cannot be run at all: missing, or dying on every vector); ``main`` prints one line per
vector that disagrees or crashed, then a summary line (with the skipped vectors counted), and
returns 0 when every vector not skipped agrees, 1 otherwise, 2 when the harness cannot be run. The
harness is stopped, with every process it started, whatever happens.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import vectors
from conformance.external import Program, ProgramFailed, command_line
from conformance.external.report import agree, differing_fields
from conformance.scenario import uses_extensions
from model.vocab import Profile

JSON = Any
UNSUPPORTED = "unsupported by the C harness"
#: How the harness reports the code under test crashing, failing or hanging (see the C file).
CRASH_PREFIXES = ("the C code under test", "the harness's child")
#: The harness process dying on this many vectors in a row (not counting undefined ones) means it
#: cannot run at all.
MAX_DEATHS_IN_A_ROW = 5


class HarnessBroken(RuntimeError):
    """The harness cannot be run (missing, not executable, or dying on every vector)."""


@dataclass(slots=True)
class Verdict:
    """What became of one vector."""

    id: JSON
    kind: str  # "agree", "disagree", "crashed", "undefined" or "unsupported"
    detail: list[str] = field(default_factory=list)
    answer: dict[str, JSON] | None = None  # the harness's (None when its process died)


@dataclass(slots=True)
class ReplayReport:
    """Every vector's verdict, in file order."""

    profile: Profile
    verdicts: list[Verdict] = field(default_factory=list)

    def of(self, kind: str) -> list[Verdict]:
        """The verdicts of one kind."""
        return [v for v in self.verdicts if v.kind == kind]

    @property
    def ok(self) -> bool:
        """Whether every vector that is not skipped agrees."""
        return not self.of("disagree") and not self.of("crashed")

    def summary(self) -> str:
        """One line: how many vectors agree, and what was skipped."""
        agree, undefined, unsupported = self.of("agree"), self.of("undefined"), self.of("unsupported")
        checked = len(self.verdicts) - len(undefined) - len(unsupported)
        line = f"{self.profile.value}: {len(agree)} of {checked} vectors agree"
        if self.of("disagree"):
            line += f", {len(self.of('disagree'))} disagree"
        if self.of("crashed"):
            line += f", {len(self.of('crashed'))} crashed the C code"
        crashed_too = sum(1 for v in undefined if v.detail)
        line += f"; skipped: {len(undefined)} undefined behaviour in the RFC code"
        if undefined:
            line += f" (the C code crashed on {crashed_too})"
        ids = ", ".join(str(v.id) for v in unsupported)
        line += f", {len(unsupported)} unsupported by the C harness" + (f" ({ids})" if ids else "")
        return line


def _is_crash(answer: dict[str, JSON]) -> bool:
    error = answer.get("error")
    return isinstance(error, str) and error.startswith(CRASH_PREFIXES)


def _verdict(case: dict[str, JSON], answer: dict[str, JSON] | None, died: str | None) -> Verdict:
    """The verdict of one vector given the harness's answer (None when the harness died: ``died``)."""
    scenario, expect = case["scenario"], case["expect"]
    ident = scenario.get("id")
    if "undefined" in expect:
        crashed = died is not None or (answer is not None and _is_crash(answer))
        return Verdict(ident, "undefined", ["crashed"] if crashed else [], answer)
    if answer is None:
        return Verdict(ident, "crashed", [f"the harness process died: {died}; restarted it"])
    if agree(expect, answer):
        return Verdict(ident, "agree", [], answer)
    if _is_crash(answer):
        return Verdict(ident, "crashed", [str(answer["error"])], answer)
    error = answer.get("error")
    if isinstance(error, str) and error.startswith(UNSUPPORTED) and uses_extensions(scenario):
        return Verdict(ident, "unsupported", [error], answer)
    return Verdict(ident, "disagree", differing_fields(expect, answer), answer)


def check_binary(binary: Path) -> None:
    """Raise HarnessBroken unless ``binary`` is an executable file."""
    if not binary.is_file():
        raise HarnessBroken(
            f"no harness at {binary} (build one: python -m conformance ovs build --tree TREE --out BIN)"
        )
    if not os.access(binary, os.X_OK):
        raise HarnessBroken(f"{binary} is not executable")


def replay(
    binary: Path,
    profile: Profile,
    *,
    cases: list[dict[str, JSON]] | None = None,
    args: Sequence[str] = (),
    timeout: float = 30.0,
) -> ReplayReport:
    """Send every vector (``cases``, default the committed ``layer-<profile>.jsonl``) to ``binary``
    (run with ``args``)."""
    check_binary(binary)
    todo = vectors.load(f"layer-{profile.value}.jsonl") if cases is None else cases
    report = ReplayReport(profile)
    command = command_line([str(binary.resolve()), *args])
    harness = Program(command, timeout=timeout)
    deaths = 0
    try:
        for case in todo:
            try:
                answer: dict[str, JSON] | None = harness.ask(case["scenario"])
                died = None
                deaths = 0
            except ProgramFailed as exc:
                answer, died = None, str(exc)
                deaths += "undefined" not in case["expect"]
                harness.close()
                if deaths >= MAX_DEATHS_IN_A_ROW:
                    raise HarnessBroken(f"the harness died on {deaths} vectors in a row; the last time: {exc}") from exc
                harness = Program(command, timeout=timeout)
            report.verdicts.append(_verdict(case, answer, died))
    finally:
        harness.close()
    return report


def main(binary: Path, profile: Profile, *, timeout: float = 30.0, out: Callable[[str], None] = print) -> int:
    """The ``ovs replay`` command: 0 when every vector not skipped agrees, 1 if not, 2 if the harness cannot run."""
    try:
        report = replay(binary, profile, timeout=timeout)
    except HarnessBroken as exc:
        out(f"error: {exc}")
        return 2
    for verdict in report.verdicts:
        if verdict.kind in ("disagree", "crashed"):
            out(f"  {json.dumps(verdict.id)} {verdict.kind}: " + "; ".join(verdict.detail))
    out(report.summary())
    return 0 if report.ok else 1


__all__ = ["HarnessBroken", "ReplayReport", "Verdict", "check_binary", "main", "replay"]
