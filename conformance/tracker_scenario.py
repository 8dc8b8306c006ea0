"""Tracker scenarios: the scenario protocol's providers, a tracker configuration and timed events.

Purpose: the tracker counterpart of ``conformance.scenario`` (one JSON object per line on
``python -m conformance tracker``): the portable form of the tracker errata and of tracker
checks against the model.

Format: ``id``; ``private_slot`` (default true); ``providers`` exactly as in the scenario protocol
(the world of provider classes); ``config`` with any of the fields of
``model.tracker.TrackerConfig`` (``dpif_classes`` and ``requested`` default to every declared
provider's name, so every declared provider is registered unless the scenario says otherwise);
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

from dataclasses import dataclass, fields
from typing import Any, Protocol

from conformance.outcome import encode_call
from conformance.scenario import ProviderDecl, ScenarioError, _bool, _int, _keys, _provider
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
_TOP = {"id", "private_slot", "providers", "config", "events"}
_CONFIG = {f.name for f in fields(TrackerConfig)}
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
                raise ScenarioError(f"config.{key}: expected a list of provider names, got {value!r}")
            values[key] = tuple(value)
        elif key in ("enabled", "batch_sweep"):
            values[key] = _bool(value, f"config.{key}")
        else:
            values[key] = _int(value, f"config.{key}")
            if values[key] <= 0:
                raise ScenarioError(f"config.{key}: expected a positive number of ms, got {value!r}")
    return TrackerConfig(**values)


def _event(obj: JSON, index: int, last: int) -> TrackerEvent:
    where = f"events[{index}]"
    event = _keys(obj, {"at", "do", "flow", "netdev"}, where)
    at = _int(event.get("at"), f"{where}.at")
    if at < last:
        raise ScenarioError(f"{where}.at: {at} is before the previous event's time {last}")
    word = event.get("do")
    if word not in _EVENTS:
        raise ScenarioError(f"{where}.do: unknown event {word!r} (expected one of {', '.join(sorted(_EVENTS))})")
    if word not in _FLOW_EVENTS:
        if "flow" in event or "netdev" in event:
            raise ScenarioError(f"{where}: '{word}' takes no 'flow' or 'netdev'")
        return TrackerEvent(at=at, op=Sweep() if word == "sweep" else FlushAll())
    flow = event.get("flow")
    if not isinstance(flow, int) or isinstance(flow, bool) or flow < 0:
        raise ScenarioError(f"{where}.flow: a flow is a non-negative integer, got {flow!r}")
    netdev = event.get("netdev")
    if netdev is not None and (word not in ("commit", "reply") or not isinstance(netdev, str)):
        raise ScenarioError(f"{where}.netdev: only commit and reply take a netdev name, got {netdev!r}")
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
        raise ScenarioError(f"providers: expected a list, got {providers_json!r}")
    providers = tuple(_provider(p, i) for i, p in enumerate(providers_json))
    config = _config(top.get("config", {}), tuple(p.name for p in providers))
    events_json = top.get("events", [])
    if not isinstance(events_json, list):
        raise ScenarioError(f"events: expected a list, got {events_json!r}")
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
    trace = list(runner.start_trace)
    results = []
    created: set[int] = set()
    for event in scenario.events:
        result, calls = runner.apply(event.op, event.at)
        trace.extend(calls)
        results.append(encode_result(result))
        if isinstance(event.op, Commit) and isinstance(result, int):
            created.add(result)
    table = runner.table()
    return {
        "id": scenario.id,
        "register": list(runner.register),
        "results": results,
        "trace": [encode_call(call) for call in trace],
        "table": {str(i): list(row) for i, row in sorted(table.items())},
        "marks": {str(i): runner.mark(i).name for i in sorted(created)},
    }
