"""Unit tests of the switchdev provider on the simulated device (docs/switchdev.rst, P-*): its
answers, its view of the device after faults and timeouts, its layer registration, and the
simulation's switchdev provider."""

from __future__ import annotations

import errno
import threading
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl.batch import Batch, BatchEntry
from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.sim_cli import PROVIDERS, main
from impl.switchdev.ports import DevHandle, EngineOp, FlowStats
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_config import DeviceConfig
from impl.switchdev.sim_device import SimDevice
from impl.switchdev.sim_devlink import SimDevlink
from impl.switchdev.sim_engine import SimEngine
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.conn import PROTO_TCP, ConnRef, Ctx
from model.ops import InvalidType
from model.vocab import Mark, OpType, Profile

ADD, DEL, UPD, POLICY, FLUSH, EST = OpType.ADD, OpType.DEL, OpType.UPD, OpType.POLICY, OpType.FLUSH, OpType.EST
PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])


class Clock:
    def __init__(self, now: int = 1000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def udp(conn_id: int) -> Ctx:
    return Ctx(conn=ConnRef.synthetic(conn_id))


def tcp(conn_id: int) -> Ctx:
    return Ctx(conn=ConnRef.synthetic(conn_id, proto=PROTO_TCP))


def udp_with(conn_id: int, *, helper: str | None = None, labels: int = 0) -> Ctx:
    ref = ConnRef.synthetic(conn_id)
    return Ctx(conn=ConnRef(id=conn_id, zone=0, orig=ref.orig, reply=ref.reply, helper=helper, labels=labels))


def build(clock: Clock | None = None, timeout: float = 1.0, **config: object) -> tuple[SwitchdevProvider, SimDevice]:
    provider, dev = SwitchdevProvider.simulated(
        DeviceConfig(**config),  # type: ignore[arg-type]
        clock=clock or Clock(),
        timeout=timeout,
    )
    assert provider.init() == 0
    return provider, dev


def run(provider: SwitchdevProvider, *ops: tuple[OpType | InvalidType, Ctx]) -> list[tuple[int, int]]:
    entries = [BatchEntry(kind=kind, ctx=ctx, index=i) for i, (kind, ctx) in enumerate(ops)]
    provider.batch_submit(entries)
    return [(e.error, e.last_used) for e in entries]


def in_step(provider: SwitchdevProvider, dev: SimDevice) -> bool:
    """The provider's view of what is programmed is the device's table (and nothing is queued)."""
    table = dev.table()
    return provider.programmed() == {cid: e.established for cid, e in table.items()} and dev.queue_depth == 0


def test_the_class_has_every_callback_and_is_always_the_same_object() -> None:
    provider, _ = build()
    cls = provider.offload_class()
    assert cls is provider.offload_class()
    assert cls.name == "switchdev"
    assert cls.members() == (
        "init",
        "batch_submit",
        "conn_add",
        "conn_del",
        "conn_update",
        "conn_established",
        "can_offload",
        "flush",
    )


# P-ADD, P-EST, P-DEL, P-CAN, P-POLICY.


def test_tcp_waits_for_establishment_and_udp_is_programmed_at_once() -> None:
    provider, dev = build()
    assert provider.conn_add(tcp(1)) == 0
    assert provider.waiting() == {1}
    assert dev.table() == {}  # no device op
    assert provider.conn_add(udp(2)) == 0
    assert dev.table()[2].established is False
    provider.conn_established(tcp(1))
    provider.conn_established(udp(2))
    assert {cid: e.established for cid, e in dev.table().items()} == {1: True, 2: True}
    assert provider.waiting() == frozenset()
    assert run(provider, (EST, udp(2))) == [(0, 0)]  # established already: no device op
    assert in_step(provider, dev)


def test_udp_waits_too_without_accept_new_udp() -> None:
    provider, dev = build(accept_new_udp=False)
    assert provider.conn_add(udp(1)) == 0
    assert provider.waiting() == {1}
    assert run(provider, (EST, udp(1))) == [(0, 0)]
    assert dev.table()[1].established


def test_an_add_of_a_connection_the_provider_has_is_eexist() -> None:
    provider, _ = build()
    provider.conn_add(tcp(1))
    provider.conn_add(udp(2))
    assert run(provider, (ADD, tcp(1)), (ADD, udp(2))) == [(errno.EEXIST, 0), (errno.EEXIST, 0)]


def test_ineligible_connections_are_eopnotsupp_and_policy_eperm() -> None:
    provider, dev = build()
    helper = udp_with(3, helper="ftp")
    icmp = Ctx(conn=ConnRef.synthetic(4, proto=1))
    assert run(provider, (ADD, helper), (ADD, icmp), (POLICY, helper), (POLICY, tcp(5)), (ADD, Ctx(conn=None))) == [
        (errno.EOPNOTSUPP, 0),
        (errno.EOPNOTSUPP, 0),
        (errno.EPERM, 0),
        (0, 0),
        (errno.EINVAL, 0),  # an op naming no connection is invalid (P-BATCH)
    ]
    assert provider.can_offload(tcp(5)) and not provider.can_offload(helper)
    assert dev.table() == {}


def test_the_provider_reads_mode_and_labels_mapping_through_devlink_at_init() -> None:
    provider, dev = build()
    labelled = udp_with(1, labels=1 << 40)
    assert not provider.can_offload(labelled)
    dev.set_param("ct_labels_mapping", True)
    assert not provider.can_offload(labelled)  # cached
    assert provider.init() == 0
    assert provider.conn_add(labelled) == 0
    provider.conn_del(labelled)
    dev.set_eswitch_mode("legacy")
    assert provider.refresh() == 0
    assert not provider.can_offload(udp(2))
    assert provider.conn_add(udp(2)) == errno.EOPNOTSUPP


def test_without_devlink_the_defaults_are_assumed() -> None:
    dev = SimDevice(clock=Clock())
    dev.set_eswitch_mode("legacy")
    provider = SwitchdevProvider(SimEngine(dev))
    assert provider.init() == 0
    assert provider.can_offload(udp(1))  # assumed switchdev ...
    assert provider.conn_add(udp(1)) == errno.EOPNOTSUPP  # ... but the device refuses


def test_init_reports_a_missing_device() -> None:
    dev = SimDevice(clock=Clock())
    provider = SwitchdevProvider(SimEngine(dev), devlink=SimDevlink(dev), dev=DevHandle("pci", "0000:00:00.0"))
    assert provider.init() == errno.ENODEV


def test_del_removes_programmed_and_forgets_waiting_connections() -> None:
    provider, dev = build()
    provider.conn_add(tcp(1))
    provider.conn_add(udp(2))
    assert run(provider, (DEL, tcp(1)), (DEL, udp(2)), (DEL, udp(3))) == [(0, 0), (0, 0), (0, 0)]
    assert provider.waiting() == frozenset()
    assert in_step(provider, dev) and dev.table() == {}


def test_an_invalid_op_type_answers_einval_and_the_rest_are_processed() -> None:
    provider, dev = build()
    assert run(provider, (InvalidType(raw=9), udp(1)), (ADD, udp(1))) == [(errno.EINVAL, 0), (0, 0)]
    assert 1 in dev.table()


def test_ops_on_one_connection_in_one_batch_reach_the_device_in_order() -> None:
    provider, dev = build()
    assert (
        run(provider, (ADD, udp(1)), (EST, udp(1)), (DEL, udp(1)), (ADD, udp(1)), (ADD, tcp(2)), (EST, tcp(2)))
        == [(0, 0)] * 6
    )
    assert {cid: e.established for cid, e in dev.table().items()} == {1: False, 2: True}
    assert in_step(provider, dev)


# P-UPD.


def test_update_answers_the_cached_last_used_time() -> None:
    clock = Clock(1000)
    provider, dev = build(clock)
    provider.conn_add(udp(1))  # programmed at 1000
    assert provider.conn_update(udp(1)) == 1000  # the first query refreshes the cache
    assert run(provider, (UPD, udp(1)), (UPD, udp(2))) == [(0, 1000), (errno.ENODATA, 0)]
    clock.now = 1500
    dev.hit(1)
    assert provider.conn_update(udp(1)) == 1000  # still cached (stats_period is 1000 ms)
    clock.now = 2500
    assert run(provider, (UPD, udp(1))) == [(0, 1500)]  # refreshed: the hit's time
    clock.now = 2600
    provider.conn_add(udp(3))
    assert provider.conn_update(udp(3)) == 2600  # a new entry reads its install time before any refresh


# Faults: the provider's view always equals the device's table.


def test_a_batch_larger_than_the_queue_drains_and_goes_on() -> None:
    provider, dev = build(queue_size=2)
    assert run(provider, (ADD, udp(1)), (ADD, udp(2)), (ADD, udp(3))) == [(0, 0), (0, 0), (0, 0)]
    assert in_step(provider, dev) and sorted(dev.table()) == [1, 2, 3]


def test_a_stuck_queue_fills_times_out_and_frees_its_slots() -> None:
    provider, dev = build(queue_size=2, timeout=0.01)
    dev.set_faults(stuck_queue=True)
    answers = run(provider, (ADD, udp(1)), (ADD, udp(2)), (ADD, udp(3)))
    assert answers == [(errno.ETIMEDOUT, 0)] * 3  # the drain before the retry cancelled the first two
    assert in_step(provider, dev) and dev.table() == {} and dev.queue_depth == 0


def test_a_full_table_answers_enospc_and_the_view_stays_in_step() -> None:
    provider, dev = build(ct_entries=4)
    assert run(provider, (ADD, udp(1)), (ADD, udp(2)), (ADD, udp(3))) == [(0, 0), (0, 0), (errno.ENOSPC, 0)]
    assert dev.queue_depth == 0
    assert in_step(provider, dev)
    dev.set_param("ct_max_offloaded_conns", 2)
    provider.conn_del(udp(2))
    provider.conn_add(tcp(4))
    assert run(provider, (EST, tcp(4)), (EST, tcp(4))) == [(0, 0), (0, 0)]
    provider.conn_add(tcp(5))
    assert run(provider, (EST, tcp(5))) == [(errno.ENOSPC, 0)]
    assert provider.waiting() == {5}  # a failed EST leaves it waiting: a later EST retries
    assert in_step(provider, dev)
    provider.conn_del(udp(1))
    assert run(provider, (EST, tcp(5))) == [(0, 0)]
    assert provider.waiting() == frozenset() and in_step(provider, dev)


def test_injected_failures_change_nothing_on_either_side() -> None:
    provider, dev = build()
    dev.set_faults(fail_next_count=1, fail_next_errno=errno.ENOMEM)
    assert provider.conn_add(udp(1)) == errno.ENOMEM
    provider.conn_add(udp(2))
    dev.set_faults(fail_next_count=1, fail_next_errno=errno.EIO)
    assert run(provider, (DEL, udp(2))) == [(errno.EIO, 0)]
    assert provider.programmed() == {2: False}  # the device still holds it, so the provider keeps it
    assert in_step(provider, dev)
    assert run(provider, (DEL, udp(2))) == [(0, 0)]  # a later DEL retries
    provider.conn_add(udp(3))
    provider.conn_add(tcp(4))
    dev.set_faults(fail_next_count=1)
    assert run(provider, (FLUSH, Ctx(conn=None))) == [(errno.EIO, 0)]
    assert provider.waiting() == {4} and in_step(provider, dev)
    provider.flush()
    assert provider.waiting() == frozenset() and dev.table() == {} and in_step(provider, dev)
    assert dev.health().err_count == 3


def test_a_stuck_queue_times_out_cancels_and_loses_nothing() -> None:
    provider, dev = build(timeout=0.01)
    provider.conn_add(udp(1))
    provider.conn_add(tcp(2))
    dev.set_faults(stuck_queue=True)
    answers = run(provider, (ADD, udp(3)), (DEL, udp(1)), (EST, tcp(2)), (POLICY, udp(4)), (ADD, udp(3)), (UPD, udp(1)))
    assert answers == [
        (errno.ETIMEDOUT, 0),
        (errno.ETIMEDOUT, 0),
        (errno.ETIMEDOUT, 0),
        (0, 0),
        (errno.ETIMEDOUT, 0),  # the second ADD of 3 waited for the first, which changed nothing
        (0, 1000),  # a query needs no queue: the first one refreshes the cache
    ]
    assert in_step(provider, dev)
    assert provider.programmed() == {1: False} and provider.waiting() == {2}  # the EST may be retried
    dev.set_faults(stuck_queue=False)
    assert provider.conn_add(udp(3)) == 0
    assert in_step(provider, dev)


class UncancellableEngine(SimEngine):
    """An engine whose pushed ops cannot be withdrawn (as on a real device): ``cancel`` does nothing."""

    def cancel(self, tags: Sequence[int]) -> list[int]:
        return []


def test_a_completion_after_a_timeout_still_reaches_the_provider() -> None:
    dev = SimDevice(clock=Clock())
    provider = SwitchdevProvider(UncancellableEngine(dev), timeout=0.01)
    dev.set_faults(stuck_queue=True)
    assert provider.conn_add(udp(1)) == errno.ETIMEDOUT
    assert provider.programmed() == {}
    dev.set_faults(stuck_queue=False)
    assert provider.conn_add(udp(2)) == 0  # the push completes both; the late one is applied too
    assert provider.programmed() == {1: False, 2: False} == {c: e.established for c, e in dev.table().items()}


class RaisingEngine(SimEngine):
    """An engine whose submit and query raise OSError once ``raising`` is set (a link gone down)."""

    def __init__(self, device: SimDevice) -> None:
        super().__init__(device)
        self.raising = False

    def submit(self, op: EngineOp) -> int:
        if self.raising:
            raise OSError(errno.ENETDOWN, "link down")
        return super().submit(op)

    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]:
        if self.raising:
            raise OSError(errno.ENETDOWN, "link down")
        return super().query(conn_ids)


