"""Tracker scenarios: the scenario protocol's providers, a tracker configuration and timed events.

Purpose: the tracker counterpart of ``conformance.scenario`` (one JSON object per line on
``python -m conformance tracker``): the portable form of the tracker errata and of tracker
checks against the model.

Format: ``id``; ``private_slot`` (default true); ``providers`` exactly as in the scenario protocol
(the world of provider classes); ``config`` with any of the fields of
``model.tracker.TrackerConfig`` (``dpif_classes`` and ``requested`` default to every declared
provider's name, so every declared provider is registered unless the scenario says otherwise;
``timeout_new`` sets ``udp_first`` and ``udp_single``, ``timeout_established`` sets
``udp_multiple``, as the first format of this protocol had them);
``events``: a list of ``{"at": ms, "do": ..., "flow": n, "netdev": name}`` with ``do`` one of
``commit reply lookup force flush_flow flush sweep`` (``flow`` for the first five; ``netdev``
optional for commit and reply). Events must not go back in time.

Result: ``id``; ``register`` (the return codes of the registrations at start); ``results`` (one per
event: a connection id or null, a count for flush, ``{"cleaned": [[id, reason]...], "refreshed":
[[id, expiry]...]}`` for sweep); ``trace`` (every provider call, as in the scenario protocol);
``table`` (connection id -> ``[flow, expiry, established, forced, sequence_checked]`` at the end);
``marks`` (connection id -> mark at the end, for every connection ever created). A malformed
scenario gives ``{"id": ..., "error": "..."}``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any, Protocol

from conformance.outcome import encode_call
from conformance.scenario import NON_NEGATIVE, ProviderDecl, ScenarioError, _bool, _int, _keys, _provider, _show, _word
from model.ops import Call
from model.tracker import (
    Commit,
    FlushAll,
    FlushFlow,
    ForceExpire,
    Lookup,
    Reply,
    Sweep,
    SweepReport,
    TrackerConfig,
    TrackerOp,
)
from model.vocab import Mark

JSON = Any
#: Where in a trace one event's provider calls are: [start, end).
Span = tuple[int, int]
_TOP = {"id", "private_slot", "providers", "config", "events"}
#: Config keys of the first format, each setting the timeout-policy fields it names (TRACK-TIMEOUT).
_ALIASES = {"timeout_new": ("udp_first", "udp_single"), "timeout_established": ("udp_multiple",)}
_CONFIG = {f.name for f in fields(TrackerConfig)} | set(_ALIASES)
_FLOW_EVENTS = {"commit", "reply", "lookup", "force", "flush_flow"}
_EVENTS = {*_FLOW_EVENTS, "flush", "sweep"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerEvent:
    """One timed event."""

    at: int
    op: TrackerOp


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerScenario:
    """A parsed tracker scenario."""

    id: JSON
    private_slot: bool
    providers: tuple[ProviderDecl, ...]
    config: TrackerConfig
    events: tuple[TrackerEvent, ...]


def _config(obj: JSON, names: tuple[str, ...]) -> TrackerConfig:
    given = _keys(obj, _CONFIG, "config")
    values: dict[str, Any] = {"dpif_classes": names, "requested": names}
    for key, value in given.items():
        if key in ("dpif_classes", "requested"):
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ScenarioError(f"config.{key}: expected a list of provider names, got {_show(value)}")
            values[key] = tuple(value)
        elif key in ("enabled", "batch_sweep"):
            values[key] = _bool(value, f"config.{key}")
        else:
            number = _int(value, f"config.{key}")
            if number <= 0:
                what = "number of connections" if key == "n_conn_limit" else "number of ms"
                raise ScenarioError(f"config.{key}: expected a positive {what}, got {_show(value)}")
            for name in _ALIASES.get(key, (key,)):
                if name in values:
                    raise ScenarioError(f"config.{key}: sets {name}, which the config gives twice")
                values[name] = number
    return TrackerConfig(**values)


def _event(obj: JSON, index: int, last: int) -> TrackerEvent:
    where = f"events[{index}]"
    event = _keys(obj, {"at", "do", "flow", "netdev"}, where)
    at = _int(event.get("at"), f"{where}.at")
    if at < last:
        raise ScenarioError(f"{where}.at: {at} is before the previous event's time {last}")
    word = event.get("do")
    if not _word(word, _EVENTS):
        raise ScenarioError(f"{where}.do: unknown event {_show(word)} (expected one of {', '.join(sorted(_EVENTS))})")
    if word not in _FLOW_EVENTS:
        if "flow" in event or "netdev" in event:
            raise ScenarioError(f"{where}: '{word}' takes no 'flow' or 'netdev'")
        return TrackerEvent(at=at, op=Sweep() if word == "sweep" else FlushAll())
    flow = event.get("flow")
    if not isinstance(flow, int) or isinstance(flow, bool) or not NON_NEGATIVE[0] <= flow <= NON_NEGATIVE[1]:
        raise ScenarioError(
            f"{where}.flow: a flow is a non-negative integer (at most {NON_NEGATIVE[1]}), got {_show(flow)}"
        )
    netdev = event.get("netdev")
    if netdev is not None and (word not in ("commit", "reply") or not isinstance(netdev, str)):
        raise ScenarioError(f"{where}.netdev: only commit and reply take a netdev name, got {_show(netdev)}")
    ops: dict[str, TrackerOp] = {
        "commit": Commit(flow=flow, netdev=netdev),
        "reply": Reply(flow=flow, netdev=netdev),
        "lookup": Lookup(flow=flow),
        "force": ForceExpire(flow=flow),
        "flush_flow": FlushFlow(flow=flow),
    }
    return TrackerEvent(at=at, op=ops[word])


def parse_tracker_scenario(obj: JSON) -> TrackerScenario:
    """Validate one tracker scenario; raises ScenarioError naming the first problem."""
    top = _keys(obj, _TOP, "scenario")
    providers_json = top.get("providers", [])
    if not isinstance(providers_json, list):
        raise ScenarioError(f"providers: expected a list, got {_show(providers_json)}")
    providers = tuple(_provider(p, i) for i, p in enumerate(providers_json))
    config = _config(top.get("config", {}), tuple(p.name for p in providers))
    events_json = top.get("events", [])
    if not isinstance(events_json, list):
        raise ScenarioError(f"events: expected a list, got {_show(events_json)}")
    events: list[TrackerEvent] = []
    for i, e in enumerate(events_json):
        events.append(_event(e, i, events[-1].at if events else 0))
    return TrackerScenario(
        id=top.get("id"),
        private_slot=_bool(top.get("private_slot", True), "private_slot"),
        providers=providers,
        config=config,
        events=tuple(events),
    )


class TrackerRunner(Protocol):
    """A tracker (the model's or impl's) driven event by event."""

    register: tuple[int, ...]
    start_trace: tuple[Call, ...]

    def apply(self, op: TrackerOp, now: int) -> tuple[int | None | SweepReport, tuple[Call, ...]]:
        """Apply ``op`` at ``now``: its result and the provider calls it caused."""

    def table(self) -> dict[int, tuple[int, int, bool, bool, bool]]:
        """Connection id -> (flow, expiry, established, forced, sequence checked)."""

    def mark(self, conn_id: int) -> Mark:
        """The layer's mark of ``conn_id``."""


