"""One batched exchange with ctnetlink: a buffer of messages out, the replies that matter back.

Purpose: the kernel acknowledges a netlink message when it asks for it (``NLM_F_ACK``) *or when it
failed*, so a buffer of messages with ``NLM_F_ACK`` on the last one only is answered by one error
message per failed message (carrying that message's sequence number) and then one final
acknowledgement (or error) for the last. ``exchange`` sends such a buffer in one ``send`` and reads
replies until the final one, collecting the errors by sequence number and, for GET requests, the
data replies. Replies are decoded with ``struct`` (``nlmsghdr`` and ``nlmsgerr``: the header's
sequence number is read big-endian, as ``impl.switchdev.ctnetlink_codec`` writes it); the counters
of GET replies with ``struct`` too, by pyroute2's attribute numbers (speed: see ``counters``); the
statistics reply with pyroute2's ``nfct_stats``.

Promises: ``exchange`` raises OSError only when the ``send`` failed (then the kernel processed none
of the messages); otherwise it returns, and ``complete`` is False when some replies may have been
lost (the receive buffer overflowed: ENOBUFS; no final reply within the socket's timeout; another
receive error), in which case, for ENOBUFS, everything still queued on the socket has been read.
"""

from __future__ import annotations

import errno
import socket
import struct
from dataclasses import dataclass, field

from pyroute2.netlink import NLM_F_ACK, NLM_F_REQUEST
from pyroute2.netlink.nfnetlink import NFNL_SUBSYS_CTNETLINK
from pyroute2.netlink.nfnetlink.nfctsocket import IPCTNL_MSG_CT_GET_STATS, nfct_msg, nfct_stats

from impl.switchdev.ctnetlink_codec import NFGENMSG_LEN, NLMSG_HDRLEN, nla_type

NLMSG_ERROR = 2
_HEADER = struct.Struct("=IH")  # nlmsg_len, nlmsg_type
_SEQ = struct.Struct(">I")  # nlmsg_seq, as the codec wrote it
_ERRNO = struct.Struct("=i")  # nlmsgerr.error (negative errno, 0 for an acknowledgement)
_NLA = struct.Struct("=HH")  # nla_len, nla_type
_BE64, _BE32 = struct.Struct(">Q"), struct.Struct(">I")
_COUNTERS = {nla_type(nfct_msg, "CTA_COUNTERS_ORIG"), nla_type(nfct_msg, "CTA_COUNTERS_REPLY")}
_COUNTER_FIELDS = {
    nla_type(nfct_msg.cta_counters, name): (what, width)
    for name, what, width in (
        ("CTA_COUNTERS_PACKETS", "packets", 8),
        ("CTA_COUNTERS_BYTES", "bytes", 8),
        ("CTA_COUNTERS32_PACKETS", "packets", 4),
        ("CTA_COUNTERS32_BYTES", "bytes", 4),
    )
}


@dataclass(slots=True)
class Replies:
    """What came back for one buffer: errno by sequence number of the messages that failed, data
    replies as (sequence number, message bytes), and whether every reply arrived."""

    errors: dict[int, int] = field(default_factory=dict)
    data: list[tuple[int, bytes]] = field(default_factory=list)
    complete: bool = False


def _parse(view: memoryview, size: int, last_seq: int, replies: Replies) -> bool:
    """Record the messages in view[:size]; whether the reply to ``last_seq`` was among them."""
    off, final = 0, False
    while off + 16 <= size:
        length, kind = _HEADER.unpack_from(view, off)
        if length < 16:
            break
        (seq,) = _SEQ.unpack_from(view, off + 8)
        if kind == NLMSG_ERROR:
            (err,) = _ERRNO.unpack_from(view, off + 16)
            if err:
                replies.errors[seq] = -err
            final = final or seq == last_seq
        elif kind >> 8 == NFNL_SUBSYS_CTNETLINK:
            replies.data.append((seq, bytes(view[off : off + length])))
        off += (length + 3) & ~3
    return final


def exchange(sock: socket.socket, buf: bytes | bytearray, last_seq: int, rbuf: bytearray) -> Replies:
    """Send ``buf`` (NLM_F_ACK on its last message, sequence ``last_seq``) and read the replies."""
    sock.send(buf)
    replies, view = Replies(), memoryview(rbuf)
    try:
        while True:
            size = sock.recv_into(rbuf)
            if _parse(view, size, last_seq, replies):
                replies.complete = True
                return replies
    except TimeoutError:
        pass
    except OSError as exc:
        if exc.errno != errno.ENOBUFS:
            return replies
    timeout = sock.gettimeout()
    sock.settimeout(0.0)  # replies were lost: read what is left without waiting
    try:
        while True:
            try:
                size = sock.recv_into(rbuf)
            except BlockingIOError:
                return replies
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    return replies
                continue
            _parse(view, size, last_seq, replies)
    finally:
        sock.settimeout(timeout)


def counters(message: bytes | memoryview) -> tuple[int, int]:
    """(packets, bytes) of both directions from a GET reply; (0, 0) when accounting is off.

    Decoded with ``struct`` (pyroute2's decoder costs over 100 us a reply, which would make a query
    of every connection take seconds), walking the attributes by pyroute2's attribute numbers.
    """
    packets = octets = 0
    off, end = NLMSG_HDRLEN + NFGENMSG_LEN, len(message)
    while off + 4 <= end:
        length, kind = _NLA.unpack_from(message, off)
        if length < 4:
            break
        if kind & 0x3FFF in _COUNTERS:
            inner, stop = off + 4, off + length
            while inner + 4 <= stop:
                size, field = _NLA.unpack_from(message, inner)
                if size < 4:
                    break
                code = _COUNTER_FIELDS.get(field & 0x3FFF)
                if code is not None:
                    value = (_BE64 if code[1] == 8 else _BE32).unpack_from(message, inner + 4)[0]
                    if code[0] == "packets":
                        packets += value
                    else:
                        octets += value
                inner += (size + 3) & ~3
        off += (length + 3) & ~3
    return packets, octets


def stats_request(seq: int) -> bytes:
    """A ``IPCTNL_MSG_CT_GET_STATS`` request (encoded by pyroute2), acknowledged, sequence ``seq``."""
    msg = nfct_msg()
    msg["header"]["type"] = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS
    msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_ACK
    msg["nfgen_family"] = socket.AF_UNSPEC
    msg.encode()
    data = bytearray(msg.data)
    _SEQ.pack_into(data, 8, seq)  # big-endian, as every sequence number of the engine
    return bytes(data)


def entry_count(message: bytes) -> int:
    """The namespace's conntrack entry count from a GET_STATS reply."""
    msg = nfct_stats(message)
    msg.decode()
    return int(msg.get_attr("CTA_STATS_GLOBAL_ENTRIES") or 0)
