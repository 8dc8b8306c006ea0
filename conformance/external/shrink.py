"""Shrinking a disagreement to a 1-minimal scenario: the checker's own pass, to a fixpoint.

Purpose: whatever found a disagreement (a generated scenario, a committed vector, Hypothesis for
the tracker protocol), ``minimise`` cuts the scenario down while the disagreement persists, so
that what is printed holds only what the disagreement needs. It removes one *element* at a time,
the big ones first: a top-level option (``private_slot``, ``register_all_at_start``, ``conns``,
``batch_timestamps``, a tracker ``config``), a provider (the ``register``/``unregister`` steps
naming it go too and later indexes are renumbered), a step or tracker event, a batch op, a
provider's name, callback, ``batch``, ``init``, ``kind``, table entry (``can``, ``add``, ``upd``,
``batch_errors``, ``device``) or ``raises`` entry, a step's ``now``/``netdev``, a connection
attribute, a config entry. A provider without a ``callbacks`` list (all six) is tried with each
one left out; a batch op is also tried removed with its ``batch_errors`` entries, the later ones
moving down one index. While removals succeed, runs of steps and ops (halves, quarters...) are
tried before single ones. Then the connections are renumbered 0, 1, 2... in order of appearance,
and the cutting starts again. The ``providers``, ``steps`` and ``events`` lists themselves stay, even
empty, as does an empty ``callbacks`` list (its absence would mean all six).

Promises: ``minimise(obj, fails)`` returns a scenario for which ``fails`` is true (``obj`` itself
when nothing smaller fails) and which is *1-minimal*: ``fails`` is false for every scenario
``removals`` yields from it (the last round tries each of them, with no change in between).
``fails`` is the only judge: a candidate the model refuses or leaves undefined is simply one that
does not fail. ``id`` is never touched; the input is not modified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

JSON = Any
Fails = Callable[[dict[str, JSON]], bool]

PER_OP = ["add", "del", "upd", "est", "can", "flush"]
_PROVIDER_TABLES = ("can", "add", "upd", "batch_errors", "device")
_CONN_TABLES = ("can", "add", "upd")


def _copy(obj: dict[str, JSON]) -> dict[str, JSON]:
    copy: dict[str, JSON] = json.loads(json.dumps(obj))
    return copy


def _without_provider(obj: dict[str, JSON], index: int) -> dict[str, JSON]:
    """``obj`` without provider ``index``: the steps naming it go, later indexes move down."""
    out = _copy(obj)
    del out["providers"][index]
    steps = []
    for step in out.get("steps", []):
        if isinstance(step, dict) and step.get("do") in ("register", "unregister") and "provider" in step:
            if step["provider"] == index:
                continue
            if isinstance(step["provider"], int) and step["provider"] > index:
                step["provider"] -= 1
        steps.append(step)
    if "steps" in out:
        out["steps"] = steps
    return out


def _provider_parts(decl: dict[str, JSON]) -> Iterator[Callable[[dict[str, JSON]], None]]:
    """Edits that each remove one element of a provider declaration (in place, on a copy)."""
    for key in list(decl):
        value = decl[key]
        if key in _PROVIDER_TABLES and isinstance(value, dict) and value:
            for entry in list(value):

                def drop_entry(d: dict[str, JSON], key: str = key, entry: str = entry) -> None:
                    del d[key][entry]
                    if not d[key]:
                        del d[key]

                yield drop_entry
        elif key in ("callbacks", "raises") and isinstance(value, list) and value:
            for word in list(dict.fromkeys(value)):

                def drop_word(d: dict[str, JSON], key: str = key, word: JSON = word) -> None:
                    d[key] = [w for w in d[key] if w != word]

                yield drop_word
        elif key != "callbacks":

            def drop_key(d: dict[str, JSON], key: str = key) -> None:
                del d[key]

            yield drop_key
    if "callbacks" not in decl and decl.get("kind", "scripted") == "scripted":
        for word in PER_OP:

            def drop_default(d: dict[str, JSON], word: str = word) -> None:
                d["callbacks"] = [w for w in PER_OP if w != word]

            yield drop_default


Edit = Callable[[], dict[str, JSON]]


def _deleting(obj: dict[str, JSON], path: tuple[JSON, ...], start: int, stop: int) -> Edit:
    """The edit deleting items ``start:stop`` of the list at ``path``."""

    def edit() -> dict[str, JSON]:
        out = _copy(obj)
        target: JSON = out
        for part in path:
            target = target[part]
        del target[start:stop]
        return out

    return edit


def _list_removals(obj: dict[str, JSON], path: tuple[JSON, ...], length: int) -> Iterator[Edit]:
    """Chunks of a long list first (halves, quarters, ...: quick cuts), then each item."""
    size = length // 2
    while size >= 2:
        for start in range(0, length - size + 1, size):
            yield _deleting(obj, path, start, start + size)
        size //= 2
    for index in range(length):
        yield _deleting(obj, path, index, index + 1)


def _edits(obj: dict[str, JSON], *, chunks: bool) -> Iterator[Edit]:
    """The edits that each remove one element of ``obj`` (and, with ``chunks``, runs of steps and
    ops first), the big elements first; an edit builds its scenario only when called."""
    for key in [key for key in obj if key not in ("id", "providers", "steps", "events")]:
        yield partial(_without, obj, (key,))
    providers = obj.get("providers")
    if isinstance(providers, list):
        for index in range(len(providers)):
            yield partial(_without_provider, obj, index)
    for key in ("steps", "events"):
        items = obj.get(key)
        if isinstance(items, list):
            if chunks:
                yield from _list_removals(obj, (key,), len(items))
            else:
                yield from (_deleting(obj, (key,), i, i + 1) for i in range(len(items)))
    for index, step in enumerate(obj.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("ops"), list):
            path = ("steps", index, "ops")
            if chunks:
                yield from _list_removals(obj, path, len(step["ops"]))
            else:
                yield from (_deleting(obj, path, i, i + 1) for i in range(len(step["ops"])))
            for op in range(len(step["ops"])):
                if _errors_after(obj, op):
                    yield partial(_without_op_shifting_errors, obj, index, op)
    for index, decl in enumerate(providers if isinstance(providers, list) else []):
        if isinstance(decl, dict):
            for change in _provider_parts(decl):
                yield partial(_changed_provider, obj, index, change)
    for key in ("steps", "events"):
        for index, step in enumerate(obj.get(key) or []):
            if isinstance(step, dict):
                for part in [k for k in step if k in ("now", "netdev")]:
                    yield partial(_without, obj, (key, index, part))
    for key in ("conns", "config"):
        table = obj.get(key)
        if isinstance(table, dict):
            for entry, value in table.items():
                yield partial(_without, obj, (key, entry))
                for part in value if isinstance(value, dict) else ():
                    yield partial(_without, obj, (key, entry, part))


def _errors_after(obj: dict[str, JSON], op: int) -> bool:
    """Whether some provider's ``batch_errors`` names an op index after ``op``."""
    return any(
        isinstance(decl, dict)
        and isinstance(decl.get("batch_errors"), dict)
        and any(key.isdigit() and int(key) > op for key in decl["batch_errors"])
        for decl in obj.get("providers") or []
    )


