"""Netlink framing for the devlink codec, hand-written: messages of a buffer, and the errors.

Purpose: split what a ``recv`` returns into netlink messages, and read NLMSG_ERROR / NLMSG_DONE.
pyroute2's ``nlmsgerr`` reads extack attributes right after the error code, which is right only
when the kernel echoes the whole request; with NETLINK_CAP_ACK (and for every ack) it echoes only
the request's header, flagged NLM_F_CAPPED. So this module reads the layout of linux/netlink.h
itself: the error code, the echoed request (its header, or the whole of it when not capped), then
the extack attributes when NLM_F_ACK_TLVS is set.

Promises:

- ``split_messages`` returns every message of the buffer in order, or raises ValueError naming
  the offset if a message is truncated, shorter than its header, or followed by stray bytes;
- ``message_error`` returns ``DevlinkError(errno, message)`` for an NLMSG_ERROR or NLMSG_DONE
  carrying an error (the message: the extack ``NLMSGERR_ATTR_MSG``, else strerror), and None for
  an ack, a clean end, and every other message; ``raise_for_error`` raises the first one.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from pyroute2.netlink import NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_DONE, NLMSG_ERROR

from impl.switchdev.ports import DevlinkError

__all__ = ["HEADER", "NLA", "NlMessage", "align", "message_error", "raise_for_error", "split_messages"]

HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: len, type, flags, seq, pid
NLA = struct.Struct("=HH")  # struct nlattr: len, type
_NLMSGERR_ATTR_MSG = 1


def align(n: int) -> int:
    """``n`` rounded up to netlink's 4-byte alignment."""
    return (n + 3) & ~3


@dataclass(frozen=True, slots=True)
class NlMessage:
    """One netlink message of a buffer: its header fields and its bytes (header included)."""

    type: int
    flags: int
    seq: int
    raw: bytes


def split_messages(data: bytes) -> list[NlMessage]:
    """The netlink messages in ``data``; ValueError if one is truncated or its length is absurd."""
    out: list[NlMessage] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < HEADER.size:
            raise ValueError(f"netlink: {len(data) - offset} trailing bytes, not a message")
        length, mtype, flags, seq, _pid = HEADER.unpack_from(data, offset)
        if length < HEADER.size or offset + length > len(data):
            raise ValueError(f"netlink: message length {length} at offset {offset} of {len(data)}")
        out.append(NlMessage(mtype, flags, seq, bytes(data[offset : offset + length])))
        offset += align(length)
    return out


def message_error(msg: NlMessage) -> DevlinkError | None:
    """The error an NLMSG_ERROR or NLMSG_DONE reports, with its extack message; None if none."""
    if msg.type not in (NLMSG_ERROR, NLMSG_DONE) or len(msg.raw) < HEADER.size + 4:
        return None
    code = abs(struct.unpack_from("=i", msg.raw, HEADER.size)[0])
    if code == 0:
        return None
    offset = HEADER.size + 4
    if msg.type == NLMSG_ERROR:  # the request's header, and its payload unless capped
        echoed = HEADER.size
        if not msg.flags & NLM_F_CAPPED and len(msg.raw) >= offset + 4:
            echoed = max(echoed, struct.unpack_from("=I", msg.raw, offset)[0])
        offset += align(echoed)
    text = ""
    if msg.flags & NLM_F_ACK_TLVS:
        for number, payload in _tlvs(msg.raw, offset):
            if number == _NLMSGERR_ATTR_MSG:
                text = payload.split(b"\0", 1)[0].decode(errors="replace")
    return DevlinkError(code, text or os.strerror(code))


def _tlvs(data: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    """The (type, payload) attributes from ``offset`` to the end of ``data``."""
    while offset + NLA.size <= len(data):
        length, number = NLA.unpack_from(data, offset)
        if length < NLA.size or offset + length > len(data):
            return
        yield number & 0x3FFF, data[offset + NLA.size : offset + length]
        offset += align(length)


def raise_for_error(data: bytes) -> None:
    """Raise the first error any message of ``data`` reports (an ACK or a clean end is none)."""
    for msg in split_messages(data):
        error = message_error(msg)
        if error is not None:
            raise error
