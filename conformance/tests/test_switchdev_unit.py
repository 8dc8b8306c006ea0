"""Unit tests of the simulated switchdev device, its devlink side and its engine (docs/switchdev.rst,
D-* and ENG-*). The provider's tests are in test_switchdev_provider.py."""

from __future__ import annotations

import errno
import json

import pytest

from impl.switchdev.ports import DevHandle, DevlinkError, EngineOp, EngineOpKind, EngineResult
from impl.switchdev.sim_config import DeviceConfig, Faults
from impl.switchdev.sim_device import SimDevice
from impl.switchdev.sim_devlink import SIM_HANDLE, SimDevlink
from impl.switchdev.sim_engine import SimEngine
from model.conn import PROTO_GRE, PROTO_TCP, ConnRef, FiveTuple

INSERT, UPDATE, REMOVE, FLUSH = EngineOpKind.INSERT, EngineOpKind.UPDATE, EngineOpKind.REMOVE, EngineOpKind.FLUSH


class Clock:
    def __init__(self, now: int = 1000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def udp(conn_id: int, **changes: object) -> ConnRef:
    ref = ConnRef.synthetic(conn_id)
    return ConnRef(**{"id": ref.id, "zone": ref.zone, "orig": ref.orig, "reply": ref.reply, **changes})  # type: ignore[arg-type]


def tcp(conn_id: int) -> ConnRef:
    return ConnRef.synthetic(conn_id, proto=PROTO_TCP)


def natted(conn_id: int, proto: int) -> ConnRef:
    ref = ConnRef.synthetic(conn_id, proto=proto)
    reply = FiveTuple(src=ref.orig.dst, dst="192.0.2.1", sport=ref.orig.dport, dport=40000, proto=proto)
    return ConnRef(id=conn_id, zone=0, orig=ref.orig, reply=reply)


class Ops:
    """Builds engine ops with fresh tags."""

    def __init__(self) -> None:
        self.tag = 0

    def __call__(self, kind: EngineOpKind, conn: ConnRef | None = None, *, established: bool = False) -> EngineOp:
        self.tag += 1
        return EngineOp(kind=kind, conn=conn, tag=self.tag, established=established)


def device(clock: Clock | None = None, **config: object) -> SimDevice:
    return SimDevice(DeviceConfig(**config), clock=clock or Clock())  # type: ignore[arg-type]


# DeviceConfig and Faults.


def test_the_config_has_the_spec_defaults() -> None:
    assert DeviceConfig() == DeviceConfig(
        ct_entries=65536,
        entries_per_conn=2,
        queue_size=1024,
        num_vfs=4,
        t_call_ns=15000,
        t_op_ns=1200,
        stats_period=1000,
        accept_new_udp=True,
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ct_entries", 0, ValueError),
        ("ct_entries", 2**32 + 1, ValueError),
        ("entries_per_conn", 0, ValueError),
        ("queue_size", "8", TypeError),
        ("num_vfs", -1, ValueError),
        ("t_call_ns", True, TypeError),
        ("stats_period", -1, ValueError),
        ("accept_new_udp", 1, TypeError),
    ],
)
def test_a_bad_config_field_is_named(field: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=field):
        DeviceConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"), [("fail_next_count", -1), ("fail_next_errno", 0), ("fail_rate", 1.5), ("stuck_queue", 1)]
)
def test_a_bad_fault_is_named(field: str, value: object) -> None:
    with pytest.raises((TypeError, ValueError), match=field):
        Faults(**{field: value})  # type: ignore[arg-type]


# ENG-SUBMIT.


def test_a_full_queue_answers_eagain_before_any_other_check() -> None:
    dev, op = device(queue_size=2), Ops()
    assert dev.submit(op(INSERT, udp(1))) == 0
    assert dev.submit(op(FLUSH)) == 0
    assert dev.submit(op(INSERT, tcp(2))) == errno.EAGAIN  # not eligible either, but EAGAIN comes first
    assert dev.submit(op(INSERT, udp(1))) == errno.EAGAIN  # a duplicate too
    assert dev.queue_depth == 2


