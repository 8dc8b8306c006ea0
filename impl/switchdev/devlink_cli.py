"""A devlink-like command line for any ``DevlinkPort``: ``main(argv, port)``.

Purpose: the commands of iproute2's ``devlink`` that the switchdev provider's device needs, with
the same words and the same output (``impl.switchdev.devlink_cli_format``), over whichever backend
is given: the simulated device or the real kernel (``NetlinkDevlink``). ``USAGE`` lists them::

    [-j] [-p] dev show [DEV] | dev info [DEV] | dev reload [DEV]
    dev eswitch show [DEV] | dev eswitch set [DEV] mode MODE
    dev param show [DEV [name NAME]] | dev param set [DEV] name NAME value VALUE cmode CMODE
    port show [DEV[/INDEX]] | resource show [DEV] | resource set [DEV] path PATH size SIZE
    health show [DEV [reporter NAME]] | health recover [DEV] reporter NAME
    health diagnose [DEV] reporter NAME

Promises:

- DEV is ``bus/dev``; a show command without DEV covers every device; any other command (and a
  show naming a param or reporter) may leave DEV out only when the port has exactly one device;
- VALUE is parsed by the param's own type (read from the port first): ASCII decimal digits within
  the type's range for the integer types (u8, u16, u32, u64; a value out of range is refused naming
  the range), ``true``/``false`` for bool, hex digits for binary, as is for string; SIZE is ASCII
  decimal digits within u64 and a port INDEX within u32 (``impl.switchdev.devlink_values.
  parse_decimal``: no "²", no Arabic-Indic digits, no 5000-digit number, never a traceback);
- ``-j`` prints one JSON document as iproute2 does (``-p``: indented); a command that only acts
  prints nothing;
- exit status 0 on success; 2 for a usage error (an unknown command or keyword, a missing or
  repeated one, a malformed handle, a value that does not parse, DEV left out when the port does
  not have exactly one device); 1 for a refusal: a ``DevlinkError`` from the port, or a device or
  port that does not exist. Every error is one line on stderr starting ``devlink:`` and naming the
  command and the problem (with the errno name for a refusal); nothing goes to stdout then.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from impl.switchdev import devlink_cli_format as fmt
from impl.switchdev.devlink_values import parse_decimal
from impl.switchdev.ports import CMODES, ESWITCH_MODES, DevHandle, DevlinkError, DevlinkPort

__all__ = ["USAGE", "main"]

USAGE = """\
Usage: devlink [-j] [-p] OBJECT COMMAND [DEV] [KEYWORD VALUE ...]
  dev show [DEV]    dev info [DEV]    dev reload [DEV]
  dev eswitch show [DEV]
  dev eswitch set [DEV] mode { legacy | switchdev | switchdev_inactive }
  dev param show [DEV [name NAME]]
  dev param set [DEV] name NAME value VALUE cmode { runtime | driverinit | permanent }
  port show [DEV[/INDEX]]
  resource show [DEV]
  resource set [DEV] path PATH size SIZE
  health show [DEV [reporter NAME]]
  health recover [DEV] reporter NAME
  health diagnose [DEV] reporter NAME
