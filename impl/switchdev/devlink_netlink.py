"""``NetlinkDevlink``: the ``DevlinkPort`` of a real kernel, over a generic-netlink socket.

Purpose: the devlink control plane of real switchdev hardware (or netdevsim), spoken in the
kernel's own messages (``impl.switchdev.devlink_codec``), and ``devlink_available()``, the probe
that says whether this kernel has a devlink family at all. This machine's kernel has none, so the
conformance tests drive ``NetlinkDevlink`` through an injected channel that replays byte fixtures.

The channel is a blocking ``AF_NETLINK`` / ``NETLINK_GENERIC`` socket of the standard library
(``GenlChannel``) with extended acks on and echoed requests capped, and the family id is looked up
through nlctrl with pyroute2's ``ctrlmsg``. A socket of pyroute2 0.9 is driven by an asyncio loop
and hands back parsed messages; the codec works on bytes, so the fixtures and the kernel go
through the same decoding, and a plain socket keeps the exchange (one request, its replies up to
the ack or the end of the dump) byte-exact.

Promises:

- every method raises ``DevlinkError(errno, message)`` on refusal, the message being the kernel's
  extack text when it sent one (else strerror); a value the codec cannot encode (an unknown
  eswitch mode or cmode, a value of the wrong type or range for the param) is EINVAL before
  anything is sent; an unknown resource path is ENOENT; an unknown device is ENODEV; a reply
  that cannot be decoded is EPROTO, no reply within the timeout ETIMEDOUT;
- replies are matched by sequence number (others are dropped); a "do" ends at its ack, a dump at
  NLMSG_DONE; a multipart "do" reply (a resource tree or a diagnose split over several messages)
  is read whole;
- ``param_set`` reads the param first to learn its type, as iproute2 does;
- ``devlink_available()`` never raises: (True, "devlink family id N") or (False, why).
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, TypeVar

from pyroute2.netlink import NETLINK_EXT_ACK, NETLINK_GENERIC, NLMSG_DONE, NLMSG_ERROR, NLMSG_MIN_TYPE, SOL_NETLINK

from impl.switchdev import devlink_codec as codec
from impl.switchdev.ports import DevHandle, DevInfo, DevlinkError, HealthReporter, ParamValue, PortInfo, Resource

__all__ = ["GenlChannel", "NetlinkChannel", "NetlinkDevlink", "devlink_available"]

_NETLINK_CAP_ACK = 10  # linux/netlink.h; pyroute2 has no name for it
_RECV_SIZE = 1 << 17  # larger than any dump skb the kernel builds (32 KiB)
_T = TypeVar("_T")
_NO_FAMILY = "the kernel has no devlink generic-netlink family (ENOENT)"


class NetlinkChannel(Protocol):
    """What ``NetlinkDevlink`` needs of a socket: send one datagram, receive one, close."""

    def send(self, data: bytes) -> None: ...
    def recv(self) -> bytes: ...
    def close(self) -> None: ...


class GenlChannel:
    """A blocking generic-netlink socket with extended acks, capped echoes and a timeout."""

    def __init__(self, timeout: float = 5.0) -> None:
        """Open and bind the socket (OSError if the system refuses)."""
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            for option in (NETLINK_EXT_ACK, _NETLINK_CAP_ACK):
                # an old kernel lacks them: errors come without extack, or with the request echoed
                with contextlib.suppress(OSError):
                    self._sock.setsockopt(SOL_NETLINK, option, 1)
            self._sock.bind((0, 0))
            self._sock.settimeout(timeout)
        except OSError:
            self._sock.close()
            raise

    def send(self, data: bytes) -> None:
        """Send one request to the kernel."""
        self._sock.sendto(data, (0, 0))

    def recv(self) -> bytes:
        """One datagram from the kernel (DevlinkError ETIMEDOUT if none comes in time)."""
        try:
            return self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise DevlinkError(errno.ETIMEDOUT, "no answer from the kernel's devlink family") from None

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


def _lookup_family(channel: NetlinkChannel, seq: int) -> int:
    channel.send(codec.encode_family_lookup(seq))
    return codec.decode_family_id(_collect(channel, seq, dump=False))


def _collect(channel: NetlinkChannel, seq: int, *, dump: bool) -> bytes:
    """The reply messages to request ``seq``: up to its ack ("do") or NLMSG_DONE (dump).

    An error message raises its DevlinkError; messages of other sequence numbers are dropped.
    """
    replies = bytearray()
    while True:
        try:
            messages = codec.split_messages(channel.recv())
        except ValueError as exc:
            raise DevlinkError(errno.EPROTO, f"malformed netlink reply: {exc}") from None
        for msg in messages:
            if msg.seq != seq:
                continue
            error = codec.message_error(msg)
            if error is not None:
                raise error
            if msg.type == NLMSG_ERROR or (dump and msg.type == NLMSG_DONE):
                return bytes(replies)
            if msg.type >= NLMSG_MIN_TYPE:
                replies += msg.raw


def _errname(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def devlink_available() -> tuple[bool, str]:
    """Whether the kernel has a devlink generic-netlink family, and what was found (or why not)."""
    try:
        channel = GenlChannel(timeout=2.0)
    except OSError as exc:
        return False, f"cannot open a generic-netlink socket: {exc.strerror} ({_errname(exc)})"
    try:
        family_id = _lookup_family(channel, 1)
    except DevlinkError as exc:
        if exc.errno == errno.ENOENT:
            return False, _NO_FAMILY
        return False, f"the devlink family lookup failed: {exc.strerror} ({_errname(exc)})"
    except ValueError as exc:
        return False, f"the devlink family lookup failed: {exc}"
    finally:
        channel.close()
    return True, f"devlink generic-netlink family id {family_id}"


class NetlinkDevlink:
    """``DevlinkPort`` over the kernel's devlink family (see the module docstring)."""

    def __init__(self, channel: NetlinkChannel | None = None, *, family_id: int | None = None) -> None:
        """Use ``channel`` (default: a new ``GenlChannel``); look the family up unless given.

        DevlinkError ENOENT if the kernel has no devlink family.
        """
        self._channel: NetlinkChannel = GenlChannel() if channel is None else channel
        self._seq = 0
        try:
            self.family_id = _lookup_family(self._channel, self._next()) if family_id is None else family_id
        except DevlinkError as exc:
            self._channel.close()
            if exc.errno == errno.ENOENT:
                raise DevlinkError(errno.ENOENT, _NO_FAMILY) from None
            raise

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> NetlinkDevlink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _next(self) -> int:
        self._seq = self._seq % 0xFFFFFFFF + 1
        return self._seq

    def _ask(self, build: Callable[[int, int], bytes], *, dump: bool = False) -> bytes:
        """Send the request ``build(family_id, seq)`` makes; its replies (DevlinkError on refusal)."""
        seq = self._next()
        try:
            request = build(self.family_id, seq)
        except ValueError as exc:
            raise DevlinkError(errno.EINVAL, str(exc)) from None
        self._channel.send(request)
        return _collect(self._channel, seq, dump=dump)

    @staticmethod
    def _decode(decode: Callable[[bytes], _T], data: bytes) -> _T:
        try:
            return decode(data)
        except ValueError as exc:
            raise DevlinkError(errno.EPROTO, f"malformed devlink reply: {exc}") from None

    def _known(self, dev: DevHandle) -> None:
        if dev not in self.devices():
            raise DevlinkError(errno.ENODEV, f"no devlink instance {dev}")

    def devices(self) -> list[DevHandle]:
        """Every devlink instance (DEVLINK_CMD_GET dump)."""
        return self._decode(codec.decode_devices, self._ask(codec.encode_dev_dump, dump=True))

    def ports(self, dev: DevHandle) -> list[PortInfo]:
        """The ports of ``dev`` (DEVLINK_CMD_PORT_GET dump, filtered)."""
        ports = self._decode(lambda d: codec.decode_ports(d, dev), self._ask(codec.encode_port_dump, dump=True))
        if not ports:
            self._known(dev)
        return ports

    def eswitch_get(self, dev: DevHandle) -> str:
        """The eswitch mode of ``dev``."""
        data = self._ask(lambda f, s: codec.encode_eswitch_get(f, s, dev))
        return self._decode(codec.decode_eswitch, data).mode

    def eswitch_set(self, dev: DevHandle, mode: str) -> None:
        """Set the eswitch mode of ``dev``."""
        self._ask(lambda f, s: codec.encode_eswitch_set(f, s, dev, mode))

    def param_get(self, dev: DevHandle, name: str | None = None) -> list[ParamValue]:
        """The values of param ``name`` of ``dev`` (every param of ``dev`` when None)."""
        if name is not None:
            data = self._ask(lambda f, s: codec.encode_param_get(f, s, dev, name))
            return self._decode(lambda d: codec.decode_params(d, dev), data)
        params = self._decode(lambda d: codec.decode_params(d, dev), self._ask(codec.encode_param_dump, dump=True))
        if not params:
            self._known(dev)
        return params

    def param_set(self, dev: DevHandle, name: str, value: int | str | bool, cmode: str = "runtime") -> None:
        """Set param ``name`` of ``dev`` in ``cmode``, encoded by the param's own type."""
        current = self.param_get(dev, name)
        if not current:
            raise DevlinkError(errno.EINVAL, f"no param {name} on {dev}")
        kind = current[0].type
        self._ask(lambda f, s: codec.encode_param_set(f, s, dev, name=name, type=kind, value=value, cmode=cmode))

    def resource_dump(self, dev: DevHandle) -> list[Resource]:
        """The resource tree of ``dev``."""
        data = self._ask(lambda f, s: codec.encode_resource_dump(f, s, dev))
        return self._decode(codec.decode_resources, data)

    def resource_set(self, dev: DevHandle, path: str, size: int) -> None:
        """Set the pending size of the resource at ``path`` (it applies at reload)."""
        found = codec.find_resource(self.resource_dump(dev), path)
        if found is None:
            raise DevlinkError(errno.ENOENT, f"no resource {path} on {dev}")
        self._ask(lambda f, s: codec.encode_resource_set(f, s, dev, found.id, size))

    def reload(self, dev: DevHandle) -> None:
        """Reload ``dev`` (driver_reinit): pending sizes and driverinit params apply."""
        self._ask(lambda f, s: codec.encode_reload(f, s, dev))

    def info(self, dev: DevHandle) -> DevInfo:
        """The driver, serial and versions of ``dev``."""
        return self._decode(codec.decode_info, self._ask(lambda f, s: codec.encode_info_get(f, s, dev)))

    def health(self, dev: DevHandle) -> list[HealthReporter]:
        """The health reporters of ``dev`` (DEVLINK_CMD_HEALTH_REPORTER_GET dump, filtered)."""
        reporters = self._decode(lambda d: codec.decode_health(d, dev), self._ask(codec.encode_health_dump, dump=True))
        if not reporters:
            self._known(dev)
        return reporters

    def health_recover(self, dev: DevHandle, reporter: str) -> None:
        """Run the recovery of ``reporter``."""
        self._ask(lambda f, s: codec.encode_health_recover(f, s, dev, reporter))

    def health_diagnose(self, dev: DevHandle, reporter: str) -> dict[str, object]:
        """What ``reporter`` diagnoses, as nested dicts and lists."""
        data = self._ask(lambda f, s: codec.encode_health_diagnose(f, s, dev, reporter))
        return self._decode(codec.decode_diagnose, data)