def test_a_full_table_answers_enospc_at_enqueue_counting_reservations() -> None:
    dev, op = device(ct_entries=4), Ops()
    assert dev.submit(op(INSERT, udp(1))) == 0
    assert dev.submit(op(INSERT, udp(2))) == 0
    assert dev.submit(op(INSERT, udp(3))) == errno.ENOSPC  # nothing programmed yet: the reservations count
    assert dev.health().err_count == 1
    assert dev.health().state == "error"
    assert dev.diagnose()["last_errors"] == [errno.ENOSPC]
    dev.push()
    assert sorted(dev.table()) == [1, 2]
    assert dev.capacity() == (4, 4)
    assert dev.submit(op(INSERT, udp(3))) == errno.ENOSPC


def test_ct_max_offloaded_conns_caps_programmed_plus_queued_connections() -> None:
    dev, op = device(), Ops()
    dev.set_param("ct_max_offloaded_conns", 2)
    assert dev.submit(op(INSERT, udp(1))) == 0
    dev.push()
    assert dev.submit(op(INSERT, udp(2))) == 0
    assert dev.submit(op(INSERT, udp(3))) == errno.ENOSPC
    dev.set_param("ct_max_offloaded_conns", 0)
    assert dev.submit(op(INSERT, udp(4))) == errno.ENOSPC


def test_force_full_refuses_every_insert() -> None:
    dev, op = device(), Ops()
    dev.set_faults(force_full=True)
    assert dev.submit(op(INSERT, udp(1))) == errno.ENOSPC
    assert dev.submit(op(FLUSH)) == 0


@pytest.mark.parametrize(
    ("conn", "established"),
    [
        (tcp(1), False),  # TCP only once established
        (udp(1, helper="tftp"), True),  # an ALG
        (udp(1, zone=65536), True),
        (udp(1, labels=1 << 32), True),  # labels above 32 bits need ct_labels_mapping
        (ConnRef.synthetic(1, proto=1), True),  # ICMP
        (natted(1, PROTO_GRE), True),  # GRE with NAT
    ],
)
def test_an_ineligible_insert_answers_eopnotsupp(conn: ConnRef, established: bool) -> None:
    dev = device()
    assert dev.submit(Ops()(INSERT, conn, established=established)) == errno.EOPNOTSUPP


def test_eligible_connections_and_their_costs() -> None:
    dev, op = device(), Ops()
    assert dev.submit(op(INSERT, tcp(1), established=True)) == 0
    assert dev.submit(op(INSERT, udp(2))) == 0
    assert dev.submit(op(INSERT, ConnRef.synthetic(3, proto=PROTO_GRE))) == 0
    assert dev.submit(op(INSERT, udp(4, zone=65535))) == 0
    assert dev.submit(op(INSERT, udp(5, labels=1 << 40))) == errno.EOPNOTSUPP
    dev.set_param("ct_labels_mapping", True)
    assert dev.submit(op(INSERT, udp(5, labels=1 << 40))) == 0
    dev.set_param("ct_action_on_nat_conns", True)
    assert dev.submit(op(INSERT, natted(6, 17))) == 0  # a NATed UDP connection costs 2 more
    dev.push()
    assert {cid: e.cost for cid, e in dev.table().items()} == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 4}
    assert dev.occupancy == 14


def test_udp_before_establishment_needs_accept_new_udp() -> None:
    dev = device(accept_new_udp=False)
    assert dev.submit(Ops()(INSERT, udp(1))) == errno.EOPNOTSUPP
    assert dev.submit(Ops()(INSERT, udp(1), established=True)) == 0


def test_legacy_mode_offloads_nothing() -> None:
    dev = device()
    dev.set_eswitch_mode("legacy")
    assert dev.submit(Ops()(INSERT, udp(1))) == errno.EOPNOTSUPP


