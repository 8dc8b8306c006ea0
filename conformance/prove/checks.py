"""What ``python -m conformance prove`` checks on each case: the laws of ``model.laws``, the model's
own contracts, and impl == model.

Purpose: one function per law, each deciding one case and saying nothing else, so the runner
(``conformance.prove.run``) can count cases per law and profile and report the first failure:

- ``impl-equals-model`` (every profile): a fresh impl layer and the model give the same observable
  for the scenario (``conformance.outcome``; where the rfc profiles prescribe nothing, RFC-NULL,
  ``conformance.outcome.agrees`` decides);
- ``rfc-versions-differ-only-in-upd`` (rfc-v1 against rfc-v2): the law of
  ``model.laws.check_rfc_versions_differ_only_in_upd`` over whole scenarios: the same traces, marks
  and registration codes, and the same returns except that a batch UPD answering ENODATA in v1
  answers EIO in v2;
- ``batch-refines`` (``model.laws.batch_refines``): strict, every world of coherent providers;
  rfc-v1 and rfc-v2, every world without ``batch_submit`` and every batch without an op RFC-NULL
  leaves undefined; on every state reachable by single steps (a batch reaches no state the single
  steps do not, under the law itself);
- ``mark-transitions`` (``model.laws.mark_after``, the table ``model.laws.check_mark_transitions``
  checks): every one-provider world, every reachable state, every single op on each connection
  (FLUSH: on both);
- ``rfc-hides-native-errors`` (``model.laws.check_rfc_hides_native_errors``): every world whose
  providers all have ``batch_submit``, every reachable state: a batch ADD answers 0 and marks
  ADDED, whatever the providers wrote;
- ``contract <function>``: each ``post:`` condition of the model's contracts, evaluated from the
  docstring's own text, on every argument of a finite domain (``CONTRACT_DOMAINS``).

Promises: every check is a pure function of its case (impl is a fresh layer per scenario); a check
returns True when the law holds and never raises for a case in scope.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from itertools import product
from types import CodeType
from typing import Any

from conformance.impl_target import ImplRunner
from conformance.model_target import provider_spec
from conformance.outcome import Outcome, agrees, encode, run_scenario
from conformance.prove.scope import BATCH_KINDS, Family, Step, layer_op, single_steps
from conformance.scenario import ProviderDecl, Scenario
from model import laws, rfc, strict_batch, verdict
from model.conn import Ctx
from model.ops import BatchOp, BatchResult, Call, LayerOp, Result, SubmitBatch, batch_kind
from model.provider import ProviderSpec
from model.registry import register
from model.rfc import Undefined
from model.state import LayerState, initial_state, mark_of
from model.step import step
from model.vocab import Callback, Errno, Mark, OpType, Profile

JSON = Any
RFC = (Profile.RFC_V1, Profile.RFC_V2)


class ModelRunner:
    """The model as a scenario runner, without the suite's coverage accounting (``conformance.model_target``)."""

    def __init__(self, specs: tuple[ProviderSpec, ...], profile: Profile, *, slot: bool) -> None:
        self.state = initial_state(profile, specs, slot=slot)

    def apply(self, op: LayerOp, now: int) -> tuple[Result, tuple[Call, ...]]:
        """Apply ``op`` through ``model.step.step``."""
        self.state, seen = step(self.state, op, now)
        return seen.result, seen.trace

    def mark(self, conn: int) -> Mark:
        """The mark of ``conn``."""
        return mark_of(self.state, conn)


def model_outcome(specs: tuple[ProviderSpec, ...], scenario: Scenario, profile: Profile) -> Outcome:
    """The model's outcome of ``scenario``."""
    return run_scenario(scenario, ModelRunner(specs, profile, slot=scenario.private_slot))


def impl_outcome(scenario: Scenario, profile: Profile) -> Outcome:
    """A fresh impl layer's outcome of ``scenario``."""
    return run_scenario(scenario, ImplRunner(scenario.providers, profile, private_slot=scenario.private_slot))


def impl_equals_model(expected: Outcome, got: Outcome) -> bool:
    """Law ``impl-equals-model`` on one scenario: the same observable, or an answer RFC-NULL allows."""
    if expected.undefined is None and got.undefined is None:
        return got == expected
    return agrees(encode(expected), encode(got))


def upd_positions(steps: tuple[Step, ...]) -> frozenset[tuple[int, int]]:
    """(step, op) of every valid UPD op in the batches of ``steps``."""
    return frozenset(
        (i, j) for i, s in enumerate(steps) if s[0] == "batch" for j, (k, _) in enumerate(s[1]) if k == OpType.UPD
    )


