"""The tracker does what lib/conntrack.c of the series does, item by item, through the tracker
protocol (``python -m conformance tracker``): the expiry lists, one batch per list, the order
inside a list, the sweep limit, the unspecified flush order, OVS's default timeouts, and v2's
delete gate. Every expectation here was derived from the C code (conntrack.c, conntrack-other.c,
conntrack-tp.c), and both the model and impl must give it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.cli import run_tracker_object
from conformance.scenario import ScenarioError
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker_spans, tracker_agrees
from conformance.tracker_targets import impl_tracker, model_tracker
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any
RFC = [Profile.RFC_V1, Profile.RFC_V2]
TARGETS = pytest.mark.parametrize("target", [model_tracker, impl_tracker], ids=["model", "impl"])


def run(obj: dict[str, JSON], target: Any, profile: Profile) -> dict[str, JSON]:
    """One tracker scenario through the protocol's handler, as JSON."""
    return json.loads(json.dumps(run_tracker_object(obj, target, profile)))  # type: ignore[no-any-return]


def commits(flows: range, at: int = 0) -> list[dict[str, JSON]]:
    return [{"at": at, "do": "commit", "flow": flow} for flow in flows]


@TARGETS
@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_expiry_lists_are_filled_round_robin_and_walked_newest_first(target: Any, profile: Profile) -> None:
    # 1. Connection n joins list (n - 1) % 100, at the front: list 0 holds 101 then 1, list 1
    # holds 102 then 2, ... With nothing offloaded, a sweep cleans them in walk order.
    obj = {"config": {"enabled": False}, "events": [*commits(range(102)), {"at": 60000, "do": "sweep"}]}
    cleaned = [conn for conn, _ in run(obj, target, profile)["results"][-1]["cleaned"]]
    assert cleaned == [101, 1, 102, 2, *range(3, 101)]


@TARGETS
@pytest.mark.parametrize("profile", RFC, ids=[p.value for p in RFC])
def test_every_list_is_one_batch_submitted_even_empty(target: Any, profile: Profile) -> None:
    # 2. One connection due: a batch provider is handed 100 batches, 99 of them empty.
    obj = {
        "providers": [{"callbacks": ["add", "batch"]}],
        "events": [*commits(range(1)), {"at": 60000, "do": "sweep"}],
    }
    batches = [call for call in run(obj, target, profile)["trace"] if call[1] == "batch"]
    assert len(batches) == 100
    assert batches[0] == ["p0", "batch", [["UPD", 1]]]
    assert all(call[2] == [] for call in batches[1:])


@TARGETS
def test_strict_submits_only_the_batches_that_have_ops(target: Any) -> None:
    obj = {
        "providers": [{"callbacks": ["add", "upd", "batch"], "upd": {"1": 59000}}],
        "events": [*commits(range(1)), {"at": 60000, "do": "sweep"}],
    }
    out = run(obj, target, Profile.STRICT)
    assert out["trace"] == [["p0", "add", 1], ["p0", "batch", [["UPD", 1]]]]
    assert out["results"][-1] == {"cleaned": [], "refreshed": [[1, 119000]]}


@TARGETS
@pytest.mark.parametrize("profile", RFC, ids=[p.value for p in RFC])
def test_inside_a_list_the_walk_cleans_first_then_the_batch_is_processed(target: Any, profile: Profile) -> None:
    # 3. List 0 holds 101 (refused by the provider, so not offloaded) in front of 1 (offloaded,
    # no timestamp): walking it cleans 101 at once, then its batch asks about 1, whose error
    # cleans it; then list 1 (102, offloaded) is walked and batched.
    refused = {"101": 28}
    obj = {
        "providers": [{"callbacks": ["add", "del"], "add": refused}],
        "events": [*commits(range(102)), {"at": 60000, "do": "sweep"}],
    }
    out = run(obj, target, profile)
    cleaned = out["results"][-1]["cleaned"]
    no_data = "ENODATA" if profile is Profile.RFC_V1 else "EIO"
    assert cleaned[:3] == [[101, "expired"], [1, no_data], [102, no_data]]
    sweep_calls = out["trace"][102:]
    dels = [call[2] for call in sweep_calls if call[1] == "del"]
    # rfc-v1 tells the providers of every cleaned connection; rfc-v2 only of offloaded ones.
    assert dels[:3] == ([101, 1, 102] if profile is Profile.RFC_V1 else [1, 102, 2])