def test_duplicates_and_unknown_connections_are_refused_in_the_spec_order() -> None:
    dev, op = device(), Ops()
    assert dev.submit(op(UPDATE, udp(1))) == errno.ENOENT
    assert dev.submit(op(REMOVE, udp(1))) == errno.ENOENT
    assert dev.submit(op(INSERT, udp(1))) == 0
    assert dev.submit(op(INSERT, udp(1))) == errno.EEXIST  # an INSERT is queued
    assert dev.submit(op(UPDATE, udp(1))) == 0  # allowed behind the queued INSERT
    assert dev.submit(op(REMOVE, udp(1))) == errno.EBUSY  # wait for the creation
    dev.push()
    assert dev.submit(op(INSERT, udp(1))) == errno.EEXIST  # programmed
    assert dev.submit(op(REMOVE, udp(1))) == 0
    assert dev.submit(op(INSERT, udp(9), established=False)) == 0


# ENG-PUSH, ENG-POLL, ENG-CANCEL.


def test_push_completes_in_queue_order_and_costs_device_time() -> None:
    dev, op = device(t_call_ns=100, t_op_ns=10), Ops()
    for conn_id in (1, 2):
        dev.submit(op(INSERT, udp(conn_id)))
    dev.submit(op(REMOVE, udp(3)))  # refused at once: no completion follows
    dev.push()
    assert dev.busy_ns == 120
    dev.push()  # an empty push still costs its call
    assert dev.busy_ns == 220
    assert dev.poll(1) == [EngineResult(tag=1, error=0)]
    assert dev.poll() == [EngineResult(tag=2, error=0)]
    assert dev.poll() == []


def test_an_update_or_remove_whose_connection_went_fails_enoent_at_completion() -> None:
    dev, op = device(), Ops()
    dev.submit(op(INSERT, udp(1)))
    dev.submit(op(INSERT, udp(2)))
    dev.push()
    dev.poll()
    dev.submit(op(REMOVE, udp(1)))
    dev.submit(op(REMOVE, udp(1)))
    dev.submit(op(FLUSH))
    dev.submit(op(UPDATE, udp(2)))
    dev.push()
    assert [r.error for r in dev.poll()] == [0, errno.ENOENT, 0, errno.ENOENT]
    assert dev.table() == {}
    assert dev.health().err_count == 2


def test_fail_next_fails_that_many_ops_with_its_errno_and_they_change_nothing() -> None:
    dev, op = device(), Ops()
    dev.set_faults(fail_next_count=2, fail_next_errno=errno.ENOMEM)
    for conn_id in (1, 2, 3):
        dev.submit(op(INSERT, udp(conn_id)))
    dev.push()
    assert [r.error for r in dev.poll()] == [errno.ENOMEM, errno.ENOMEM, 0]
    assert sorted(dev.table()) == [3]
    assert dev.faults.fail_next_count == 0
    assert dev.capacity() == (2, 65536)  # the failed INSERTs' reservations were released
    assert dev.diagnose()["last_errors"] == [errno.ENOMEM, errno.ENOMEM]
    dev.recover()
    assert (dev.health().state, dev.health().recover_count) == ("healthy", 1)


def _fail_rate_run(seed: int) -> list[int]:
    dev, op = SimDevice(clock=Clock(), seed=seed), Ops()
    dev.set_faults(fail_rate=0.5)
    for conn_id in range(40):
        dev.submit(op(INSERT, udp(conn_id)))
    dev.push()
    return [r.error for r in dev.poll()]


def test_fail_rate_is_reproducible_from_the_seed() -> None:
    first = _fail_rate_run(7)
    assert first == _fail_rate_run(7)
    assert set(first) == {0, errno.EIO}