def versions_differ_only_in_upd(v1: Outcome, v2: Outcome, steps: tuple[Step, ...]) -> bool:
    """Law ``rfc-versions-differ-only-in-upd`` on one scenario's rfc-v1 and rfc-v2 outcomes."""
    if v1.undefined != v2.undefined or len(v1.returns) != len(v2.returns):
        return False
    if (v1.trace, v1.marks, v1.initial_register) != (v2.trace, v2.marks, v2.initial_register):
        return False
    upd = upd_positions(steps)
    for i, (r1, r2) in enumerate(zip(v1.returns, v2.returns, strict=True)):
        if not isinstance(r1, tuple) or not isinstance(r2, tuple):
            if r1 != r2:
                return False
            continue
        for j, (e1, e2) in enumerate(zip(r1, r2, strict=True)):
            if (i, j) in upd and e1.error == Errno.ENODATA:
                if e2 != BatchResult(error=Errno.EIO):
                    return False
            elif e1 != e2:
                return False
    return True


def specs_of(world: tuple[ProviderDecl, ...]) -> tuple[ProviderSpec, ...]:
    """The model's provider specs of a world."""
    return tuple(provider_spec(decl) for decl in world)


def registered(specs: tuple[ProviderSpec, ...], profile: Profile) -> LayerState:
    """The state after registering every provider of ``specs`` in order (slot present)."""
    state = initial_state(profile, specs)
    for ident in range(len(specs)):
        state, _, _ = register(state, ident)
    return state


def reachable(
    family: Family, specs: tuple[ProviderSpec, ...], profile: Profile
) -> tuple[tuple[LayerState, tuple[Step, ...]], ...]:
    """Every distinct state reachable within ``family.steps`` single steps of the family's alphabet
    from the registered state (steps the rfc profiles leave undefined are not taken), each with the
    first (shortest) step sequence that reaches it, in discovery order."""
    start = registered(specs, profile)
    seen: dict[LayerState, tuple[Step, ...]] = {start: ()}
    frontier = [start]
    alphabet = [(s, layer_op(s)) for s in single_steps(family, len(specs))]
    for _ in range(family.steps):
        found = []
        for state in frontier:
            for raw, op in alphabet:
                try:
                    after, _ = step(state, op, len(seen[state]) + 1)
                except Undefined:
                    continue
                if after not in seen:
                    seen[after] = (*seen[state], raw)
                    found.append(after)
        frontier = found
    return tuple(seen.items())


def batch_ops_of(raw: tuple[tuple[int, int | None], ...]) -> tuple[BatchOp, ...]:
    """The ``BatchOp`` values of a raw batch."""
    return tuple(BatchOp(kind=batch_kind(k), ctx=Ctx.of(c)) for k, c in raw)


def rfc_defined(raw: tuple[tuple[int, int | None], ...]) -> bool:
    """Whether the rfc profiles define every op of ``raw`` (RFC-NULL: no ADD, DEL or EST of NULL)."""
    return not any(c is None and k in (OpType.ADD, OpType.DEL, OpType.EST) for k, c in raw)


def refines_applies(specs: tuple[ProviderSpec, ...], profile: Profile) -> bool:
    """Whether the batch refinement law claims anything for this world and profile: strict with
    coherent providers (no ``batch_errors``, no raising ``batch_submit``), rfc without any
    ``batch_submit``."""
    if profile is Profile.STRICT:
        return all(
            not (spec.behaviour.raises(Callback.BATCH) or bool(getattr(spec.behaviour, "batch_errors", False)))
            for spec in specs
        )
    return not any(spec.native for spec in specs)


def batch_refines(state: LayerState, raw: tuple[tuple[int, int | None], ...]) -> bool:
    """Law ``batch-refines`` on one (state, batch)."""
    return laws.batch_refines(state, batch_ops_of(raw), 1)


def versions_on_state(state: LayerState, raw: tuple[tuple[int, int | None], ...]) -> bool:
    """Law ``rfc-versions-differ-only-in-upd`` on one rfc-v1 state and one batch: the same state
    under rfc-v2 (the profiles' states differ in nothing else) gives the same trace and records,
    and the same results but for a UPD op's ENODATA, which is EIO there."""
    ops = batch_ops_of(raw)
    after1, seen1 = step(state, SubmitBatch(ops=ops), 1)
    after2, seen2 = step(replace(state, profile=Profile.RFC_V2), SubmitBatch(ops=ops), 1)
    if seen1.trace != seen2.trace or after1.records.as_dict() != after2.records.as_dict():
        return False
    assert isinstance(seen1.result, tuple) and isinstance(seen2.result, tuple)
    for op, r1, r2 in zip(ops, seen1.result, seen2.result, strict=True):
        if op.kind is OpType.UPD and r1.error == Errno.ENODATA:
            if r2 != BatchResult(error=Errno.EIO):
                return False
        elif r1 != r2:
            return False
    return True