DEV is BUS/NAME (e.g. sim/ctoffload0); it may be left out when there is exactly one device.
"""


class _UsageError(Exception):
    """The command line is wrong (exit status 2)."""


class _Refusal(Exception):
    """The command names something that does not exist (exit status 1)."""


@dataclass
class _Call:
    """A parsed command: the devices it covers, its keyword values, and what it prints."""

    port: DevlinkPort
    devs: list[DevHandle]
    keys: dict[str, str]
    port_index: int | None = None
    out: dict[str, Any] = field(default_factory=dict)  # the JSON document, filled per device
    text: list[str] = field(default_factory=list)

    @property
    def dev(self) -> DevHandle:
        return self.devs[0]


@dataclass(frozen=True)
class _Spec:
    """A command: its keywords (required ones first: ``required`` of them), whether a show."""

    run: Callable[[_Call], None]
    keys: tuple[str, ...] = ()
    required: int = 0
    show: str = ""  # a show: its JSON key; without DEV it covers every device (unless narrowed)


def _dev_show(call: _Call) -> None:
    for dev in call.devs:
        fmt.dev_show(call.out, call.text, dev)


def _dev_info(call: _Call) -> None:
    for dev in call.devs:
        fmt.dev_info(call.out, call.text, dev, call.port.info(dev))


def _dev_reload(call: _Call) -> None:
    call.port.reload(call.dev)


def _eswitch_show(call: _Call) -> None:
    for dev in call.devs:
        fmt.eswitch_show(call.out, call.text, dev, call.port.eswitch_get(dev))


def _eswitch_set(call: _Call) -> None:
    mode = call.keys["mode"]
    if mode not in ESWITCH_MODES:
        raise _UsageError(f"unknown eswitch mode {mode!r} (one of {', '.join(ESWITCH_MODES)})")
    call.port.eswitch_set(call.dev, mode)


def _param_show(call: _Call) -> None:
    for dev in call.devs:
        fmt.param_show(call.out, call.text, dev, call.port.param_get(dev, call.keys.get("name")))


def _parse_value(kind: str, text: str, name: str) -> int | str | bool:
    if kind == "bool":
        if text not in ("true", "false"):
            raise _UsageError(f"param {name} is a bool: value must be true or false, not {text!r}")
        return text == "true"
    if kind in fmt.INT_BITS:
        try:
            return parse_decimal(text, fmt.INT_BITS[kind])
        except ValueError as exc:
            raise _UsageError(f"param {name} is a {kind}: {exc}") from None
    if kind == "binary" and not _is_hex(text):
        raise _UsageError(f"param {name} is binary: value must be pairs of hex digits, not {_shown(text)}")
    return text


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def _param_set(call: _Call) -> None:
    name, cmode = call.keys["name"], call.keys["cmode"]
    if cmode not in CMODES:
        raise _UsageError(f"unknown cmode {cmode!r} (one of {', '.join(CMODES)})")
    current = call.port.param_get(call.dev, name)
    if not current:
        raise DevlinkError(errno.EINVAL, f"no param {name}")
    call.port.param_set(call.dev, name, _parse_value(current[0].type, call.keys["value"], name), cmode)


def _port_show(call: _Call) -> None:
    for dev in call.devs:
        ports = call.port.ports(dev)
        if call.port_index is not None:
            ports = [p for p in ports if p.index == call.port_index]
            if not ports:
                raise _Refusal(f"no port {dev}/{call.port_index} (ENODEV)")
        fmt.port_show(call.out, call.text, dev, ports)


def _resource_show(call: _Call) -> None:
    for dev in call.devs:
        fmt.resource_show(call.out, call.text, dev, call.port.resource_dump(dev))


def _resource_set(call: _Call) -> None:
    try:
        size = parse_decimal(call.keys["size"], 64)
    except ValueError as exc:
        raise _UsageError(f"size must be a non-negative integer: {exc}") from None
    call.port.resource_set(call.dev, call.keys["path"], size)


def _health_show(call: _Call) -> None:
    for dev in call.devs:
        reporters = call.port.health(dev)
        if "reporter" in call.keys:
            reporters = [r for r in reporters if r.name == call.keys["reporter"]]
            if not reporters:
                raise _Refusal(f"no health reporter {call.keys['reporter']} on {dev} (ENOENT)")
        fmt.health_show(call.out, call.text, dev, reporters)


def _health_recover(call: _Call) -> None:
    call.port.health_recover(call.dev, call.keys["reporter"])


def _health_diagnose(call: _Call) -> None:
    fmt.health_diagnose(call.out, call.text, call.port.health_diagnose(call.dev, call.keys["reporter"]))


COMMANDS: dict[tuple[str, ...], _Spec] = {
    ("dev", "show"): _Spec(_dev_show, show="dev"),
    ("dev", "info"): _Spec(_dev_info, show="info"),
    ("dev", "reload"): _Spec(_dev_reload),
    ("dev", "eswitch", "show"): _Spec(_eswitch_show, show="dev"),
    ("dev", "eswitch", "set"): _Spec(_eswitch_set, ("mode",), 1),
    ("dev", "param", "show"): _Spec(_param_show, ("name",), show="param"),
    ("dev", "param", "set"): _Spec(_param_set, ("name", "value", "cmode"), 3),
    ("port", "show"): _Spec(_port_show, show="port"),
    ("resource", "show"): _Spec(_resource_show, show="resource"),
    ("resource", "set"): _Spec(_resource_set, ("path", "size"), 2),
    ("health", "show"): _Spec(_health_show, ("reporter",), show="health"),
    ("health", "recover"): _Spec(_health_recover, ("reporter",), 1),
    ("health", "diagnose"): _Spec(_health_diagnose, ("reporter",), 1),
}
_OBJECTS = {words[:-1] for words in COMMANDS}


def _command(args: list[str]) -> tuple[tuple[str, ...], _Spec, list[str]]:
    """The command ``args`` start with (a bare object means its show), and the arguments left."""
    for size in (3, 2):
        words = tuple(args[:size])
        if words in COMMANDS:
            return words, COMMANDS[words], args[size:]
    for size in (2, 1):
        if len(args) == size and tuple(args) in _OBJECTS:
            return (*args, "show"), COMMANDS[(*args, "show")], []
    raise _UsageError(f"unknown command {' '.join(args[:3])!r} (devlink help lists them)")


def _handle(text: str, *, with_port: bool) -> tuple[DevHandle, int | None]:
    """``bus/dev`` (or ``bus/dev/index`` where a port may be named) of a command line."""
    parts = text.split("/")
    if with_port and len(parts) == 3 and all(parts[:2]):
        try:
            return DevHandle(parts[0], parts[1]), parse_decimal(parts[2], 32)
        except ValueError as exc:
            raise _UsageError(f"malformed port index in {_shown(text)}: {exc}") from None
    if len(parts) != 2 or not all(parts):
        raise _UsageError(f"malformed device handle {_shown(text)} (expected BUS/NAME)")
    return DevHandle(parts[0], parts[1]), None


def _prepare(words: tuple[str, ...], spec: _Spec, rest: list[str], port: DevlinkPort) -> _Call:
    """The call of a command: its device(s) and keywords checked against the spec and the port."""
    handle = None
    if rest and rest[0] not in spec.keys:
        handle, rest = rest[0], rest[1:]
    keys: dict[str, str] = {}
    while rest:
        key = rest[0]
        if key not in spec.keys:
            raise _UsageError(f"unknown keyword {key!r} (expected {' | '.join(spec.keys) or 'nothing'})")
        if key in keys:
            raise _UsageError(f"keyword {key!r} given twice")
        if len(rest) < 2:
            raise _UsageError(f"keyword {key!r} needs a value")
        keys[key], rest = rest[1], rest[2:]
    missing = [key for key in spec.keys[: spec.required] if key not in keys]
    if missing:
        raise _UsageError(f"missing {' and '.join(missing)}")
    known = port.devices()
    if handle is not None:
        dev, index = _handle(handle, with_port=words == ("port", "show"))
        if dev not in known:
            raise _Refusal(f"unknown device {dev} (ENODEV)")
        return _Call(port, [dev], keys, index)
    if spec.show and not keys:
        return _Call(port, known, keys)
    if len(known) != 1:
        raise _UsageError(f"no device given, and the port has {len(known)} devices (name one as BUS/NAME)")
    return _Call(port, known, keys)


def _errno_name(number: int | None) -> str:
    """The symbolic name of an errno, preferring the names the kernel's own code uses."""
    preferred = {errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK"}
    return preferred.get(number or 0) or errno.errorcode.get(number or 0, f"errno {number}")


def main(argv: Sequence[str], port: DevlinkPort, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one devlink command line against ``port``; the exit status (see the module docstring)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    args = list(argv)
    as_json = pretty = False
    while args and args[0].startswith("-"):
        option = args.pop(0)
        if option in ("-j", "--json"):
            as_json = True
        elif option in ("-p", "--pretty"):
            pretty = True
        elif option in ("-h", "--help"):
            args = ["help"]
        else:
            print(f"devlink: unknown option {option!r}", file=err)
            return 2
    if args in ([], ["help"]):
        print(USAGE, end="", file=out if args else err)
        return 0 if args else 2
    words: tuple[str, ...] = tuple(args[:3])
    try:
        words, spec, rest = _command(args)
        call = _prepare(words, spec, rest, port)
        if spec.show:
            call.out[spec.show] = {}
        spec.run(call)
    except _UsageError as exc:
        print(f"devlink: {' '.join(words)}: {exc}", file=err)
        return 2
    except _Refusal as exc:
        print(f"devlink: {' '.join(words)}: {exc}", file=err)
        return 1
    except DevlinkError as exc:
        print(f"devlink: {' '.join(words)}: {exc.strerror} ({_errno_name(exc.errno)})", file=err)
        return 1
    if as_json and call.out:
        print(json.dumps(call.out, indent=4 if pretty else None), file=out)
    elif not as_json and call.text:
        print("\n".join(call.text), file=out)
    return 0