def test_a_stuck_queue_completes_nothing_and_cancel_releases_reservations() -> None:
    dev, op = device(ct_entries=4), Ops()
    dev.set_faults(stuck_queue=True)
    dev.submit(op(INSERT, udp(1)))
    dev.submit(op(INSERT, udp(2)))
    dev.push()
    assert dev.poll() == []
    assert dev.busy_ns == 0
    assert dev.submit(op(INSERT, udp(3))) == errno.ENOSPC
    assert dev.cancel([2, 99]) == [2]
    assert dev.submit(op(INSERT, udp(3))) == 0
    dev.set_faults(stuck_queue=False)
    dev.push()
    assert sorted(dev.table()) == [1, 3]


# ENG-QUERY and ENG-TRAFFIC.


def test_query_answers_from_a_cache_refreshed_every_stats_period() -> None:
    clock = Clock(1000)
    dev, op = device(clock), Ops()
    assert dev.query([1]) == {}  # the first query refreshes the (empty) cache
    dev.submit(op(INSERT, udp(1)))
    dev.push()
    assert dev.query([1])[1].last_used == 1000  # a new entry reads its install time until a refresh
    clock.now = 2000
    first = dev.query([1, 2])
    assert list(first) == [1]
    assert (first[1].last_used, first[1].packets) == (1000, 0)  # inserted at 1000
    clock.now = 2500
    assert dev.hit(1, packets=3, bytes=300)
    assert dev.query([1]) == first  # still cached
    clock.now = 3000
    stats = dev.query([1])[1]
    assert (stats.last_used, stats.packets, stats.bytes) == (2500, 3, 300)
    dev.submit(op(REMOVE, udp(1)))
    dev.push()
    assert dev.query([1]) == {}  # no longer programmed
    dev.submit(op(INSERT, udp(1)))
    dev.push()
    again = dev.query([1])[1]  # programmed again since the last refresh: the old stats are gone
    assert (again.last_used, again.packets, again.bytes) == (3000, 0, 0)


def test_traffic_counts_only_in_switchdev_mode_and_for_programmed_connections() -> None:
    clock = Clock()
    dev, op = device(clock), Ops()
    assert not dev.hit(1)
    dev.submit(op(INSERT, udp(1)))
    dev.push()
    assert dev.hit(1)
    dev.submit(op(REMOVE, udp(1)))
    dev.push()
    dev.set_eswitch_mode("switchdev_inactive")
    dev.submit(op(INSERT, udp(2)))
    dev.push()
    assert 2 in dev.table()  # switchdev_inactive accepts programming ...
    assert not dev.hit(2)  # ... but sees no traffic
    assert dev.table()[2].packets == 0


# The engine.


def test_the_engine_is_the_device_and_close_withdraws_what_is_queued() -> None:
    dev, op = device(), Ops()
    engine = SimEngine(dev)
    assert engine.submit(op(INSERT, udp(1))) == 0
    engine.push()
    assert engine.poll() == [EngineResult(tag=1, error=0)]
    assert engine.submit(op(INSERT, udp(2))) == 0
    engine.close()
    engine.close()
    assert dev.queue_depth == 0
    assert engine.submit(op(INSERT, udp(3))) == errno.ENODEV
    assert engine.poll() == []
    assert engine.capacity() == (2, 65536)
    assert sorted(dev.table()) == [1]


# Devlink (D-*).


def _refused(errno_value: int) -> pytest.RaisesExc[DevlinkError]:
    return pytest.raises(DevlinkError, check=lambda exc: exc.errno == errno_value)


def test_an_unknown_handle_is_enodev() -> None:
    devlink = SimDevlink(device())
    assert devlink.devices() == [DevHandle("sim", "ctoffload0")]
    with _refused(errno.ENODEV):
        devlink.eswitch_get(DevHandle("pci", "0000:03:00.0"))


