"""Replies of the devlink family decoded into the value types of ``impl.switchdev.ports``.

Purpose: the decoding half of ``impl.switchdev.devlink_codec`` (which re-exports all of it). Each
``decode_*`` reads a buffer of one or more netlink messages as the kernel sends them (one
``recv``, or several concatenated): pyroute2's ``devlinkcmd`` (``ctrlmsg`` for nlctrl) decodes the
messages and every fixed-type attribute, nests included; the payload of
``DEVLINK_ATTR_PARAM_VALUE_DATA`` and ``DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA``, which pyroute2 types
``'none'``, is read raw from the pyroute2 attribute and decoded by the sibling type attribute
(``impl.switchdev.devlink_values``).

Promises:

- control messages are skipped; an NLMSG_ERROR (or NLMSG_DONE) carrying an error raises its
  ``DevlinkError``; a buffer or attribute that cannot be read raises ValueError;
- ``dev=`` keeps the messages about that device only (the codec dumps without attributes, which
  every kernel accepts, and filters here); the parts of a multipart reply are joined in order;
- absent optional attributes take the value types' defaults: ``size_new`` = ``size``, ``occ``
  None, ``size_valid`` True (the kernel sends it only for a resource with children), counters 0;
- an enum value newer than this code reads as ``unknown(N)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLMSG_MIN_TYPE, ctrlmsg
from pyroute2.netlink.devlink import devlinkcmd

from impl.switchdev.devlink_framing import NlMessage, message_error, split_messages
from impl.switchdev.devlink_values import (
    CMODES,
    ENCAP_MODES,
    ESWITCH_MODES,
    HEALTH_STATES,
    INLINE_MODES,
    PORT_FLAVOURS,
    RESOURCE_UNITS,
    decode_param_data,
    enum_name,
    fmsg_tree,
)
from impl.switchdev.ports import DevHandle, DevInfo, HealthReporter, ParamValue, PortInfo, Resource

__all__ = [
    "Eswitch",
    "decode_devices",
    "decode_diagnose",
    "decode_eswitch",
    "decode_family_id",
    "decode_health",
    "decode_info",
    "decode_params",
    "decode_ports",
    "decode_resources",
    "find_resource",
]

_ATTR_NUMBERS = {name: number for number, (name, _) in enumerate(devlinkcmd.nla_map)}


def _decoded(cls: Any, msg: NlMessage) -> Any:
    """``msg`` decoded by pyroute2 class ``cls``; ValueError if pyroute2 cannot."""
    node = cls(msg.raw)
    try:
        node.decode()
    except Exception as exc:  # pyroute2 raises its own decode errors, or struct.error
        raise ValueError(f"netlink: cannot decode a {cls.__name__} message: {exc}") from exc
    return node


def _messages(data: bytes, cls: Any = devlinkcmd) -> Iterator[Any]:
    """The family's messages in ``data`` decoded; an error message raises, control ones are skipped."""
    for msg in split_messages(data):
        error = message_error(msg)
        if error is not None:
            raise error
        if msg.type >= NLMSG_MIN_TYPE:
            yield _decoded(cls, msg)


def _of(data: bytes, dev: DevHandle | None) -> Iterator[Any]:
    """The devlink messages of ``data`` about ``dev`` (all of them when None)."""
    for node in _messages(data):
        if dev is None or _handle(node) == dev:
            yield node


def _get(node: Any, name: str, default: Any = None) -> Any:
    value = node.get_attr("DEVLINK_ATTR_" + name)
    return default if value is None else value


def _all(node: Any, name: str) -> list[Any]:
    return list(node.get_attrs("DEVLINK_ATTR_" + name))


def _int(node: Any, name: str, default: int | None = None) -> int:
    value = _get(node, name, default)
    if value is None:
        raise ValueError(f"devlink: attribute {name} missing")
    return int(value)


