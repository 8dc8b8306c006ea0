"""A batch is one operation to every reader: lock-free mark readers on other threads never see a
batch half applied, in every profile (impl.marks; docs/impl.rst, "Locking and callbacks").

The race: one thread submits batches ``[DEL c, ADD c]`` (c reads ADDED before and after each),
others read ``mark(c)`` and ``marks()`` without the lock. A reader that saw NONE, or a snapshot
without c, saw the middle of a batch. The writer yields the GIL between the two ops (a provider
callback that sleeps 0 s), so that a half-applied batch is really exposed to the readers.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import pytest

from impl.batch import Batch
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.conn import Ctx
from model.vocab import Mark, OpType, Profile

pytestmark = pytest.mark.conformance
BATCHES = 500
CONN = 7
#: The deep run races for at least this long per profile (``$CT_OFFLOAD_RACE_SECONDS``, default 10 s);
#: the other profiles stop after ``BATCHES`` batches.
RACE_SECONDS = (
    float(os.environ.get("CT_OFFLOAD_RACE_SECONDS", "10")) if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 0.0
)


def _yielding_provider() -> OffloadClass:
    """A provider that takes every connection and gives the GIL away inside each callback."""

    def conn_add(ctx: Ctx) -> int:
        time.sleep(0)
        return 0

    def conn_del(ctx: Ctx) -> None:
        time.sleep(0)

    return OffloadClass(name="yielding", conn_add=conn_add, conn_del=conn_del, conn_update=lambda ctx: 1)


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_readers_never_see_the_middle_of_a_batch(profile: Profile) -> None:
    layer = OffloadLayer(profile)
    assert layer.register(_yielding_provider()) == 0
    ctx = Ctx.of(CONN)
    assert layer.conn_add(ctx) == 0
    done = threading.Event()
    seen: Counter[Mark] = Counter()
    snapshots_without: list[int] = []
    deadline = time.monotonic() + RACE_SECONDS

    def writer() -> None:
        try:
            submitted = 0
            while submitted < BATCHES or time.monotonic() < deadline:
                submitted += 1
                batch = Batch()
                batch.add(OpType.DEL, ctx)
                batch.add(OpType.ADD, ctx)
                layer.submit(batch)
                assert [entry.error for entry in batch.entries] == [0, 0]
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set():
            seen[layer.mark(CONN)] += 1
            if CONN not in layer.marks():
                snapshots_without.append(1)
            time.sleep(0)  # give the writer its turn often, rather than a whole switch interval

    threads = [threading.Thread(target=writer), *(threading.Thread(target=reader) for _ in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120 + RACE_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    reads = seen.total()
    assert reads > 100, "the readers ran too little to test anything"
    assert set(seen) == {Mark.ADDED}, f"{seen[Mark.NONE]} of {reads} reads saw a half-applied batch"
    assert not snapshots_without
    assert layer.mark(CONN) is Mark.ADDED


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
def test_the_thread_running_a_batch_sees_its_progress(profile: Profile) -> None:
    # A provider callback reading marks during the batch sees the ops before it applied.
    layer = OffloadLayer(profile)
    seen: list[Mark] = []

    def conn_update(ctx: Ctx) -> int:
        seen.append(layer.mark(3))
        return 1

    cls = OffloadClass(name="reader", conn_add=lambda ctx: 0, conn_update=conn_update)
    assert layer.register(cls) == 0
    batch = Batch()
    batch.add(OpType.ADD, Ctx.of(3))
    batch.add(OpType.UPD, Ctx.of(3))
    layer.submit(batch)
    assert seen == [Mark.ADDED]