def test_an_engine_that_raises_gives_errnos_not_exceptions() -> None:
    clock = Clock()
    dev = SimDevice(clock=clock)
    engine = RaisingEngine(dev)
    provider = SwitchdevProvider(engine)
    provider.conn_add(udp(1))
    engine.raising = True
    clock.now += 5000
    assert run(provider, (ADD, udp(2)), (UPD, udp(1))) == [(errno.ENETDOWN, 0), (errno.ENODATA, 0)]
    assert provider.programmed() == {1: False}


# Coherence: a batch answers what the per-op callbacks answer, and leaves the same device.

OP_KINDS = st.sampled_from([ADD, DEL, UPD, POLICY, EST, FLUSH])
CTXS = st.builds(lambda i, is_tcp: tcp(i) if is_tcp else udp(i), st.integers(1, 4), st.booleans())


def test_a_batch_upd_after_its_add_answers_as_the_per_op_calls_do() -> None:
    """The deep run's minimal case: the cache was refreshed by the first UPD, so connection 1,
    programmed after it, must read its install time on both paths (ENG-QUERY)."""
    ops = [(ADD, udp(2)), (UPD, udp(2)), (ADD, udp(1)), (UPD, udp(1))]
    clock = Clock(1700)
    batched, _ = build(clock)
    single, _ = build(clock)
    assert run(batched, *ops) == [run(single, op)[0] for op in ops] == [(0, 0), (0, 1700), (0, 0), (0, 1700)]