@TARGETS
@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_a_sweep_stops_past_a_64th_of_the_limit_and_resumes_there(target: Any, profile: Profile) -> None:
    # 4. n_conn_limit 128: a sweep stops before a list once more than 2 connections were walked.
    # Five expired connections in lists 0-4: the first sweep walks lists 0, 1 and 2; the second
    # resumes at list 3 and finishes the round; the third starts again at list 0.
    obj = {
        "config": {"enabled": False, "n_conn_limit": 128},
        "events": [*commits(range(5)), *([{"at": 60000, "do": "sweep"}] * 2), *commits(range(5, 8), 60000)],
    }
    results = run(obj, target, profile)["results"]
    assert results[5]["cleaned"] == [[1, "expired"], [2, "expired"], [3, "expired"]]
    assert results[6]["cleaned"] == [[4, "expired"], [5, "expired"]]


@TARGETS
@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_a_full_table_refuses_a_new_connection(target: Any, profile: Profile) -> None:
    obj = {"config": {"n_conn_limit": 2}, "events": [*commits(range(3)), {"at": 1, "do": "commit", "flow": 0}]}
    out = run(obj, target, profile)
    assert out["results"] == [1, 2, None, 1]
    assert sorted(out["table"]) == ["1", "2"]


def test_a_flush_is_compared_as_a_multiset() -> None:
    # 5. The flush order is OVS's hash-map order: unspecified. Another order of the same calls
    # agrees; other calls do not; the calls outside the flush keep their order.
    obj = {
        "providers": [{"callbacks": ["add", "del"]}],
        "events": [*commits(range(3)), {"at": 1, "do": "flush"}, *commits(range(1), 2)],
    }
    scenario = parse_tracker_scenario(obj)
    expected, flushes = run_tracker_spans(scenario, model_tracker(scenario, Profile.RFC_V2))
    expected = json.loads(json.dumps(expected))
    assert flushes == [(3, 6)]
    trace = expected["trace"]
    shuffled = {**expected, "trace": [*trace[:3], trace[5], trace[3], trace[4], *trace[6:]]}
    assert tracker_agrees(expected, shuffled, flushes)
    wrong = {**expected, "trace": [*trace[:3], trace[3], trace[3], trace[4], *trace[6:]]}
    assert not tracker_agrees(expected, wrong, flushes)
    outside = {**expected, "trace": [trace[1], trace[0], *trace[2:]]}
    assert not tracker_agrees(expected, outside, flushes)


@TARGETS
@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_default_timeouts_are_ovs_udp_ones(target: Any, profile: Profile) -> None:
    # 6. UDP_FIRST 60 s at creation, UDP_SINGLE 60 s after more packets one way, UDP_MULTIPLE
    # 30 s once it has seen a reply.
    obj = {
        "config": {"enabled": False},
        "events": [
            {"at": 0, "do": "commit", "flow": 0},
            {"at": 0, "do": "commit", "flow": 1},
            {"at": 0, "do": "commit", "flow": 2},
            {"at": 1000, "do": "commit", "flow": 1},
            {"at": 2000, "do": "reply", "flow": 2},
            {"at": 3000, "do": "commit", "flow": 2},
        ],
    }
    table = run(obj, target, profile)["table"]
    assert table == {
        "1": [0, 60000, False, False, True],
        "2": [1, 61000, False, False, True],
        "3": [2, 33000, True, False, True],
    }


@TARGETS
@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_the_first_formats_timeout_keys_keep_their_meaning(target: Any, profile: Profile) -> None:
    config = {"enabled": False, "timeout_new": 30000, "timeout_established": 60000}
    events = [
        {"at": 0, "do": "commit", "flow": 0},
        {"at": 0, "do": "commit", "flow": 1},
        {"at": 1000, "do": "commit", "flow": 0},
        {"at": 2000, "do": "reply", "flow": 1},
    ]
    table = run({"config": config, "events": events}, target, profile)["table"]
    assert table == {"1": [0, 31000, False, False, True], "2": [1, 62000, True, False, True]}
    with pytest.raises(ScenarioError, match="gives twice"):
        run({"config": {"timeout_new": 1, "udp_first": 2}, "events": []}, target, profile)


