"""Open vSwitch's default conntrack timeout policy, and the "other" protocol's states.

Purpose: the expiry a packet gives a connection is the timeout policy's value for the
connection's state (lib/conntrack-tp.c of the series: ``ct_dpif_netdev_tp_def``, in seconds, and
``conn_update_expiration``). The tracker's flows are UDP-like: OVS tracks UDP, and every protocol
but TCP and ICMP, with ``ct_proto_other`` (lib/conntrack-other.c), whose three states map to the
policy's three UDP values. This module names each value after its OVS constant (in ms here, as
the model's times are) and states that mapping (rule TRACK-TIMEOUT).

Promises: constants and pure functions only.
"""

from __future__ import annotations

from enum import Enum

# The default timeout policy (``ct_dpif_netdev_tp_def``), CT_DPIF_TP_ATTR_<NAME>, in ms.
CT_DPIF_TP_ATTR_TCP_SYN_SENT = 30_000
CT_DPIF_TP_ATTR_TCP_SYN_RECV = 30_000
CT_DPIF_TP_ATTR_TCP_ESTABLISHED = 24 * 60 * 60 * 1000
CT_DPIF_TP_ATTR_TCP_FIN_WAIT = 15 * 60 * 1000
CT_DPIF_TP_ATTR_TCP_TIME_WAIT = 45_000
CT_DPIF_TP_ATTR_TCP_CLOSE = 30_000
CT_DPIF_TP_ATTR_UDP_FIRST = 60_000
CT_DPIF_TP_ATTR_UDP_SINGLE = 60_000
CT_DPIF_TP_ATTR_UDP_MULTIPLE = 30_000
CT_DPIF_TP_ATTR_ICMP_FIRST = 60_000
CT_DPIF_TP_ATTR_ICMP_REPLY = 30_000

#: Every value of the default policy, by its OVS name without the prefix (for the docs' table).
DEFAULT_POLICY: dict[str, int] = {
    "TCP_SYN_SENT": CT_DPIF_TP_ATTR_TCP_SYN_SENT,
    "TCP_SYN_RECV": CT_DPIF_TP_ATTR_TCP_SYN_RECV,
    "TCP_ESTABLISHED": CT_DPIF_TP_ATTR_TCP_ESTABLISHED,
    "TCP_FIN_WAIT": CT_DPIF_TP_ATTR_TCP_FIN_WAIT,
    "TCP_TIME_WAIT": CT_DPIF_TP_ATTR_TCP_TIME_WAIT,
    "TCP_CLOSE": CT_DPIF_TP_ATTR_TCP_CLOSE,
    "UDP_FIRST": CT_DPIF_TP_ATTR_UDP_FIRST,
    "UDP_SINGLE": CT_DPIF_TP_ATTR_UDP_SINGLE,
    "UDP_MULTIPLE": CT_DPIF_TP_ATTR_UDP_MULTIPLE,
    "ICMP_FIRST": CT_DPIF_TP_ATTR_ICMP_FIRST,
    "ICMP_REPLY": CT_DPIF_TP_ATTR_ICMP_REPLY,
}


class OtherState(Enum):
    """``enum other_state`` of lib/conntrack-other.c: a UDP-like connection's state."""

    #: Created by its first packet.
    FIRST = "FIRST"
    #: Has seen more packets, all in the original direction.
    MULTIPLE = "MULTIPLE"
    #: Has seen a reply.
    BIDIR = "BIDIR"


def next_state(state: OtherState, *, reply: bool) -> OtherState:
    """``other_conn_update``: a reply makes the connection BIDIR; a second packet in the original
    direction makes a FIRST connection MULTIPLE; otherwise the state stays."""
    if reply:
        return OtherState.BIDIR
    return OtherState.MULTIPLE if state is OtherState.FIRST else state


def policy_attr(state: OtherState) -> str:
    """Rule TRACK-TIMEOUT: the timeout policy value that gives a UDP-like connection in ``state``
    its expiry (``other_timeouts`` then ``tm_to_ct_dpif_tp``): FIRST -> UDP_FIRST, MULTIPLE ->
    UDP_SINGLE, BIDIR -> UDP_MULTIPLE. A packet sets the expiry to now + that value."""
    return {OtherState.FIRST: "UDP_FIRST", OtherState.MULTIPLE: "UDP_SINGLE", OtherState.BIDIR: "UDP_MULTIPLE"}[state]
