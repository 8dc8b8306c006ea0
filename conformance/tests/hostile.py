"""Hostile input for the protocol streams and the schema tests: what a careless or malicious peer sends.

``json_values`` are arbitrary JSON values biased towards the values that broke the streams before
(integers at the edges of C's types and beyond 4300 digits, "²" and "٣", names as lists);
``near_valid(base)`` damages a valid object in one to three places (a value replaced, a key added
or dropped); ``raw_lines`` are whole input lines as bytes: arbitrary bytes, damaged JSON text, and
every class the streams must refuse (not UTF-8, NaN and Infinity, nesting 1000 deep, 5000-digit
integers, a key twice, numbers beyond a double). ``tracker_scenario`` is a valid tracker scenario.
``schema_validator`` loads the shipped JSON Schemas (conformance/schema/) with their references.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from conformance import strategies as cs

JSON = Any
EDGE_INTS = [
    -1, 0, 1, 5, 2**31 - 1, 2**31, -(2**31) - 1, 2**32 - 1, 2**32, 2**32 + 1,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**128 - 1, 2**128, 10**30, 10**4000,
]  # fmt: skip
NASTY_TEXT = [
    "",
    "0",
    "01",
    "00",
    "-1",
    "+1",
    " 1",
    "1\n",
    "²",
    "٣",
    "１",
    "𝟙",
    "\u0000",
    "\ud800",
    "ADD",
    "batch",
    "add",
]
NASTY_LINES = [
    b'{"id": NaN}',
    b'{"id": Infinity, "steps": []}',
    b"[-Infinity]",
    b'{"id": 1e400}',
    b"[" * 1000 + b"]" * 1000,
    b'{"id": ' + b"[" * 101 + b"]" * 101 + b"}",
    b'{"id": ' + b"9" * 5000 + b"}",
    b'{"id": -' + b"9" * 4301 + b"}",
    b'{"id": 1, "id": 2}',
    b'{"id": 1}\xff',
    b'\xef\xbb\xbf{"id": 1}',
    b'{"id": "\\ud800"}',
    b'{"id": "\xed\xa0\x80"}',
    b'{"steps": [{"do": [1]}]}',
    b'{"providers": [{"callbacks": [["add"]]}]}',
    b'{"providers": [{"raises": [{}]}]}',
    b'{"providers": [{"kind": ["dummy"]}]}',
    b'{"conns": {"0": {"proto": ["tcp"]}}}',
    b'{"events": [{"at": 0, "do": ["commit"], "flow": 1}]}',
    b'{"providers": [{"add": {"\xc2\xb2": 1}}]}',
    b'{"providers": [{"add": {"\xd9\xa3": 1}}], "steps": [{"do": "add", "conn": 3}]}',
    b'{"providers": [{"kind": "switchdev", "device": {"ct_entries": 4294967297}}]}',
    b'{"providers": [{"kind": "switchdev", "device": {"queue_size": 18446744073709551616}}]}',
    b"\x00",
    b"\x0c",
    b"\r",
    b"  \t ",
    b"null",
    b"{}",
]


def json_values(max_leaves: int = 8) -> st.SearchStrategy[JSON]:
    """Arbitrary JSON values (finite numbers only: the text forms of NaN are in ``raw_lines``)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(EDGE_INTS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=6),
    )
    keys = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=5))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
        max_leaves=max_leaves,
    )


def _paths(value: JSON, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


#: Keys a damaged object may gain: the protocol's own words, so a wrong value often meets a known key.
_KNOWN_KEYS = [
    "id", "providers", "steps", "conns", "do", "conn", "now", "ops", "provider", "kind", "device", "callbacks",
    "raises", "batch", "init", "add", "upd", "can", "batch_errors", "name", "ct_entries", "queue_size",
    "stats_period", "entries_per_conn", "accept_new_udp", "proto", "zone", "labels", "helper", "nat", "netdev",
    "config", "events", "at", "flow", "private_slot", "register_all_at_start", "batch_timestamps",
]  # fmt: skip


@st.composite
def near_valid(draw: st.DrawFn, base: st.SearchStrategy[JSON], values: st.SearchStrategy[JSON] | None = None) -> JSON:
    """``base``'s object damaged in one to three places."""
    obj = json.loads(json.dumps(draw(base)))
    values = json_values(4) if values is None else values
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(obj)))
        new = draw(values)
        if not path:
            obj = new
            continue
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.integers(0, 3))
        if how == 0 and isinstance(parent, dict):
            parent[draw(st.sampled_from(_KNOWN_KEYS + NASTY_TEXT))] = new
        elif how == 1 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = new
    return obj


@st.composite
def tracker_scenario(draw: st.DrawFn) -> dict[str, JSON]:
    """A valid tracker scenario: providers of the scenario protocol, some config, ordered events."""
    providers = draw(st.lists(cs.provider(), max_size=2))
    words = st.sampled_from(["commit", "commit", "reply", "lookup", "force", "flush_flow", "flush", "sweep"])
    events = []
    at = 0
    for word in draw(st.lists(words, max_size=6)):
        at += draw(st.sampled_from([0, 1, 1000, 30_000, 60_001]))
        event: dict[str, JSON] = {"at": at, "do": word}
        if word not in ("flush", "sweep"):
            event["flow"] = draw(st.integers(0, 3))
        events.append(event)
    config = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "sweep_interval": st.sampled_from([1, 20_000]),
                "enabled": st.booleans(),
                "batch_sweep": st.booleans(),
                "timeout_new": st.sampled_from([1, 30_000]),
            },
        )
    )
    return {"id": draw(st.integers(0, 99)), "providers": providers, "config": config, "events": events}


@st.composite
def raw_lines(draw: st.DrawFn, base: st.SearchStrategy[JSON]) -> bytes:
    """One input line (no LF in it): arbitrary bytes, a known hostile line, a damaged valid
    object as text, or that text with bytes spliced in."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=30)).replace(b"\n", b" ")
    if kind == 1:
        return draw(st.sampled_from(NASTY_LINES))
    text = json.dumps(draw(near_valid(base) if kind != 2 else base)).encode()
    if kind == 4 and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=3)).replace(b"\n", b" ") + text[at:]
    return text


def schema_validator(name: str) -> Draft202012Validator:
    """A validator of the shipped schema ``name`` (e.g. "scenario"), its references resolved among
    the shipped schemas, as a user of the package would load them."""
    folder = resources.files("conformance") / "schema"
    schemas = [json.loads(path.read_text()) for path in folder.iterdir() if path.name.endswith(".schema.json")]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    (wanted,) = [s for s in schemas if s["$id"].endswith(f"/{name}.schema.json")]
    return Draft202012Validator(wanted, registry=registry)