def _without_op_shifting_errors(obj: dict[str, JSON], index: int, op: int) -> dict[str, JSON]:
    """``obj`` without op ``op`` of step ``index``, the ``batch_errors`` after it moved down one
    index, so that they still name the same ops of that batch."""
    out = _copy(obj)
    del out["steps"][index]["ops"][op]
    for decl in out["providers"]:
        errors = decl.get("batch_errors") if isinstance(decl, dict) else None
        if isinstance(errors, dict):
            moved = {}
            for key, value in errors.items():
                if key.isdigit() and int(key) == op:
                    continue
                moved[str(int(key) - 1) if key.isdigit() and int(key) > op else key] = value
            decl["batch_errors"] = moved
            if not moved:
                del decl["batch_errors"]
    return out


def _changed_provider(obj: dict[str, JSON], index: int, change: Callable[[dict[str, JSON]], None]) -> dict[str, JSON]:
    out = _copy(obj)
    change(out["providers"][index])
    return out


def _without(obj: dict[str, JSON], path: tuple[JSON, ...]) -> dict[str, JSON]:
    out = _copy(obj)
    target: JSON = out
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return out


def removals(obj: dict[str, JSON]) -> Iterator[dict[str, JSON]]:
    """Every scenario that is ``obj`` with exactly one element removed, the big elements first."""
    return (edit() for edit in _edits(obj, chunks=False))


