"""Strict rules at the points where one provider's verdict must not be mistaken for another's:
partial removals (STRICT-KEEP), unregistration (STRICT-UNREG), native batch verdicts (STRICT-BATCH)
and their normal form for UPD (STRICT-ASK-UPD), each through the scenario protocol on the model
and on impl alike."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.impl_target import run_on_impl
from conformance.model_target import run_on_model
from conformance.runner import run_object
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any
TARGETS = pytest.mark.parametrize("target", [run_on_model, run_on_impl], ids=["model", "impl"])


def strict(scenario: dict[str, JSON], target: Any) -> dict[str, JSON]:
    return run_object(scenario, target, Profile.STRICT)


@TARGETS
def test_only_the_holder_whose_removal_failed_still_holds(target: Any) -> None:
    scenario = {
        "providers": [{"name": "a"}, {"name": "b", "raises": ["del"]}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "del", "conn": 0},  # a removes it, b fails: b still holds it
            {"do": "del", "conn": 0},  # the retry asks b alone
            {"do": "unregister", "provider": 1},  # b leaves: nobody holds it any more
        ],
    }
    out = strict(scenario, target)
    dels = [call for call in out["trace"] if call[1] == "del"]
    assert dels == [["a", "del", 0], ["b", "del", 0], ["b", "del", 0]]
    assert [m["0"] for m in out["marks"]] == ["ADDED", "ADDED", "ADDED", "NONE"]


@TARGETS
def test_unregistering_one_holder_leaves_the_others(target: Any) -> None:
    scenario = {
        "providers": [{"name": "a"}, {"name": "b"}],
        "steps": [{"do": "add", "conn": 0}, {"do": "unregister", "provider": 0}, {"do": "del", "conn": 0}],
    }
    out = strict(scenario, target)
    assert [call for call in out["trace"] if call[1] == "del"] == [["b", "del", 0]]
    assert [m["0"] for m in out["marks"]] == ["ADDED", "ADDED", "NONE"]


@TARGETS
def test_a_flush_that_one_provider_fails_keeps_only_its_holdings(target: Any) -> None:
    scenario = {
        "providers": [{"name": "a"}, {"name": "b", "raises": ["flush"], "can": {"1": False}}],
        "steps": [{"do": "add", "conn": 0}, {"do": "add", "conn": 1}, {"do": "flush"}, {"do": "flush"}],
    }
    out = strict(scenario, target)
    # b holds 0 (not 1, which it declined) and failed both flushes: 0 stays, 1 is gone.
    assert out["marks"][2:] == [{"0": "ADDED", "1": "NONE"}, {"0": "ADDED", "1": "NONE"}]


@TARGETS
def test_a_native_that_is_no_target_does_not_stop_the_next_one(target: Any) -> None:
    # Only n2 holds connection 0 (n1 declines it), so a batch UPD of 0 goes to n2's batch_submit,
    # whose verdict for op 0 is EIO (batch_errors): the batch path, not a batch of one.
    scenario = {
        "providers": [
            {"name": "n1", "callbacks": ["can", "batch"], "can": {"0": False}},
            {"name": "n2", "callbacks": ["batch"], "upd": {"0": 7}, "batch_errors": {"0": 5}},
        ],
        "steps": [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["UPD", 0]]}],
    }
    out = strict(scenario, target)
    assert out["returns"][1] == [5]
    assert out["trace"][-1] == ["n2", "batch", [["UPD", 0]]]


@TARGETS
@pytest.mark.parametrize(
    "native",
    [
        {"name": "n", "callbacks": ["add", "batch"]},
        # batch_errors writes error 0 into the UPD op but no timestamp: STRICT-ASK-UPD's normal
        # form (a success needs a positive timestamp) applies to what a native batch_submit writes.
        {"name": "n", "callbacks": ["add", "batch"], "batch_errors": {"0": 0}},
    ],
    ids=["no-timestamp", "success-without-timestamp"],
)
def test_a_native_upd_without_a_timestamp_is_no_data(target: Any, native: dict[str, Any]) -> None:
    scenario = {
        "providers": [native],
        "steps": [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["UPD", 0]]}],
        "batch_timestamps": True,
    }
    out = strict(scenario, target)
    assert out["returns"][1] == [61]
    assert out["timestamps"][1] == [0]


@TARGETS
def test_a_holder_without_conn_update_has_no_data_in_a_batch_too(target: Any) -> None:
    scenario = {
        "providers": [{"name": "a", "callbacks": ["add"]}],
        "steps": [{"do": "add", "conn": 0}, {"do": "upd", "conn": 0}, {"do": "batch", "ops": [["UPD", 0]]}],
    }
    assert strict(scenario, target)["returns"] == [0, 0, [61]]


@TARGETS
def test_a_provider_registered_again_holds_nothing_it_held_before(target: Any) -> None:
    # STRICT-UNREG: unregistering a holds nothing any more, so after it registers again only b
    # is told of the DEL.
    scenario = {
        "providers": [{"name": "a"}, {"name": "b"}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "unregister", "provider": 0},
            {"do": "register", "provider": 0},
            {"do": "del", "conn": 0},
        ],
    }
    out = strict(scenario, target)
    assert [call for call in out["trace"] if call[1] == "del"] == [["b", "del", 0]]