@TARGETS
def test_v2_tells_only_offloaded_connections_of_their_deletion(target: Any) -> None:
    # 8. A connection the provider refused (so not offloaded) is cleaned: rfc-v1 sends conn_del
    # anyway, rfc-v2 not.
    obj = {
        "providers": [{"callbacks": ["add", "del"], "add": {"1": 28}}],
        "events": [{"at": 0, "do": "commit", "flow": 0}, {"at": 1, "do": "flush_flow", "flow": 0}],
    }
    assert run(obj, target, Profile.RFC_V1)["trace"] == [["p0", "add", 1], ["p0", "del", 1]]
    assert run(obj, target, Profile.RFC_V2)["trace"] == [["p0", "add", 1]]


# The boundaries of the sweep's rules, each at the exact millisecond where it changes its answer.


@TARGETS
def test_strict_refreshes_a_connection_due_exactly_at_the_next_sweep(target: Any) -> None:
    obj = {
        "providers": [{"callbacks": ["add", "del", "upd"], "upd": {"1": 30000}}],
        "events": [*commits(range(1)), {"at": 40000, "do": "sweep"}],  # expiry 60000 = 40000 + interval
    }
    assert run(obj, target, Profile.STRICT)["results"][-1] == {"cleaned": [], "refreshed": [[1, 90000]]}


@TARGETS
@pytest.mark.parametrize(
    ("stamp", "at", "outcome"),
    [
        (None, 60000, {"cleaned": [[1, "ENODATA"]], "refreshed": []}),  # no data, expired at that very ms
        (5000, 65000, {"cleaned": [[1, "stale"]], "refreshed": []}),  # 5000 + 60000 is not after now
        (5001, 65000, {"cleaned": [], "refreshed": [[1, 65001]]}),
    ],
)
def test_strict_cleans_at_the_boundary(target: Any, stamp: int | None, at: int, outcome: dict[str, Any]) -> None:
    provider: dict[str, Any] = {"callbacks": ["add", "del", "upd"]}
    if stamp is not None:
        provider["upd"] = {"1": stamp}
    obj = {"providers": [provider], "events": [*commits(range(1)), {"at": at, "do": "sweep"}]}
    assert run(obj, target, Profile.STRICT)["results"][-1] == outcome


@TARGETS
@pytest.mark.parametrize(
    ("profile", "stamp", "outcome"),
    [
        (Profile.RFC_V1, -1, {"cleaned": [], "refreshed": [[1, 80000]]}),  # any non-zero time is data
        (Profile.STRICT, -1, {"cleaned": [[1, "ENODATA"]], "refreshed": []}),  # not a time: no data
        (Profile.STRICT, 1, {"cleaned": [], "refreshed": [[1, 60001]]}),
        (Profile.STRICT, 5000, {"cleaned": [], "refreshed": [[1, 65000]]}),
    ],
)
def test_the_single_op_refresh_reads_the_timestamp_as_each_profile_does(
    target: Any, profile: Profile, stamp: int, outcome: dict[str, Any]
) -> None:
    obj = {
        "providers": [{"callbacks": ["add", "del", "upd"], "upd": {"1": stamp}}],
        "config": {"batch_sweep": False},
        "events": [*commits(range(1)), {"at": 60000, "do": "sweep"}],
    }
    assert run(obj, target, profile)["results"][-1] == outcome


@TARGETS
@pytest.mark.parametrize("profile", RFC, ids=[p.value for p in RFC])
def test_the_walk_goes_on_past_a_live_or_offloaded_connection(target: Any, profile: Profile) -> None:
    # List 0 holds 101 then 1. Once 101 is live (committed late) and once it is offloaded while 1
    # is refused: either way, 1 behind it is still walked and cleaned.
    events = [*commits(range(100)), *commits(range(100, 101), 50000), {"at": 60000, "do": "sweep"}]
    late: dict[str, JSON] = {"config": {"enabled": False}, "events": events}
    cleaned = [conn for conn, _ in run(late, target, profile)["results"][-1]["cleaned"]]
    assert cleaned[0] == 1 and 101 not in cleaned
    refused = {
        "providers": [{"callbacks": ["add", "del", "upd"], "add": {"1": 28}, "upd": {"101": 7}}],
        "events": [*commits(range(101)), {"at": 60000, "do": "sweep"}],
    }
    cleaned = [conn for conn, _ in run(refused, target, profile)["results"][-1]["cleaned"]]
    assert cleaned[0] == 1
