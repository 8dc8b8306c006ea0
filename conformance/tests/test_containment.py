"""Bad provider answers and malformed contexts are contained, in every profile.

A native ``batch_submit`` that adds, removes or reorders entries of the list it is handed is
answered EIO for its ops under strict (STRICT-RAISE), and never breaks the batch: the other
providers are still called and every op gets a result. A ``Ctx`` whose ``conn`` is not a
``ConnRef`` with an int id, or whose ``netdev_in`` is not a str, is refused with a TypeError naming
it before any provider is called or any mark changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import pytest

from impl.batch import Batch, BatchEntry
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.conn import ConnRef, Ctx
from model.vocab import Mark, OpType, Profile

pytestmark = pytest.mark.conformance
T = TypeVar("T")
PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])


def _note(calls: list[str], what: str, answer: T) -> T:
    """Record ``what`` in ``calls`` and answer ``answer`` (a provider callback's body)."""
    calls.append(what)
    return answer


def _append(entries: list[BatchEntry]) -> None:
    entries.append(BatchEntry(kind=OpType.ADD, ctx=Ctx.of(99), index=99))


def _remove(entries: list[BatchEntry]) -> None:
    entries.pop()


def _reverse(entries: list[BatchEntry]) -> None:
    entries.reverse()


@PROFILES
@pytest.mark.parametrize("meddle", [_append, _remove, _reverse], ids=["append", "remove", "reorder"])
def test_a_batch_provider_that_changes_its_list_breaks_nothing(
    profile: Profile, meddle: Callable[[list[BatchEntry]], None]
) -> None:
    calls: list[str] = []

    def broken(entries: list[BatchEntry]) -> None:
        meddle(entries)
        for entry in entries:
            entry.error = 0

    layer = OffloadLayer(profile)
    assert layer.register(OffloadClass(name="broken", batch_submit=broken)) == 0
    good = OffloadClass(name="good", conn_add=lambda ctx: _note(calls, f"add {ctx.conn_id}", 0))
    assert layer.register(good) == 0
    batch = Batch()
    for conn in (1, 2):
        batch.add(OpType.ADD, Ctx.of(conn))
    layer.submit(batch)
    assert calls == ["add 1", "add 2"]  # the provider after the broken one is still called
    assert [entry.error for entry in batch.entries] == [0, 0]  # the good provider took both
    assert layer.mark(1) is Mark.ADDED and layer.mark(2) is Mark.ADDED
    if profile is Profile.STRICT:
        # the broken provider's verdicts are EIO: it holds nothing
        assert [cls.name for cls in layer.holders(1)] == ["good"]


def test_a_broken_batch_provider_alone_answers_eio_under_strict() -> None:
    layer = OffloadLayer(Profile.STRICT)
    assert layer.register(OffloadClass(name="broken", batch_submit=_append)) == 0
    batch = Batch()
    batch.add(OpType.ADD, Ctx.of(1))
    layer.submit(batch)
    assert [(entry.error, entry.last_used) for entry in batch.entries] == [(5, 0)]
    assert layer.mark(1) is Mark.NONE


MALFORMED = [
    (Ctx(conn=5), "ctx.conn must be a model.conn.ConnRef or None, got int"),  # type: ignore[arg-type]
    (Ctx(conn="c"), "ctx.conn must be a model.conn.ConnRef or None, got str"),  # type: ignore[arg-type]
    (Ctx(conn=replace(ConnRef.synthetic(1), id=[1])), "ctx.conn.id must be an int, got list"),  # type: ignore[arg-type]
    (Ctx(conn=replace(ConnRef.synthetic(1), id=True)), "ctx.conn.id must be an int, got bool"),
    (Ctx(conn=ConnRef.synthetic(1), netdev_in=3), "ctx.netdev_in"),  # type: ignore[arg-type]
    ("ctx", "ctx must be a model.conn.Ctx, got str"),
]


@PROFILES
@pytest.mark.parametrize(
    ("ctx", "named"), MALFORMED, ids=["int", "str", "unhashable-id", "bool-id", "netdev", "not-ctx"]
)
def test_a_malformed_ctx_is_refused_before_anything_changes(profile: Profile, ctx: object, named: str) -> None:
    called: list[str] = []
    cls = OffloadClass(
        name="p",
        conn_add=lambda c: _note(called, "add", 0),
        conn_del=lambda c: _note(called, "del", None),
        conn_update=lambda c: _note(called, "upd", 1),
        conn_established=lambda c: _note(called, "est", None),
        can_offload=lambda c: _note(called, "can", True),
    )
    layer = OffloadLayer(profile)
    assert layer.register(cls) == 0
    assert layer.conn_add(Ctx.of(1)) == 0
    called.clear()
    before = layer.marks()
    for method in (layer.conn_add, layer.conn_del, layer.conn_update, layer.conn_established, layer.can_offload):
        with pytest.raises(TypeError, match=re.escape(named)):
            method(ctx)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Batch\.add"):
        Batch().add(OpType.ADD, ctx)  # type: ignore[arg-type]
    batch = Batch()
    entry = batch.add(OpType.UPD, Ctx.of(1))
    entry.ctx = ctx  # type: ignore[assignment]  # changed after add: submit checks again
    with pytest.raises(TypeError, match="entry 0"):
        layer.submit(batch)
    assert called == []
    assert layer.marks() == before