@given(st.lists(st.lists(st.tuples(OP_KINDS, CTXS), max_size=8), max_size=5))
def test_batches_are_coherent_with_the_per_op_callbacks(batches: list[list[tuple[OpType, Ctx]]]) -> None:
    clock = Clock(1000)
    batched, batched_dev = build(clock)
    single, single_dev = build(clock)
    for ops in batches:
        clock.now += 700
        got = run(batched, *ops)
        want = [run(single, op)[0] for op in ops]
        assert got == want
        assert batched_dev.table() == single_dev.table()
        assert in_step(batched, batched_dev)
        assert batched.waiting() == single.waiting()


# In a layer, for each profile.


@PROFILES
def test_the_provider_registers_and_serves_a_layer(profile: Profile) -> None:
    clock = Clock(1000)
    provider, dev = build(clock)
    layer = OffloadLayer(profile)
    assert layer.register(provider.offload_class()) == 0
    assert layer.conn_add(udp(1)) == 0
    assert layer.conn_add(tcp(2)) == 0
    layer.conn_established(tcp(2))
    assert layer.mark(2) is Mark.EST
    assert layer.can_offload(tcp(3))
    clock.now = 3000
    assert layer.conn_update(udp(1)) == 1000
    batch = Batch()
    batch.add(DEL, udp(1))
    batch.add(ADD, udp(5))
    layer.submit(batch)
    assert [r.error for r in batch.results()] == [0, 0]
    assert sorted(dev.table()) == [2, 5]
    assert in_step(provider, dev)
    layer.flush()
    assert dev.table() == {} and in_step(provider, dev)


