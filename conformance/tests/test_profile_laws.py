"""Properties of the model itself: how the profiles relate, and the batch refinement law."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.model_target import provider_spec
from conformance.scenario import parse_scenario
from conformance.strategies import batch_op, defined_for, scenario
from conformance.tests.protocol import run
from model.conn import Ctx
from model.laws import batch_refines
from model.ops import BatchOp, Register, SubmitBatch, batch_kind
from model.state import LayerState, initial_state
from model.step import step
from model.vocab import Callback, OpType, Profile

pytestmark = pytest.mark.conformance
JSON = Any


def _upd_positions(obj: dict[str, JSON]) -> list[tuple[int, int]]:
    """(step index, op index) of every valid UPD op in the scenario's batches."""
    found = []
    for i, s in enumerate(obj["steps"]):
        if s["do"] == "batch":
            found += [(i, j) for j, (kind, _) in enumerate(s["ops"]) if kind in ("UPD", OpType.UPD.value)]
    return found


@given(scenario())
def test_rfc_v1_and_v2_differ_only_in_the_errno_of_a_batch_upd_without_timestamp(obj: dict[str, JSON]) -> None:
    v1, v2 = run(obj, "rfc-v1"), run(obj, "rfc-v2")
    assert v1.keys() == v2.keys()
    if "undefined" in v1:  # RFC-NULL at the same step in both: compare what came before it
        assert v1["undefined"] == v2["undefined"]
        v1, v2 = v1["before"], v2["before"]
    assert (v1["trace"], v1["marks"], v1["initial_register"]) == (v2["trace"], v2["marks"], v2["initial_register"])
    upd = set(_upd_positions(obj))
    for i, (r1, r2) in enumerate(zip(v1["returns"], v2["returns"], strict=True)):
        if not isinstance(r1, list):
            assert r1 == r2
            continue
        for j, (e1, e2) in enumerate(zip(r1, r2, strict=True)):
            if (i, j) in upd and e1 == 61:
                assert e2 == 5
            else:
                assert e1 == e2


def _state_after(obj: dict[str, JSON], profile: Profile) -> LayerState:
    """The model's state after ``obj``'s registrations and steps (without the batch ops the
    profile leaves undefined, RFC-NULL)."""
    steps = [{**s, "ops": defined_for(profile, s["ops"])} if s["do"] == "batch" else s for s in obj["steps"]]
    parsed = parse_scenario({**obj, "steps": steps})
    world = tuple(provider_spec(decl) for decl in parsed.providers)
    state = initial_state(profile, world, slot=parsed.private_slot)
    if parsed.register_all_at_start:
        for ident in range(len(world)):
            state, _ = step(state, Register(provider=ident))
    for s in parsed.steps:
        state, _ = step(state, s.op, s.now)
    return state


def _ops(raw: list[list[JSON]]) -> tuple[BatchOp, ...]:
    return tuple(BatchOp(kind=batch_kind(OpType[k] if isinstance(k, str) else k), ctx=Ctx.of(c)) for k, c in raw)


@given(scenario(coherent=True), st.lists(batch_op(), max_size=8), st.integers(1, 10**6))
def test_strict_obeys_the_batch_refinement_law(obj: dict[str, JSON], raw: list[list[JSON]], now: int) -> None:
    assert batch_refines(_state_after(obj, Profile.STRICT), _ops(raw), now)


@given(scenario(coherent=True), st.lists(batch_op(), max_size=8))
def test_rfc_obeys_the_law_when_no_provider_has_batch_submit(obj: dict[str, JSON], raw: list[list[JSON]]) -> None:
    obj["providers"] = [{"name": d["name"]} if d.get("kind") == "switchdev" else d for d in obj["providers"]]
    for decl in obj["providers"]:
        decl.pop("batch", None)
        if "callbacks" in decl:
            decl["callbacks"] = [c for c in decl["callbacks"] if c != "batch"]
    for profile in (Profile.RFC_V1, Profile.RFC_V2):
        assert batch_refines(_state_after(obj, profile), _ops(defined_for(profile, raw)), 5)


MINIMAL_LAW_BREAKER = {"providers": [{"callbacks": ["add", "batch"], "add": {"0": 28}}]}


