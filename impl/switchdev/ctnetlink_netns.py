"""The ctnetlink engine's private network namespace and its NETLINK_NETFILTER socket.

Purpose: the engine must never touch the host's conntrack table, so every socket that changes
conntrack is opened inside a namespace created for it: ``create_namespace`` makes a uniquely
named one (``ctoffload-<pid>-<n>``, under /run/netns, with pyroute2), ``open_socket`` switches
the calling thread into it just long enough to open and bind the socket (the socket stays bound
to that namespace for its whole life), and ``remove_namespace`` deletes it.

Promises: ``open_socket`` always returns the thread to the namespace it was in, or raises
``NamespaceError`` if even that failed; ``create_namespace`` leaves nothing behind when it fails
and raises ``NamespaceError``; ``remove_namespace`` is idempotent; ``missing_capabilities`` names
the capabilities this process lacks (empty when it has both).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
from collections.abc import Iterator

from pyroute2 import netns
from pyroute2.netlink import NETLINK_NETFILTER

SOL_NETLINK = 270
NETLINK_CAP_ACK = 10  # an error reply carries only the failed message's header, not its payload
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
_CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21}
_names = itertools.count()
_names_lock = threading.Lock()


class NamespaceError(OSError):
    """A namespace could not be created, entered, left or removed."""


def missing_capabilities() -> list[str]:
    """The capabilities among CAP_NET_ADMIN and CAP_SYS_ADMIN that this process lacks."""
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("CapEff:"))
        effective = int(line.split()[1], 16)
    except (OSError, StopIteration, ValueError):
        effective = 0 if os.geteuid() != 0 else ~0
    return [name for name, bit in _CAPS.items() if not effective >> bit & 1]


def namespace_path(name: str) -> str:
    """Where pyroute2 (as ``ip netns``) binds the namespace ``name``."""
    return os.path.join(netns.NETNS_RUN_DIR, name)


def create_namespace(prefix: str = "ctoffload") -> str:
    """Create a namespace named ``<prefix>-<pid>-<n>`` (the first such name not in use); its name."""
    for _ in range(1000):
        with _names_lock:
            name = f"{prefix}-{os.getpid()}-{next(_names)}"
        if name in netns.listnetns():
            continue
        try:
            netns.create(name)
        except FileExistsError:
            continue
        except Exception as exc:
            remove_namespace(name)
            code = getattr(exc, "errno", None) or 0
            raise NamespaceError(code, f"cannot create network namespace {name}: {exc}") from exc
        return name
    raise NamespaceError(0, f"no free namespace name {prefix}-{os.getpid()}-<n>")


def remove_namespace(name: str) -> None:
    """Delete the namespace ``name`` (nothing happens if it is already gone)."""
    with contextlib.suppress(FileNotFoundError):
        netns.remove(name)


@contextlib.contextmanager
def inside(name: str) -> Iterator[None]:
    """Run the block with the calling thread in namespace ``name``, then bring the thread back."""
    fd = os.open(namespace_path(name), os.O_RDONLY)
    try:
        netns.pushns()
        try:
            netns.setns(fd)
            yield
        finally:
            try:
                netns.popns()
            except Exception as exc:  # the thread would stay in the private namespace: never ignore
                raise NamespaceError(0, f"could not leave network namespace {name}: {exc}") from exc
    finally:
        os.close(fd)


def open_socket(name: str) -> socket.socket:
    """A bound NETLINK_NETFILTER socket living in namespace ``name``; the thread comes back out."""
    with inside(name):
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


def enable_accounting(name: str) -> bool:
    """Turn on ``nf_conntrack_acct`` inside namespace ``name`` so the kernel reports counters."""
    with inside(name):
        try:
            with open("/proc/sys/net/netfilter/nf_conntrack_acct", "w") as acct:
                acct.write("1")
        except OSError:
            return False
    return True
