"""The ctnetlink engine against a real kernel conntrack table (docs/switchdev.rst, "The ctnetlink engine").

Every test runs in the engine's private namespace and skips, with the probe's reason, where the
engine cannot run (no CAP_NET_ADMIN, no namespaces, no ctnetlink). The kernel table is read back
with pyroute2's ``Conntrack`` on a socket opened inside the namespace; the host's conntrack count
is checked around every test. The codec's patched templates are compared with pyroute2's own
encoding (no kernel needed). Tests assert behaviour, never timings.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyroute2 import Conntrack, netns
from pyroute2.netlink.nfnetlink.nfctsocket import (
    IPS_ASSURED,
    IPS_CONFIRMED,
    IPS_SEEN_REPLY,
    TCP_CONNTRACK_ESTABLISHED,
    NFCTAttrTuple,
    nfct_msg,
)

import impl.switchdev.ctnetlink as ctnetlink_module
from impl.switchdev.ctnetlink import CtnetlinkEngine, probe
from impl.switchdev.ctnetlink_codec import KINDS, Codec
from impl.switchdev.ctnetlink_io import Replies, counters
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult, OffloadEngine
from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, ConnRef, FiveTuple

INSERT, UPDATE, REMOVE, FLUSH = EngineOpKind.INSERT, EngineOpKind.UPDATE, EngineOpKind.REMOVE, EngineOpKind.FLUSH
ESTABLISHED = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED


@pytest.fixture(scope="module")
def runnable() -> None:
    ok, reason = probe()
    if not ok:
        pytest.skip(reason)


def host_count() -> int:
    """The host namespace's conntrack entry count (this thread never stays in another namespace)."""
    try:
        with open("/proc/sys/net/netfilter/nf_conntrack_count") as count:
            return int(count.read())
    except FileNotFoundError:
        ct = Conntrack()
        try:
            return int(ct.count())
        finally:
            ct.close()


@pytest.fixture(autouse=True)
def host_table_untouched() -> Iterator[None]:
    before = host_count()
    yield
    assert host_count() == before, "the host's conntrack table changed"


