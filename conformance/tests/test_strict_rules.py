"""Named tests of strict rules and the project's extensions that the errata do not already pin."""

from __future__ import annotations

import pytest

from conformance.tests.protocol import run
from model.conn import Ctx
from model.ops import BatchOp, batch_kind
from model.strict_batch import segments
from model.vocab import OpType

pytestmark = pytest.mark.conformance


def test_rfc_raise_counts_as_the_c_failure_value_and_others_are_still_called() -> None:
    providers = [{"raises": ["can", "add", "upd"]}, {"name": "ok", "upd": {"0": 4}}]
    steps = [{"do": "add", "conn": 0}, {"do": "upd", "conn": 0}, {"do": "can", "conn": 0}]
    out = run({"providers": providers, "steps": steps})
    assert out["returns"] == [0, 4, True]
    assert out["trace"][:3] == [["p0", "can", 0], ["ok", "can", 0], ["ok", "add", 0]]
    out = run({"providers": [{"raises": ["add"]}, {"name": "ok"}], "steps": [{"do": "add", "conn": 0}]})
    assert out["returns"] == [5]
    assert out["marks"] == [{"0": "NONE"}]


def test_a_raising_init_fails_registration_with_eio() -> None:
    out = run({"providers": [{"callbacks": ["init"], "raises": ["init"]}]}, "strict")
    assert out["initial_register"] == [5]


def test_strict_raise_is_eio_and_a_raising_batch_fails_every_op_it_was_handed() -> None:
    providers = [{"callbacks": ["batch", "add"], "raises": ["batch"]}, {"name": "ok"}]
    out = run({"providers": providers, "steps": [{"do": "batch", "ops": [["ADD", 0], ["ADD", 1]]}]}, "strict")
    assert out["returns"] == [[0, 0]]
    alone = run({"providers": providers[:1], "steps": [{"do": "batch", "ops": [["ADD", 0], ["ADD", 1]]}]}, "strict")
    assert alone["returns"] == [[5, 5]]
    assert alone["marks"] == [{"0": "NONE", "1": "NONE"}]


def test_strict_est_refused_by_a_native_holder_stays_added_and_can_be_retried() -> None:
    providers = [{"callbacks": ["add", "batch"], "batch_errors": {"1": 16}}]
    steps = [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["UPD", 3], ["EST", 0]]}, {"do": "est", "conn": 0}]
    out = run({"providers": providers, "steps": steps}, "strict")
    assert out["returns"] == [0, [61, 16], None]
    assert [m["0"] for m in out["marks"]] == ["ADDED", "ADDED", "EST"]
    assert out["trace"][-1] == ["p0", "batch", [["EST", 0]]]


def test_strict_upd_asks_every_holder_and_reports_the_latest_timestamp() -> None:
    providers = [{"upd": {"0": 300}}, {"upd": {"0": 900}}, {"can": {"0": False}, "upd": {"0": 5000}}]
    steps = [{"do": "add", "conn": 0}, {"do": "upd", "conn": 0}]
    out = run(
        {"batch_timestamps": True, "providers": providers, "steps": [*steps, {"do": "batch", "ops": [["UPD", 0]]}]},
        "strict",
    )
    assert out["returns"] == [0, 900, [0]]
    assert out["timestamps"] == [None, None, [900]]
    assert ["p2", "upd", 0] not in out["trace"]


def test_strict_batch_hands_natives_one_call_per_run() -> None:
    providers = [{"name": "n", "callbacks": ["add", "del", "batch"]}, {"name": "s", "callbacks": ["add", "del"]}]
    ops = [["ADD", 0], ["ADD", 1], ["DEL", 0], ["FLUSH", None], ["ADD", 2]]
    out = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]}, "strict")
    assert out["trace"] == [
        ["n", "batch", [["ADD", 0], ["ADD", 1]]],
        ["s", "add", 0],
        ["s", "add", 1],
        ["n", "batch", [["DEL", 0]]],
        ["s", "del", 0],
        ["n", "batch", [["FLUSH", None]]],
        ["n", "batch", [["ADD", 2]]],
        ["s", "add", 2],
    ]
    assert out["marks"] == [{"0": "NONE", "1": "NONE", "2": "ADDED"}]


def test_segments_cut_before_a_repeated_connection_and_around_flush() -> None:
    def ops(*pairs: tuple[int, int | None]) -> tuple[BatchOp, ...]:
        return tuple(BatchOp(kind=batch_kind(k), ctx=Ctx.of(c)) for k, c in pairs)

    add, flush, bad = OpType.ADD.value, OpType.FLUSH.value, 9
    assert segments(ops()) == ()
    assert segments(ops((add, 0), (add, 1), (add, 0))) == ((0, 1), (2,))
    assert segments(ops((add, 0), (flush, None), (add, 0))) == ((0,), (1,), (2,))
    assert segments(ops((add, 0), (bad, 0), (add, None), (add, 1))) == ((0, 1, 2, 3),)


def test_the_dummy_provider_follows_patch_11() -> None:
    steps = [
        {"do": "add", "conn": 0, "netdev": "eth0"},
        {"do": "upd", "conn": 0, "now": 777},
        {"do": "upd", "conn": 1, "now": 778},
        {"do": "est", "conn": 0, "netdev": "eth1"},
        {"do": "del", "conn": 0},
        {"do": "upd", "conn": 0, "now": 999},
    ]
    for profile in ("rfc-v1", "strict"):
        out = run({"providers": [{"kind": "dummy"}], "steps": steps}, profile)
        assert out["returns"] == [0, 777, 0, None, None, 0]
        assert ["p0", "est", 0] in out["trace"]


def test_a_native_upd_success_without_a_timestamp_is_no_data() -> None:
    """Found by checking impl against the model: a native provider that writes 0 into a UPD op but
    no positive timestamp has no data (STRICT-BATCH step 2, as STRICT-ASK-UPD)."""
    providers = [{"callbacks": ["add", "batch"], "batch_errors": {"1": 0}, "upd": {"0": -5}}]
    steps = [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["ADD", 3], ["UPD", 0]]}]
    out = run({"batch_timestamps": True, "providers": providers, "steps": steps}, "strict")
    assert out["returns"] == [0, [0, 61]]
    assert out["timestamps"] == [None, [0, 0]]
