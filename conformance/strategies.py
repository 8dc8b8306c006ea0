"""Hypothesis strategies for scenario-protocol objects, biased towards the interesting corners.

Purpose: one generator of scenarios shared by the property tests, the external checker and the
vector generator. Connections come from a small pool (0-3) so ops collide on the same connection
often; providers come from a small set of names so duplicate registrations happen; op type values
include invalid ones; tables cover only part of the pool so defaults are exercised.

Promises: every generated object is a valid scenario (``parse_scenario`` accepts it); with
``coherent=True`` no native provider's ``batch_submit`` disagrees with its per-op callbacks (no
``batch_errors``, no raising ``batch_submit``).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from model.ops import batch_kind
from model.vocab import PER_OP_CALLBACKS, Callback, OpType, Profile

JSON = Any
CONNS = st.integers(min_value=0, max_value=3)
_CALLBACK_NAMES = [cb.value for cb in PER_OP_CALLBACKS]
_ERRNOS = st.sampled_from([0, 0, 0, 0, 28, 28, 95, 95, 17, 1, 5, 11, 12, 22, 61, 114])
_STAMPS = st.sampled_from([0, 0, -1, 1, 7, 1000, 2**40])


def _table(values: st.SearchStrategy[JSON]) -> st.SearchStrategy[dict[str, JSON]]:
    return st.dictionaries(CONNS.map(str), values, max_size=3)


@st.composite
def provider(draw: st.DrawFn, *, coherent: bool = False, portable: bool = False) -> dict[str, JSON]:
    """One provider declaration (scripted; occasionally the dummy or the switchdev provider unless
    ``portable``, which keeps to the core scenario protocol without the project's extensions)."""
    # Rare options are drawn as the largest value, so shrinking (towards 0) drops them.
    special = draw(st.integers(0, 9)) if not portable else 0
    if special == 9:
        return {"name": draw(st.sampled_from(["dummy", "d2"])), "kind": "dummy"}
    if special == 8:
        device = {"ct_entries": draw(st.sampled_from([4, 6, 65536])), "queue_size": draw(st.sampled_from([1, 2, 1024]))}
        return {"name": draw(st.sampled_from(["sw", "sw2"])), "kind": "switchdev", "device": device}
    decl: dict[str, JSON] = {"name": draw(st.sampled_from(["a", "b", "c", "d", "e"]))}
    callbacks = draw(st.lists(st.sampled_from(_CALLBACK_NAMES), unique=True))
    decl["callbacks"] = callbacks
    if draw(st.booleans()):
        decl["batch"] = True
    if draw(st.integers(0, 4)) == 4:
        decl["init"] = draw(st.sampled_from([0, 0, 12, 19]))
    for key, values in (("can", st.booleans()), ("add", _ERRNOS), ("upd", _STAMPS)):
        table = draw(_table(values))
        if table:
            decl[key] = table
    if decl.get("batch") and not coherent and draw(st.booleans()):
        decl["batch_errors"] = draw(st.dictionaries(st.integers(0, 5).map(str), _ERRNOS, max_size=3))
    raisable = list(callbacks) + (["batch"] if decl.get("batch") and not coherent else [])
    if raisable and not portable and draw(st.integers(0, 3)) == 3:
        decl["raises"] = draw(st.lists(st.sampled_from(raisable), unique=True, max_size=2))
    return decl


def batch_op() -> st.SearchStrategy[list[JSON]]:
    """``[TYPE, CONN]``: mostly valid names, sometimes invalid integers, sometimes a NULL conn."""
    names = st.sampled_from([t.name for t in OpType])
    kinds: st.SearchStrategy[JSON] = st.one_of(names, names, names, st.sampled_from([6, 7, -1, 255]))
    conn: st.SearchStrategy[JSON] = st.one_of(CONNS, CONNS, CONNS, st.none())
    return st.tuples(kinds, conn).map(list)


#: The op types whose NULL connection the RFC code dereferences (rule RFC-NULL).
NULL_UNDEFINED = frozenset({OpType.ADD, OpType.DEL, OpType.EST})


def defined_for(profile: Profile, raw: list[list[JSON]]) -> list[list[JSON]]:
    """The ``[TYPE, CONN]`` ops of ``raw`` whose result ``profile`` defines: under the rfc profiles,
    ADD, DEL and EST of a NULL connection are dropped (RFC-NULL: the C code dereferences NULL)."""
    if profile is Profile.STRICT:
        return raw
    kept = []
    for kind, conn in raw:
        named = OpType[kind] if isinstance(kind, str) else batch_kind(kind)
        if not (conn is None and named in NULL_UNDEFINED):
            kept.append([kind, conn])
    return kept


def connections() -> st.SearchStrategy[dict[str, JSON]]:
    """The ``conns`` extension: attributes for some connections of the pool."""
    attrs = st.fixed_dictionaries(
        {"proto": st.sampled_from(["tcp", "udp", "gre"])},
        optional={
            "zone": st.sampled_from([1, 70000]),
            "helper": st.just("ftp"),
            "labels": st.just(2**40),
            "nat": st.booleans(),
        },
    )
    return st.dictionaries(CONNS.map(str), attrs, max_size=3)


@st.composite
def lifecycle(draw: st.DrawFn) -> list[list[JSON]]:
    """A batch walking one or two connections through their life: ADD, EST, UPD, POLICY, DEL (a
    subsequence, in order), so that batch EST meets an ADDED connection and UPD a held one."""
    conns = draw(st.lists(CONNS, min_size=1, max_size=2, unique=True))
    kinds = [k for k in ("ADD", "EST", "UPD", "POLICY", "DEL") if draw(st.booleans())]
    return [[kind, conn] for kind in kinds for conn in conns]


@st.composite
def step(draw: st.DrawFn, n_providers: int) -> dict[str, JSON]:
    """One step."""
    words = ["add", "add", "del", "upd", "est", "est", "can", "flush", "batch", "batch", "batch"]
    if n_providers:
        words += ["register", "unregister"]
    word = draw(st.sampled_from(words))
    if word in ("add", "del", "upd", "est", "can"):
        return {"do": word, "conn": draw(CONNS)}
    if word == "batch":
        if draw(st.integers(0, 3)) == 3:
            return {"do": "batch", "ops": draw(lifecycle())}
        return {"do": "batch", "ops": draw(st.lists(batch_op(), max_size=6))}
    if word in ("register", "unregister"):
        return {"do": word, "provider": draw(st.integers(0, n_providers - 1))}
    return {"do": word}


@st.composite
def scenario(draw: st.DrawFn, *, coherent: bool = False, max_steps: int = 8, portable: bool = False) -> dict[str, JSON]:
    """A whole scenario (``portable``: only the core scenario protocol, no extension)."""
    providers = draw(st.lists(provider(coherent=coherent, portable=portable), max_size=3))
    steps = draw(st.lists(step(len(providers)), max_size=max_steps))
    obj: dict[str, JSON] = {"id": draw(st.integers(0, 10**6)), "providers": providers, "steps": steps}
    if not portable and draw(st.integers(0, 3)) == 3:
        obj["conns"] = draw(connections())
    if draw(st.integers(0, 5)) == 5:
        obj["private_slot"] = False
    if draw(st.integers(0, 5)) == 5:
        obj["register_all_at_start"] = False
    return obj


#: Every callback name, for tests that need them.
ALL_CALLBACKS = tuple(cb.value for cb in Callback)
