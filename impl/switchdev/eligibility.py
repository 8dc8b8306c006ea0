"""ENG-ELIGIBLE: which connections the hardware offloads, and what each one costs.

Purpose: the one predicate that both the simulated device (at INSERT, ENG-SUBMIT) and the switchdev
provider (``can_offload``, P-CAN) apply, so that the two cannot disagree. docs/switchdev.rst states
the rule. It follows hw-anchors sections 1.2 and 1.6: TCP once established; UDP (before
establishment only with ``accept_new_udp``, as mlx5 does); GRE without NAT; no other protocol; no
helper (ALG); a zone of at most 16 bits; labels above 32 bits only with ``ct_labels_mapping``.

Promises: pure functions of their arguments. The protocol is the original direction's. A label
value is valid only in [0, 2^128), and a zone only in [0, 65535]; other values are not eligible.
"""

from __future__ import annotations

from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, ConnRef

__all__ = ["MAX_ZONE", "NAT_EXTRA_ENTRIES", "at_establishment", "conn_cost", "eligible"]

#: The largest zone the hardware matches on (16 bits of reg_c_2).
MAX_ZONE = 65535

#: Labels below this fit reg_c_4 without the mapping table.
UNMAPPED_LABELS = 1 << 32

#: conntrack labels are 128 bits.
ALL_LABELS = 1 << 128

#: Extra entries a NATed connection costs when ``ct_action_on_nat_conns`` is set.
NAT_EXTRA_ENTRIES = 2


def eligible(conn: ConnRef, *, established: bool, accept_new_udp: bool, labels_mapping: bool) -> bool:
    """ENG-ELIGIBLE: whether the hardware takes ``conn`` (``established``: programmed as such)."""
    if conn.helper is not None or not 0 <= conn.zone <= MAX_ZONE:
        return False
    if not 0 <= conn.labels < (ALL_LABELS if labels_mapping else UNMAPPED_LABELS):
        return False
    proto = conn.orig.proto
    if proto == PROTO_TCP:
        return established
    if proto == PROTO_UDP:
        return established or accept_new_udp
    if proto == PROTO_GRE:
        return not conn.nat
    return False


def at_establishment(conn: ConnRef, *, accept_new_udp: bool) -> bool:
    """Whether the provider programs ``conn`` only once it is established (P-ADD: TCP, and UDP
    without ``accept_new_udp``)."""
    proto = conn.orig.proto
    return proto == PROTO_TCP or (proto == PROTO_UDP and not accept_new_udp)


def conn_cost(conn: ConnRef, *, entries_per_conn: int, nat_action: bool) -> int:
    """The ``/ct/entries`` a connection costs: ``entries_per_conn``, plus 2 if it is NATed and
    ``ct_action_on_nat_conns`` (``nat_action``) is set."""
    return entries_per_conn + (NAT_EXTRA_ENTRIES if nat_action and conn.nat else 0)
