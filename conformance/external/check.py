"""The ``check --external`` command: replay the vectors, generate scenarios, shrink, report.

Purpose: ``run`` checks a program that speaks the scenario protocol (or, with ``tracker``, the
tracker scenario protocol) against the model. It starts the program once (``process.Program``),
replays the committed vectors through it, then sends ``count`` generated scenarios (``generate``;
for the tracker protocol Hypothesis draws them), comparing every answer with the model's
(``report.agree``; tracker answers with ``tracker_scenario.tracker_agrees``, under which a flush's
provider calls may come in any order, as OVS flushes in hash-map order). Vectors and generated
scenarios are sent up to ``WINDOW`` ahead of the answers read, so the program and the model work at
the same time. The first generated disagreement, or else the smallest disagreeing vector, is cut
down by ``shrink.minimise`` (after Hypothesis's own shrinking, for the tracker protocol) and printed
with the fields that differ.

Promises:
- exit status 0 when nothing disagrees; 1 when something does: the 1-minimal scenario is printed
  with the fields that differ, and the ids of every disagreeing vector are listed; 2 when the
  program is broken (crash, exit, garbage, timeout, wrong id...): one line saying what it did and
  on which scenario, then the tail of its stderr. Never a traceback caused by the program.
- A program failure ends the run at once: it is never shrunk and nothing is retried after it
  (Hypothesis, for the tracker protocol, is stopped by an exception it does not catch).
- The program is never sent a scenario the model leaves undefined (an ``undefined`` key in the
  model's answer, as the rfc profiles do for a NULL connection in ADD, DEL or EST): such
  scenarios are counted and reported as skipped. A scenario the model refuses as malformed is
  not sent either (a vector expecting an error is: any error answer agrees).
- The same ``seed`` sends the same scenarios in the same order to a program that answers the
  same; without one, a seed is drawn and printed, so every run can be repeated.
- Each scenario is sent at most once (answers are remembered by content) with a fresh ``id``;
  the report counts what was sent: vectors, generated scenarios, scenarios tried while shrinking.
- The program is stopped, with every process of its group, whatever happens.
"""

from __future__ import annotations

import collections
import itertools
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from conformance import vectors
from conformance.external import report
from conformance.external.generate import layer_scenarios, search, tracker_scenario
from conformance.external.process import Program, ProgramFailed
from conformance.external.report import agree, canonical, counted, differing_fields
from conformance.external.shrink import minimise
from conformance.model_target import ModelRunner
from conformance.outcome import encode, run_scenario
from conformance.scenario import ScenarioError, parse_scenario, scenario_id, uses_extensions
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker_spans, tracker_agrees
from conformance.tracker_targets import model_tracker
from model.ops import Call, LayerOp, Result
from model.step import step
from model.vocab import Profile

JSON = Any
Model = Callable[[dict[str, JSON]], dict[str, JSON]]
#: Whether the program's answer (third) agrees with the model's (second) for a scenario (first).
Agreement = Callable[[dict[str, JSON], dict[str, JSON], dict[str, JSON]], bool]
Visit = Callable[[int, dict[str, JSON], "Verdict"], bool]

#: Generated scenarios sent after the vectors, unless ``--count`` says otherwise.
DEFAULT_COUNT = 1000
#: Seconds the program has to answer one scenario.
DEFAULT_TIMEOUT = 20.0
#: Scenarios sent ahead of the answers read.
WINDOW = 16
_SHOWN = 4000


class _Abort(BaseException):
    """Carries a program failure out of a Hypothesis search, which does not catch BaseException."""

    def __init__(self, failure: ProgramFailed) -> None:
        super().__init__(failure.what)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class Verdict:
    """The model's answer to one scenario, the program's (None when not sent) and the judgement."""

    expected: dict[str, JSON]
    answer: dict[str, JSON] | None
    disagrees: bool


@dataclass(slots=True)
class _Entry:
    """A scenario on its way: judged (``verdict``) or sent and waiting for its answer."""

    number: int
    obj: dict[str, JSON]
    key: str
    label: str
    expected: dict[str, JSON]
    sent: dict[str, JSON] | None = None
    verdict: Verdict | None = None