def _conn_order(obj: dict[str, JSON]) -> list[int]:
    """The connections of a layer scenario in order of first appearance (steps, then tables)."""
    seen: dict[int, None] = {}
    for step in obj.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("conn"), int):
            seen.setdefault(step["conn"])
        for op in step.get("ops") or []:
            if isinstance(op, list) and len(op) == 2 and isinstance(op[1], int):
                seen.setdefault(op[1])
    for decl in obj.get("providers") or []:
        for key in _CONN_TABLES:
            for conn in (decl.get(key) or {}) if isinstance(decl, dict) else {}:
                if str(conn).isdigit():
                    seen.setdefault(int(conn))
    for conn in obj.get("conns") or {}:
        if str(conn).isdigit():
            seen.setdefault(int(conn))
    return list(seen)


def renumbered(obj: dict[str, JSON]) -> dict[str, JSON] | None:
    """``obj`` with its connections renumbered 0, 1, 2... in order of appearance (None when they
    already are, or for a tracker scenario, whose connection ids the tracker allocates)."""
    if "events" in obj:
        return None
    order = _conn_order(obj)
    new = {old: i for i, old in enumerate(order)}
    if all(old == i for old, i in new.items()):
        return None
    out = _copy(obj)
    for step in out.get("steps") or []:
        if isinstance(step, dict):
            if isinstance(step.get("conn"), int):
                step["conn"] = new[step["conn"]]
            for op in step.get("ops") or []:
                if isinstance(op, list) and len(op) == 2 and isinstance(op[1], int):
                    op[1] = new[op[1]]
    for decl in out.get("providers") or []:
        for key in _CONN_TABLES:
            if isinstance(decl, dict) and isinstance(decl.get(key), dict):
                decl[key] = {str(new[int(k)]) if k.isdigit() else k: v for k, v in decl[key].items()}
    if isinstance(out.get("conns"), dict):
        out["conns"] = {str(new[int(k)]) if k.isdigit() else k: v for k, v in out["conns"].items()}
    return out


def _fixpoint(obj: dict[str, JSON], fails: Fails) -> dict[str, JSON]:
    """Remove elements while ``fails`` holds, until a whole round of single removals removes nothing."""
    chunks = True
    while True:
        changed = False
        edits = list(_edits(obj, chunks=chunks))
        position = 0
        while position < len(edits):
            candidate = edits[position]()
            if fails(candidate):
                obj, changed = candidate, True
                edits = list(_edits(obj, chunks=chunks))  # the edit at ``position`` is now another one
            else:
                position += 1
        if not changed and not chunks:
            return obj
        chunks = changed and chunks  # once chunks stop helping, single removals to the end


def minimise(obj: dict[str, JSON], fails: Fails) -> dict[str, JSON]:
    """The 1-minimal scenario ``obj`` shrinks to (see the module's promises)."""
    obj = _fixpoint(obj, fails)
    simpler = renumbered(obj)
    if simpler is not None and fails(simpler):
        obj = _fixpoint(simpler, fails)
    return obj
