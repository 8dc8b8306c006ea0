"""The ctnetlink offload engine: the offloaded connections mirrored into a real kernel conntrack table.

Purpose: ``CtnetlinkEngine`` implements ``impl.switchdev.ports.OffloadEngine`` over ctnetlink, in an
anonymous network namespace it creates on ``open`` and lets go on ``close``, which no process
death can leak (``impl.switchdev.ctnetlink_netns``; docs/switchdev.rst, "The
ctnetlink engine"). INSERT is ``IPCTNL_MSG_CT_NEW`` with ``NLM_F_CREATE|NLM_F_EXCL`` (both tuples,
the zone when non-zero, ``CTA_TIMEOUT``, status CONFIRMED, plus SEEN_REPLY|ASSURED and, for TCP,
``CTA_PROTOINFO`` state ESTABLISHED when established); UPDATE is ``CT_NEW`` without CREATE (the
established status and TCP state, and a fresh timeout); REMOVE is ``CT_DELETE`` of the original
tuple and zone; FLUSH is ``CT_DELETE`` without a tuple (family AF_UNSPEC: every entry of the
namespace). ``submit`` encodes the op's message at once (``impl.switchdev.ctnetlink_codec``);
``push`` sends the queue in one buffer with ``NLM_F_ACK`` on the last message only and maps each
error reply back to its op by sequence number (``impl.switchdev.ctnetlink_io``); reads of the
kernel table (``query``, lost replies) are ``impl.switchdev.ctnetlink_table``'s.

Promises:

- ``submit`` answers, in this order: ENODEV once closed; EAGAIN when ``queue_size`` ops are queued;
  EINVAL for an op without a connection (other than FLUSH) or one that cannot be encoded;
  EOPNOTSUPP for a protocol other than TCP, UDP and GRE or a zone above 65535; ENOSPC for an
  INSERT when programmed plus queued INSERTs reach ``max_conns``; otherwise 0 (queued). Duplicates
  and absent connections are the kernel's to refuse (EEXIST, ENOENT, as results);
- ``push`` completes every queued op exactly once, in queue order; a kernel ENOMEM (its global
  ``nf_conntrack_max``) is reported as ENOSPC. A buffer is split into several sends only when it
  would not fit the socket's send buffer or its worst-case error replies would not fit the receive
  buffer, and after each FLUSH (each send's last message carries the ACK). If replies were lost
  anyway, each op that got none is judged from the table as it then is (present after INSERT or
  UPDATE, absent after REMOVE, empty after FLUSH: 0, else EIO);
- the engine tracks what is programmed from the results: an INSERT that succeeded programs the
  connection (last-used = the clock now); an UPDATE that succeeded keeps last-used, which only
  traffic moves, as on the simulated device (ENG-PUSH; no traffic crosses the namespace); a REMOVE
  that succeeded or found nothing (ENOENT) unprograms it; a FLUSH that succeeded unprograms all.
  UPDATE and REMOVE act on the programmed connection only when they name its entry (its original
  tuple and zone): a REMOVE of the same id in another zone found nothing and changes nothing;
- ``query`` reads the kernel now, with one batched ``CT_GET`` per programmed connection asked for
  (ACK on the last): counters are both directions' ``CTA_COUNTERS`` summed (accounting is switched
  on in the namespace; 0 if the kernel reports none); a connection the kernel no longer holds (its
  ``CTA_TIMEOUT`` ran out) is forgotten and absent from the answer;
- the engine is safe to call from several threads (one lock); ``close`` is idempotent: it drops
  the ops still queued (no result comes for them) and the completions not yet polled, closes the
  socket and releases the namespace (the kernel frees it with every entry in it); afterwards, as for the simulated
  engine, ``submit`` answers ENODEV, ``push`` does nothing, ``poll``, ``cancel`` and ``query``
  answer nothing and ``capacity`` is ``(max_conns, 0)``. An engine garbage-collected unclosed has
  its socket closed and namespace released then, and one whose process dies, however it dies,
  leaves no namespace and no entry behind (the namespace is held only by the process's descriptor
  and socket). ``engine.namespace`` is a path that reaches the namespace while the engine is open
  (``/proc/<pid>/fd/<fd>``: for ``pyroute2``'s ``netns=`` and ``ctnetlink_netns.inside``).
"""

from __future__ import annotations

import errno
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from socket import socket
from types import TracebackType