class Clock:
    def __init__(self, now: int = 1000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def open_engine(runnable: None) -> Iterator[Callable[..., CtnetlinkEngine]]:
    engines: list[CtnetlinkEngine] = []

    def make(**kwargs: Any) -> CtnetlinkEngine:
        engines.append(CtnetlinkEngine.open(**kwargs))
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(open_engine: Callable[..., CtnetlinkEngine]) -> CtnetlinkEngine:
    return open_engine(max_conns=10_000, queue_size=8192, timeout_s=600)


def conn(conn_id: int, *, proto: int = PROTO_UDP, zone: int = 0, v6: bool = False) -> ConnRef:
    if not v6:
        return ConnRef.synthetic(conn_id, zone=zone, proto=proto)
    orig = FiveTuple(
        src=f"fd00::{conn_id:x}:1", dst=f"fd00::{conn_id:x}:2", sport=1000 + conn_id, dport=53, proto=proto
    )
    return ConnRef(id=conn_id, zone=zone, orig=orig, reply=orig.reversed())


def run(engine: CtnetlinkEngine, *ops: EngineOp) -> dict[int, int]:
    """Submit (each must be queued), push, poll: error by tag, one result per op."""
    for op in ops:
        assert engine.submit(op) == 0, op
    engine.push()
    results = engine.poll()
    assert sorted(r.tag for r in results) == sorted(op.tag for op in ops)
    return {r.tag: r.error for r in results}


def table(engine: CtnetlinkEngine) -> dict[tuple[str, str, int | None, int | None, int], Any]:
    """The namespace's conntrack entries (IPv4 and IPv6), by original tuple and protocol."""
    entries = {}
    for family in (socket.AF_INET, socket.AF_INET6):
        ct = Conntrack(netns=engine.namespace, nfgen_family=family)
        try:
            for entry in ct.dump_entries():
                t = entry.tuple_orig
                entries[(t.saddr, t.daddr, t.sport, t.dport, t.proto)] = entry
        finally:
            ct.close()
    return entries


def key(ref: ConnRef) -> tuple[str, str, int | None, int | None, int]:
    o = ref.orig
    ports = (None, None) if o.proto == PROTO_GRE else (o.sport, o.dport)  # pyroute2 does not decode GRE keys
    return (o.src, o.dst, *ports, o.proto)


def reference(kind: str, ref: ConnRef, *, established: bool = False, timeout: int = 600) -> bytes:
    """The message pyroute2 itself encodes for the op, all values real, sequence number 0."""
    family = socket.AF_INET6 if ":" in ref.orig.src else socket.AF_INET

    def attr(t: FiveTuple) -> NFCTAttrTuple:
        return NFCTAttrTuple(family, t.src, t.dst, t.proto, t.sport, t.dport)

    attrs: dict[str, object] = {"tuple_orig": attr(ref.orig)}
    if kind == "insert":
        attrs["tuple_reply"] = attr(ref.reply)
    if ref.zone:
        attrs["zone"] = ref.zone
    if kind in ("insert", "update"):
        est = established or kind == "update"
        attrs["timeout"] = timeout
        attrs["status"] = ESTABLISHED if est else IPS_CONFIRMED
        if est and ref.orig.proto == PROTO_TCP:
            tcp = {"attrs": [["CTA_PROTOINFO_TCP_STATE", TCP_CONNTRACK_ESTABLISHED]]}
            attrs["protoinfo"] = {"attrs": [["CTA_PROTOINFO_TCP", tcp]]}
    msg = nfct_msg.create_from(**attrs)
    msg_type, flags = KINDS[kind]
    msg["header"]["type"] = (1 << 8) | msg_type
    msg["header"]["flags"] = flags
    msg["nfgen_family"] = family
    msg.encode()
    return bytes(msg.data)


@pytest.mark.parametrize("kind", ["insert", "update", "remove", "get"])
def test_patched_templates_equal_pyroute2s_own_encoding(kind: str) -> None:
    natted = ConnRef(
        id=9,
        zone=0,
        orig=conn(9).orig,
        reply=FiveTuple(src="10.0.9.2", dst="192.0.2.7", sport=80, dport=40000, proto=17),
    )
    refs = [conn(1), conn(2, proto=PROTO_TCP, zone=65535), conn(3, v6=True, zone=12), conn(4, proto=PROTO_GRE), natted]
    codec = Codec(600)
    for seq, ref in enumerate(refs, 0x01020304):
        for established in (False, True):
            got = codec.encode(kind, seq, ref, established)
            want = reference(kind, ref, established=established and kind == "insert")
            assert got[8:12] == seq.to_bytes(4, "big")
            assert got[:8] + got[12:] == want[:8] + want[12:], (kind, ref, established)


def test_counters_are_decoded_from_both_directions() -> None:
    msg = nfct_msg.create_from(
        tuple_orig=NFCTAttrTuple(saddr="10.0.0.1", daddr="10.0.0.2", proto=17, sport=1, dport=2),
        counters_orig={"attrs": [["CTA_COUNTERS_PACKETS", 5], ["CTA_COUNTERS_BYTES", 300]]},
        counters_reply={"attrs": [["CTA_COUNTERS_PACKETS", 7], ["CTA_COUNTERS_BYTES", 2**40]]},
    )
    msg["header"]["type"] = 1 << 8
    msg.encode()
    assert counters(bytes(msg.data)) == (12, 300 + 2**40)
    plain = nfct_msg.create_from(tuple_orig=NFCTAttrTuple(saddr="10.0.0.1", daddr="10.0.0.2", proto=17))
    plain.encode()
    assert counters(bytes(plain.data)) == (0, 0)


def test_probe_explains_itself(runnable: None) -> None:
    ok, reason = probe()
    assert ok and "ctnetlink reachable" in reason


def test_the_engine_is_an_offload_engine(engine: CtnetlinkEngine) -> None:
    typed: OffloadEngine = engine
    assert typed.capacity() == (0, 10_000)


def held_namespaces() -> set[str]:
    """The network namespaces this process holds by a descriptor (``net:[inode]``)."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("net:["):
            held.add(target)
    return held


def test_open_creates_a_namespace_and_close_releases_it(open_engine: Callable[..., CtnetlinkEngine]) -> None:
    named, held = set(netns.listnetns()), held_namespaces()
    first = open_engine()
    with CtnetlinkEngine.open() as second:
        mine = {f"net:[{first.namespace_inode}]", f"net:[{second.namespace_inode}]"}
        assert len(mine) == 2 and held_namespaces() == held | mine
        assert os.stat(second.namespace).st_ino == second.namespace_inode  # the path reaches it
        assert set(netns.listnetns()) == named  # anonymous: nothing named under /run/netns
    assert held_namespaces() == held | {f"net:[{first.namespace_inode}]"}
    first.close()
    first.close()
    assert held_namespaces() == held
    assert first.submit(EngineOp(kind=INSERT, conn=conn(1), tag=1)) == errno.ENODEV
    first.push()
    assert first.poll() == [] and first.query([1]) == {} and first.cancel([1]) == []


def test_a_failed_open_leaves_no_namespace(runnable: None, monkeypatch: pytest.MonkeyPatch) -> None:
    before, held = set(netns.listnetns()), held_namespaces()

    def broken(namespace: object) -> socket.socket:
        raise OSError(errno.EPROTONOSUPPORT, "no netfilter netlink here")

    monkeypatch.setattr(ctnetlink_module, "open_socket", broken)
    with pytest.raises(OSError, match="no netfilter netlink"):
        CtnetlinkEngine.open()
    assert set(netns.listnetns()) == before
    assert held_namespaces() == held


def test_insert_programs_both_tuples_zone_timeout_and_state(engine: CtnetlinkEngine) -> None:
    refs = {
        1: conn(1),
        2: conn(2, proto=PROTO_TCP),
        3: conn(3, v6=True, zone=5),
        4: conn(4, proto=PROTO_GRE),
        5: conn(5, proto=PROTO_TCP, zone=7),
    }
    established = {2, 4}
    ops = [EngineOp(kind=INSERT, conn=ref, tag=i, established=i in established) for i, ref in refs.items()]
    assert run(engine, *ops) == dict.fromkeys(refs, 0)
    entries = table(engine)
    assert len(entries) == len(refs) == engine.kernel_count()
    for i, ref in refs.items():
        entry = entries[key(ref)]
        reply = entry.tuple_reply
        assert (reply.saddr, reply.daddr) == (ref.reply.src, ref.reply.dst)
        assert entry.zone == (ref.zone or None)
        assert 0 < entry.timeout <= 600
        assert entry.status & ESTABLISHED == (ESTABLISHED if i in established else IPS_CONFIRMED)
    assert entries[key(refs[2])].protoinfo.state == TCP_CONNTRACK_ESTABLISHED
    assert entries[key(refs[5])].protoinfo.state != TCP_CONNTRACK_ESTABLISHED
    assert engine.capacity() == (5, 10_000)


def test_update_programs_the_established_state(engine: CtnetlinkEngine) -> None:
    udp, tcp = conn(1), conn(2, proto=PROTO_TCP, zone=3)
    run(engine, EngineOp(kind=INSERT, conn=udp, tag=1), EngineOp(kind=INSERT, conn=tcp, tag=2))
    assert run(engine, EngineOp(kind=UPDATE, conn=udp, tag=3), EngineOp(kind=UPDATE, conn=tcp, tag=4)) == {3: 0, 4: 0}
    entries = table(engine)
    assert entries[key(udp)].status & ESTABLISHED == ESTABLISHED
    assert entries[key(tcp)].status & ESTABLISHED == ESTABLISHED
    assert entries[key(tcp)].protoinfo.state == TCP_CONNTRACK_ESTABLISHED
    assert run(engine, EngineOp(kind=UPDATE, conn=conn(9), tag=5)) == {5: errno.ENOENT}


def test_remove_deletes_the_entry_and_absent_ones_answer_enoent(engine: CtnetlinkEngine) -> None:
    refs = [conn(1), conn(2, v6=True, zone=9), conn(3, proto=PROTO_GRE)]
    run(engine, *(EngineOp(kind=INSERT, conn=ref, tag=ref.id) for ref in refs))
    removes = [EngineOp(kind=REMOVE, conn=ref, tag=10 + ref.id) for ref in refs[:2]]
    absent = EngineOp(kind=REMOVE, conn=conn(4), tag=99)
    wrong_zone = EngineOp(kind=REMOVE, conn=conn(3, proto=PROTO_GRE, zone=1), tag=98)
    assert run(engine, removes[0], absent, removes[1], wrong_zone) == {11: 0, 99: errno.ENOENT, 12: 0, 98: errno.ENOENT}
    assert list(table(engine)) == [key(refs[2])]
    assert engine.capacity() == (1, 10_000)


def test_flush_empties_the_namespace_table(engine: CtnetlinkEngine) -> None:
    refs = [conn(1), conn(2, v6=True), conn(3, zone=4), conn(4, proto=PROTO_TCP)]
    run(engine, *(EngineOp(kind=INSERT, conn=ref, tag=ref.id) for ref in refs))
    assert engine.kernel_count() == 4
    assert run(engine, EngineOp(kind=FLUSH, conn=None, tag=7), EngineOp(kind=INSERT, conn=conn(5), tag=8)) == {
        7: 0,
        8: 0,
    }
    assert list(table(engine)) == [key(conn(5))]
    assert engine.capacity() == (1, 10_000)
    assert run(engine, EngineOp(kind=FLUSH, conn=None, tag=9)) == {9: 0}
    assert engine.kernel_count() == 0 and engine.capacity() == (0, 10_000)


def test_a_duplicate_insert_fails_alone_with_eexist(engine: CtnetlinkEngine) -> None:
    ops = [EngineOp(kind=INSERT, conn=conn(i), tag=i) for i in range(10)]
    ops.insert(4, EngineOp(kind=INSERT, conn=conn(2), tag=100))  # same tuple as tag 2, queued after it
    ops.append(EngineOp(kind=INSERT, conn=conn(9), tag=101))  # a duplicate as the last (acknowledged) message
    results = run(engine, *ops)
    assert results == {**dict.fromkeys(range(10), 0), 100: errno.EEXIST, 101: errno.EEXIST}
    assert engine.kernel_count() == 10 and engine.capacity() == (10, 10_000)


def test_a_batch_of_5000_inserts_gets_5000_results(engine: CtnetlinkEngine) -> None:
    refs = [conn(i) for i in range(5000)]
    results = run(engine, *(EngineOp(kind=INSERT, conn=ref, tag=ref.id) for ref in refs))
    assert results == dict.fromkeys(range(5000), 0)
    assert engine.kernel_count() == 5000 and engine.capacity() == (5000, 10_000)
    assert set(table(engine)) == {key(ref) for ref in refs}
    dups = run(engine, *(EngineOp(kind=INSERT, conn=ref, tag=ref.id) for ref in refs[::2]))
    assert dups == dict.fromkeys(range(0, 5000, 2), errno.EEXIST)


def test_a_push_larger_than_one_send_is_split_and_still_complete(engine: CtnetlinkEngine) -> None:
    engine._chunk = 7  # force several sends
    ops = [EngineOp(kind=INSERT, conn=conn(i % 40), tag=i) for i in range(60)]  # 20 duplicates
    results = run(engine, *ops)
    assert results == {i: (0 if i < 40 else errno.EEXIST) for i in range(60)}
    assert engine.kernel_count() == 40


def test_max_conns_refuses_inserts_at_submit(open_engine: Callable[..., CtnetlinkEngine]) -> None:
    engine = open_engine(max_conns=3)
    assert [engine.submit(EngineOp(kind=INSERT, conn=conn(i), tag=i)) for i in range(4)] == [0, 0, 0, errno.ENOSPC]
    engine.push()
    assert sorted(r.tag for r in engine.poll()) == [0, 1, 2]  # no result for the refused op
    assert engine.submit(EngineOp(kind=INSERT, conn=conn(5), tag=5)) == errno.ENOSPC
    assert engine.capacity() == (3, 3)
    assert run(engine, EngineOp(kind=REMOVE, conn=conn(0), tag=6)) == {6: 0}
    assert run(engine, EngineOp(kind=INSERT, conn=conn(5), tag=7)) == {7: 0}


def test_a_full_queue_answers_eagain(open_engine: Callable[..., CtnetlinkEngine]) -> None:
    engine = open_engine(queue_size=2)
    assert [engine.submit(EngineOp(kind=INSERT, conn=conn(i), tag=i)) for i in range(3)] == [0, 0, errno.EAGAIN]
    engine.push()
    assert [r.tag for r in engine.poll()] == [0, 1]


def test_what_cannot_be_expressed_is_refused_at_submit(engine: CtnetlinkEngine) -> None:
    icmp = FiveTuple(src="10.0.0.1", dst="10.0.0.2", sport=0, dport=0, proto=1)
    bad_addr = FiveTuple(src="10.0.0.300", dst="10.0.0.2", sport=1, dport=2, proto=PROTO_UDP)
    mixed = FiveTuple(src="10.0.0.1", dst="fd00::2", sport=1, dport=2, proto=PROTO_UDP)
    bad_port = FiveTuple(src="10.0.0.1", dst="10.0.0.2", sport=70000, dport=2, proto=PROTO_UDP)
    cases = {
        errno.EOPNOTSUPP: [ConnRef(id=1, zone=0, orig=icmp, reply=icmp.reversed()), conn(2, zone=70_000)],
        errno.EINVAL: [ConnRef(id=i, zone=0, orig=t, reply=t.reversed()) for i, t in enumerate([bad_addr, mixed], 3)]
        + [ConnRef(id=5, zone=0, orig=bad_port, reply=bad_port.reversed()), conn(6, zone=-1)],
    }
    for code, refs in cases.items():
        for ref in refs:
            for kind in (INSERT, UPDATE, REMOVE):
                assert engine.submit(EngineOp(kind=kind, conn=ref, tag=ref.id)) == code, (kind, ref)
    assert engine.submit(EngineOp(kind=REMOVE, conn=None, tag=9)) == errno.EINVAL
    engine.push()
    assert engine.poll() == []
    assert engine.kernel_count() == 0


def test_cancel_withdraws_queued_ops(engine: CtnetlinkEngine) -> None:
    for i in range(4):
        engine.submit(EngineOp(kind=INSERT, conn=conn(i), tag=i))
    engine.submit(EngineOp(kind=FLUSH, conn=None, tag=10))
    engine.submit(EngineOp(kind=INSERT, conn=conn(5), tag=5))
    assert sorted(engine.cancel([1, 3, 10, 42])) == [1, 3, 10]
    engine.push()
    assert [r.tag for r in engine.poll()] == [0, 2, 5]
    assert set(table(engine)) == {key(conn(0)), key(conn(2)), key(conn(5))}


def test_poll_returns_completions_in_order_and_at_most_max_results(engine: CtnetlinkEngine) -> None:
    for i in range(5):
        engine.submit(EngineOp(kind=INSERT, conn=conn(i), tag=i))
    engine.push()
    assert engine.poll(2) == [EngineResult(0, 0), EngineResult(1, 0)]
    assert engine.poll(0) == []
    assert [r.tag for r in engine.poll()] == [2, 3, 4]
    assert engine.poll() == []


def test_query_reports_last_used_and_counters_of_programmed_connections(
    open_engine: Callable[..., CtnetlinkEngine],
) -> None:
    clock = Clock(1000)
    engine = open_engine(clock=clock)
    run(engine, EngineOp(kind=INSERT, conn=conn(1), tag=1), EngineOp(kind=INSERT, conn=conn(2, v6=True), tag=2))
    clock.now = 2500
    run(engine, EngineOp(kind=UPDATE, conn=conn(2, v6=True), tag=3), EngineOp(kind=INSERT, conn=conn(1), tag=4))
    stats = engine.query([1, 2, 3, 1])
    assert set(stats) == {1, 2}
    assert (stats[1].last_used, stats[2].last_used) == (1000, 1000)  # only traffic moves last-used (ENG-PUSH)
    assert all((s.packets, s.bytes) == (0, 0) for s in stats.values())  # no traffic crosses the namespace
    run(engine, EngineOp(kind=REMOVE, conn=conn(1), tag=5))
    assert set(engine.query([1, 2])) == {2}


def test_query_forgets_a_connection_the_kernel_dropped(engine: CtnetlinkEngine) -> None:
    run(engine, EngineOp(kind=INSERT, conn=conn(1), tag=1), EngineOp(kind=INSERT, conn=conn(2), tag=2))
    ct = Conntrack(netns=engine.namespace)
    try:
        ct.flush()  # behind the engine's back, as an expired CTA_TIMEOUT would
    finally:
        ct.close()
    assert engine.query([1, 2]) == {}
    assert engine.capacity() == (0, 10_000)


def test_kernel_enomem_is_reported_as_enospc(engine: CtnetlinkEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_table(sock: socket.socket, buf: bytes, last_seq: int, rbuf: bytearray) -> Replies:
        return Replies(errors={last_seq: errno.ENOMEM}, complete=True)  # as a full nf_conntrack_max answers

    monkeypatch.setattr(ctnetlink_module, "exchange", full_table)
    assert run(engine, EngineOp(kind=INSERT, conn=conn(1), tag=1)) == {1: errno.ENOSPC}
    assert engine.capacity() == (0, 10_000)


def test_lost_replies_are_judged_from_the_table(engine: CtnetlinkEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    run(engine, *(EngineOp(kind=INSERT, conn=conn(i), tag=i) for i in range(300)))
    judged: list[int] = []
    judge = engine._table.judge

    def counted(ops: list[tuple[int, EngineOp]], errors: dict[int, int]) -> dict[int, int]:
        judged.append(len(ops))
        return judge(ops, errors)

    monkeypatch.setattr(engine._table, "judge", counted)
    engine._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # far too small for 600 error replies
    engine._chunk = 10_000
    ops = [EngineOp(kind=INSERT, conn=conn(i), tag=1000 + i) for i in range(300, 900)]  # new: succeed
    ops += [EngineOp(kind=REMOVE, conn=conn(i), tag=2000 + i) for i in range(1000, 1600)]  # absent: ENOENT
    ops += [EngineOp(kind=REMOVE, conn=conn(i), tag=3000 + i) for i in range(100)]  # present: succeed
    results = run(engine, *ops)
    assert all(results[op.tag] in (0, errno.ENOENT) for op in ops)
    assert all(results[op.tag] == 0 for op in ops if op.tag < 2000 or op.tag >= 3000)
    assert judged == [len(ops)]  # the receive buffer did overflow
    assert engine.kernel_count() == 800 and engine.capacity() == (800, 10_000)