def test_info_and_ports_follow_the_eswitch_mode() -> None:
    devlink = SimDevlink(device(num_vfs=2))
    info = devlink.info(SIM_HANDLE)
    assert (info.driver, info.serial, info.running) == ("sim_switchdev", "CTOFF0000", (("fw.version", "1.0.0"),))
    ports = devlink.ports(SIM_HANDLE)
    assert [(p.index, p.flavour, p.netdev, p.vf) for p in ports] == [
        (0, "physical", "ctoff0p0", None),
        (1, "pci-pf", "ctoff0pf0", None),
        (2, "pci-vf", "ctoff0pf0vf0", 0),
        (3, "pci-vf", "ctoff0pf0vf1", 1),
    ]
    devlink.eswitch_set(SIM_HANDLE, "legacy")
    assert [p.flavour for p in devlink.ports(SIM_HANDLE)] == ["physical", "pci-pf"]


def test_the_eswitch_mode_cannot_change_while_anything_is_offloaded_or_queued() -> None:
    dev = device()
    devlink = SimDevlink(dev)
    with _refused(errno.EINVAL):
        devlink.eswitch_set(SIM_HANDLE, "offline")
    dev.submit(Ops()(INSERT, udp(1)))
    with _refused(errno.EBUSY):
        devlink.eswitch_set(SIM_HANDLE, "legacy")
    devlink.eswitch_set(SIM_HANDLE, "switchdev")  # not a change
    dev.push()
    with _refused(errno.EBUSY):
        devlink.eswitch_set(SIM_HANDLE, "legacy")
    dev.submit(Ops()(FLUSH))
    dev.push()
    devlink.eswitch_set(SIM_HANDLE, "legacy")
    assert devlink.eswitch_get(SIM_HANDLE) == "legacy"


def test_params_have_types_defaults_and_refusals() -> None:
    devlink = SimDevlink(device())
    shown = {(p.name, p.type, p.cmode, p.value) for p in devlink.param_get(SIM_HANDLE)}
    assert shown == {
        ("ct_max_offloaded_conns", "u32", "runtime", 4294967295),
        ("ct_action_on_nat_conns", "bool", "runtime", False),
        ("ct_labels_mapping", "bool", "runtime", False),
        ("flow_steering_mode", "string", "runtime", "smfs"),
    }
    with _refused(errno.EINVAL):
        devlink.param_set(SIM_HANDLE, "no_such_param", 1)
    with _refused(errno.EINVAL):
        devlink.param_set(SIM_HANDLE, "ct_max_offloaded_conns", 2**32)
    with _refused(errno.EINVAL):
        devlink.param_set(SIM_HANDLE, "ct_labels_mapping", 1)
    with _refused(errno.EOPNOTSUPP):
        devlink.param_set(SIM_HANDLE, "ct_labels_mapping", True, cmode="driverinit")
    with _refused(errno.EINVAL):
        devlink.param_set(SIM_HANDLE, "flow_steering_mode", "fast")
    with _refused(errno.EBUSY):
        devlink.param_set(SIM_HANDLE, "flow_steering_mode", "hmfs")
    devlink.eswitch_set(SIM_HANDLE, "legacy")
    devlink.param_set(SIM_HANDLE, "flow_steering_mode", "hmfs")
    assert devlink.param_get(SIM_HANDLE, "flow_steering_mode")[0].value == "hmfs"


def test_resource_size_takes_effect_at_reload_which_needs_an_idle_device() -> None:
    dev = device(ct_entries=8)
    devlink = SimDevlink(dev)
    with _refused(errno.ENOENT):
        devlink.resource_set(SIM_HANDLE, "/ct/rules", 4)
    for bad in (0, 2**32 + 1):
        with _refused(errno.EINVAL):
            devlink.resource_set(SIM_HANDLE, "/ct/entries", bad)
    devlink.resource_set(SIM_HANDLE, "/ct/entries", 4)
    dev.submit(Ops()(INSERT, udp(1)))
    dev.push()
    (ct,) = devlink.resource_dump(SIM_HANDLE)
    (entries,) = ct.children
    assert (ct.name, ct.id, entries.name, entries.id) == ("ct", 1, "entries", 2)
    assert (entries.size, entries.size_new, entries.occ) == (8, 4, 2)
    with _refused(errno.EBUSY):
        devlink.reload(SIM_HANDLE)
    dev.submit(Ops()(FLUSH))
    dev.push()
    dev.set_faults(fail_reload=True)
    with _refused(errno.EIO):
        devlink.reload(SIM_HANDLE)
    assert dev.size == 8
    dev.set_faults(fail_reload=False)
    devlink.reload(SIM_HANDLE)
    assert (dev.size, dev.size_new) == (4, 4)