def encode_result(result: int | None | SweepReport) -> JSON:
    """The JSON form of one event's result."""
    if isinstance(result, SweepReport):
        return {"cleaned": [list(c) for c in result.cleaned], "refreshed": [list(r) for r in result.refreshed]}
    return result


def run_tracker(scenario: TrackerScenario, runner: TrackerRunner) -> dict[str, JSON]:
    """Walk ``scenario`` on ``runner``; the result object."""
    return run_tracker_spans(scenario, runner)[0]


def run_tracker_spans(scenario: TrackerScenario, runner: TrackerRunner) -> tuple[dict[str, JSON], list[Span]]:
    """Walk ``scenario`` on ``runner``: the result object, and where each flush's provider calls
    are in its trace (TRACK-FLUSH: their order is unspecified)."""
    trace = list(runner.start_trace)
    results = []
    created: set[int] = set()
    flushes: list[Span] = []
    for event in scenario.events:
        result, calls = runner.apply(event.op, event.at)
        if isinstance(event.op, FlushAll) and calls:
            flushes.append((len(trace), len(trace) + len(calls)))
        trace.extend(calls)
        results.append(encode_result(result))
        if isinstance(event.op, Commit) and isinstance(result, int):
            created.add(result)
    table = runner.table()
    result_object = {
        "id": scenario.id,
        "register": list(runner.register),
        "results": results,
        "trace": [encode_call(call) for call in trace],
        "table": {str(i): list(row) for i, row in sorted(table.items())},
        "marks": {str(i): runner.mark(i).name for i in sorted(created)},
    }
    return result_object, flushes


def _text(value: JSON) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def tracker_agrees(expected: dict[str, JSON], got: dict[str, JSON], flushes: list[Span]) -> bool:
    """Whether ``got`` is a result ``expected`` allows (compared as JSON, ``id`` aside): every field
    equal, except that the provider calls of each flush (``flushes``, from ``run_tracker_spans``)
    may come in any order, since OVS flushes in hash-map order (TRACK-FLUSH): within each flush's
    span the traces must hold the same calls, as a multiset."""
    if expected.keys() | {"id"} != got.keys() | {"id"}:
        return False
    if any(_text(value) != _text(got[key]) for key, value in expected.items() if key not in ("id", "trace")):
        return False
    want, have = expected["trace"], got["trace"]
    if not isinstance(have, list) or len(want) != len(have):
        return False
    fixed = set(range(len(want))) - {i for start, end in flushes for i in range(start, end)}
    if any(_text(want[i]) != _text(have[i]) for i in fixed):
        return False
    return all(Counter(map(_text, want[start:end])) == Counter(map(_text, have[start:end])) for start, end in flushes)