class Session:
    """One program and the model, judging scenarios; remembers every verdict by content.

    ``each`` keeps up to ``WINDOW`` scenarios in the program's pipe, so that the program works
    while the checker computes the model's answers (and neither waits for the other's turn of
    the scheduler); ``judge`` sends one and waits (the shrinker, whose next question depends on
    the last answer)."""

    def __init__(self, program: Program, model: Model, agrees: Agreement | None = None) -> None:
        self.program = program
        self.model = model
        self.agrees: Agreement = agrees or (lambda _obj, expected, got: agree(expected, got))
        self.sent = 0
        self.undefined = 0
        self.refused = 0
        self.during = "before it was sent anything"
        self.last_sent: dict[str, JSON] | None = None
        self._memo: dict[str, Verdict] = {}

    def _start(self, number: int, obj: dict[str, JSON], expected: dict[str, JSON] | None, label: str) -> _Entry:
        """Judge ``obj`` from memory or the model, or send it (its ``id`` replaced by a fresh one)."""
        body = {key: value for key, value in obj.items() if key != "id"}
        key = canonical(body)
        known = self._memo.get(key)
        if known is not None:
            return _Entry(number, obj, key, label, known.expected, verdict=known)
        if expected is None:
            expected = self.model(body)
            if "error" in expected:  # not a scenario the model runs: nothing to compare
                self.refused += 1
                return self._remember(_Entry(number, obj, key, label, expected), None)
        if "undefined" in expected:  # the model prescribes nothing: not sent
            self.undefined += 1
            return self._remember(_Entry(number, obj, key, label, expected), None)
        self.sent += 1
        sent = {"id": self.sent, **body}
        self.during, self.last_sent = label, sent
        self.program.send(sent)
        return _Entry(number, obj, key, label, expected, sent=sent)

    def _finish(self, entry: _Entry) -> _Entry:
        """Wait for the answer of a sent entry and judge it."""
        if entry.verdict is None:
            self.during, self.last_sent = entry.label, entry.sent
            self._remember(entry, self.program.receive())
        return entry

    def _remember(self, entry: _Entry, answer: dict[str, JSON] | None) -> _Entry:
        disagrees = answer is not None and not self.agrees(entry.obj, entry.expected, answer)
        entry.verdict = self._memo[entry.key] = Verdict(entry.expected, answer, disagrees)
        return entry

    def each(self, items: Iterable[tuple[dict[str, JSON], dict[str, JSON] | None, str]], visit: Visit) -> None:
        """Judge ``items`` (scenario, the model's answer if known, what to call it) in order,
        calling ``visit(number, scenario, verdict)`` for each in order until it returns True; then
        no further item is taken, and those already sent are still answered (and remembered)."""
        queue: collections.deque[_Entry] = collections.deque()
        stopped = False

        def settle(drain: bool) -> None:
            nonlocal stopped
            while queue and (drain or queue[0].verdict is not None or self.program.waiting >= WINDOW):
                entry = self._finish(queue.popleft())
                assert entry.verdict is not None
                if not stopped and visit(entry.number, entry.obj, entry.verdict):
                    stopped = True

        for number, (obj, expected, label) in enumerate(items, 1):
            if stopped:
                break
            try:
                queue.append(self._start(number, obj, expected, label))
            except ProgramFailed:
                # The program broke while a scenario was being sent: on the oldest one it had not
                # answered, the answers it wrote but nobody read yet aside (else on this one).
                pending = [entry for entry in queue if entry.verdict is None]
                answered = self.program.unread_answers
                if answered < len(pending):
                    self.during, self.last_sent = pending[answered].label, pending[answered].sent
                raise
            settle(drain=False)
        settle(drain=True)

    def judge(self, obj: dict[str, JSON], label: str) -> Verdict:
        """The verdict on ``obj`` (its ``id`` aside), sending it alone if need be."""
        verdict = self._finish(self._start(0, obj, None, label)).verdict
        assert verdict is not None
        return verdict

    def fails(self, obj: dict[str, JSON]) -> bool:
        """Whether the program disagrees with the model on ``obj`` (the shrinker's judge)."""
        return self.judge(obj, "on a scenario tried while shrinking a disagreement").disagrees


