"""ctnetlink messages for the offload engine: pyroute2 encodes one template per shape, struct patches.

Purpose: turning a connection into an ``IPCTNL_MSG_CT_*`` message must cost well under a
microsecond for batched programming to reach hundreds of thousands of connections per second, and
pyroute2's encoder costs tens. So pyroute2 encodes ONE template message per *shape* (message kind,
address family, IP protocol, whether a zone is present, whether the connection is established),
with placeholder values; the offsets of the varying fields (sequence number, addresses, ports,
zone) are located once, by walking the template's attributes with the attribute numbers of
pyroute2's own ``nfct_msg`` maps; and a ``struct.Struct`` is compiled whose constant runs are the
template's own bytes and whose fields are the varying values. Encoding one message is then a single
``Struct.pack`` call. Only that patching is written by hand; every constant byte comes from
pyroute2.

The sequence number is written big-endian with the other varying fields (one struct, one byte
order). The kernel treats it as opaque and echoes it verbatim in its replies, and
``impl.switchdev.ctnetlink_io`` reads it back the same way.

GRE: the kernel's GRE tuple carries the two 16-bit GRE keys in ``CTA_PROTO_SRC_PORT`` and
``CTA_PROTO_DST_PORT`` and refuses a GRE tuple without them (EINVAL, measured on this VM), so a GRE
connection's ``sport`` and ``dport`` are sent there as its keys, as for TCP and UDP.

Promises: ``Codec.encode`` answers the message bytes for an op, or raises ``CodecRefusal`` with
EOPNOTSUPP (a protocol other than TCP, UDP or GRE; a zone above 65535) or EINVAL (an address that
is not IPv4 or IPv6 text, mixed families, a port out of range); a template's placeholders are
checked at their located offsets when it is built, so a change in pyroute2's encoding fails loudly
instead of producing wrong messages.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST
from pyroute2.netlink.nfnetlink import NFNL_SUBSYS_CTNETLINK
from pyroute2.netlink.nfnetlink.nfctsocket import (
    IPCTNL_MSG_CT_DELETE,
    IPCTNL_MSG_CT_GET,
    IPCTNL_MSG_CT_NEW,
    IPS_ASSURED,
    IPS_CONFIRMED,
    IPS_SEEN_REPLY,
    TCP_CONNTRACK_ESTABLISHED,
    NFCTAttrTuple,
    nfct_msg,
)

from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, ConnRef

#: What each message kind is: its ctnetlink message type and its netlink flags (ACK is added at
#: push time, on the last message of a batch only).
KINDS: dict[str, tuple[int, int]] = {
    "insert": (IPCTNL_MSG_CT_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL),
    "update": (IPCTNL_MSG_CT_NEW, NLM_F_REQUEST),
    "remove": (IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST),
    "get": (IPCTNL_MSG_CT_GET, NLM_F_REQUEST),
    "flush": (IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST),
}
PROTOCOLS = frozenset({PROTO_TCP, PROTO_UDP, PROTO_GRE})
STATUS_NEW = IPS_CONFIRMED  # the kernel answers EBUSY to a status without CONFIRMED
STATUS_ESTABLISHED = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED
NLMSG_HDRLEN = 16
NFGENMSG_LEN = 4
_PLACEHOLDER: dict[int, tuple[str, str]] = {socket.AF_INET: ("0.0.0.1", "0.0.0.2"), socket.AF_INET6: ("::1", "::2")}
_SPORT, _DPORT, _ZONE = 0x1111, 0x2222, 0x3333


class CodecRefusal(Exception):
    """An op that cannot be expressed as a ctnetlink message: ``errno`` says why."""

    def __init__(self, errno_: int, why: str) -> None:
        """``errno_`` (EOPNOTSUPP or EINVAL) and a sentence naming the offending value."""
        super().__init__(why)
        self.errno = errno_


def nla_type(cls: Any, name: str) -> int:
    """The attribute number of ``name`` in a pyroute2 attribute class (its index in ``nla_map``)."""
    return [entry[0] for entry in cls.nla_map].index(name)


_TUPLE = nfct_msg.cta_tuple
CTA_TUPLE_ORIG = nla_type(nfct_msg, "CTA_TUPLE_ORIG")
CTA_TUPLE_REPLY = nla_type(nfct_msg, "CTA_TUPLE_REPLY")
CTA_ZONE = nla_type(nfct_msg, "CTA_ZONE")
CTA_TUPLE_IP = nla_type(_TUPLE, "CTA_TUPLE_IP")
CTA_TUPLE_PROTO = nla_type(_TUPLE, "CTA_TUPLE_PROTO")
_IP_ATTRS: dict[int, tuple[int, int]] = {
    socket.AF_INET: (nla_type(_TUPLE.cta_ip, "CTA_IP_V4_SRC"), nla_type(_TUPLE.cta_ip, "CTA_IP_V4_DST")),
    socket.AF_INET6: (nla_type(_TUPLE.cta_ip, "CTA_IP_V6_SRC"), nla_type(_TUPLE.cta_ip, "CTA_IP_V6_DST")),
}
CTA_PROTO_SRC_PORT = nla_type(_TUPLE.cta_proto, "CTA_PROTO_SRC_PORT")
CTA_PROTO_DST_PORT = nla_type(_TUPLE.cta_proto, "CTA_PROTO_DST_PORT")


def find_attr(buf: bytes, start: int, end: int, nla_type: int) -> tuple[int, int]:
    """The payload span ``(offset, end)`` of the first attribute of ``nla_type`` in buf[start:end]."""
    while start + 4 <= end:
        length, kind = struct.unpack_from("=HH", buf, start)
        if length < 4:
            break
        if kind & 0x3FFF == nla_type:  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER
            return start + 4, start + length
        start += (length + 3) & ~3
    raise LookupError(f"attribute {nla_type} not found")


@dataclass(frozen=True, slots=True)
class Shape:
    """What fixes a message's layout: kind (``KINDS``), family, IP protocol, zone present, established."""

    kind: str
    family: int
    proto: int
    zoned: bool
    established: bool


