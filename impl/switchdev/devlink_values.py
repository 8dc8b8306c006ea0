"""Hand-written parts of the devlink codec: typed values and the enums pyroute2 has no names for.

Purpose: pyroute2's ``devlinkcmd`` knows every devlink attribute number and the fixed type of most,
but two attributes carry a value whose type is given by a sibling attribute, and pyroute2 types
both ``'none'`` (no payload decoded, none encoded): ``DEVLINK_ATTR_PARAM_VALUE_DATA`` (typed by
``DEVLINK_ATTR_PARAM_TYPE``) and ``DEVLINK_ATTR_FMSG_OBJ_VALUE_DATA`` (typed by
``DEVLINK_ATTR_FMSG_OBJ_VALUE_TYPE``). This module packs and unpacks those payloads, builds the
health-diagnose tree out of the flat fmsg token stream, and names the kernel enums pyroute2 leaves
as bare numbers (eswitch modes, port flavours, cmodes, health states, resource units). Numbers are
those of include/uapi/linux/devlink.h (``DEVLINK_VAR_ATTR_TYPE_*``, which equal the ``NLA_*``
policy types they replaced).

Promises:

- ``encode_param_data(type, value)`` returns the payload to send, or None when the attribute must
  be absent (a false ``bool``: the kernel reads a flag param as "data attribute present"); a value
  of the wrong Python type or out of the type's range raises ValueError naming both;
- ``decode_param_data(type_number, payload)`` inverts it (payload None: the attribute was absent)
  and reports the type by its ``PARAM_TYPES`` name; a nul-string reads as "string", a binary as
  "binary" with a hex value; a payload of the wrong size raises ValueError;
- ``fmsg_tree(tokens)`` turns ``(attribute number, payload)`` tokens into nested dicts and lists;
  a fmsg flag is always sent with a u8 payload (unlike params) and reads as a bool either way;
- integers are host byte order, as netlink is;
- ``parse_decimal(text, bits)`` reads a number typed by a user: ASCII digits only (no sign, no
  space, no "²" or Arabic-Indic digits, which ``str.isdigit`` would take), at most ``bits`` wide;
  ValueError naming the range otherwise, whatever the length of ``text``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from impl.switchdev.ports import CMODES, ESWITCH_MODES  # re-exported: one import names every wire enum

__all__ = [
    "CMODES",
    "ENCAP_MODES",
    "ESWITCH_MODES",
    "FMSG_ARR_NEST_START",
    "FMSG_NEST_END",
    "FMSG_OBJ_NAME",
    "FMSG_OBJ_NEST_START",
    "FMSG_OBJ_VALUE_DATA",
    "FMSG_OBJ_VALUE_TYPE",
    "FMSG_PAIR_NEST_START",
    "HEALTH_STATES",
    "INLINE_MODES",
    "PARAM_TYPE_NUMBERS",
    "PORT_FLAVOURS",
    "RESOURCE_UNITS",
    "decode_param_data",
    "encode_param_data",
    "enum_name",
    "enum_number",
    "fmsg_tree",
    "parse_decimal",
]

#: ``DEVLINK_VAR_ATTR_TYPE_*``: param (and fmsg) value type name -> wire number.
PARAM_TYPE_NUMBERS: dict[str, int] = {
    "u8": 1,
    "u16": 2,
    "u32": 3,
    "u64": 4,
    "string": 5,
    "bool": 6,  # DEVLINK_VAR_ATTR_TYPE_FLAG
    "nul-string": 10,
    "binary": 11,
}
_INT_FORMATS = {1: "=B", 2: "=H", 3: "=I", 4: "=Q"}
_NUMBER_TYPES = {number: name for name, number in PARAM_TYPE_NUMBERS.items()}
_STRING, _FLAG, _NUL_STRING, _BINARY = 5, 6, 10, 11

#: ``DEVLINK_ESWITCH_INLINE_MODE_*`` and ``DEVLINK_ESWITCH_ENCAP_MODE_*``, by wire value.
INLINE_MODES: tuple[str, ...] = ("none", "link", "network", "transport")
ENCAP_MODES: tuple[str, ...] = ("none", "basic")
#: ``DEVLINK_PORT_FLAVOUR_*``, by wire value.
PORT_FLAVOURS: tuple[str, ...] = ("physical", "cpu", "dsa", "pci-pf", "pci-vf", "virtual", "unused", "pci-sf")
#: ``DEVLINK_HEALTH_REPORTER_STATE_*`` and ``DEVLINK_RESOURCE_UNIT_*``, by wire value.
HEALTH_STATES: tuple[str, ...] = ("healthy", "error")
RESOURCE_UNITS: tuple[str, ...] = ("entry",)

#: The fmsg attributes (``DEVLINK_ATTR_FMSG_*``), numbered as in the uapi.
FMSG_OBJ_NEST_START = 107
FMSG_PAIR_NEST_START = 108
FMSG_ARR_NEST_START = 109
FMSG_NEST_END = 110
FMSG_OBJ_NAME = 111
FMSG_OBJ_VALUE_TYPE = 112
FMSG_OBJ_VALUE_DATA = 113


def enum_name(names: tuple[str, ...], number: int) -> str:
    """The name of wire value ``number`` in ``names``, or ``unknown(N)`` for a value added later."""
    return names[number] if 0 <= number < len(names) else f"unknown({number})"


def enum_number(names: tuple[str, ...], name: str, what: str) -> int:
    """The wire value of ``name``; ValueError naming ``what`` and the choices if it has none."""
    if name not in names:
        raise ValueError(f"unknown {what} {name!r} (one of {', '.join(names)})")
    return names.index(name)


def parse_decimal(text: str, bits: int) -> int:
    """The unsigned ``bits``-bit number ``text`` spells in ASCII decimal digits; ValueError naming
    the range if it is not one (checked before converting, so a 5000-digit text costs nothing)."""
    high = (1 << bits) - 1
    digits = text.lstrip("0") or "0"
    if not (text.isascii() and text.isdigit()) or len(digits) > len(str(high)) or int(digits) > high:
        raise ValueError(f"expected an integer from 0 to {high} in decimal digits, got {_shown(text)}")
    return int(digits)


def _shown(text: str) -> str:
    """``text`` quoted, cut to 40 characters."""
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def encode_param_data(type_name: str, value: int | str | bool) -> bytes | None:
    """The ``PARAM_VALUE_DATA`` payload of ``value`` as a ``type_name`` param; None: send none."""
    number = PARAM_TYPE_NUMBERS.get(type_name)
    if number is None:
        raise ValueError(f"unknown param type {type_name!r} (one of {', '.join(PARAM_TYPE_NUMBERS)})")
    if number == _FLAG:
        if not isinstance(value, bool):
            raise ValueError(f"a bool param takes true or false, not {value!r}")
        return b"" if value else None
    if number in _INT_FORMATS:
        fmt = _INT_FORMATS[number]
        limit = 1 << (8 * struct.calcsize(fmt))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
            raise ValueError(f"a {type_name} param takes an integer from 0 to {limit - 1}, not {value!r}")
        return struct.pack(fmt, value)
    if number == _BINARY:
        if not isinstance(value, str):
            raise ValueError(f"a binary param takes a hex string, not {value!r}")
        return bytes.fromhex(value)
    if not isinstance(value, str) or "\0" in value:
        raise ValueError(f"a {type_name} param takes a string without NUL, not {value!r}")
    return value.encode() + b"\0"


def decode_param_data(type_number: int, payload: bytes | None) -> tuple[str, int | str | bool]:
    """``(type name, value)`` of a ``PARAM_VALUE_DATA`` payload (None: the attribute was absent)."""
    if type_number == _FLAG:
        return "bool", payload is not None
    if payload is None:
        raise ValueError(f"param value of type {type_number} has no data")
    if type_number in _INT_FORMATS:
        fmt = _INT_FORMATS[type_number]
        if len(payload) != struct.calcsize(fmt):
            raise ValueError(f"{_NUMBER_TYPES[type_number]} value of {len(payload)} bytes")
        return _NUMBER_TYPES[type_number], int(struct.unpack(fmt, payload)[0])
    if type_number in (_STRING, _NUL_STRING):
        return "string", payload.split(b"\0", 1)[0].decode(errors="replace")
    if type_number == _BINARY:
        return "binary", payload.hex()
    raise ValueError(f"unknown param value type {type_number}")


def _fmsg_value(type_number: int, payload: bytes | None) -> object:
    """One fmsg value: a flag carries a u8 (0 or 1) in current kernels, nothing in none."""
    if type_number == _FLAG:
        return bool(payload and payload[0])
    return decode_param_data(type_number, payload)[1]


class _Nest:
    """An fmsg nest being read: an object, a pair or an array (or the root that holds them)."""

    __slots__ = ("kind", "name", "values")

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.name = ""
        self.values: list[object] = []  # an object's: (name, value) pairs; others': values

    def result(self) -> object:
        """What the nest reads as in its parent."""
        if self.kind == FMSG_PAIR_NEST_START:
            return self.values[0] if len(self.values) == 1 else list(self.values)
        if self.kind == FMSG_ARR_NEST_START:
            return list(self.values)
        return dict(_pairs(self.values))


def _pairs(values: list[object]) -> Iterable[tuple[str, object]]:
    """The (name, value) pairs of an object's values (and of dicts directly inside the root)."""
    for item in values:
        if isinstance(item, tuple):
            yield item[0], item[1]
        elif isinstance(item, dict):
            yield from item.items()


