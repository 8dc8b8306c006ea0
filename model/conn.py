"""Connection values handed to providers: the ctx of ``struct ct_offload_ctx``, made richer.

Purpose: the RFC's ctx carries only ``conn`` (a pointer), ``netdev_in`` and ``input_port_id``, so a
provider must read conntrack's private structs to learn what it is offloading. Here the connection
value also carries its zone, protocol and both direction tuples; the layer itself only ever uses
``ConnRef.id`` (the pointer's identity).

Promises: all values are frozen, hashable and compare by content; ``ConnRef.synthetic`` is a pure
function of its arguments.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: IANA protocol numbers used by the project.
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_GRE = 47


@dataclass(frozen=True, slots=True, kw_only=True)
class FiveTuple:
    """One direction of a connection: addresses as text (IPv4 or IPv6), ports, IP protocol."""

    src: str
    dst: str
    sport: int
    dport: int
    proto: int

    def reversed(self) -> FiveTuple:
        """The same flow seen from the other end (the reply direction without NAT)."""
        return FiveTuple(src=self.dst, dst=self.src, sport=self.dport, dport=self.sport, proto=self.proto)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnRef:
    """A connection as the layer's callers name it.

    ``id`` is the identity (the RFC passes a ``struct conn *``): two ConnRefs with equal ids are the
    same connection for marks and for providers that key on it. ``zone``, ``orig`` and ``reply`` are
    what a hardware provider needs to program a flow; ``helper`` (an ALG such as "ftp", or None)
    and ``labels`` (the 128-bit ct label) decide whether real hardware can offload it at all.
    """

    id: int
    zone: int
    orig: FiveTuple
    reply: FiveTuple
    helper: str | None = None
    labels: int = 0

    @property
    def nat(self) -> bool:
        """Whether the connection is NATed (its reply tuple is not the original one reversed)."""
        return self.reply != self.orig.reversed()

    @staticmethod
    def synthetic(conn_id: int, *, zone: int = 0, proto: int = PROTO_UDP) -> ConnRef:
        """A made-up but valid connection for ``conn_id`` (used by scenarios, which name only ids)."""
        return _synthetic(conn_id, zone, proto)


# Speed only: a synthetic connection is a pure function of its arguments and an immutable value, so
# equal arguments may share one object. Building one costs three frozen dataclasses (sixteen
# ``object.__setattr__`` calls, about 4 us), and every scenario, tracker commit and bench op
# builds them (issue 16: a sixth of parsing a scenario).
@functools.lru_cache(maxsize=1 << 16, typed=True)  # typed: True and 1 are different ids
def _synthetic(conn_id: int, zone: int, proto: int) -> ConnRef:
    high, low = divmod(conn_id, 250)
    orig = FiveTuple(
        src=f"10.{high % 250}.{low}.1",
        dst=f"10.{high % 250}.{low}.2",
        sport=1024 + conn_id % 60000,
        dport=80,
        proto=proto,
    )
    return ConnRef(id=conn_id, zone=zone, orig=orig, reply=orig.reversed())


@dataclass(frozen=True, slots=True, kw_only=True)
class Ctx:
    """``struct ct_offload_ctx``: the connection (None stands for a NULL conn pointer), the input
    netdev of the packet that caused the event (None for del/update, as in the RFC's call sites) and
    the datapath input port (None for ODPP_NONE)."""

    conn: ConnRef | None
    netdev_in: str | None = None
    input_port_id: int | None = None

    @property
    def conn_id(self) -> int | None:
        """The connection's identity, or None for a NULL conn."""
        return None if self.conn is None else self.conn.id

    @staticmethod
    def of(conn_id: int | None, *, netdev_in: str | None = None) -> Ctx:
        """A ctx for a synthetic connection ``conn_id`` (or a NULL conn when None)."""
        conn = None if conn_id is None else ConnRef.synthetic(conn_id)
        return Ctx(conn=conn, netdev_in=netdev_in)
