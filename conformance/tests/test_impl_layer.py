"""impl's own promises beyond what the model describes: re-entry, raising callbacks under threads,
bad input, the batch object, the dummy, and no lost operations under concurrency."""

from __future__ import annotations

import threading

import pytest

from impl.batch import Batch
from impl.dummy import DummyProvider
from impl.layer import LayerReentryError, OffloadLayer
from impl.provider import OffloadClass
from model.conn import Ctx
from model.ops import BatchResult, InvalidType
from model.vocab import Mark, OpType, Profile

PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])


@PROFILES
def test_a_provider_calling_back_into_the_layer_gets_a_clear_error_not_a_deadlock(profile: Profile) -> None:
    layer = OffloadLayer(profile)
    seen: list[BaseException] = []

    def conn_add(ctx: Ctx) -> int:
        try:
            layer.conn_update(ctx)
        except LayerReentryError as exc:
            seen.append(exc)
        assert layer.mark(5) is Mark.NONE  # the lock-free queries stay usable from a callback
        return 0

    layer.register(OffloadClass(name="reentrant", conn_add=conn_add))
    done = threading.Event()

    def add_then_signal() -> None:
        layer.conn_add(Ctx.of(5))
        done.set()

    worker = threading.Thread(target=add_then_signal)
    worker.start()
    worker.join(timeout=10)
    assert done.is_set(), "conn_add deadlocked"
    assert len(seen) == 1
    assert "conn_update() was called from inside a provider callback" in str(seen[0])
    assert layer.conn_update(Ctx.of(5)) == 0  # the lock was released


@PROFILES
def test_a_raising_callback_releases_the_lock_and_the_others_are_still_called(profile: Profile) -> None:
    layer = OffloadLayer(profile)
    called: list[str] = []

    def boom(ctx: Ctx) -> int:
        called.append("boom")
        raise RuntimeError("hardware on fire")

    def fine(ctx: Ctx) -> int:
        called.append("fine")
        return 0

    layer.register(OffloadClass(name="boom", conn_add=boom))
    layer.register(OffloadClass(name="fine", conn_add=fine))
    results: list[int] = []
    other = threading.Thread(target=lambda: results.append(layer.conn_add(Ctx.of(1))))
    other.start()
    other.join(timeout=10)
    assert called == ["boom", "fine"]
    assert results == [5 if profile is not Profile.STRICT else 0]
    assert layer.mark(1) is (Mark.NONE if profile is not Profile.STRICT else Mark.ADDED)
    assert layer.holders(1) == (() if profile is not Profile.STRICT else (layer.registered()[1],))


def test_bad_input_is_refused_by_name_and_changes_nothing() -> None:
    layer = OffloadLayer(Profile.STRICT)
    cls = OffloadClass(name="p", conn_add=lambda ctx: 0)
    layer.register(cls)
    with pytest.raises(TypeError, match="OffloadClass"):
        layer.register("p")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ctx must be a model.conn.Ctx, got int"):
        layer.conn_add(7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Batch"):
        layer.submit([])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="profile"):
        OffloadLayer("strict")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="conn_add"):
        OffloadClass(name="q", conn_add=42)  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError), match="name"):
        OffloadClass(name="")
    assert layer.registered() == (cls,)
    assert layer.marks() == {}


def test_the_batch_object_grows_like_c_reports_results_and_is_reusable() -> None:
    batch = Batch()
    assert (len(batch), batch.allocated) == (0, 0)
    for conn in range(9):
        batch.add(OpType.ADD, Ctx.of(conn))
    assert (len(batch), batch.allocated) == (9, 16)
    with pytest.raises(TypeError):
        batch.add("ADD", Ctx.of(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        batch.add(OpType.ADD, 3)  # type: ignore[arg-type]
    assert len(batch) == 9
    assert batch.add(77, Ctx.of(1)).kind == InvalidType(raw=77)
    layer = OffloadLayer(Profile.RFC_V1)
    layer.submit(batch)
    assert batch.results() == (BatchResult(error=0),) * 9 + (BatchResult(error=22),)
    assert [e.index for e in batch] == list(range(10))
    batch.clear()
    assert (len(batch), batch.allocated) == (0, 0)
    batch.add(OpType.UPD, Ctx.of(1))
    layer.submit(batch)
    assert batch.results() == (BatchResult(error=61),)


def test_the_dummy_records_netdevs_once_and_answers_known_connections() -> None:
    dummy = DummyProvider(clock=lambda: 4242)
    layer = OffloadLayer(Profile.RFC_V1)
    layer.register(dummy.offload_class())
    assert dummy.offload_class() is dummy.offload_class()
    layer.conn_add(Ctx.of(1, netdev_in="eth0"))
    assert not dummy.is_bidirectional(1)
    layer.conn_established(Ctx.of(1, netdev_in="eth1"))
    layer.conn_established(Ctx.of(1, netdev_in="eth2"))
    assert dummy.is_bidirectional(1) and dummy.n_established == 1
    assert layer.conn_update(Ctx.of(1)) == 4242 and layer.conn_update(Ctx.of(2)) == 0
    layer.conn_del(Ctx.of(1))
    assert not dummy.contains(1) and dummy.n_deleted == 1


@pytest.mark.parametrize("profile", [Profile.RFC_V1, Profile.STRICT], ids=["rfc-v1", "strict"])
def test_no_operation_is_lost_under_eight_threads(profile: Profile) -> None:
    dummy = DummyProvider(clock=lambda: 9)
    layer = OffloadLayer(profile)
    layer.register(dummy.offload_class())
    per_thread = 400

    def work(base: int) -> None:
        batch = Batch()
        for i in range(per_thread):
            ctx = Ctx.of(base + i)
            layer.conn_add(ctx)
            batch.add(OpType.UPD, ctx)
            if i % 2:
                layer.conn_established(ctx)
            if i % 3 == 0:
                batch.add(OpType.DEL, ctx)
        layer.submit(batch)
        assert all(r.error == 0 for r in batch.results())

    threads = [threading.Thread(target=work, args=(t * 100_000,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    deleted = len(range(0, per_thread, 3))
    assert dummy.n_added == 8 * per_thread
    assert dummy.n_updated == 8 * per_thread
    assert dummy.n_deleted == 8 * deleted
    assert len(layer.marks()) == 8 * (per_thread - deleted)
    est = sum(m is Mark.EST for m in layer.marks().values())
    assert est == 8 * len([i for i in range(per_thread) if i % 2 and i % 3])
