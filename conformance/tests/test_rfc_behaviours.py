"""One named test per RFC behaviour of research/ovs-ct-offload-series.md sections 3 and 8.

Each test runs a scenario through the scenario protocol on the model under rfc-v1 (and rfc-v2 where
the two differ) and asserts the whole result the real RFC code gives, worked out by hand from
lib/ct-offload.c of patches 05-07: the expectations here are not produced by the model.
"""

from __future__ import annotations

import pytest

from conformance.tests.protocol import run

pytestmark = pytest.mark.conformance

ALL = ["add", "del", "upd", "est", "can", "flush"]


# --- section 3: dispatch semantics ------------------------------------------------------------


def test_providers_are_called_in_registration_order() -> None:
    out = run({"providers": [{"name": "b"}, {"name": "a"}], "steps": [{"do": "del", "conn": 0}]})
    assert out["trace"] == [["b", "del", 0], ["a", "del", 0]]


def test_add_skips_a_provider_whose_can_offload_says_no() -> None:
    out = run({"providers": [{"can": {"0": False}}, {}], "steps": [{"do": "add", "conn": 0}]})
    assert out["trace"] == [["p0", "can", 0], ["p1", "can", 0], ["p1", "add", 0]]
    assert out["returns"] == [0]


def test_add_treats_a_missing_can_offload_as_yes() -> None:
    out = run({"providers": [{"callbacks": ["add"]}], "steps": [{"do": "add", "conn": 0}]})
    assert out["trace"] == [["p0", "add", 0]]


def test_add_returns_the_first_error_and_keeps_calling_providers() -> None:
    scenario = {
        "providers": [
            {"callbacks": ["add"], "add": {"0": 28}},
            {"callbacks": ["add"], "add": {"0": 12}},
            {"callbacks": ["add"]},
        ]
    }
    out = run({**scenario, "steps": [{"do": "add", "conn": 0}]})
    assert out["trace"] == [["p0", "add", 0], ["p1", "add", 0], ["p2", "add", 0]]
    assert out["returns"] == [28]
    assert out["marks"] == [{"0": "NONE"}]


def test_add_marks_added_when_no_provider_is_registered() -> None:
    out = run({"steps": [{"do": "add", "conn": 0}]})
    assert out["returns"] == [0]
    assert out["marks"] == [{"0": "ADDED"}]
    assert out["trace"] == []


def test_add_marks_added_when_every_provider_declines() -> None:
    out = run({"providers": [{"can": {"0": False}}, {"callbacks": ["can"]}], "steps": [{"do": "add", "conn": 0}]})
    assert out["trace"] == [["p0", "can", 0], ["p1", "can", 0]]
    assert out["returns"] == [0]
    assert out["marks"] == [{"0": "ADDED"}]


def test_add_marks_added_when_no_provider_has_conn_add() -> None:
    out = run({"providers": [{"callbacks": ["del", "upd"]}], "steps": [{"do": "add", "conn": 0}]})
    assert out["trace"] == []
    assert out["marks"] == [{"0": "ADDED"}]


def test_del_calls_every_provider_without_can_offload_and_clears_the_mark() -> None:
    providers = [{"can": {"0": False}}, {"callbacks": ["del"]}, {"callbacks": ["add"]}]
    out = run({"providers": providers, "steps": [{"do": "add", "conn": 0}, {"do": "del", "conn": 0}]})
    assert out["trace"] == [["p0", "can", 0], ["p2", "add", 0], ["p0", "del", 0], ["p1", "del", 0]]
    assert out["returns"] == [0, None]
    assert out["marks"] == [{"0": "ADDED"}, {"0": "NONE"}]


def test_established_without_a_slot_answers_eagain_and_calls_nobody() -> None:
    out = run(
        {
            "private_slot": False,
            "providers": [{}],
            "steps": [{"do": "est", "conn": 0}, {"do": "batch", "ops": [["EST", 0]]}],
        }
    )
    assert out["returns"] == [None, [11]]
    assert out["trace"] == []


