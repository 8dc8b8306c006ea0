"""What running a scenario yields, and its JSON form in the scenario protocol.

Purpose: every target (model, impl, an external program) produces an ``Outcome``; comparing two
targets is comparing two Outcomes, and the protocol's result object is ``encode(outcome)``.

Promises: ``encode`` follows the scenario protocol (docs/spec.rst) exactly: trace entries are
``[provider, callback, conn]`` (for batch, the list of ``[TYPE, CONN]`` handed over, TYPE a name or
the raw integer of an invalid type); returns are errno / timestamp / bool / null / list of errors;
marks map every connection named so far (as a string) to "NONE", "ADDED" or "EST"; ``timestamps``
appears only when the scenario asked for it. Where the model prescribes nothing (rule RFC-NULL: the
RFC code dereferences NULL at step k), the result is ``{"id", "undefined": why, "before": R}`` with
R the result of the steps before k, and ``agrees`` accepts any answer that matches R as a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol, assert_never

from conformance.scenario import Scenario
from model.ops import BatchOp, BatchResult, Call, InvalidType, LayerOp, Register, Result
from model.rfc import Undefined
from model.vocab import Mark, OpType

JSON = Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The observable of a whole scenario."""

    id: JSON
    initial_register: tuple[int, ...]
    trace: tuple[Call, ...]
    returns: tuple[Result, ...]
    marks: tuple[tuple[tuple[int, Mark], ...], ...]
    batch_timestamps: bool = False
    #: Why the rest of the scenario, from step ``len(returns)`` on, is undefined (RFC-NULL), if it is.
    undefined: str | None = None


class Runner(Protocol):
    """Something that applies layer ops one at a time: the model, impl, or an adapter."""

    def apply(self, op: LayerOp, now: int) -> tuple[Result, tuple[Call, ...]]:
        """Apply ``op`` at time ``now``; its result and the provider calls it made."""

    def mark(self, conn: int) -> Mark:
        """The current mark of ``conn``."""


def run_scenario(scenario: Scenario, runner: Runner) -> Outcome:
    """Walk ``scenario`` on ``runner``: registration at start, then each step, recording the observable."""
    trace: list[Call] = []
    initial: list[int] = []
    if scenario.register_all_at_start:
        for ident in range(len(scenario.providers)):
            result, calls = runner.apply(Register(provider=ident), 0)
            trace.extend(calls)
            initial.append(int(result))  # type: ignore[arg-type]
    returns: list[Result] = []
    marks: list[tuple[tuple[int, Mark], ...]] = []
    named: list[int] = []  # the connections named so far, in order (kept sorted)
    undefined = None
    apply, mark = runner.apply, runner.mark
    for index, step in enumerate(scenario.steps):
        try:
            result, calls = apply(step.op, step.now)
        except Undefined as exc:
            undefined = f"steps[{index}]: {exc}"
            break
        trace.extend(calls)
        returns.append(result)
        if step.conns:
            named = sorted({*named, *step.conns})
        marks.append(tuple([(conn, mark(conn)) for conn in named]))
    return Outcome(
        id=scenario.id,
        initial_register=tuple(initial),
        trace=tuple(trace),
        returns=tuple(returns),
        marks=tuple(marks),
        batch_timestamps=scenario.batch_timestamps,
        undefined=undefined,
    )


#: Each mark's name, read once: ``Mark.name`` is a Python-level property, and every step of every
#: scenario names the mark of every connection named so far (issue 16: the model runner's speed).
_MARK_NAMES: dict[Mark, str] = {mark: mark.name for mark in Mark}


def encode_op(op: BatchOp) -> list[JSON]:
    """``[TYPE, CONN]`` for one batch op."""
    kind = op.kind
    word: JSON
    match kind:
        case InvalidType(raw=raw):
            word = raw
        case OpType():
            word = kind.name
        case _:
            assert_never(kind)
    return [word, op.conn_id]


def encode_call(call: Call) -> list[JSON]:
    """``[provider, callback, conn]`` for one trace entry."""
    third: JSON = call.conn if call.batch is None else [encode_op(op) for op in call.batch]
    return [call.provider, call.callback._value_, third]  # ``.value`` is a Python-level property


def encode_result(result: Result) -> JSON:
    """The protocol's form of one step's return value."""
    if isinstance(result, tuple):
        return [int(r.error) for r in result if isinstance(r, BatchResult)]
    if isinstance(result, bool) or result is None:
        return result
    return int(result)


def encode_timestamps(result: Result) -> JSON:
    """The per-op timestamps of a batch's results (the ``timestamps`` extension), else None."""
    if isinstance(result, tuple):
        return [int(r.last_used) for r in result if isinstance(r, BatchResult)]
    return None


def encode(outcome: Outcome) -> dict[str, JSON]:
    """The protocol's result object for ``outcome``."""
    if outcome.undefined is not None:
        before = encode(replace(outcome, undefined=None))
        del before["id"]
        return {"id": outcome.id, "undefined": outcome.undefined, "before": before}
    obj: dict[str, JSON] = {
        "id": outcome.id,
        "initial_register": [int(code) for code in outcome.initial_register],
        "trace": [encode_call(call) for call in outcome.trace],
        "returns": [encode_result(result) for result in outcome.returns],
        "marks": [{str(conn): _MARK_NAMES[mark] for conn, mark in step} for step in outcome.marks],
    }
    if outcome.batch_timestamps:
        obj["timestamps"] = [encode_timestamps(result) for result in outcome.returns]
    return obj


def agrees(expected: dict[str, JSON], got: dict[str, JSON]) -> bool:
    """Whether ``got`` is an answer ``expected`` (a result object of the model) allows: equal, or,
    where the model found the rest undefined (RFC-NULL), anything that begins with what came before:
    the same registration codes, the same returns and marks for the steps before, and a trace that
    begins with theirs."""
    if "undefined" not in expected:
        return got == expected
    before = expected["before"]
    steps = len(before["returns"])
    if "undefined" in got:
        return got == expected
    keys = ("returns", "marks", "trace")
    if got.get("id") != expected.get("id") or not all(isinstance(got.get(k), list) for k in keys):
        return False
    return bool(
        got.get("initial_register") == before["initial_register"]
        and got["returns"][:steps] == before["returns"]
        and got["marks"][:steps] == before["marks"]
        and got["trace"][: len(before["trace"])] == before["trace"]
    )
