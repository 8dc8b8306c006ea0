"""The shape of each layer erratum's counterexample, as a predicate on a scenario.

Purpose: the external checker must be able to generate every erratum's situation (issue 15).
``SHAPES`` says, for each layer erratum of ``conformance.errata``, what a scenario needs for that
defect to show: ``reaches(erratum, scenario)`` holds when the scenario has the shape and, for an
erratum the rfc profiles define, the model's rfc-v1 and strict results of it differ.

Promises: one predicate per layer erratum (a test fails for an erratum without one); each reads
as the erratum's "why" in code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from conformance.model_target import run_on_model
from conformance.runner import run_object
from model.vocab import Profile

JSON = Any
Event = tuple[str, JSON]


def providers(s: dict[str, JSON]) -> list[dict[str, JSON]]:
    return [p for p in s.get("providers", []) if p.get("kind", "scripted") == "scripted"]


def callbacks(p: dict[str, JSON]) -> set[str]:
    words = set(p.get("callbacks", ["add", "del", "upd", "est", "can", "flush"]))
    return words | ({"batch"} if p.get("batch") else set())


def native(p: dict[str, JSON]) -> bool:
    return "batch" in callbacks(p)


def events(s: dict[str, JSON]) -> Iterator[Event]:
    """Every op of the scenario in order, single steps and batch ops alike: (word, conn)."""
    for step in s.get("steps", []):
        if step["do"] == "batch":
            for kind, conn in step["ops"]:
                yield (kind.lower() if isinstance(kind, str) else "invalid", conn)
        else:
            yield step["do"], step.get("conn", step.get("provider"))


def batch_ops(s: dict[str, JSON]) -> Iterator[list[JSON]]:
    for step in s.get("steps", []):
        if step["do"] == "batch":
            yield from step["ops"]


def in_order(s: dict[str, JSON], *words: str, conns: set[JSON] | None = None) -> bool:
    """Some connection (of ``conns``, if given) meets ops ``words`` in this order (others between)."""
    for conn in {c for _, c in events(s) if isinstance(c, int)} if conns is None else conns:
        todo = list(words)
        for word, c in events(s):
            if todo and c == conn and word == todo[0]:
                todo.pop(0)
        if not todo:
            return True
    return False


def before(s: dict[str, JSON], first: str, then: str) -> bool:
    """An op ``first`` (on any connection) comes before an op ``then``."""
    words = [word for word, _ in events(s)]
    return first in words and then in words[words.index(first) + 1 :]


def _batches(s: dict[str, JSON]) -> list[list[JSON]]:
    return [step["ops"] for step in s.get("steps", []) if step["do"] == "batch"]


def _batch_lost(s: dict[str, JSON]) -> bool:
    errors = [int(i) for p in providers(s) if native(p) for i, e in p.get("batch_errors", {}).items() if e]
    return any(len(ops) > i for ops in _batches(s) for i in errors)


def _batch_law(s: dict[str, JSON]) -> bool:
    adders = [p for p in providers(s) if native(p) and "add" in callbacks(p)]
    refusing = {int(c) for p in adders for c, e in p.get("add", {}).items() if e}
    return any(kind == "ADD" and conn in refusing for kind, conn in batch_ops(s))


def _batch_only(s: dict[str, JSON]) -> bool:
    only = any(native(p) and not (callbacks(p) - {"batch", "init"}) for p in providers(s))
    return only and any(kind == "UPD" for kind, _ in batch_ops(s))


def _declines(p: dict[str, JSON], conn: JSON) -> bool:
    return "can" in callbacks(p) and p.get("can", {}).get(str(conn), True) is False


def _add_nobody(s: dict[str, JSON]) -> bool:
    adds = [conn for word, conn in events(s) if word == "add"]
    return any(all("add" not in callbacks(p) or _declines(p, c) for p in providers(s)) for c in adds)


def _upd_first(s: dict[str, JSON]) -> bool:
    answering = [p for p in providers(s) if "upd" in callbacks(p)]
    return len(answering) >= 2 and any(word == "upd" for word, _ in events(s))


def _del_all(s: dict[str, JSON]) -> bool:
    declined = {c for _, c in events(s) if any(_declines(p, c) for p in providers(s))}
    return any(in_order(s, "add", later, conns=declined) for later in ("est", "del", "upd"))


#: For each layer erratum, what a scenario needs for it to show.
SHAPES: dict[str, Callable[[dict[str, JSON]], bool]] = {
    "E-BATCH-LOST": _batch_lost,
    "E-BATCH-LAW": _batch_law,
    "E-BATCH-ONLY": _batch_only,
    "E-BATCH-EMPTY": lambda s: any(native(p) for p in providers(s)) and [] in _batches(s),
    "E-BATCH-INVALID": lambda s: any(native(p) for p in providers(s)) and any(w == "invalid" for w, _ in events(s)),
    "E-BATCH-EST": lambda s: (
        any(native(p) and "est" in callbacks(p) for p in providers(s))
        and any(kind == "EST" for kind, _ in batch_ops(s))
    ),
    "E-ADD-NOBODY": _add_nobody,
    "E-ADD-NOSLOT": lambda s: s.get("private_slot") is False and in_order(s, "add", "est"),
    "E-READD-EST": lambda s: in_order(s, "add", "est", "add", "est"),
    "E-UPD-FIRST": _upd_first,
    "E-UPD-TS": lambda s: bool(s.get("batch_timestamps")) and in_order(s, "add", "upd"),
    "E-CAN-NULL": lambda s: (
        any("can" not in callbacks(p) for p in providers(s)) and any(word in ("can", "policy") for word, _ in events(s))
    ),
    "E-FLUSH-MARKS": lambda s: before(s, "add", "flush"),
    "E-UNREG-MARKS": lambda s: before(s, "add", "unregister"),
    "E-DEL-ALL": _del_all,
    "E-DEL-LOST": lambda s: any("del" in p.get("raises", []) for p in providers(s)) and in_order(s, "add", "del"),
    "E-NULL-CONN": lambda s: (
        s.get("private_slot", True)
        and any(kind in ("ADD", "DEL", "EST") and conn is None for kind, conn in batch_ops(s))
    ),
}


def reaches(ident: str, scenario: dict[str, JSON]) -> bool:
    """Whether ``scenario`` has erratum ``ident``'s shape and shows it (rfc-v1 and strict differ;
    for RFC-NULL, rfc-v1 leaves it undefined)."""
    if not SHAPES[ident](scenario):
        return False
    rfc = run_object(scenario, run_on_model, Profile.RFC_V1)
    strict = run_object(scenario, run_on_model, Profile.STRICT)
    if ident == "E-NULL-CONN":
        return "undefined" in rfc and "undefined" not in strict
    return "undefined" not in rfc and rfc != strict