def pyroute2_message(shape: Shape, timeout_s: int) -> bytes:
    """The shape's message, encoded by pyroute2 with placeholder addresses, ports, zone and seq 0."""
    msg_type, flags = KINDS[shape.kind]
    attrs: dict[str, object] = {}
    if shape.kind != "flush":
        src, dst = _PLACEHOLDER[shape.family]
        orig = NFCTAttrTuple(shape.family, src, dst, shape.proto, _SPORT, _DPORT)
        attrs["tuple_orig"] = orig
        if shape.kind == "insert":
            attrs["tuple_reply"] = orig.reverse()
        if shape.zoned:
            attrs["zone"] = _ZONE
    if shape.kind in ("insert", "update"):
        established = shape.established or shape.kind == "update"
        attrs["timeout"] = timeout_s
        attrs["status"] = STATUS_ESTABLISHED if established else STATUS_NEW
        if established and shape.proto == PROTO_TCP:
            tcp = {"attrs": [["CTA_PROTOINFO_TCP_STATE", TCP_CONNTRACK_ESTABLISHED]]}
            attrs["protoinfo"] = {"attrs": [["CTA_PROTOINFO_TCP", tcp]]}
    msg = nfct_msg.create_from(**attrs)
    msg["header"]["type"] = (NFNL_SUBSYS_CTNETLINK << 8) | msg_type
    msg["header"]["flags"] = flags
    msg["header"]["sequence_number"] = 0
    msg["nfgen_family"] = shape.family if shape.kind != "flush" else socket.AF_UNSPEC  # flush: both
    msg.encode()
    return bytes(msg.data)