def mark_transitions(state: LayerState, kind: OpType, conn: int) -> bool:
    """Law ``mark-transitions`` on one (one-provider state, single op of ``kind`` on ``conn``)."""
    op = BatchOp(kind=kind, ctx=Ctx.of(conn))
    after, (result,) = laws.sequential_results(state, (op,), 1)
    conns = (0, 1) if kind is OpType.FLUSH else (conn,)
    return all(
        mark_of(after, c) is laws.mark_after(state.profile, mark_of(state, c), kind, result.error == 0) for c in conns
    )


def hides_native_errors(state: LayerState, conn: int) -> bool:
    """Law ``rfc-hides-native-errors`` on one (all-native state, connection)."""
    after, seen = step(state, SubmitBatch(ops=(BatchOp(kind=OpType.ADD, ctx=Ctx.of(conn)),)), 1)
    return seen.result == (BatchResult(error=0),) and mark_of(after, conn) is Mark.ADDED


# -- the model's contracts, evaluated from their own text ------------------------------------------


def contract_lines(func: Callable[..., Any], word: str) -> tuple[str, ...]:
    """The ``word:`` lines (``pre`` or ``post``) of ``func``'s docstring, without the word."""
    doc = inspect.getdoc(func) or ""
    return tuple(
        line.strip()[len(word) + 1 :].strip() for line in doc.splitlines() if line.strip().startswith(word + ":")
    )


def contract_holds(func: Callable[..., Any], args: dict[str, Any]) -> str | None:
    """Evaluate ``func``'s contract on ``args``: "excluded" when a ``pre:`` condition excludes them,
    else None when every ``post:`` condition holds, else the first one that fails."""
    env = {**vars(sys.modules[func.__module__]), **args}
    for text in contract_lines(func, "pre"):
        if not eval(_compiled(text), env):  # the model's own docstring, compiled here
            return "excluded"
    env["__return__"] = func(**args)
    for text in contract_lines(func, "post"):
        if not eval(_compiled(text), env):
            return text
    return None


@cache
def _compiled(text: str) -> CodeType:
    return compile(text, "<contract>", "eval")


#: Small errno domains for the verdict combinators.
VERDICTS = (0, Errno.EPERM, Errno.EIO, Errno.ENODATA, Errno.EOPNOTSUPP)
NO_OPINIONS = (Errno.EPERM, Errno.ENODATA, Errno.EOPNOTSUPP)


def _tuples(values: tuple[Any, ...], most: int) -> Iterator[tuple[Any, ...]]:
    for length in range(most + 1):
        yield from product(values, repeat=length)


def contract_domains(
    segment_ops: int, verdicts: int
) -> dict[str, tuple[Callable[..., Any], Callable[[], Iterator[dict[str, Any]]], str]]:
    """Each contract prove checks: its function, every argument of its domain, and the domain in words."""
    ops = tuple(product(BATCH_KINDS, (0, 1, None)))
    return {
        "model.strict_batch.segments": (
            strict_batch.segments,
            lambda: ({"ops": batch_ops_of(raw)} for raw in _tuples(ops, segment_ops)),
            f"every batch of 0-{segment_ops} ops of type {{ADD..EST, 6}} on {{0, 1, null}}",
        ),
        "model.verdict.combine_any": (
            verdict.combine_any,
            lambda: ({"errors": e, "no_opinion": n} for e in _tuples(VERDICTS, verdicts) for n in (0, *NO_OPINIONS)),
            f"every tuple of 0-{verdicts} verdicts from {{0, 1, 5, 61, 95}}, no_opinion in {{1, 61, 95}}",
        ),
        "model.verdict.combine_all": (
            verdict.combine_all,
            lambda: ({"errors": e} for e in _tuples(VERDICTS, verdicts)),
            f"every tuple of 0-{verdicts} verdicts from {{0, 1, 5, 61, 95}}",
        ),
        "model.laws.mark_after": (
            laws.mark_after,
            lambda: (
                {"profile": p, "before": m, "kind": k, "succeeded": s}
                for p, m, k, s in product(Profile, Mark, OpType, (False, True))
            ),
            "every profile, mark, op type and outcome (the whole domain)",
        ),
        "model.rfc.upd_no_data": (
            rfc.upd_no_data,
            lambda: ({"profile": p} for p in Profile),
            "every profile (the whole domain)",
        ),
    }