def fmsg_tree(tokens: Iterable[tuple[int, bytes | None]]) -> dict[str, object]:
    """The object a health reporter's diagnose (fmsg) token stream describes.

    Tokens are ``(attribute number, payload)`` in wire order, concatenated across the messages of
    a multipart reply; other attribute numbers are skipped. A name repeated in one object keeps its
    last value; a pair holding several values reads as their list. ValueError if the stream closes
    a nest that is not open or puts a value where no pair or array is open.
    """
    stack = [_Nest(0)]  # the root: the object the devlink core opens around the driver's output
    flag_pending = False  # a flag type was read; its data may follow (a u8) or not (false)
    value_type: int | None = None
    for number, payload in tokens:
        if flag_pending and number != FMSG_OBJ_VALUE_DATA:
            _put_value(stack[-1], False)
        flag_pending = False
        if number in (FMSG_OBJ_NEST_START, FMSG_PAIR_NEST_START, FMSG_ARR_NEST_START):
            stack.append(_Nest(number))
        elif number == FMSG_NEST_END:
            if len(stack) == 1:
                raise ValueError("fmsg: a nest end with no nest open")
            done = stack.pop()
            parent = stack[-1]
            if done.kind == FMSG_PAIR_NEST_START:
                parent.values.append((done.name, done.result()))
            else:
                _put_value(parent, done.result())
        elif number == FMSG_OBJ_NAME:
            stack[-1].name = (payload or b"").split(b"\0", 1)[0].decode(errors="replace")
        elif number == FMSG_OBJ_VALUE_TYPE:
            value_type = (payload or b"\0")[0]
            flag_pending = value_type == _FLAG
        elif number == FMSG_OBJ_VALUE_DATA:
            if value_type is None:
                raise ValueError("fmsg: value data with no value type before it")
            _put_value(stack[-1], _fmsg_value(value_type, payload))
            value_type = None
    if flag_pending:
        _put_value(stack[-1], False)
    if len(stack) != 1:
        raise ValueError(f"fmsg: {len(stack) - 1} nest(s) left open")
    return dict(_pairs(stack[0].values))


def _put_value(nest: _Nest, value: object) -> None:
    """Add a value (or a finished object or array) to the open nest; the root takes objects only."""
    if nest.kind == FMSG_OBJ_NEST_START or (nest.kind == 0 and not isinstance(value, dict)):
        raise ValueError(f"fmsg: a value ({value!r}) outside any pair or array")
    nest.values.append(value)
