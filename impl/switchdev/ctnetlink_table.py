"""Reading the ctnetlink engine's kernel table: batched GETs, the entry count, judging lost replies.

Purpose: ``KernelTable`` answers what the namespace's conntrack table holds, for ``query`` and for
the rare push whose replies were lost. ``lookup`` sends one ``IPCTNL_MSG_CT_GET`` per connection
in one buffer (``NLM_F_ACK`` on the last only, as the engine's pushes): a connection the kernel
holds comes back as a data reply carrying the request's sequence number, one it does not as an
ENOENT error. ``count`` asks ``IPCTNL_MSG_CT_GET_STATS`` (the namespace's entry count). ``judge``
decides the result of each op whose reply was lost from the table as it is after the whole send.

Promises: ``lookup`` answers one item per connection, in order: (packets, bytes) of both
directions, or None when the kernel does not hold it; it splits its GETs so that every reply fits
the receive buffer (``chunk``), retries one GET at a time a batch whose replies were lost anyway,
and raises OSError for any other refusal. ``judge`` answers an errno for every op without one:
0 when the table agrees with the op having taken effect (present after INSERT or UPDATE, absent
after REMOVE, an empty table after FLUSH), EIO otherwise or when the table cannot be read. Judging
by the table after the whole send is exact unless the same send holds two ops on one connection
(the provider never sends those together).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from socket import socket

from impl.switchdev.ctnetlink_codec import Codec, ack_last
from impl.switchdev.ctnetlink_io import counters, entry_count, exchange, stats_request
from impl.switchdev.ports import EngineOp, EngineOpKind
from model.conn import ConnRef

Stats = tuple[int, int] | None


class KernelTable:
    """Reads of one engine's table, over its socket, codec, receive buffer and sequence numbers."""

    def __init__(self, sock: socket, codec: Codec, rbuf: bytearray, chunk: int, next_seq: Callable[[], int]) -> None:
        """``chunk``: the most GETs whose replies the receive buffer surely holds at once."""
        self._sock, self._codec, self._rbuf, self._chunk, self._next_seq = sock, codec, rbuf, chunk, next_seq

    def lookup(self, conns: list[ConnRef]) -> list[Stats]:
        """(packets, bytes) of each connection the kernel holds, None for each it does not."""
        found: list[Stats] = []
        for start in range(0, len(conns), self._chunk):
            found += self._get(conns[start : start + self._chunk])
        return found

    def count(self) -> int:
        """How many entries the namespace's table holds."""
        seq = self._next_seq()
        replies = exchange(self._sock, stats_request(seq), seq, self._rbuf)
        for reply_seq, message in replies.data:
            if reply_seq == seq:
                return entry_count(message)
        raise OSError(replies.errors.get(seq, errno.EIO), "ctnetlink answered no GET_STATS")

    def judge(self, ops: list[tuple[int, EngineOp]], errors: dict[int, int]) -> dict[int, int]:
        """``errors`` plus an errno for every op of ``ops`` (by sequence number) that got no reply."""
        unknown = [(seq, op) for seq, op in ops if seq not in errors]
        judged = dict(errors)
        try:
            found = iter(self.lookup([op.conn for _, op in unknown if op.conn is not None]))
            empty = self.count() == 0 if any(op.kind is EngineOpKind.FLUSH for _, op in unknown) else True
        except OSError:
            judged.update(dict.fromkeys((seq for seq, _ in unknown), errno.EIO))
            return judged
        for seq, op in unknown:
            if op.kind is EngineOpKind.FLUSH:
                ok = empty
            else:
                present = next(found) is not None
                ok = present if op.kind is not EngineOpKind.REMOVE else not present
            if not ok:
                judged[seq] = errno.EIO
        return judged

    def _get(self, conns: list[ConnRef]) -> list[Stats]:
        seqs = [self._next_seq() for _ in conns]
        msgs = [self._codec.encode("get", seq, conn) for seq, conn in zip(seqs, conns, strict=True)]
        buf = bytearray().join(msgs)
        ack_last(buf, len(buf) - len(msgs[-1]))
        replies = exchange(self._sock, buf, seqs[-1], self._rbuf)
        if not replies.complete:
            if len(conns) == 1:
                raise OSError(errno.EIO, "ctnetlink replies lost for a single GET")
            return [stats for conn in conns for stats in self._get([conn])]
        data = dict(replies.data)
        for seq in seqs:
            err = replies.errors.get(seq, 0)
            if err not in (0, errno.ENOENT):
                raise OSError(err, "ctnetlink refused a GET")
        return [counters(data[seq]) if seq in data else None for seq in seqs]