def _tuple_fields(
    buf: bytes, family: int, span: tuple[int, int], placeholders: tuple[str, str, int, int]
) -> list[tuple[int, str, object]]:
    """(offset, struct code, placeholder) of a tuple's source, destination and two ports."""
    ip_start, ip_end = find_attr(buf, *span, CTA_TUPLE_IP)
    proto_start, proto_end = find_attr(buf, *span, CTA_TUPLE_PROTO)
    addr = f"{4 if family == socket.AF_INET else 16}s"
    src_attr, dst_attr = _IP_ATTRS[family]
    src, dst, sport, dport = placeholders
    return [
        (find_attr(buf, ip_start, ip_end, src_attr)[0], addr, socket.inet_pton(family, src)),
        (find_attr(buf, ip_start, ip_end, dst_attr)[0], addr, socket.inet_pton(family, dst)),
        (find_attr(buf, proto_start, proto_end, CTA_PROTO_SRC_PORT)[0], "H", sport),
        (find_attr(buf, proto_start, proto_end, CTA_PROTO_DST_PORT)[0], "H", dport),
    ]


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled shape: the struct writing a whole message and its constant runs (fields + 1)."""

    shape: Shape
    struct: struct.Struct
    consts: tuple[bytes, ...]


def compile_template(shape: Shape, timeout_s: int) -> Template:
    """Encode the shape with pyroute2, locate its varying fields, and compile the patching struct.

    The varying fields, in message order: the sequence number, the original tuple's source,
    destination, source port and destination port, then (INSERT) the reply tuple's four, then the
    zone when present. Each located offset is checked to hold its placeholder.
    """
    buf = pyroute2_message(shape, timeout_s)
    fields: list[tuple[int, str, object]] = [(8, "I", 0)]
    body = NLMSG_HDRLEN + NFGENMSG_LEN
    if shape.kind != "flush":
        src, dst = _PLACEHOLDER[shape.family]
        orig = find_attr(buf, body, len(buf), CTA_TUPLE_ORIG)
        fields += _tuple_fields(buf, shape.family, orig, (src, dst, _SPORT, _DPORT))
        if shape.kind == "insert":
            reply = find_attr(buf, body, len(buf), CTA_TUPLE_REPLY)
            fields += _tuple_fields(buf, shape.family, reply, (dst, src, _DPORT, _SPORT))
        if shape.zoned:
            fields.append((find_attr(buf, body, len(buf), CTA_ZONE)[0], "H", _ZONE))
    if [off for off, _, _ in fields] != sorted(off for off, _, _ in fields):
        raise AssertionError(f"pyroute2 laid out {shape} in an unexpected order")
    fmt, consts, pos = ">", [], 0
    for off, code, value in fields:
        found = struct.unpack_from(">" + code, buf, off)[0]
        if off != 8 and found != value:
            raise AssertionError(f"{shape}: offset {off} holds {found!r}, not the placeholder {value!r}")
        fmt += f"{off - pos}s{code}"
        consts.append(buf[pos:off])
        pos = off + struct.calcsize(">" + code)
    consts.append(buf[pos:])
    return Template(shape, struct.Struct(fmt + f"{len(buf) - pos}s"), tuple(consts))


Encoder = Callable[[int, ConnRef], bytes]
ENCODING_ERRORS = (OSError, ValueError, TypeError, struct.error)


def make_encoder(template: Template) -> Encoder:
    """The fast path: one ``Struct.pack`` per message, constants interleaved with the values.

    An INSERT of a connection without NAT reuses the original tuple's packed addresses for the
    reply tuple (``inet_pton`` is most of the cost of a message).
    """
    pack, shape, c, pton, family = (
        template.struct.pack,
        template.shape,
        template.consts,
        socket.inet_pton,
        template.shape.family,
    )
    if shape.kind == "flush":
        raise ValueError("FLUSH names no connection: use Codec.flush")
    # fmt: off
    if shape.kind == "insert":
        c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, *zone_tail = c

        def insert(seq: int, conn: ConnRef) -> bytes:
            o, r = conn.orig, conn.reply
            if r.proto != o.proto:
                raise ValueError("the two tuples name different protocols")
            src, dst = pton(family, o.src), pton(family, o.dst)
            rsrc = dst if r.src == o.dst else pton(family, r.src)
            rdst = src if r.dst == o.src else pton(family, r.dst)
            return pack(c0, seq, c1, src, c2, dst, c3, o.sport, c4, o.dport,
                        c5, rsrc, c6, rdst, c7, r.sport, c8, r.dport, c9)

        def insert_zoned(seq: int, conn: ConnRef) -> bytes:
            o, r = conn.orig, conn.reply
            if r.proto != o.proto:
                raise ValueError("the two tuples name different protocols")
            src, dst = pton(family, o.src), pton(family, o.dst)
            rsrc = dst if r.src == o.dst else pton(family, r.src)
            rdst = src if r.dst == o.src else pton(family, r.dst)
            return pack(c0, seq, c1, src, c2, dst, c3, o.sport, c4, o.dport,
                        c5, rsrc, c6, rdst, c7, r.sport, c8, r.dport, c9, conn.zone, zone_tail[0])

        return insert_zoned if shape.zoned else insert
    c0, c1, c2, c3, c4, c5, *zone_tail = c

    def orig_only(seq: int, conn: ConnRef) -> bytes:
        o = conn.orig
        return pack(c0, seq, c1, pton(family, o.src), c2, pton(family, o.dst), c3, o.sport, c4, o.dport, c5)

    def orig_zoned(seq: int, conn: ConnRef) -> bytes:
        o = conn.orig
        return pack(c0, seq, c1, pton(family, o.src), c2, pton(family, o.dst), c3, o.sport, c4, o.dport,
                    c5, conn.zone, zone_tail[0])
    # fmt: on

    return orig_zoned if shape.zoned else orig_only


EncoderKey = tuple[bool, int, bool, bool]  # IPv6, IP protocol, zoned, established (INSERT only)


def encoder_key(conn: ConnRef, established: bool) -> EncoderKey:
    """The key of ``conn``'s encoders: what of the connection decides the message's layout."""
    orig = conn.orig
    return ":" in orig.src, orig.proto, conn.zone != 0, established


class Codec:
    """Every shape's encoder, compiled on first use.

    The engine looks encoders up itself (``tables[kind].get(encoder_key(...))``, inlined) and calls
    ``compile`` on a miss; ``encode`` does the same in one call for the paths that are not hot.
    An encoder raises OSError, ValueError, TypeError or struct.error for a connection it cannot
    encode; ``refusal`` turns that into the errno to answer.
    """

    def __init__(self, timeout_s: int) -> None:
        """``timeout_s``: the CTA_TIMEOUT of INSERT and UPDATE messages (seconds)."""
        self.timeout_s = timeout_s
        self.tables: dict[str, dict[EncoderKey, Encoder]] = {kind: {} for kind in KINDS}
        self._flush = compile_template(Shape("flush", socket.AF_UNSPEC, 0, False, False), 0)

    def flush(self, seq: int) -> bytes:
        """The FLUSH message (CT_DELETE without a tuple, family AF_UNSPEC) with sequence ``seq``."""
        c = self._flush.consts
        return self._flush.struct.pack(c[0], seq, c[1])

    def compile(self, kind: str, key: EncoderKey) -> Encoder:
        """The encoder of ``kind`` for connections of ``key`` (compiled and remembered on first use)."""
        encoder = self.tables[kind].get(key)
        if encoder is None:
            v6, proto, zoned, established = key
            if proto not in PROTOCOLS:
                raise CodecRefusal(errno.EOPNOTSUPP, f"IP protocol {proto} is not offloaded")
            family = socket.AF_INET6 if v6 else socket.AF_INET
            shape = Shape(kind, family, proto, zoned, established and kind == "insert")
            encoder = self.tables[kind][key] = make_encoder(compile_template(shape, self.timeout_s))
        return encoder

    def encode(self, kind: str, seq: int, conn: ConnRef, established: bool = False) -> bytes:
        """The message of ``kind`` (insert, update, remove, get) for ``conn`` with sequence ``seq``.

        ``established`` matters for INSERT only (UPDATE always programs the established state).
        """
        encoder = self.compile(kind, encoder_key(conn, established))
        try:
            return encoder(seq, conn)
        except ENCODING_ERRORS as exc:
            raise self.refusal(conn, exc) from exc

    @staticmethod
    def refusal(conn: ConnRef, exc: Exception) -> CodecRefusal:
        """Why ``conn`` could not be encoded (``exc``: what its encoder raised)."""
        if conn.zone > 0xFFFF:
            return CodecRefusal(errno.EOPNOTSUPP, f"zone {conn.zone} does not fit CTA_ZONE (16 bits)")
        return CodecRefusal(errno.EINVAL, f"connection {conn.id} cannot be encoded: {exc}")


def ack_last(buf: bytearray, last_offset: int) -> None:
    """Set NLM_F_ACK on the message at ``last_offset`` of a batch buffer (its flags are native u16)."""
    (flags,) = struct.unpack_from("=H", buf, last_offset + 6)
    struct.pack_into("=H", buf, last_offset + 6, flags | NLM_F_ACK)