# The simulation.


def test_the_simulation_offers_the_switchdev_provider_and_feeds_it_traffic() -> None:
    setup = PROVIDERS["switchdev"](VirtualClock())
    assert [cls.name for cls in setup.classes] == ["switchdev"]
    assert setup.on_packet is not None and setup.details is not None


def _simulate(provider: str) -> tuple[dict[str, int], int]:
    clock = VirtualClock()
    setup = PROVIDERS[provider](clock)
    names = tuple(cls.name for cls in setup.classes)
    config = TrackerConfig(requested=names)
    layer = OffloadLayer(Profile.STRICT)
    register_providers(layer, setup.classes, config)
    tracker = ConnTracker(layer, config)
    packets: list[tuple[int, int]] = []

    def on_packet(flow: int, conn_id: int) -> None:
        packets.append((flow, conn_id))
        if setup.on_packet is not None:
            setup.on_packet(flow, conn_id)

    sim = Simulation(layer, tracker, clock, conns=40, workers=2, duration=200_000, on_packet=on_packet)
    final = sim.run()
    assert len(packets) == final.packets
    return dict(final.stats.cleaned), setup.occupancy()


def test_idle_connections_expire_under_strict_with_the_switchdev_provider() -> None:
    cleaned, occupancy = _simulate("switchdev")
    assert cleaned.get("stale", 0) > 0  # the device's last-used times let idle connections go
    assert occupancy < 40
    dummy_cleaned, dummy_occupancy = _simulate("dummy")
    assert dummy_cleaned == {} and dummy_occupancy == 40  # the dummy answers "now": nothing expires


def test_simulate_command_runs_the_switchdev_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--provider", "switchdev", "--conns", "20", "--duration", "100", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "provider: switchdev (registered: switchdev=0)" in out
    assert "device: " in out and "stale=" in out


def test_threads_through_a_layer_leave_the_provider_in_step_with_the_device() -> None:
    clock = Clock(1000)
    provider, dev = build(clock)
    dev.set_faults(fail_rate=0.2, seed=3)
    layer = OffloadLayer(Profile.STRICT)
    layer.register(provider.offload_class())
    errors: list[BaseException] = []

    def worker(base: int) -> None:
        try:
            for conn_id in range(base, base + 60):
                ctx = tcp(conn_id) if conn_id % 3 == 0 else udp(conn_id)
                layer.conn_add(ctx)
                dev.hit(conn_id)
                layer.conn_established(ctx)
                layer.conn_update(ctx)
                if conn_id % 2:
                    layer.conn_del(ctx)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(1000 * (n + 1),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert in_step(provider, dev)
    assert dev.health().err_count > 0  # the faults did fire
    marks = layer.marks()
    assert all(conn_id in marks for conn_id in dev.table() if conn_id % 2 == 0)  # never deleted: marked
