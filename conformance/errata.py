"""The errata of the RFC's ct-offload layer: each defect, its minimal counterexample, both results.

Purpose: the single source of the errata list. ``conformance/tests/test_errata.py`` runs every
scenario here under rfc-v1, rfc-v2 and strict and asserts the results recorded here, and
docs/errata.rst is generated from this table (``python -m conformance errata``), so the page, the
tests and the model's docstrings (which cite the ids) cannot drift apart.

Promises: every erratum names the RFC rule it is about and the strict rule that fixes it (both are
rule ids of the model's docstrings); ``rfc`` holds the result fields the real RFC code gives (rfc-v1,
and rfc-v2 unless ``rfc_v2`` differs), ``strict`` those of the strict profile. ``kind`` says which
protocol the scenario speaks: "layer" (``conformance.scenario``) or "tracker"
(``conformance.tracker_scenario``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conformance.model_target import run_on_model
from conformance.runner import run_object
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker
from conformance.tracker_targets import model_tracker
from model.vocab import Profile

JSON = Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Erratum:
    """One defect of the posted RFC code."""

    id: str
    title: str
    rfc_rule: str
    strict_rule: str
    why: str
    scenario: dict[str, JSON]
    rfc: dict[str, JSON]
    strict: dict[str, JSON]
    rfc_v2: dict[str, JSON] | None = None
    kind: str = "layer"


NATIVE_ADD = {"callbacks": ["add", "batch"], "add": {"0": 28}}

ERRATA: tuple[Erratum, ...] = (
    Erratum(
        id="E-BATCH-LOST",
        title="What a batch provider writes into an op is overwritten",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-BATCH",
        why="The fallback loop assigns every op's error after all batch_submit calls, so a native "
        "provider's refusal never reaches the caller and the connection is marked ADDED anyway.",
        scenario={
            "providers": [{"callbacks": ["add", "batch"], "batch_errors": {"0": 28}}],
            "steps": [{"do": "batch", "ops": [["ADD", 0]]}],
        },
        rfc={"returns": [[0]], "marks": [{"0": "ADDED"}]},
        strict={"returns": [[28]], "marks": [{"0": "NONE"}]},
    ),
    Erratum(
        id="E-BATCH-LAW",
        title="A batch does not mean what the same ops mean one by one",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-BATCH",
        why="The fallback skips every provider that has batch_submit, so for such a provider the single-op "
        "API and the batch API give different results for the same op (model.laws.batch_refines fails).",
        scenario={
            "providers": [NATIVE_ADD],
            "steps": [{"do": "add", "conn": 0}, {"do": "del", "conn": 0}, {"do": "batch", "ops": [["ADD", 0]]}],
        },
        rfc={"returns": [28, None, [0]], "marks": [{"0": "NONE"}, {"0": "NONE"}, {"0": "ADDED"}]},
        strict={"returns": [28, None, [28]], "marks": [{"0": "NONE"}, {"0": "NONE"}, {"0": "NONE"}]},
    ),
    Erratum(
        id="E-BATCH-ONLY",
        title="A provider that only has batch_submit has no say, so it can never keep a connection alive",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-MISSING",
        why="With only batch providers, every batch UPD answers ENODATA (EIO in v2), so the expiry sweep "
        "cleans every offloaded connection whatever the hardware says.",
        scenario={
            "batch_timestamps": True,
            "providers": [{"callbacks": ["batch"], "upd": {"0": 5000}}],
            "steps": [{"do": "batch", "ops": [["ADD", 0]]}, {"do": "batch", "ops": [["UPD", 0]]}],
        },
        rfc={"returns": [[0], [61]], "timestamps": [[0], [0]]},
        rfc_v2={"returns": [[0], [5]], "timestamps": [[0], [0]]},
        strict={"returns": [[0], [0]], "timestamps": [[0], [5000]]},
    ),
    Erratum(
        id="E-BATCH-EMPTY",
        title="Every batch provider is called for an empty batch",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-BATCH",
        why="ct_sweep submits one batch per expiry list, even when nothing in the list expired, so every "
        "run of the clean thread hands each batch provider 100 batches (99 of them empty when one "
        "connection is due), each under the layer's lock.",
        scenario={"providers": [{"callbacks": ["batch"]}], "steps": [{"do": "batch", "ops": []}]},
        rfc={"trace": [["p0", "batch", []]]},
        strict={"trace": []},
    ),
    Erratum(
        id="E-BATCH-INVALID",
        title="Ops of an invalid type are handed to batch providers",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-GATE",
        why="The type is checked only in the fallback switch, after batch providers have seen the op.",
        scenario={"providers": [{"callbacks": ["batch"]}], "steps": [{"do": "batch", "ops": [[9, 0]]}]},
        rfc={"trace": [["p0", "batch", [[9, 0]]]], "returns": [[22]]},
        strict={"trace": [], "returns": [[22]]},
    ),
    Erratum(
        id="E-BATCH-EST",
        title="Batch providers see EST ops of connections that are not ADDED",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-GATE",
        why="The 'exactly once' guard of RFC-EST runs only in the fallback loop, after batch providers "
        "were handed the op; they also see the marks as they were before the batch.",
        scenario={"providers": [{"callbacks": ["batch", "est"]}], "steps": [{"do": "batch", "ops": [["EST", 0]]}]},
        rfc={"trace": [["p0", "batch", [["EST", 0]]]], "returns": [[114]]},
        strict={"trace": [], "returns": [[114]]},
    ),
    Erratum(
        id="E-ADD-NOBODY",
        title="A connection is marked offloaded when no provider took it",
        rfc_rule="RFC-ADD",
        strict_rule="STRICT-EFFECT",
        why="The mark is set when no provider returned an error, which includes no provider at all and "
        "every provider declining; conntrack then skips TCP sequence checks for it and expires it "
        "through UPD.",
        scenario={"providers": [{"can": {"0": False}}], "steps": [{"do": "add", "conn": 0}]},
        rfc={"returns": [0], "marks": [{"0": "ADDED"}]},
        strict={"returns": [95], "marks": [{"0": "NONE"}]},
    ),
    Erratum(
        id="E-ADD-NOSLOT",
        title="Without a private slot, ADD offloads a connection the layer cannot track",
        rfc_rule="RFC-ADD",
        strict_rule="STRICT-GATE",
        why="Providers install the connection and ADD answers 0, but no mark is kept, so EST answers "
        "EAGAIN for ever and the rfc-v2 tracker never sends the DEL (its DEL is gated on the mark).",
        scenario={
            "private_slot": False,
            "providers": [{}],
            "steps": [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["EST", 0]]}],
        },
        rfc={"returns": [0, [11]], "trace": [["p0", "can", 0], ["p0", "add", 0]]},
        strict={"returns": [12, [114]], "trace": []},
    ),
    Erratum(
        id="E-READD-EST",
        title="Re-adding an established connection makes EST reach providers a second time",
        rfc_rule="RFC-ADD",
        strict_rule="STRICT-GATE",
        why="A successful ADD sets ADDED whatever the mark was, so the header's 'exactly once' EST "
        "notification does not hold.",
        scenario={
            "providers": [{"callbacks": ["add", "est"]}],
            "steps": [
                {"do": "add", "conn": 0},
                {"do": "est", "conn": 0},
                {"do": "add", "conn": 0},
                {"do": "est", "conn": 0},
            ],
        },
        rfc={
            "trace": [["p0", "add", 0], ["p0", "est", 0], ["p0", "add", 0], ["p0", "est", 0]],
            "returns": [0, None, 0, None],
        },
        strict={"trace": [["p0", "add", 0], ["p0", "est", 0]], "returns": [0, None, 17, None]},
    ),
    Erratum(
        id="E-UPD-FIRST",
        title="UPD reports the first non-zero timestamp, not the latest, and -1 counts",
        rfc_rule="RFC-UPD",
        strict_rule="STRICT-EFFECT",
        why="Later providers are not asked once one answered, so a stale or negative answer hides a newer one.",
        scenario={
            "providers": [
                {"callbacks": ["add", "upd"], "upd": {"0": -1}},
                {"callbacks": ["add", "upd"], "upd": {"0": 500}},
            ],
            "steps": [{"do": "add", "conn": 0}, {"do": "upd", "conn": 0}],
        },
        rfc={"returns": [0, -1]},
        strict={"returns": [0, 500]},
    ),
    Erratum(
        id="E-UPD-TS",
        title="A batch UPD drops the timestamp",
        rfc_rule="RFC-BATCH",
        strict_rule="STRICT-EFFECT",
        why="The op struct has no field for it, so the expiry sweep can only tell zero from non-zero and "
        "extends by a fixed interval however old the hardware's last-used time is.",
        scenario={
            "batch_timestamps": True,
            "providers": [{"callbacks": ["add", "upd"], "upd": {"0": 1234}}],
            "steps": [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["UPD", 0]]}],
        },
        rfc={"returns": [0, [0]], "timestamps": [None, [0]]},
        strict={"returns": [0, [0]], "timestamps": [None, [1234]]},
    ),
    Erratum(
        id="E-CAN-NULL",
        title="A missing can_offload means yes for ADD and no for can_offload() and POLICY",
        rfc_rule="RFC-CAN",
        strict_rule="STRICT-ASK-POLICY",
        why="The same NULL member is read two ways, so POLICY says EPERM for a connection ADD would hand "
        "to the provider.",
        scenario={
            "providers": [{"callbacks": ["add"]}],
            "steps": [{"do": "can", "conn": 0}, {"do": "batch", "ops": [["POLICY", 0]]}, {"do": "add", "conn": 0}],
        },
        rfc={"returns": [False, [1], 0], "marks": [{"0": "NONE"}, {"0": "NONE"}, {"0": "ADDED"}]},
        strict={"returns": [True, [0], 0], "marks": [{"0": "NONE"}, {"0": "NONE"}, {"0": "ADDED"}]},
    ),
    Erratum(
        id="E-FLUSH-MARKS",
        title="Flush leaves every mark set",
        rfc_rule="RFC-FLUSH",
        strict_rule="STRICT-EFFECT",
        why="After ct_offload_flush() the providers hold nothing but the connections still read as offloaded.",
        scenario={"providers": [{}], "steps": [{"do": "add", "conn": 0}, {"do": "flush"}]},
        rfc={"marks": [{"0": "ADDED"}, {"0": "ADDED"}]},
        strict={"marks": [{"0": "ADDED"}, {"0": "NONE"}]},
    ),
    Erratum(
        id="E-UNREG-MARKS",
        title="Unregistering a provider leaves the marks of the connections it held",
        rfc_rule="REG-DEL",
        strict_rule="STRICT-UNREG",
        why="The connections still read as offloaded by a provider that is gone.",
        scenario={"providers": [{}], "steps": [{"do": "add", "conn": 0}, {"do": "unregister", "provider": 0}]},
        rfc={"marks": [{"0": "ADDED"}, {"0": "ADDED"}]},
        strict={"marks": [{"0": "ADDED"}, {"0": "NONE"}]},
    ),
    Erratum(
        id="E-DEL-ALL",
        title="DEL, EST and UPD reach providers that never took the connection",
        rfc_rule="RFC-DEL",
        strict_rule="STRICT-GATE",
        why="A provider that declined a connection is still told of its establishment, asked for its "
        "timestamp and told of its deletion; each is a wasted call under the layer's lock.",
        scenario={
            "providers": [{"can": {"0": False}}, {}],
            "steps": [{"do": "add", "conn": 0}, {"do": "est", "conn": 0}, {"do": "del", "conn": 0}],
        },
        rfc={
            "trace": [
                ["p0", "can", 0],
                ["p1", "can", 0],
                ["p1", "add", 0],
                ["p0", "est", 0],
                ["p1", "est", 0],
                ["p0", "del", 0],
                ["p1", "del", 0],
            ]
        },
        strict={"trace": [["p0", "can", 0], ["p1", "can", 0], ["p1", "add", 0], ["p1", "est", 0], ["p1", "del", 0]]},
    ),
    Erratum(
        id="E-DEL-LOST",
        title="A failed removal is lost: the mark goes NONE while the device still holds the connection",
        rfc_rule="RFC-DEL",
        strict_rule="STRICT-KEEP",
        why="conn_del is void, so a provider cannot report that its removal failed (a device REMOVE "
        "that failed or timed out), and the mark is set to NONE anyway. Nothing will ever retry: "
        "conntrack has forgotten the connection, and the hardware entry leaks until a flush; "
        "re-adding the connection even reports success.",
        scenario={
            "providers": [{"callbacks": ["add", "del"], "raises": ["del"]}],
            "steps": [{"do": "add", "conn": 0}, {"do": "del", "conn": 0}, {"do": "add", "conn": 0}],
        },
        rfc={"returns": [0, None, 0], "marks": [{"0": "ADDED"}, {"0": "NONE"}, {"0": "ADDED"}]},
        strict={"returns": [0, None, 17], "marks": [{"0": "ADDED"}, {"0": "ADDED"}, {"0": "ADDED"}]},
    ),
    Erratum(
        id="E-NULL-CONN",
        title="ADD, DEL and EST of a NULL connection dereference NULL",
        rfc_rule="RFC-NULL",
        strict_rule="STRICT-GATE",
        why="A batch op's ctx is copied as given, and the helpers read or write the connection's "
        "private slot without checking the pointer: DEL always, ADD when no provider failed, EST "
        "before calling anyone. The process crashes, so the rfc profiles prescribe no result (a "
        "harness of the C code cannot answer); strict answers EINVAL and calls no provider.",
        scenario={"providers": [{}], "steps": [{"do": "batch", "ops": [["DEL", None]]}]},
        rfc={"undefined": "steps[0]: DEL's conn_private_set dereferences a NULL connection (RFC-NULL)"},
        strict={"returns": [[22]], "trace": []},
    ),
)

TRACKER_ERRATA: tuple[Erratum, ...] = (
    Erratum(
        id="E-TRACK-DUMMY",
        kind="tracker",
        title="The dummy provider is registered in production, and its connections never expire",
        rfc_rule="TRACK-INIT",
        strict_rule="TRACK-INIT",
        why="dpif_offload_module_init registers the 'dummy' and 'dummy_x' dpif offload classes in every "
        "build, whatever the datapath, and ct_offload_module_init registers every ct provider named like "
        "a registered dpif offload class: with hw-offload=true the dummy ct provider is always active. It "
        "answers every UPD with the current time, so every committed connection is offloaded into its "
        "list and refreshed for ever, TCP sequence checks off.",
        scenario={
            "providers": [{"kind": "dummy", "name": "dummy"}],
            "config": {"dpif_classes": ["dummy", "dummy_x"], "requested": []},
            "events": [
                {"at": 0, "do": "commit", "flow": 0},
                {"at": 60000, "do": "sweep"},
                {"at": 80000, "do": "sweep"},
            ],
        },
        rfc={
            "register": [0],
            "results": [1, {"cleaned": [], "refreshed": [[1, 80000]]}, {"cleaned": [], "refreshed": [[1, 100000]]}],
            "marks": {"1": "ADDED"},
        },
        strict={
            "register": [],
            "results": [1, {"cleaned": [[1, "expired"]], "refreshed": []}, {"cleaned": [], "refreshed": []}],
            "marks": {"1": "NONE"},
        },
    ),
    Erratum(
        id="E-TRACK-NOBODY",
        kind="tracker",
        title="With offload on and no provider, every connection loses TCP sequence checking",
        rfc_rule="RFC-ADD",
        strict_rule="STRICT-EFFECT",
        why="conn_add marks the connection ADDED when no provider objected, and patch 07 skips every TCP "
        "sequence, window and RST check for a connection so marked.",
        scenario={"events": [{"at": 0, "do": "commit", "flow": 0}]},
        rfc={"table": {"1": [0, 60000, False, False, False]}, "marks": {"1": "ADDED"}},
        strict={"table": {"1": [0, 60000, False, False, True]}, "marks": {"1": "NONE"}},
    ),
    Erratum(
        id="E-TRACK-STALE",
        kind="tracker",
        title="A stale hardware timestamp keeps a connection alive for ever",
        rfc_rule="TRACK-SWEEP-RFC",
        strict_rule="TRACK-SWEEP-STRICT",
        why="The sweep extends an offloaded connection by the sweep interval whenever UPD answers any "
        "non-zero time, however old; hardware that last saw the flow long ago keeps it in the table.",
        scenario={
            "providers": [{"callbacks": ["add", "del", "upd"], "upd": {"1": 1}}],
            "events": [
                {"at": 0, "do": "commit", "flow": 0},
                {"at": 60000, "do": "sweep"},
                {"at": 80000, "do": "sweep"},
            ],
        },
        rfc={
            "results": [1, {"cleaned": [], "refreshed": [[1, 80000]]}, {"cleaned": [], "refreshed": [[1, 100000]]}],
            "marks": {"1": "ADDED"},
        },
        strict={
            "results": [1, {"cleaned": [], "refreshed": [[1, 60001]]}, {"cleaned": [[1, "stale"]], "refreshed": []}],
            "marks": {"1": "NONE"},
        },
    ),
    Erratum(
        id="E-TRACK-FORCE",
        kind="tracker",
        title="A force-expired connection comes back",
        rfc_rule="TRACK-SWEEP-RFC",
        strict_rule="TRACK-SWEEP-STRICT",
        why="conn_force_expire sets the expiry to 0 so that a new connection can take the flow; the sweep "
        "then sends the old, still offloaded connection a UPD and extends it, so lookups find it again "
        "and, once the flow is re-committed, two live connections share one key.",
        scenario={
            "providers": [{"callbacks": ["add", "del", "upd"], "upd": {"1": 5}}],
            "events": [
                {"at": 0, "do": "commit", "flow": 0},
                {"at": 1000, "do": "force", "flow": 0},
                {"at": 20000, "do": "sweep"},
            ],
        },
        rfc={
            "results": [1, 1, {"cleaned": [], "refreshed": [[1, 40000]]}],
            "table": {"1": [0, 40000, False, False, False]},
        },
        strict={"results": [1, 1, {"cleaned": [[1, "forced"]], "refreshed": []}], "table": {}},
    ),
    Erratum(
        id="E-TRACK-WINDOW",
        kind="tracker",
        title="A live offloaded connection is missed by lookups between its expiry and the next sweep",
        rfc_rule="TRACK-SWEEP-RFC",
        strict_rule="TRACK-SWEEP-STRICT",
        why="Offloaded connections are refreshed only once their software expiry has passed; until the clean "
        "thread next runs, conn_key_lookup skips them, so software-path packets and dumps do not see a "
        "connection the hardware is still forwarding. With the default timeouts a connection first expires "
        "60 s after its first packet and the clean thread runs every 20 s, so the first window lasts up to "
        "20 s; a refresh then sets the expiry to the time of the next run, and each later window lasts "
        "until the clean thread actually wakes.",
        scenario={
            "providers": [{"kind": "dummy", "name": "dummy"}],
            "events": [
                {"at": 5000, "do": "commit", "flow": 0},
                {"at": 60000, "do": "sweep"},
                {"at": 70000, "do": "lookup", "flow": 0},
            ],
        },
        rfc={"results": [1, {"cleaned": [], "refreshed": []}, None]},
        strict={"results": [1, {"cleaned": [], "refreshed": [[1, 120000]]}, 1]},
    ),
)

ALL_ERRATA: tuple[Erratum, ...] = ERRATA + TRACKER_ERRATA


def erratum(ident: str) -> Erratum:
    """The erratum with id ``ident``."""
    for e in ALL_ERRATA:
        if e.id == ident:
            return e
    raise KeyError(f"no erratum {ident!r}")


def outcome(e: Erratum, profile: Profile) -> dict[str, JSON]:
    """The model's whole result for ``e``'s counterexample under ``profile``."""
    if e.kind == "tracker":
        scenario = parse_tracker_scenario(e.scenario)
        return json.loads(json.dumps(run_tracker(scenario, model_tracker(scenario, profile))))  # type: ignore[no-any-return]
    return run_object(e.scenario, run_on_model, profile)


def shown(e: Erratum, profile: Profile) -> dict[str, JSON]:
    """The fields of ``outcome`` that the erratum quotes."""
    out = outcome(e, profile)
    return {key: out[key] for key in expected(e, profile)}


def expected(e: Erratum, profile: Profile) -> dict[str, JSON]:
    """The fields the erratum records for ``profile``."""
    return {Profile.RFC_V1: e.rfc, Profile.RFC_V2: e.rfc_v2 or e.rfc, Profile.STRICT: e.strict}[profile]