def test_health_reports_diagnoses_and_recovers() -> None:
    dev = device(ct_entries=2)
    devlink = SimDevlink(dev)
    dev.submit(Ops()(INSERT, udp(1)))
    assert dev.submit(Ops()(INSERT, udp(2))) == errno.ENOSPC
    (reporter,) = devlink.health(SIM_HANDLE)
    assert (reporter.name, reporter.state, reporter.err_count) == ("ct_offload", "error", 1)
    assert devlink.health_diagnose(SIM_HANDLE, "ct_offload") == {
        "size": 2,
        "occupancy": 0,
        "conns": 0,
        "queue_depth": 1,
        "last_errors": [errno.ENOSPC],
    }
    devlink.health_recover(SIM_HANDLE, "ct_offload")
    assert devlink.health(SIM_HANDLE)[0].state == "healthy"
    with _refused(errno.EINVAL):
        devlink.health_recover(SIM_HANDLE, "fw")


def test_last_errors_keeps_the_last_eight_oldest_first() -> None:
    dev = device()
    dev.set_faults(fail_next_count=10, fail_next_errno=errno.EIO)
    op = Ops()
    for conn_id in range(10):
        dev.submit(op(INSERT, udp(conn_id)))
    dev.set_faults(fail_next_errno=errno.ENOMEM, fail_next_count=10)
    dev.push()
    assert dev.diagnose()["last_errors"] == [errno.ENOMEM] * 8
    assert dev.health().err_count == 10


# Saving and restoring the devlink configuration.


def test_the_devlink_state_round_trips_through_json() -> None:
    dev = device()
    dev.set_eswitch_mode("legacy")
    dev.set_param("flow_steering_mode", "dmfs")
    dev.set_param("ct_max_offloaded_conns", 1000)
    dev.set_resource_size("/ct/entries", 1024)
    dev.set_faults(fail_next_count=3, stuck_queue=True)
    saved = json.loads(json.dumps(dev.devlink_state()))
    other = device()
    other.apply_devlink_state(saved)
    assert other.devlink_state() == dev.devlink_state()
    assert (other.eswitch_mode, other.size_new, other.faults.fail_next_count) == ("legacy", 1024, 3)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"eswitch_mode": "offline"},
        {"params": {"ct_max_offloaded_conns": -1}},
        {"params": {"nope": 1}},
        {"resources": {"/ct/entries": {"size": 0}}},
        {"resources": {"/ct/rules": {}}},
        {"faults": {"fail_rate": 2}},
        {"flows": {}},
    ],
)
def test_a_malformed_devlink_state_is_refused_and_changes_nothing(bad: object) -> None:
    dev = device()
    before = dev.devlink_state()
    with pytest.raises(ValueError, match="devlink state"):
        dev.apply_devlink_state(bad)
    assert dev.devlink_state() == before


def test_restoring_a_mode_or_size_change_on_a_busy_device_is_ebusy() -> None:
    dev = device()
    dev.submit(Ops()(INSERT, udp(1)))
    with _refused(errno.EBUSY):
        dev.apply_devlink_state({"eswitch_mode": "legacy"})
    dev.apply_devlink_state({"faults": {"force_full": True}})  # other parts are fine
    assert dev.faults.force_full
