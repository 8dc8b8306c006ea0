"""The ctnetlink engine's private network namespace and its NETLINK_NETFILTER socket.

Purpose: the engine must never touch the host's conntrack table, so every socket that changes
conntrack is opened inside a network namespace created for it. ``create_namespace`` makes one,
``open_socket`` opens and binds the engine's socket in it (the socket stays bound to that
namespace for its whole life), ``inside`` runs a block with the calling thread in it, and
``Namespace.close`` lets it go.

The namespace is anonymous: a short-lived thread ``unshare``s a new network namespace, opens its
``/proc/thread-self/ns/net`` and ends; from then on the only things holding the namespace are that
file descriptor and the sockets opened in it. Nothing is named under /run/netns. Why this, and not
named namespaces reclaimed at the next start:

- the kernel frees a network namespace (and every conntrack entry in it) when its last reference
  goes, and a process's descriptors and sockets go when it dies, however it dies: a normal exit,
  SIGTERM, SIGHUP or SIGINT, but also SIGKILL, ``os._exit``, a segfault or the OOM killer, which
  no handler sees. A named namespace is a bind mount that outlives every process, so it would need
  a handler for each way of dying that can be handled, and a sweep at the next start for the others
  (which leaves the entries held until someone starts again, and must guess from a PID, which the
  system reuses, whether the owner is dead);
- nothing needs the name: the engine holds the descriptor, and a reader (a test, ``pyroute2``'s
  ``Conntrack(netns=...)``) reaches the namespace through ``Namespace.path``,
  ``/proc/<pid>/fd/<fd>``, while the engine lives.

A child forked by the engine's process (not exec'd: the descriptor is close-on-exec) holds the
namespace until it ends too. ``reclaim_stale`` removes the named ``ctoffload-<pid>-<n>`` namespaces
that earlier versions left behind when their process died; the engine calls it at open.

Promises: ``inside`` always returns the thread to the namespace it was in, or raises
``NamespaceError`` if even that failed; ``create_namespace`` leaves nothing behind when it fails
and raises ``NamespaceError``; ``Namespace.close`` is idempotent; ``missing_capabilities`` names
the capabilities this process lacks (empty when it has both).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import socket
import threading
from collections.abc import Iterator

from pyroute2 import netns
from pyroute2.netlink import NETLINK_NETFILTER

SOL_NETLINK = 270
NETLINK_CAP_ACK = 10  # an error reply carries only the failed message's header, not its payload
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
CLONE_NEWNET = 0x40000000
_CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21}
_libc: ctypes.CDLL | None = None


class NamespaceError(OSError):
    """A namespace could not be created, entered, left or removed."""


class Namespace:
    """An anonymous network namespace, alive while this object's descriptor (or any socket opened
    in it) is open."""

    def __init__(self, fd: int) -> None:
        """Take over ``fd``, an open ``nsfs`` descriptor of a network namespace."""
        self._fd: int | None = fd
        self.path = f"/proc/{os.getpid()}/fd/{fd}"
        self.inode = os.fstat(fd).st_ino

    def fileno(self) -> int:
        """The descriptor that holds the namespace (ValueError once closed)."""
        if self._fd is None:
            raise ValueError(f"network namespace {self.inode} released")
        return self._fd

    def close(self) -> None:
        """Let the namespace go (the kernel frees it, with its conntrack table, once no socket in
        it is left open either). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __repr__(self) -> str:
        return f"Namespace(net:[{self.inode}], {'open' if self._fd is not None else 'released'})"


def missing_capabilities() -> list[str]:
    """The capabilities among CAP_NET_ADMIN and CAP_SYS_ADMIN that this process lacks."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("CapEff:"))
        effective = int(line.split()[1], 16)
    except (OSError, StopIteration, ValueError):
        effective = 0 if os.geteuid() != 0 else ~0
    return [name for name, bit in _CAPS.items() if not effective >> bit & 1]


def _libc_call(name: str, *args: int) -> None:
    """Call libc's ``name`` (``unshare`` or ``setns``: Python 3.11 has neither); OSError on failure."""
    global _libc  # noqa: PLW0603  (loaded once, on first use)
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _own_namespace() -> int:
    """A descriptor of the calling thread's network namespace."""
    return os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def create_namespace() -> Namespace:
    """A new anonymous network namespace, held by a descriptor of this process only."""
    made: list[int] = []
    failed: list[BaseException] = []

    def unshare() -> None:  # a thread of its own: its namespace goes with it, the caller's stays
        try:
            _libc_call("unshare", CLONE_NEWNET)
            made.append(_own_namespace())
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=unshare, name="ctoffload-netns")
    thread.start()
    thread.join()
    if failed or not made:
        exc = failed[0] if failed else RuntimeError("no namespace")
        code = getattr(exc, "errno", None) or 0
        raise NamespaceError(code, f"cannot create a network namespace: {exc}") from exc
    return Namespace(made[0])


def reclaim_stale(prefix: str = "ctoffload") -> list[str]:
    """Remove the named namespaces ``<prefix>-<pid>-<n>`` (earlier versions') whose process is gone;
    their names. A namespace whose PID is alive is left alone, whoever has that PID now."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)-\d+")
    removed = []
    for name in netns.listnetns():
        found = pattern.fullmatch(name)
        if found is None:
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                netns.remove(name)
                removed.append(name)
        except (OSError, OverflowError):
            continue  # alive (EPERM: someone else's), or no PID at all
    return removed


@contextlib.contextmanager
def inside(namespace: Namespace | str) -> Iterator[None]:
    """Run the block with the calling thread in ``namespace`` (a ``Namespace``, a path to a
    namespace file, or the name of one under /run/netns), then bring the thread back."""
    if isinstance(namespace, Namespace):
        target, owned = namespace.fileno(), False
    else:
        target, owned = os.open(os.path.join(netns.NETNS_RUN_DIR, namespace), os.O_RDONLY | os.O_CLOEXEC), True
    try:
        home = _own_namespace()
        try:
            _libc_call("setns", target, CLONE_NEWNET)
            try:
                yield
            finally:
                try:
                    _libc_call("setns", home, CLONE_NEWNET)
                except OSError as exc:  # the thread would stay in the private namespace: never ignore
                    raise NamespaceError(exc.errno, f"could not leave network namespace {namespace}: {exc}") from exc
        finally:
            os.close(home)
    finally:
        if owned:
            os.close(target)


def open_socket(namespace: Namespace | str) -> socket.socket:
    """A bound NETLINK_NETFILTER socket living in ``namespace``; the thread comes back out."""
    with inside(namespace):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            sock.bind((0, 0))
        except BaseException:
            sock.close()
            raise
    return sock


def size_buffers(sock: socket.socket, sndbuf: int, rcvbuf: int) -> tuple[int, int]:
    """Ask for these buffer sizes (beyond the sysctl maximum when allowed); the sizes in effect."""
    for force, plain, size in ((SO_SNDBUFFORCE, socket.SO_SNDBUF, sndbuf), (SO_RCVBUFFORCE, socket.SO_RCVBUF, rcvbuf)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, size)
    with contextlib.suppress(OSError):
        sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF), sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def enable_accounting(namespace: Namespace | str) -> bool:
    """Turn on ``nf_conntrack_acct`` inside ``namespace`` so the kernel reports counters."""
    with inside(namespace):
        try:
            with open("/proc/sys/net/netfilter/nf_conntrack_acct", "w") as acct:
                acct.write("1")
        except OSError:
            return False
    return True