from impl.switchdev.ctnetlink_codec import ENCODING_ERRORS, Codec, CodecRefusal, ack_last
from impl.switchdev.ctnetlink_io import exchange
from impl.switchdev.ctnetlink_netns import (
    Namespace,
    NamespaceError,
    create_namespace,
    enable_accounting,
    missing_capabilities,
    open_socket,
    reclaim_stale,
    size_buffers,
)
from impl.switchdev.ctnetlink_table import KernelTable
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult, FlowStats
from model.conn import ConnRef

_INSERT, _UPDATE, _REMOVE, _FLUSH = EngineOpKind.INSERT, EngineOpKind.UPDATE, EngineOpKind.REMOVE, EngineOpKind.FLUSH
SNDBUF = 4 << 20  # asked for; the kernel doubles it
RCVBUF = 32 << 20
MAX_MESSAGE = 256  # bytes: above the largest message the codec builds (IPv6 TCP INSERT with zone)
ERROR_REPLY_COST = 2048  # receive-buffer bytes one error reply may hold (measured: about 830)
GET_REPLY_COST = 16384  # a GET reply is allocated at NLMSG_GOODSIZE (4 KiB); its ack on top
REPLY_TIMEOUT_S = 5.0


_new = object.__new__
_set_tag, _set_error = vars(EngineResult)["tag"].__set__, vars(EngineResult)["error"].__set__


def _result(tag: int, error: int) -> EngineResult:
    """``EngineResult(tag, error)``, built through its slots' descriptors: the frozen dataclass's
    ``__init__`` sets each field with ``object.__setattr__`` from a Python frame, about 700 ns,
    which was a third of the engine's own cost per op; this is the same object in about 400 ns
    (issue 16, measured)."""
    made: EngineResult = _new(EngineResult)
    _set_tag(made, tag)
    _set_error(made, error)
    return made


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def _close_and_release(sock: socket, namespace: Namespace) -> None:
    sock.close()
    namespace.close()


def _same_entry(held: ConnRef, conn: ConnRef) -> bool:
    """Whether ``conn`` names the kernel entry programmed as ``held`` (same original tuple and zone)."""
    return held.zone == conn.zone and held.orig == conn.orig


def _segments(count: int, cuts: list[int], size: int) -> Iterator[tuple[int, int]]:
    """Spans [start, stop) of at most ``size`` ops, also ending at each cut."""
    start = 0
    for end in [*cuts, count]:
        while start < end:
            stop = min(end, start + size)
            yield start, stop
            start = stop