class _QuietModel(ModelRunner):
    """The model target without the test suite's bookkeeping (coverage cells, op counts)."""

    def apply(self, op: LayerOp, now: int) -> tuple[Result, tuple[Call, ...]]:
        self.state, observation = step(self.state, op, now)
        return observation.result, observation.trace


def _layer_model(profile: Profile) -> Model:
    """The model's answer to a layer scenario, as ``python -m conformance scenarios`` gives it
    (without its JSON round trips: the checker compares JSON texts anyway)."""

    def answer(obj: dict[str, JSON]) -> dict[str, JSON]:
        try:
            scenario = parse_scenario(obj)
        except ScenarioError as exc:
            return {"id": scenario_id(obj), "error": str(exc)}
        runner = _QuietModel(scenario.providers, profile, private_slot=scenario.private_slot)
        return encode(run_scenario(scenario, runner))

    return answer


def _tracker_model(profile: Profile) -> Model:
    return lambda obj: vectors.tracker_result(obj, profile)


def _tracker_agreement(profile: Profile) -> Agreement:
    """Tracker answers agree as ``tracker_agrees`` says: a flush's provider calls in any order
    (TRACK-FLUSH), found by running the model on the scenario."""

    def agrees(obj: dict[str, JSON], expected: dict[str, JSON], got: dict[str, JSON]) -> bool:
        if "error" in expected:
            return "error" in got
        try:
            scenario = parse_tracker_scenario(obj)
        except ScenarioError:
            return agree(expected, got)
        _, flushes = run_tracker_spans(scenario, model_tracker(scenario, profile))
        return tracker_agrees(expected, got, flushes)

    return agrees


def _vector_line(agreeing: int, compared: int, undefined: int, bad: list[dict[str, JSON]], profile: Profile) -> str:
    line = f"vectors: {agreeing} of {compared} agree"
    if undefined:
        line += f" ({undefined} skipped: undefined in {profile.value})"
    if bad:
        line += "; disagreeing: " + ", ".join(_name(case["scenario"].get("id")) for case in bad)
    return line


def _name(ident: JSON) -> str:
    """A vector's id as the report names it (a string as it is)."""
    return ident if isinstance(ident, str) else json.dumps(ident)


def _show(obj: dict[str, JSON]) -> str:
    text = json.dumps(obj)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


class _Run:
    """One run of the checker (the body of ``run``)."""

    def __init__(self, session: Session, profile: Profile, out: Callable[[str], None]) -> None:
        self.session = session
        self.profile = profile
        self.out = out
        self.vectors_sent = 0
        self.generated = 0

    def replay(self, cases: list[dict[str, JSON]]) -> list[dict[str, JSON]]:
        """Replay the vectors; the disagreeing ones."""
        bad: list[dict[str, JSON]] = []
        tally = {"compared": 0, "agreeing": 0}
        undefined_before, sent_before = self.session.undefined, self.session.sent

        def visit(number: int, obj: dict[str, JSON], verdict: Verdict) -> bool:
            if verdict.answer is not None:
                tally["compared"] += 1
                if verdict.disagrees:
                    bad.append(cases[number - 1])
                else:
                    tally["agreeing"] += 1
            return False

        items = [(c["scenario"], c["expect"], f"answering vector {_name(c['scenario'].get('id'))}") for c in cases]
        self.session.each(items, visit)
        self.vectors_sent = self.session.sent - sent_before
        undefined = self.session.undefined - undefined_before
        self.out(_vector_line(tally["agreeing"], tally["compared"], undefined, bad, self.profile))
        return bad

    def generate_layer(self, count: int, seed: int, extensions: bool) -> dict[str, JSON] | None:
        """Send generated layer scenarios; the first that disagrees."""
        drawn = itertools.islice(layer_scenarios(self.profile, seed, extensions=extensions), count)
        items = ((obj, None, f"answering generated scenario {n} (seed {seed})") for n, obj in enumerate(drawn, 1))
        found: list[dict[str, JSON]] = []

        def visit(number: int, obj: dict[str, JSON], verdict: Verdict) -> bool:
            self.generated = number
            if verdict.disagrees:
                found.append(obj)
            return verdict.disagrees

        self.session.each(items, visit)
        return found[0] if found else None

    def generate_tracker(self, count: int, seed: int) -> dict[str, JSON] | None:
        """Let Hypothesis draw tracker scenarios (and shrink the first that disagrees)."""
        found = False

        def condition(obj: dict[str, JSON]) -> bool:
            nonlocal found
            if not found:
                self.generated += 1
            label = f"answering generated scenario {self.generated} (seed {seed})"
            if found:
                label = "on a scenario Hypothesis tried while shrinking a disagreement"
            try:
                disagrees = self.session.judge(obj, label)
            except ProgramFailed as exc:
                raise _Abort(exc) from None
            found = found or disagrees.disagrees
            return disagrees.disagrees

        try:
            return search(tracker_scenario(), condition, count, seed)
        except _Abort as abort:
            raise abort.failure from None

    def report_disagreement(self, obj: dict[str, JSON], origin: str, sent_before: int) -> None:
        verdict = self.session.judge(obj, "again")
        assert verdict.answer is not None
        shrinking = self.session.sent - sent_before
        generated = sent_before - self.vectors_sent
        self.out(
            f"ran {counted(self.session.sent, 'scenario')}: {self.vectors_sent} vectors, "
            f"{generated} generated, {shrinking} while shrinking"
        )
        self.out(f"the external implementation disagrees with the model; minimal scenario ({origin}, shrunk):")
        self.out("  " + _show(obj))
        for line in differing_fields(verdict.expected, verdict.answer):
            self.out("  " + line)