def test_established_of_a_connection_not_added_answers_ealready() -> None:
    out = run({"providers": [{}], "steps": [{"do": "batch", "ops": [["EST", 0]]}]})
    assert out["returns"] == [[114]]
    assert out["trace"] == []
    assert out["marks"] == [{"0": "NONE"}]


def test_established_calls_every_provider_without_can_offload_and_marks_est() -> None:
    providers = [{"can": {"0": False}}, {"callbacks": ["est"]}]
    out = run({"providers": providers, "steps": [{"do": "add", "conn": 0}, {"do": "est", "conn": 0}]})
    assert out["trace"] == [["p0", "can", 0], ["p0", "est", 0], ["p1", "est", 0]]
    assert out["returns"] == [0, None]
    assert out["marks"] == [{"0": "ADDED"}, {"0": "EST"}]


def test_update_returns_the_first_nonzero_timestamp_and_stops() -> None:
    providers = [
        {"callbacks": ["upd"]},
        {"callbacks": ["upd"], "upd": {"0": 100}},
        {"callbacks": ["upd"], "upd": {"0": 900}},
    ]
    out = run({"providers": providers, "steps": [{"do": "upd", "conn": 0}]})
    assert out["trace"] == [["p0", "upd", 0], ["p1", "upd", 0]]
    assert out["returns"] == [100]


def test_update_returns_zero_without_providers() -> None:
    assert run({"steps": [{"do": "upd", "conn": 0}]})["returns"] == [0]


def test_can_offload_is_true_at_the_first_yes_and_a_missing_callback_is_no() -> None:
    providers = [
        {"callbacks": ["add"]},
        {"callbacks": ["can"], "can": {"0": False}},
        {"callbacks": ["can"]},
        {"callbacks": ["can"]},
    ]
    out = run({"providers": providers, "steps": [{"do": "can", "conn": 0}]})
    assert out["trace"] == [["p1", "can", 0], ["p2", "can", 0]]
    assert out["returns"] == [True]


def test_can_offload_is_false_when_no_provider_has_it() -> None:
    out = run({"providers": [{"callbacks": ["add"]}], "steps": [{"do": "can", "conn": 0}]})
    assert out["returns"] == [False]


def test_flush_calls_every_provider_and_keeps_marks() -> None:
    providers = [{"callbacks": ["flush", "add"]}, {"callbacks": ["del"]}, {"callbacks": ["flush"]}]
    out = run({"providers": providers, "steps": [{"do": "add", "conn": 0}, {"do": "flush"}]})
    assert out["trace"] == [["p0", "add", 0], ["p0", "flush", None], ["p2", "flush", None]]
    assert out["returns"] == [0, None]
    assert out["marks"] == [{"0": "ADDED"}, {"0": "ADDED"}]


def test_batch_hands_batch_providers_everything_first_then_falls_back_per_op() -> None:
    providers = [{"name": "n1", "batch": True}, {"name": "s"}, {"name": "n2", "callbacks": ["batch"]}]
    ops = [["ADD", 0], ["DEL", 1]]
    out = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]})
    assert out["trace"] == [
        ["n1", "batch", ops],
        ["n2", "batch", ops],
        ["s", "can", 0],
        ["s", "add", 0],
        ["s", "del", 1],
    ]
    assert out["returns"] == [[0, 0]]


def test_batch_result_table_row_by_row() -> None:
    providers = [
        {
            "callbacks": ["add", "del", "upd", "can", "flush", "est"],
            "can": {"3": False},
            "add": {"1": 5},
            "upd": {"2": 7},
        }
    ]
    ops = [
        ["ADD", 0],
        ["ADD", 1],
        ["DEL", 0],
        ["UPD", 2],
        ["UPD", 4],
        ["POLICY", 3],
        ["POLICY", 4],
        ["FLUSH", None],
        ["EST", 0],
        [6, 0],
        [-3, None],
    ]
    v1 = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]})
    assert v1["returns"] == [[0, 5, 0, 0, 61, 1, 0, 0, 114, 22, 22]]
    v2 = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]}, "rfc-v2")
    assert v2["returns"] == [[0, 5, 0, 0, 5, 1, 0, 0, 114, 22, 22]]