def _str(node: Any, name: str) -> str:
    value = _get(node, name)
    if value is None:
        raise ValueError(f"devlink: attribute {name} missing")
    return str(value)


def _raw(node: Any, name: str) -> list[tuple[int, bytes]]:
    """(number, payload) of every attribute ``name`` of ``node`` (all attributes when empty)."""
    out: list[tuple[int, bytes]] = []
    for slot in node["attrs"]:
        if name and slot.name != "DEVLINK_ATTR_" + name:
            continue
        nla = slot.nla
        out.append((_ATTR_NUMBERS.get(slot.name, -1), bytes(nla.data[nla.offset + 4 : nla.offset + nla.length])))
    return out


def _handle(node: Any) -> DevHandle:
    return DevHandle(_str(node, "BUS_NAME"), _str(node, "DEV_NAME"))


def decode_family_id(data: bytes) -> int:
    """The family id in nlctrl's reply to ``encode_family_lookup`` (ENOENT raises DevlinkError)."""
    for node in _messages(data, ctrlmsg):
        family_id = node.get_attr("CTRL_ATTR_FAMILY_ID")
        if family_id is not None:
            return int(family_id)
    raise ValueError("nlctrl: the reply has no family id")


def decode_devices(data: bytes) -> list[DevHandle]:
    """The instances of a DEVLINK_CMD_GET dump."""
    return [_handle(node) for node in _messages(data)]


def decode_ports(data: bytes, dev: DevHandle | None = None) -> list[PortInfo]:
    """The ports of a DEVLINK_CMD_PORT_GET reply or dump (of ``dev`` only, if given)."""
    out = []
    for node in _of(data, dev):
        flavour = enum_name(PORT_FLAVOURS, _int(node, "PORT_FLAVOUR", 0))
        vf = _get(node, "PORT_PCI_VF_NUMBER") if flavour == "pci-vf" else None
        netdev = _get(node, "PORT_NETDEV_NAME")
        out.append(PortInfo(_int(node, "PORT_INDEX"), flavour, netdev, None if vf is None else int(vf)))
    return out


@dataclass(frozen=True, slots=True)
class Eswitch:
    """A DEVLINK_CMD_ESWITCH_GET reply: the mode, and the inline and encap modes if reported."""

    mode: str
    inline_mode: str | None = None
    encap_mode: str | None = None


def decode_eswitch(data: bytes) -> Eswitch:
    """The eswitch state in a DEVLINK_CMD_ESWITCH_GET reply."""
    for node in _messages(data):
        inline, encap = _get(node, "ESWITCH_INLINE_MODE"), _get(node, "ESWITCH_ENCAP_MODE")
        return Eswitch(
            enum_name(ESWITCH_MODES, _int(node, "ESWITCH_MODE")),
            None if inline is None else enum_name(INLINE_MODES, int(inline)),
            None if encap is None else enum_name(ENCAP_MODES, int(encap)),
        )
    raise ValueError("devlink: no eswitch reply")


def decode_params(data: bytes, dev: DevHandle | None = None) -> list[ParamValue]:
    """One ``ParamValue`` per (param, cmode) in a DEVLINK_CMD_PARAM_GET reply or dump."""
    out = []
    for node in _of(data, dev):
        for param in _all(node, "PARAM"):
            name, type_number = _str(param, "PARAM_NAME"), _int(param, "PARAM_TYPE")
            generic = _get(param, "PARAM_GENERIC") is not None
            for values in _all(param, "PARAM_VALUES_LIST"):
                for value in _all(values, "PARAM_VALUE"):
                    cmode = enum_name(CMODES, _int(value, "PARAM_VALUE_CMODE"))
                    data_attrs = _raw(value, "PARAM_VALUE_DATA")
                    type_name, decoded = decode_param_data(type_number, data_attrs[0][1] if data_attrs else None)
                    out.append(ParamValue(name, type_name, cmode, decoded, generic))
    return out