def run(
    command: str,
    profile: Profile,
    *,
    count: int = DEFAULT_COUNT,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    tracker: bool = False,
    extensions: bool = False,
    out: Callable[[str], None] = print,
    model: Model | None = None,
) -> int:
    """The ``check`` command (see the module's promises); returns the exit status. Without
    ``extensions`` only the core protocol is sent (vectors using the project's extensions are
    skipped). ``model`` replaces the model's answer (for tests)."""
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    if tracker:
        cases = vectors.load(f"tracker-{profile.value}.jsonl")
        model = model or _tracker_model(profile)
    else:
        cases = vectors.load(f"layer-{profile.value}.jsonl")
        cases = [c for c in cases if extensions or not uses_extensions(c["scenario"])]
        model = model or _layer_model(profile)
    program = Program(command, timeout=timeout)
    session = Session(program, model, _tracker_agreement(profile) if tracker else None)
    checker = _Run(session, profile, out)
    found: dict[str, JSON] | None = None
    try:
        bad = checker.replay(cases)
        undefined_before = session.undefined
        found = checker.generate_tracker(count, seed) if tracker else checker.generate_layer(count, seed, extensions)
        undefined = session.undefined - undefined_before
        skipped = f", {undefined} skipped as undefined" if undefined else ""
        if found is None and not bad:
            out(
                f"generated: {counted(checker.generated, 'scenario')} (seed {seed}){skipped}, "
                f"no disagreement with the model ({profile.value})"
            )
            return 0
        if found is not None:
            origin = f"generated scenario {checker.generated}"
            out(f"generated: scenario {checker.generated} of {count} disagrees (seed {seed}){skipped}")
        else:
            out(f"generated: {counted(checker.generated, 'scenario')} (seed {seed}){skipped}, no disagreement")
            found = min((case["scenario"] for case in bad), key=lambda obj: len(canonical(obj)))
            origin = f"vector {_name(found.get('id'))}"
        sent_before = session.sent
        minimal = minimise(found, session.fails)
        checker.report_disagreement(minimal, origin, sent_before)
        return 1
    except KeyboardInterrupt:
        out(f"interrupted after {counted(session.sent, 'scenario')} (seed {seed})")
        return 130
    except ProgramFailed as failure:
        for line in report.program_failed(command, failure.what, failure.stderr, session.during):
            out(line)
        if session.last_sent is not None:
            out("  the scenario: " + _show(session.last_sent))
        if found is not None:
            out("  (it had disagreed with the model before, on: " + _show(found) + ")")
        return 2
    finally:
        program.close()