def test_no_providers_add_marks_upd_enodata_policy_eperm() -> None:
    out = run({"steps": [{"do": "batch", "ops": [["ADD", 0], ["UPD", 0], ["POLICY", 0]]}]})
    assert out["returns"] == [[0, 61, 1]]
    assert out["marks"] == [{"0": "ADDED"}]


# --- section 8: corner cases observed by executing the RFC code --------------------------------


def test_batch_provider_errors_are_never_visible() -> None:
    providers = [{"callbacks": ["batch", "add"], "batch_errors": {"0": 28, "1": 12}}]
    out = run({"providers": providers, "steps": [{"do": "batch", "ops": [["ADD", 0], ["DEL", 0]]}]})
    assert out["returns"] == [[0, 0]]


def test_batch_providers_see_empty_batches_est_of_unadded_and_invalid_ops() -> None:
    providers = [{"name": "a", "batch": True}, {"name": "b", "batch": True}]
    steps = [{"do": "batch", "ops": []}, {"do": "batch", "ops": [["EST", 0], [9, 1]]}]
    out = run({"providers": providers, "steps": steps})
    assert out["trace"] == [
        ["a", "batch", []],
        ["b", "batch", []],
        ["a", "batch", [["EST", 0], [9, 1]]],
        ["b", "batch", [["EST", 0], [9, 1]]],
    ]
    assert out["returns"] == [[], [114, 22]]


def test_a_batch_only_provider_has_no_say_in_any_result() -> None:
    providers = [
        {"callbacks": ["batch"], "can": {"0": True}, "add": {"0": 28}, "upd": {"0": 50}, "batch_errors": {"0": 28}}
    ]
    ops = [["ADD", 0], ["UPD", 0], ["POLICY", 0]]
    v1 = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]})
    assert v1["returns"] == [[0, 61, 1]]
    assert v1["marks"] == [{"0": "ADDED"}]
    v2 = run({"providers": providers, "steps": [{"do": "batch", "ops": ops}]}, "rfc-v2")
    assert v2["returns"] == [[0, 5, 1]]


def test_batch_upd_only_tells_zero_from_nonzero() -> None:
    providers = [{"callbacks": ["upd"], "upd": {"0": 123456, "1": -1}}]
    out = run({"providers": providers, "steps": [{"do": "batch", "ops": [["UPD", 0], ["UPD", 1], ["UPD", 2]]}]})
    assert out["returns"] == [[0, 0, 61]]


def test_a_negative_update_counts_as_a_timestamp() -> None:
    providers = [{"callbacks": ["upd"], "upd": {"0": -1}}, {"callbacks": ["upd"], "upd": {"0": 9}}]
    out = run({"providers": providers, "steps": [{"do": "upd", "conn": 0}]})
    assert out["returns"] == [-1]
    assert out["trace"] == [["p0", "upd", 0]]


def test_a_failed_add_leaves_an_est_connection_est() -> None:
    providers = [{"callbacks": ["add", "est"]}, {"callbacks": ["add"], "add": {"0": 17}}]
    steps = [
        {"do": "register", "provider": 0},
        {"do": "add", "conn": 0},
        {"do": "est", "conn": 0},
        {"do": "register", "provider": 1},
        {"do": "add", "conn": 0},
        {"do": "batch", "ops": [["ADD", 0]]},
    ]
    out = run({"register_all_at_start": False, "providers": providers, "steps": steps})
    assert out["initial_register"] == []
    assert out["returns"] == [0, 0, None, 0, 17, [17]]
    assert [m["0"] for m in out["marks"][1:]] == ["ADDED", "EST", "EST", "EST", "EST"]