class CtnetlinkEngine:
    """An ``OffloadEngine`` whose flow table is the conntrack table of a private namespace."""

    def __init__(
        self,
        namespace: Namespace,
        sock: socket,
        *,
        max_conns: int,
        queue_size: int,
        timeout_s: int,
        clock: Callable[[], int],
    ) -> None:
        """Use ``open``; this takes over a namespace and a socket already bound inside it."""
        self.namespace = namespace.path
        self.namespace_inode = namespace.inode
        self._sock, self._max_conns, self._queue_size, self._clock = sock, max_conns, queue_size, clock
        self._codec = Codec(timeout_s)
        self._flush = self._codec.flush
        tables = self._codec.tables
        self._inserts, self._updates, self._removes = tables["insert"], tables["update"], tables["remove"]
        sndbuf, rcvbuf = size_buffers(sock, SNDBUF, RCVBUF)
        self._chunk = max(1, min((sndbuf - 4096) // MAX_MESSAGE, rcvbuf // ERROR_REPLY_COST))
        sock.settimeout(REPLY_TIMEOUT_S)
        self._rbuf = bytearray(1 << 17)
        self._lock = threading.Lock()
        self._acquire, self._release = self._lock.acquire, self._lock.release
        self._seq = 0
        self._table = KernelTable(sock, self._codec, self._rbuf, max(1, rcvbuf // GET_REPLY_COST), self._next_seq)
        self._msgs: list[bytes] = []
        self._ops: list[tuple[int, EngineOp]] = []  # (sequence number, op), parallel to _msgs
        self._cuts: list[int] = []  # queue positions just after each FLUSH
        self._room = max_conns  # max_conns - programmed - queued INSERTs (see _recount)
        self._done: deque[EngineResult] = deque()
        self._programmed: dict[int, tuple[ConnRef, int]] = {}  # conn id -> (conn, last used)
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_and_release, sock, namespace)

    @classmethod
    def open(
        cls,
        *,
        max_conns: int = 65536,
        queue_size: int = 4096,
        timeout_s: int = 3600,
        clock: Callable[[], int] | None = None,
    ) -> CtnetlinkEngine:
        """Create a namespace, open ctnetlink inside it, and return the engine (nothing is left
        behind if any step fails). ``timeout_s`` is the entries' CTA_TIMEOUT; ``clock`` (ms)
        stamps last-used times (default: the monotonic clock)."""
        if max_conns < 0 or queue_size < 1 or not 1 <= timeout_s < 2**32:
            raise ValueError("max_conns >= 0, queue_size >= 1 and 1 <= timeout_s < 2**32 are required")
        reclaim_stale()  # what earlier versions, which named their namespaces, left behind
        namespace = create_namespace()
        try:
            sock = open_socket(namespace)
            try:
                enable_accounting(namespace)
                limits = {"max_conns": max_conns, "queue_size": queue_size, "timeout_s": timeout_s}
                return cls(namespace, sock, **limits, clock=clock or _monotonic_ms)
            except BaseException:
                sock.close()
                raise
        except BaseException:
            namespace.close()
            raise

    def submit(self, op: EngineOp) -> int:
        """Encode and queue ``op`` (0), or refuse it at once with an errno (see the module).

        The hot path of the engine, hence the inlined encoder lookup (``Codec.encode`` in effect),
        explicit lock calls (cheaper than ``with``) and no dict keyed by the op kind (an Enum's
        hash is a Python call).
        """
        self._acquire()
        try:
            if self._closed:
                return errno.ENODEV
            ops, kind, conn = self._ops, op.kind, op.conn
            if len(ops) >= self._queue_size:
                return errno.EAGAIN
            seq = self._seq = (self._seq + 1) & 0xFFFFFFFF
            if kind is _FLUSH:
                self._cuts.append(len(ops) + 1)
                msg = self._flush(seq)
            elif conn is None:
                return errno.EINVAL
            else:
                insert = kind is _INSERT
                if insert:
                    table, name, established = self._inserts, "insert", op.established
                elif kind is _REMOVE:
                    table, name, established = self._removes, "remove", False
                else:
                    table, name, established = self._updates, "update", False
                orig = conn.orig
                key = (":" in orig.src, orig.proto, conn.zone != 0, established)
                try:
                    msg = (table.get(key) or self._codec.compile(name, key))(seq, conn)
                except CodecRefusal as exc:
                    return exc.errno
                except ENCODING_ERRORS as exc:
                    return self._codec.refusal(conn, exc).errno
                if insert:
                    if self._room <= 0:
                        return errno.ENOSPC
                    self._room -= 1
            self._msgs.append(msg)
            ops.append((seq, op))
            return 0
        finally:
            self._release()

    def push(self) -> None:
        """Send every queued op and collect one result per op (see ``poll``)."""
        with self._lock:
            msgs, ops, cuts = self._msgs, self._ops, self._cuts
            if not ops:
                return
            self._msgs, self._ops, self._cuts = [], [], []
            try:
                for start, stop in _segments(len(ops), cuts, self._chunk):
                    if stop - start == len(ops):
                        self._push_chunk(msgs, ops)
                    else:
                        self._push_chunk(msgs[start:stop], ops[start:stop])
            finally:
                self._recount()

    def poll(self, max_results: int | None = None) -> list[EngineResult]:
        """Completions in completion order, at most ``max_results``."""
        with self._lock:
            done = self._done
            if max_results is None or max_results >= len(done):
                out = list(done)
                done.clear()
                return out
            return [done.popleft() for _ in range(max(0, max_results))]

    def cancel(self, tags: Sequence[int]) -> list[int]:
        """Withdraw the queued ops with these tags; the tags withdrawn (no result comes for them)."""
        with self._lock:
            wanted = set(tags)
            keep = [
                (msg, entry) for msg, entry in zip(self._msgs, self._ops, strict=True) if entry[1].tag not in wanted
            ]
            removed = [op.tag for _, op in self._ops if op.tag in wanted]
            self._msgs = [msg for msg, _ in keep]
            self._ops = [entry for _, entry in keep]
            self._cuts = [i + 1 for i, (_, op) in enumerate(self._ops) if op.kind is _FLUSH]
            self._recount()
            return removed

    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]:
        """Stats of the programmed connections among ``conn_ids``, read from the kernel now."""
        with self._lock:
            if self._closed:
                return {}
            programmed = self._programmed
            wanted = [cid for cid in dict.fromkeys(conn_ids) if cid in programmed]
            found = self._table.lookup([programmed[cid][0] for cid in wanted])
            out: dict[int, FlowStats] = {}
            for cid, stats in zip(wanted, found, strict=True):
                if stats is None:
                    del programmed[cid]
                else:
                    out[cid] = FlowStats(last_used=programmed[cid][1], packets=stats[0], bytes=stats[1])
            self._recount()
            return out

    def capacity(self) -> tuple[int, int]:
        """``(connections programmed, max_conns)``: used and size, in connections."""
        with self._lock:
            return len(self._programmed), self._max_conns

    def kernel_count(self) -> int:
        """How many entries the namespace's conntrack table holds (not part of ``OffloadEngine``)."""
        with self._lock:
            if self._closed:
                raise ValueError("engine closed")
            return self._table.count()

    def close(self) -> None:
        """Drop queued ops, close the socket and release the namespace (idempotent)."""
        with self._lock:
            self._closed = True
            self._msgs, self._ops, self._cuts = [], [], []
            self._programmed.clear()
            self._done.clear()
            self._finalizer()

    def __enter__(self) -> CtnetlinkEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _recount(self) -> None:
        """Room for INSERTs at submit: max_conns - programmed - INSERTs still queued."""
        queued = sum(op.kind is _INSERT for _, op in self._ops)
        self._room = self._max_conns - len(self._programmed) - queued

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        return self._seq

    def _push_chunk(self, msgs: list[bytes], ops: list[tuple[int, EngineOp]]) -> None:
        buf = bytearray().join(msgs)
        ack_last(buf, len(buf) - len(msgs[-1]))
        try:
            replies = exchange(self._sock, buf, ops[-1][0], self._rbuf)
        except OSError as exc:  # the send failed: the kernel processed none of the messages
            self._complete(ops, dict.fromkeys((seq for seq, _ in ops), exc.errno or errno.EIO))
            return
        self._complete(ops, replies.errors if replies.complete else self._table.judge(ops, replies.errors))

    def _complete(self, ops: list[tuple[int, EngineOp]], errors: dict[int, int]) -> None:
        now, programmed, get, append = self._clock(), self._programmed, errors.get, self._done.append
        result = _result
        for seq, op in ops:
            kind, conn, err = op.kind, op.conn, get(seq, 0) if errors else 0
            if err:
                if err == errno.ENOMEM:
                    err = errno.ENOSPC
                elif err == errno.ENOENT and kind is _REMOVE:
                    assert conn is not None
                    self._settle(conn, removed=True)
            elif kind is _INSERT:
                assert conn is not None
                programmed[conn.id] = (conn, now)
            elif kind is _FLUSH:
                programmed.clear()
            elif kind is _REMOVE:  # ``_settle(conn, removed=True)`` inlined: every op of a removal batch
                assert conn is not None
                held = programmed.get(conn.id)
                if held is not None and (held[0] is conn or _same_entry(held[0], conn)):
                    del programmed[conn.id]
            else:
                assert conn is not None
                self._settle(conn, removed=False)
            append(result(op.tag, err))

    def _settle(self, conn: ConnRef, *, removed: bool) -> None:
        """An UPDATE or a REMOVE (``removed``) of ``conn`` took effect: keep the connection (its
        last-used unchanged) or unprogram it, if it names the programmed connection's entry (same
        original tuple and zone)."""
        held = self._programmed.get(conn.id)
        if held is not None and (held[0] is conn or _same_entry(held[0], conn)):
            if removed:
                del self._programmed[conn.id]
            else:
                self._programmed[conn.id] = (conn, held[1])


def probe() -> tuple[bool, str]:
    """Whether the engine can run here, and a sentence saying why (not)."""
    missing = missing_capabilities()
    if missing:
        return False, f"the ctnetlink engine needs {' and '.join(missing)} (run as root) to create a network namespace"
    try:
        engine = CtnetlinkEngine.open(max_conns=1, queue_size=1)
    except NamespaceError as exc:
        return False, f"cannot create a network namespace: {exc}"
    except OSError as exc:
        return False, f"cannot open a NETLINK_NETFILTER socket in a fresh network namespace: {exc}"
    try:
        count = engine.kernel_count()
    except OSError as exc:
        return False, f"ctnetlink does not answer in a fresh network namespace (CONFIG_NF_CT_NETLINK?): {exc}"
    finally:
        engine.close()
    return True, f"ctnetlink reachable in a private network namespace ({count} entries there)"