def test_rfc_v1_breaks_the_law_minimal_counterexample() -> None:
    """One native provider that refuses connection 0 with ENOSPC: the single-op API reports
    ENOSPC and leaves the mark NONE; the same op in a batch reports 0 and marks ADDED, because the
    fallback loop skips the native provider and overwrites whatever it wrote."""
    single = run({**MINIMAL_LAW_BREAKER, "steps": [{"do": "add", "conn": 0}]})
    batched = run({**MINIMAL_LAW_BREAKER, "steps": [{"do": "batch", "ops": [["ADD", 0]]}]})
    assert (single["returns"], single["marks"]) == ([28], [{"0": "NONE"}])
    assert (batched["returns"], batched["marks"]) == ([[0]], [{"0": "ADDED"}])
    assert batched["trace"] == [["p0", "batch", [["ADD", 0]]]]
    state = _state_after(MINIMAL_LAW_BREAKER | {"steps": []}, Profile.RFC_V1)
    assert not batch_refines(state, _ops([["ADD", 0]]), 1)
    strict = _state_after(MINIMAL_LAW_BREAKER | {"steps": []}, Profile.STRICT)
    assert batch_refines(strict, _ops([["ADD", 0]]), 1)


def test_the_minimal_counterexample_is_minimal() -> None:
    """No smaller scenario breaks the law: without a provider, without batch_submit, or without an
    error the rfc batch agrees with the single-op API."""
    for providers in ([], [{"callbacks": ["add"], "add": {"0": 28}}], [{"callbacks": ["add", "batch"]}]):
        state = _state_after({"providers": providers, "steps": []}, Profile.RFC_V1)
        assert batch_refines(state, _ops([["ADD", 0]]), 1)


@given(scenario(), st.sampled_from(["ADD", "UPD", "POLICY"]), st.integers(0, 3))
def test_strict_never_loses_a_native_verdict(obj: dict[str, JSON], kind: str, conn: int) -> None:
    """With only native providers registered, what they write into a lone ADD, UPD or POLICY op is
    what the op answers: 0 if one of them succeeded, else the first real error in registration
    order (STRICT-COMBINE-ANY), never the layer's own opinion."""

    def native(decl: dict[str, JSON]) -> dict[str, JSON]:
        if decl.get("kind") == "switchdev":
            return decl
        if decl.get("kind") == "dummy":
            return {"name": decl["name"], "batch": True}
        return {**decl, "batch": True}

    obj["providers"] = [native(d) for d in obj["providers"]]
    state = _state_after(obj, Profile.STRICT)
    targets = [i for i in state.registry if state.spec(i).native]
    if kind != "ADD" or not state.slot or state.record(conn).holders:
        targets = [i for i in targets if kind == "POLICY" or i in state.record(conn).holders]
    if kind == "ADD" and (not state.slot or state.record(conn).holders):
        return
    ops = _ops([[kind, conn]])
    written = []
    for ident in targets:
        behaviour = state.spec(ident).behaviour
        if behaviour.raises(Callback.BATCH):
            written.append(5)
            continue
        answer = behaviour.batch(state.pstate(ident), ((0, ops[0]),), 3)[1][0]
        if kind == "UPD" and answer.error == 0 and answer.last_used <= 0:
            written.append(61)  # a UPD success without a timestamp is no data (STRICT-ASK-UPD)
        else:
            written.append(answer.error)
    _, observation = step(state, SubmitBatch(ops=ops), 3)
    assert isinstance(observation.result, tuple)
    no_opinion = {"ADD": 95, "UPD": 61, "POLICY": 1}[kind]
    real = [e for e in written if e not in (0, no_opinion)]
    expected = 0 if 0 in written else (real[0] if real else no_opinion)
    if kind == "POLICY" and 0 in written:
        assert observation.result[0].error == 0
    else:
        assert observation.result[0].error == expected


def test_strict_reports_a_native_refusal_that_rfc_overwrites() -> None:
    providers = [{"callbacks": ["add", "batch"], "batch_errors": {"0": 28}}]
    steps = [{"do": "batch", "ops": [["ADD", 0]]}]
    assert run({"providers": providers, "steps": steps}, "strict")["returns"] == [[28]]
    assert run({"providers": providers, "steps": steps}, "rfc-v1")["returns"] == [[0]]