def _resource(node: Any) -> Resource:
    size = _int(node, "RESOURCE_SIZE")
    occ = _get(node, "RESOURCE_OCC")
    return Resource(
        name=_str(node, "RESOURCE_NAME"),
        id=_int(node, "RESOURCE_ID"),
        size=size,
        size_new=_int(node, "RESOURCE_SIZE_NEW", size),
        size_valid=bool(_int(node, "RESOURCE_SIZE_VALID", 1)),
        unit=enum_name(RESOURCE_UNITS, _int(node, "RESOURCE_UNIT", 0)),
        occ=None if occ is None else int(occ),
        size_min=_int(node, "RESOURCE_SIZE_MIN", 0),
        size_max=_int(node, "RESOURCE_SIZE_MAX", 2**64 - 1),
        size_gran=_int(node, "RESOURCE_SIZE_GRAN", 1),
        children=tuple(_resource(child) for nest in _all(node, "RESOURCE_LIST") for child in _all(nest, "RESOURCE")),
    )


def decode_resources(data: bytes) -> list[Resource]:
    """The resource tree of a DEVLINK_CMD_RESOURCE_DUMP reply (its parts joined if multipart)."""
    return [
        _resource(child)
        for node in _messages(data)
        for nest in _all(node, "RESOURCE_LIST")
        for child in _all(nest, "RESOURCE")
    ]


def find_resource(resources: Iterable[Resource], path: str) -> Resource | None:
    """The resource at ``path`` ("/ct/entries" or "ct/entries"), or None."""
    names = [part for part in path.split("/") if part]
    found: Resource | None = None
    level: Iterable[Resource] = resources
    for name in names:
        found = next((r for r in level if r.name == name), None)
        if found is None:
            return None
        level = found.children
    return found


def _versions(node: Any, name: str) -> tuple[tuple[str, str], ...]:
    return tuple((_str(v, "INFO_VERSION_NAME"), _str(v, "INFO_VERSION_VALUE")) for v in _all(node, name))


def decode_info(data: bytes) -> DevInfo:
    """The driver, serial number and versions of a DEVLINK_CMD_INFO_GET reply."""
    for node in _messages(data):
        serial = _get(node, "INFO_SERIAL_NUMBER")
        return DevInfo(
            driver=_str(node, "INFO_DRIVER_NAME"),
            serial=None if serial is None else str(serial),
            fixed=_versions(node, "INFO_VERSION_FIXED"),
            running=_versions(node, "INFO_VERSION_RUNNING"),
            stored=_versions(node, "INFO_VERSION_STORED"),
        )
    raise ValueError("devlink: no info reply")


def decode_health(data: bytes, dev: DevHandle | None = None) -> list[HealthReporter]:
    """The device's health reporters in a DEVLINK_CMD_HEALTH_REPORTER_GET reply or dump.

    Reporters of a port (the message carries a port index) are left out: ``HealthReporter`` has
    no port, and a device's reporter is what the provider watches.
    """
    out = []
    for node in _of(data, dev):
        if _get(node, "PORT_INDEX") is not None:
            continue
        for reporter in _all(node, "HEALTH_REPORTER"):
            out.append(
                HealthReporter(
                    name=_str(reporter, "HEALTH_REPORTER_NAME"),
                    state=enum_name(HEALTH_STATES, _int(reporter, "HEALTH_REPORTER_STATE")),
                    err_count=_int(reporter, "HEALTH_REPORTER_ERR_COUNT", 0),
                    recover_count=_int(reporter, "HEALTH_REPORTER_RECOVER_COUNT", 0),
                )
            )
    return out


def decode_diagnose(data: bytes) -> dict[str, object]:
    """The object a DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE reply (all its parts) describes."""
    tokens = [token for node in _messages(data) for fmsg in _all(node, "FMSG") for token in _raw(fmsg, "")]
    return fmsg_tree(tokens)