def test_readd_of_an_est_connection_lets_est_reach_providers_twice() -> None:
    steps = [{"do": "add", "conn": 0}, {"do": "est", "conn": 0}, {"do": "add", "conn": 0}, {"do": "est", "conn": 0}]
    out = run({"providers": [{"callbacks": ["add", "est"]}], "steps": steps})
    assert out["trace"] == [["p0", "add", 0], ["p0", "est", 0], ["p0", "add", 0], ["p0", "est", 0]]
    assert out["marks"] == [{"0": "ADDED"}, {"0": "EST"}, {"0": "ADDED"}, {"0": "EST"}]


def test_a_missing_can_offload_is_yes_for_add_and_no_for_can_and_policy() -> None:
    steps = [{"do": "add", "conn": 0}, {"do": "can", "conn": 0}, {"do": "batch", "ops": [["POLICY", 0]]}]
    out = run({"providers": [{"callbacks": ["add"]}], "steps": steps})
    assert out["trace"] == [["p0", "add", 0]]
    assert out["returns"] == [0, False, [1]]


def test_with_all_providers_declining_add_marks_added_and_est_marks_est() -> None:
    steps = [{"do": "add", "conn": 0}, {"do": "est", "conn": 0}]
    out = run({"providers": [{"callbacks": ["can", "add"], "can": {"0": False}}], "steps": steps})
    assert out["marks"] == [{"0": "ADDED"}, {"0": "EST"}]
    assert out["trace"] == [["p0", "can", 0]]


def test_public_established_on_none_or_est_does_nothing_and_says_nothing() -> None:
    steps = [{"do": "est", "conn": 0}, {"do": "add", "conn": 0}, {"do": "est", "conn": 0}, {"do": "est", "conn": 0}]
    out = run({"providers": [{"callbacks": ["add", "est"]}], "steps": [*steps, {"do": "batch", "ops": [["EST", 0]]}]})
    assert out["returns"] == [None, 0, None, None, [114]]
    assert out["trace"] == [["p0", "add", 0], ["p0", "est", 0]]


def test_duplicate_name_is_eexist_before_init_and_init_errors_are_returned() -> None:
    providers = [
        {"name": "x", "init": 0},
        {"name": "x", "init": 0},
        {"name": "y", "init": 12},
        {"name": "z", "callbacks": ["init", "del"]},
    ]
    out = run({"providers": providers, "steps": [{"do": "del", "conn": 0}]})
    assert out["initial_register"] == [0, 17, 12, 0]
    assert out["trace"] == [
        ["x", "init", None],
        ["y", "init", None],
        ["z", "init", None],
        ["x", "del", 0],
        ["z", "del", 0],
    ]


def test_unregister_matches_the_class_and_a_same_name_class_may_then_register() -> None:
    providers = [{"name": "x", "callbacks": ["del"]}, {"name": "x", "callbacks": ["del", "init"]}]
    steps = [
        {"do": "unregister", "provider": 1},
        {"do": "del", "conn": 0},
        {"do": "unregister", "provider": 0},
        {"do": "register", "provider": 1},
        {"do": "register", "provider": 0},
        {"do": "del", "conn": 0},
    ]
    out = run({"providers": providers, "steps": steps})
    assert out["initial_register"] == [0, 17]
    assert out["returns"] == [None, None, None, 0, 17, None]
    assert out["trace"] == [["x", "del", 0], ["x", "init", None], ["x", "del", 0]]


def test_neither_flush_nor_unregister_clears_a_mark() -> None:
    steps = [{"do": "add", "conn": 0}, {"do": "flush"}, {"do": "unregister", "provider": 0}]
    out = run({"providers": [{}], "steps": steps})
    assert out["marks"] == [{"0": "ADDED"}, {"0": "ADDED"}, {"0": "ADDED"}]


def test_without_a_slot_add_returns_zero_marks_nothing_and_est_answers_eagain() -> None:
    steps = [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["ADD", 1], ["EST", 0], ["EST", 1]]}]
    out = run({"private_slot": False, "providers": [{"callbacks": ["add", "est"]}], "steps": steps})
    assert out["returns"] == [0, [0, 11, 11]]
    assert out["trace"] == [["p0", "add", 0], ["p0", "add", 1]]
    assert out["marks"] == [{"0": "NONE"}, {"0": "NONE", "1": "NONE"}]
