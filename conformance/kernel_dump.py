"""Read a network namespace's conntrack table, independently of the engine under test.

Purpose: the kernel conformance machine compares the kernel's table with the model device's after
every step, so the read must be cheap and must not share code with
``impl.switchdev.ctnetlink``'s encoder or table reader. Requests are encoded and replies decoded
with pyroute2's own ``nfct_msg``, ``nfct_stats`` and ``ConntrackEntry``, on a plain netlink socket
opened inside the namespace (pyroute2's ``Conntrack`` runs an event loop per call). A whole-table
dump costs the kernel a walk of its global hash table (about 10 ms with 262,144 buckets), so the
per-step check is ``count`` plus one ``get`` per connection, and ``entries`` is for the end.

Promises: ``KernelDump(namespace)`` opens the socket (the calling thread comes back to its own
namespace); ``count`` is the namespace's entry count; ``get`` finds one connection by original
tuple and zone (not GRE, whose keys pyroute2 cannot encode); ``entries`` returns every entry
(family AF_UNSPEC); ``close`` is idempotent.
"""

from __future__ import annotations

import os
import socket
import struct
from types import TracebackType

from pyroute2.conntrack import ConntrackEntry
from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR
from pyroute2.netlink.nfnetlink import NFNL_SUBSYS_CTNETLINK
from pyroute2.netlink.nfnetlink.nfctsocket import (
    IPCTNL_MSG_CT_GET,
    IPCTNL_MSG_CT_GET_STATS,
    NFCTAttrTuple,
    nfct_msg,
    nfct_stats,
)

from impl.switchdev.ctnetlink_netns import inside
from model.conn import PROTO_GRE, ConnRef

NETLINK_NETFILTER = 12
_HEADER = struct.Struct("=IHHII")


class KernelDump:
    """A plain ctnetlink socket in one namespace, for reads only."""

    def __init__(self, namespace: str) -> None:
        """Open the socket inside ``namespace``."""
        with inside(namespace):
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self._sock.bind((0, 0))
        self._sock.settimeout(5.0)
        self._seq = 0

    def count(self) -> int:
        """How many entries the namespace's table holds (``CTA_STATS_GLOBAL_ENTRIES``)."""
        ((_, chunk),) = self._exchange(nfct_msg(), IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK)
        stats = nfct_stats(chunk)
        stats.decode()
        return int(stats.get_attr("CTA_STATS_GLOBAL_ENTRIES"))

    def get(self, ref: ConnRef) -> ConntrackEntry | None:
        """The entry of ``ref`` (its original tuple and zone), or None when the kernel has none.
        pyroute2 encodes no GRE keys, so a GRE connection raises ValueError: read it with ``entries``."""
        o = ref.orig
        if o.proto == PROTO_GRE:
            raise ValueError("KernelDump.get: pyroute2 cannot encode a GRE tuple's keys")
        family = socket.AF_INET6 if ":" in o.src else socket.AF_INET
        tuple_orig = NFCTAttrTuple(family, o.src, o.dst, o.proto, o.sport, o.dport)
        request = nfct_msg.create_from(tuple_orig=tuple_orig, zone=ref.zone or None)
        request["nfgen_family"] = family
        try:
            replies = self._exchange(request, IPCTNL_MSG_CT_GET, NLM_F_ACK)
        except FileNotFoundError:
            return None
        return _entry(replies[0][1]) if replies else None

    def entries(self) -> list[ConntrackEntry]:
        """Every entry of the namespace's table now (the kernel walks its whole hash table: slow)."""
        request = nfct_msg()
        request["nfgen_family"] = socket.AF_UNSPEC
        return [_entry(chunk) for _, chunk in self._exchange(request, IPCTNL_MSG_CT_GET, NLM_F_DUMP)]

    def _exchange(self, request: nfct_msg, kind: int, flags: int) -> list[tuple[int, bytes]]:
        """Send ``request`` as ``kind`` and collect the replies up to the acknowledgement (or the
        end of a dump); an error reply raises OSError with its errno."""
        self._seq += 1
        request["header"]["type"] = (NFNL_SUBSYS_CTNETLINK << 8) | kind
        request["header"]["flags"] = NLM_F_REQUEST | flags
        request["header"]["sequence_number"] = self._seq
        request.encode()
        self._sock.send(bytes(request.data))
        found: list[tuple[int, bytes]] = []
        while True:
            data = self._sock.recv(1 << 20)
            offset = 0
            while offset + _HEADER.size <= len(data):
                length, mtype, _flags, seq, _pid = _HEADER.unpack_from(data, offset)
                chunk, offset = data[offset : offset + length], offset + max(length, _HEADER.size)
                if seq != self._seq:
                    continue
                if mtype == NLMSG_DONE:
                    return found
                if mtype == NLMSG_ERROR:
                    (code,) = struct.unpack_from("=i", chunk, _HEADER.size)
                    if code:
                        raise OSError(-code, f"ctnetlink request {kind} failed: {os.strerror(-code)}")
                    return found
                found.append((mtype, chunk))

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def __enter__(self) -> KernelDump:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _entry(chunk: bytes) -> ConntrackEntry:
    msg = nfct_msg(chunk)
    msg.decode()
    return ConntrackEntry(
        msg["nfgen_family"],
        msg.get_attr("CTA_TUPLE_ORIG"),
        msg.get_attr("CTA_TUPLE_REPLY"),
        msg.get_attr("CTA_STATUS"),
        msg.get_attr("CTA_TIMEOUT"),
        msg.get_attr("CTA_PROTOINFO"),
        msg.get_attr("CTA_MARK"),
        msg.get_attr("CTA_ID"),
        msg.get_attr("CTA_USE"),
        msg.get_attr("CTA_ZONE"),
    )
