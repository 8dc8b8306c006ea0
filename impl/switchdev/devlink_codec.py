"""Bytes of the devlink generic-netlink family: the requests ``NetlinkDevlink`` sends, its replies.

Purpose: the one import for the devlink wire format. Every ``encode_*`` returns one complete
netlink message (header, genl header, attributes) for the family id and sequence number given;
the ``decode_*`` functions (``impl.switchdev.devlink_replies``) read the replies into the value
types of ``impl.switchdev.ports``; the framing and error reading are
``impl.switchdev.devlink_framing``'s. No socket anywhere: the same code runs against fixtures.

What pyroute2 does and what is hand-written:

- pyroute2's ``devlinkcmd`` encodes and decodes every attribute whose type is fixed: bus and
  device names, port index / flavour / netdev / VF number, the eswitch mode (u16) with its inline
  and encap modes (u8), the resource tree (nested, recursive, with ``occ``), info versions, health
  reporters, and the nests around param values and fmsg; its ``ctrlmsg`` does the family lookup.
  Its attribute numbering is the one of include/uapi/linux/devlink.h (the tests compare bytes
  with fixtures packed from the uapi numbers, and pyroute2's table with those numbers).
- Hand-written, because pyroute2 types them ``'none'`` (decodes no payload, encodes none): the
  payload of ``DEVLINK_ATTR_PARAM_VALUE_DATA`` and ``DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA``, whose
  type is a sibling attribute's value (``impl.switchdev.devlink_values``). ``encode_param_set``
  lets pyroute2 encode the other attributes, appends the data attribute itself (none for a false
  bool, as the kernel expects) and fixes the message length.
- Hand-written: NLMSG_ERROR / NLMSG_DONE reading and the framing (``devlink_framing`` says why),
  and the names of the kernel enums (``devlink_values``).
- The command numbers are pyroute2's (it has every one used here). ``RELOAD`` is sent without
  ``DEVLINK_ATTR_RELOAD_ACTION`` (153; pyroute2 lacks it): the kernel then does driver_reinit.

Promises:

- a "do" asks for an acknowledgement (NLM_F_REQUEST | NLM_F_ACK); a dump is NLM_F_REQUEST |
  NLM_F_DUMP with no attributes (every kernel accepts that; ``decode_*(data, dev)`` filters);
- attributes go out in a fixed order: bus, device, then the command's own, as iproute2 sends them;
- a value that cannot be encoded (an unknown mode or cmode, a value of the wrong type or range
  for the param type, a size that is not a u64) raises ValueError naming it, and nothing is built.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from pyroute2.netlink import CTRL_CMD_GETFAMILY, GENL_ID_CTRL, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, ctrlmsg
from pyroute2.netlink.devlink import (
    DEVLINK_CMD_ESWITCH_GET,
    DEVLINK_CMD_ESWITCH_SET,
    DEVLINK_CMD_GET,
    DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE,
    DEVLINK_CMD_HEALTH_REPORTER_GET,
    DEVLINK_CMD_HEALTH_REPORTER_RECOVER,
    DEVLINK_CMD_INFO_GET,
    DEVLINK_CMD_PARAM_GET,
    DEVLINK_CMD_PARAM_SET,
    DEVLINK_CMD_PORT_GET,
    DEVLINK_CMD_RELOAD,
    DEVLINK_CMD_RESOURCE_DUMP,
    DEVLINK_CMD_RESOURCE_SET,
    devlinkcmd,
)

from impl.switchdev.devlink_framing import NLA, NlMessage, align, message_error, raise_for_error, split_messages
from impl.switchdev.devlink_replies import (
    Eswitch,
    decode_devices,
    decode_diagnose,
    decode_eswitch,
    decode_family_id,
    decode_health,
    decode_info,
    decode_params,
    decode_ports,
    decode_resources,
    find_resource,
)
from impl.switchdev.devlink_values import CMODES, ESWITCH_MODES, PARAM_TYPE_NUMBERS, encode_param_data, enum_number
from impl.switchdev.ports import DevHandle

__all__ = [
    "CMD_ESWITCH_GET",
    "CMD_ESWITCH_SET",
    "CMD_GET",
    "CMD_HEALTH_REPORTER_DIAGNOSE",
    "CMD_HEALTH_REPORTER_GET",
    "CMD_HEALTH_REPORTER_RECOVER",
    "CMD_INFO_GET",
    "CMD_PARAM_GET",
    "CMD_PARAM_SET",
    "CMD_PORT_GET",
    "CMD_RELOAD",
    "CMD_RESOURCE_DUMP",
    "CMD_RESOURCE_SET",
    "DEVLINK_GENL_NAME",
    "DEVLINK_GENL_VERSION",
    "Eswitch",
    "NlMessage",
    "decode_devices",
    "decode_diagnose",
    "decode_eswitch",
    "decode_family_id",
    "decode_health",
    "decode_info",
    "decode_params",
    "decode_ports",
    "decode_resources",
    "encode_dev_dump",
    "encode_eswitch_get",
    "encode_eswitch_set",
    "encode_family_lookup",
    "encode_health_diagnose",
    "encode_health_dump",
    "encode_health_recover",
    "encode_info_get",
    "encode_param_dump",
    "encode_param_get",
    "encode_param_set",
    "encode_port_dump",
    "encode_reload",
    "encode_resource_dump",
    "encode_resource_set",
    "find_resource",
    "message_error",
    "raise_for_error",
    "split_messages",
]

DEVLINK_GENL_NAME = "devlink"
DEVLINK_GENL_VERSION = 1

CMD_GET = DEVLINK_CMD_GET  # 1
CMD_PORT_GET = DEVLINK_CMD_PORT_GET  # 5
CMD_ESWITCH_GET = DEVLINK_CMD_ESWITCH_GET  # 29
CMD_ESWITCH_SET = DEVLINK_CMD_ESWITCH_SET  # 30
CMD_RESOURCE_SET = DEVLINK_CMD_RESOURCE_SET  # 35
CMD_RESOURCE_DUMP = DEVLINK_CMD_RESOURCE_DUMP  # 36
CMD_RELOAD = DEVLINK_CMD_RELOAD  # 37
CMD_PARAM_GET = DEVLINK_CMD_PARAM_GET  # 38
CMD_PARAM_SET = DEVLINK_CMD_PARAM_SET  # 39
CMD_INFO_GET = DEVLINK_CMD_INFO_GET  # 51
CMD_HEALTH_REPORTER_GET = DEVLINK_CMD_HEALTH_REPORTER_GET  # 52
CMD_HEALTH_REPORTER_RECOVER = DEVLINK_CMD_HEALTH_REPORTER_RECOVER  # 54
CMD_HEALTH_REPORTER_DIAGNOSE = DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE  # 55

_DO = NLM_F_REQUEST | NLM_F_ACK
_DUMP = NLM_F_REQUEST | NLM_F_DUMP
_PARAM_VALUE_DATA = 86  # DEVLINK_ATTR_PARAM_VALUE_DATA, the attribute encode_param_set appends


# --- requests (pyroute2) ---------------------------------------------------------------------


def _request(family_id: int, seq: int, cmd: int, attrs: Sequence[tuple[str, object]], flags: int = _DO) -> bytes:
    msg = devlinkcmd()
    msg["cmd"] = cmd
    msg["version"] = DEVLINK_GENL_VERSION
    msg["attrs"] = [[name, value] for name, value in attrs]
    msg["header"].update({"type": family_id, "flags": flags, "sequence_number": seq, "pid": 0})
    msg.encode()
    return bytes(msg.data)


def _dev(dev: DevHandle) -> list[tuple[str, object]]:
    return [("DEVLINK_ATTR_BUS_NAME", dev.bus), ("DEVLINK_ATTR_DEV_NAME", dev.dev)]


def encode_family_lookup(seq: int, name: str = DEVLINK_GENL_NAME) -> bytes:
    """CTRL_CMD_GETFAMILY for ``name`` (to nlctrl, GENL_ID_CTRL)."""
    msg = ctrlmsg()
    msg["cmd"] = CTRL_CMD_GETFAMILY
    msg["version"] = 1
    msg["attrs"] = [["CTRL_ATTR_FAMILY_NAME", name]]
    msg["header"].update({"type": GENL_ID_CTRL, "flags": _DO, "sequence_number": seq, "pid": 0})
    msg.encode()
    return bytes(msg.data)


def encode_dev_dump(family_id: int, seq: int) -> bytes:
    """DEVLINK_CMD_GET, dump: every devlink instance."""
    return _request(family_id, seq, CMD_GET, [], _DUMP)


def encode_port_dump(family_id: int, seq: int) -> bytes:
    """DEVLINK_CMD_PORT_GET, dump: every port of every instance."""
    return _request(family_id, seq, CMD_PORT_GET, [], _DUMP)


def encode_eswitch_get(family_id: int, seq: int, dev: DevHandle) -> bytes:
    """DEVLINK_CMD_ESWITCH_GET of ``dev``."""
    return _request(family_id, seq, CMD_ESWITCH_GET, _dev(dev))


def encode_eswitch_set(family_id: int, seq: int, dev: DevHandle, mode: str) -> bytes:
    """DEVLINK_CMD_ESWITCH_SET of ``dev`` to ``mode`` (a name of ``ESWITCH_MODES``; sent as u16)."""
    number = enum_number(ESWITCH_MODES, mode, "eswitch mode")
    return _request(family_id, seq, CMD_ESWITCH_SET, [*_dev(dev), ("DEVLINK_ATTR_ESWITCH_MODE", number)])


def encode_param_dump(family_id: int, seq: int) -> bytes:
    """DEVLINK_CMD_PARAM_GET, dump: every param of every instance."""
    return _request(family_id, seq, CMD_PARAM_GET, [], _DUMP)


def encode_param_get(family_id: int, seq: int, dev: DevHandle, name: str) -> bytes:
    """DEVLINK_CMD_PARAM_GET of param ``name`` of ``dev``."""
    return _request(family_id, seq, CMD_PARAM_GET, [*_dev(dev), ("DEVLINK_ATTR_PARAM_NAME", name)])


def encode_param_set(
    family_id: int, seq: int, dev: DevHandle, *, name: str, type: str, value: int | str | bool, cmode: str
) -> bytes:
    """DEVLINK_CMD_PARAM_SET: ``value`` of a ``type`` param (``PARAM_TYPES``) in ``cmode``.

    pyroute2 encodes bus, device, name, type and cmode; the value data attribute is appended by
    hand (pyroute2 types it 'none'), and is left out for a false bool, as the kernel expects.
    """
    payload = encode_param_data(type, value)
    attrs = [
        *_dev(dev),
        ("DEVLINK_ATTR_PARAM_NAME", name),
        ("DEVLINK_ATTR_PARAM_TYPE", PARAM_TYPE_NUMBERS[type]),
        ("DEVLINK_ATTR_PARAM_VALUE_CMODE", enum_number(CMODES, cmode, "cmode")),
    ]
    head = _request(family_id, seq, CMD_PARAM_SET, attrs)
    if payload is None:
        return head
    data = NLA.pack(NLA.size + len(payload), _PARAM_VALUE_DATA) + payload
    data += bytes(align(len(data)) - len(data))
    return struct.pack("=I", len(head) + len(data)) + head[4:] + data


def encode_resource_dump(family_id: int, seq: int, dev: DevHandle) -> bytes:
    """DEVLINK_CMD_RESOURCE_DUMP of ``dev`` (a "do": the whole tree in one reply)."""
    return _request(family_id, seq, CMD_RESOURCE_DUMP, _dev(dev))


def encode_resource_set(family_id: int, seq: int, dev: DevHandle, resource_id: int, size: int) -> bytes:
    """DEVLINK_CMD_RESOURCE_SET: resource ``resource_id`` of ``dev`` to ``size`` (pending until reload)."""
    for what, number in (("resource id", resource_id), ("resource size", size)):
        if not 0 <= number < 1 << 64:
            raise ValueError(f"{what} {number} is not a u64")
    attrs = [*_dev(dev), ("DEVLINK_ATTR_RESOURCE_ID", resource_id), ("DEVLINK_ATTR_RESOURCE_SIZE", size)]
    return _request(family_id, seq, CMD_RESOURCE_SET, attrs)


def encode_reload(family_id: int, seq: int, dev: DevHandle) -> bytes:
    """DEVLINK_CMD_RELOAD of ``dev`` (no action attribute: the kernel's default, driver_reinit)."""
    return _request(family_id, seq, CMD_RELOAD, _dev(dev))


def encode_info_get(family_id: int, seq: int, dev: DevHandle) -> bytes:
    """DEVLINK_CMD_INFO_GET of ``dev``."""
    return _request(family_id, seq, CMD_INFO_GET, _dev(dev))


def encode_health_dump(family_id: int, seq: int) -> bytes:
    """DEVLINK_CMD_HEALTH_REPORTER_GET, dump: every reporter of every instance."""
    return _request(family_id, seq, CMD_HEALTH_REPORTER_GET, [], _DUMP)


def _reporter(family_id: int, seq: int, cmd: int, dev: DevHandle, reporter: str) -> bytes:
    return _request(family_id, seq, cmd, [*_dev(dev), ("DEVLINK_ATTR_HEALTH_REPORTER_NAME", reporter)])


def encode_health_recover(family_id: int, seq: int, dev: DevHandle, reporter: str) -> bytes:
    """DEVLINK_CMD_HEALTH_REPORTER_RECOVER of ``reporter`` of ``dev``."""
    return _reporter(family_id, seq, CMD_HEALTH_REPORTER_RECOVER, dev, reporter)


def encode_health_diagnose(family_id: int, seq: int, dev: DevHandle, reporter: str) -> bytes:
    """DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE of ``reporter`` of ``dev``."""
    return _reporter(family_id, seq, CMD_HEALTH_REPORTER_DIAGNOSE, dev, reporter)
