"""A devlink-like command line for any ``DevlinkPort``: ``main(argv, port)``.

Purpose: the commands of iproute2's ``devlink`` that the switchdev provider's device needs, with
the same words, the same way of reading them (``impl.switchdev.devlink_cli_syntax``: combined
options such as ``-jp``, ``-V``, commands and keywords by unambiguous prefix, ``help`` at every
level) and the same output (``impl.switchdev.devlink_cli_format``), over whichever backend is
given: the simulated device or the real kernel (``NetlinkDevlink``). ``SYNTAX`` lists them
(``devlink help`` prints it)::

    [-j] [-p] [-V] dev show [DEV] | dev info [DEV]
    dev reload [DEV] [action { driver_reinit | fw_activate }] [limit no_reset]
    dev eswitch show [DEV] | dev eswitch set [DEV] mode MODE
    dev param show [DEV [name NAME]] | dev param set [DEV] name NAME value VALUE cmode CMODE
    dev fault show [DEV] | dev fault set [DEV] KNOB VALUE ... | dev fault clear [DEV]
    port show [DEV[/INDEX]] | resource show [DEV] | resource set [DEV] path PATH size SIZE
    health show [DEV [reporter NAME]] | health recover [DEV] reporter NAME
    health diagnose [DEV] reporter NAME | health dump { show | clear } [DEV] reporter NAME

Promises:

- DEV is ``bus/dev``; a show command without DEV covers every device; any other command (and a
  show naming a param or reporter) may leave DEV out only when the port has exactly one device;
- VALUE is parsed by the param's own type (read from the port first): ASCII decimal digits within
  the type's range for the integer types (u8, u16, u32, u64; a value out of range is refused naming
  the range), ``true``/``false`` for bool, hex digits for binary, as is for string; SIZE is ASCII
  decimal digits within u64 and a port INDEX within u32 (``impl.switchdev.devlink_values.
  parse_decimal``: no "²", no Arabic-Indic digits, no 5000-digit number, never a traceback);
- what only some ports can do is asked of the port only if it has it (``PortExtras``): a reload
  action other than driver_reinit or a reload limit (``reload_action``), health dumps
  (``health_dump``, ``health_dump_clear``), fault injection as netdevsim exposes it in debugfs
  (``faults``, ``set_faults``: the knobs of ``SimDevice.set_faults``); elsewhere the command is
  refused with EOPNOTSUPP, as the kernel refuses what a driver does not implement;
- ``-j`` prints one JSON document as iproute2 does (``-p``: indented); ``dev reload`` prints the
  reload actions performed, as iproute2 does; any other command that only acts prints nothing;
  ``-V`` prints the version; ``help`` (or ``-h``) anywhere prints the syntax of the commands under
  the words before it, on stdout, and exits 0;
- exit status 0 on success; 2 for a usage error (an unknown or ambiguous command or keyword, a
  missing or repeated one, a malformed handle, a value that does not parse, DEV left out when the
  port does not have exactly one device); 1 for a refusal: a ``DevlinkError`` from the port, or a
  device or port that does not exist. Every error is one line on stderr starting ``devlink:`` and
  naming the command and the problem (with the errno name for a refusal); nothing goes to stdout
  then.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from impl.switchdev import devlink_cli_format as fmt
from impl.switchdev.devlink_cli_extras import (
    FAULT_KNOBS,
    dev_reload,
    fault_clear,
    fault_set,
    fault_show,
    health_dump_clear,
    health_dump_show,
)
from impl.switchdev.devlink_cli_syntax import (
    Call,
    Help,
    Refusal,
    Spec,
    UsageError,
    keyword,
    parse_options,
    resolve,
    usage,
)
from impl.switchdev.devlink_values import parse_decimal
from impl.switchdev.ports import CMODES, ESWITCH_MODES, DevHandle, DevlinkError, DevlinkPort

__all__ = ["COMMANDS", "SYNTAX", "USAGE", "main", "version"]

_REPORTER = "[DEV] reporter NAME"


def _dev_show(call: Call) -> None:
    for dev in call.devs:
        fmt.dev_show(call.out, call.text, dev)


def _dev_info(call: Call) -> None:
    for dev in call.devs:
        fmt.dev_info(call.out, call.text, dev, call.port.info(dev))


def _eswitch_show(call: Call) -> None:
    for dev in call.devs:
        fmt.eswitch_show(call.out, call.text, dev, call.port.eswitch_get(dev))


def _eswitch_set(call: Call) -> None:
    mode = call.keys["mode"]
    if mode not in ESWITCH_MODES:
        raise UsageError(f"unknown eswitch mode {mode!r} (one of {', '.join(ESWITCH_MODES)})")
    call.port.eswitch_set(call.dev, mode)


def _param_show(call: Call) -> None:
    for dev in call.devs:
        fmt.param_show(call.out, call.text, dev, call.port.param_get(dev, call.keys.get("name")))


def _parse_value(kind: str, text: str, name: str) -> int | str | bool:
    if kind == "bool":
        if text not in ("true", "false"):
            raise UsageError(f"param {name} is a bool: value must be true or false, not {text!r}")
        return text == "true"
    if kind in fmt.INT_BITS:
        try:
            return parse_decimal(text, fmt.INT_BITS[kind])
        except ValueError as exc:
            raise UsageError(f"param {name} is a {kind}: {exc}") from None
    if kind == "binary" and not _is_hex(text):
        raise UsageError(f"param {name} is binary: value must be pairs of hex digits, not {_shown(text)}")
    return text


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def _param_set(call: Call) -> None:
    name, cmode = call.keys["name"], call.keys["cmode"]
    if cmode not in CMODES:
        raise UsageError(f"unknown cmode {cmode!r} (one of {', '.join(CMODES)})")
    current = call.port.param_get(call.dev, name)
    if not current:
        raise DevlinkError(errno.EINVAL, f"no param {name}")
    call.port.param_set(call.dev, name, _parse_value(current[0].type, call.keys["value"], name), cmode)


def _port_show(call: Call) -> None:
    for dev in call.devs:
        ports = call.port.ports(dev)
        if call.port_index is not None:
            ports = [p for p in ports if p.index == call.port_index]
            if not ports:
                raise Refusal(f"no port {dev}/{call.port_index} (ENODEV)")
        fmt.port_show(call.out, call.text, dev, ports)


def _resource_show(call: Call) -> None:
    for dev in call.devs:
        fmt.resource_show(call.out, call.text, dev, call.port.resource_dump(dev))


def _resource_set(call: Call) -> None:
    try:
        size = parse_decimal(call.keys["size"], 64)
    except ValueError as exc:
        raise UsageError(f"size must be a non-negative integer: {exc}") from None
    call.port.resource_set(call.dev, call.keys["path"], size)


def _health_show(call: Call) -> None:
    for dev in call.devs:
        reporters = call.port.health(dev)
        if "reporter" in call.keys:
            reporters = [r for r in reporters if r.name == call.keys["reporter"]]
            if not reporters:
                raise Refusal(f"no health reporter {call.keys['reporter']} on {dev} (ENOENT)")
        fmt.health_show(call.out, call.text, dev, reporters)


def _health_recover(call: Call) -> None:
    call.port.health_recover(call.dev, call.keys["reporter"])


def _health_diagnose(call: Call) -> None:
    fmt.health_diagnose(call.out, call.text, call.port.health_diagnose(call.dev, call.keys["reporter"]))


COMMANDS: dict[tuple[str, ...], Spec] = {
    ("dev", "show"): Spec(_dev_show, "dev show [DEV]", show="dev"),
    ("dev", "info"): Spec(_dev_info, "dev info [DEV]", show="info"),
    ("dev", "reload"): Spec(
        dev_reload, "dev reload [DEV] [action { driver_reinit | fw_activate }] [limit no_reset]", ("action", "limit")
    ),
    ("dev", "eswitch", "show"): Spec(_eswitch_show, "dev eswitch show [DEV]", show="dev"),
    ("dev", "eswitch", "set"): Spec(
        _eswitch_set, "dev eswitch set [DEV] mode { legacy | switchdev | switchdev_inactive }", ("mode",), 1
    ),
    ("dev", "param", "show"): Spec(_param_show, "dev param show [DEV [name NAME]]", ("name",), show="param"),
    ("dev", "param", "set"): Spec(
        _param_set,
        "dev param set [DEV] name NAME value VALUE cmode { runtime | driverinit | permanent }",
        ("name", "value", "cmode"),
        3,
    ),
    ("dev", "fault", "show"): Spec(fault_show, "dev fault show [DEV]", show="fault"),
    ("dev", "fault", "set"): Spec(
        fault_set,
        "dev fault set [DEV] [fail_next_count N] [fail_next_errno ERRNO] [fail_rate P] [force_full BOOL] "
        "[stuck_queue BOOL] [fail_reload BOOL]",
        FAULT_KNOBS,
    ),
    ("dev", "fault", "clear"): Spec(fault_clear, "dev fault clear [DEV]"),
    ("port", "show"): Spec(_port_show, "port show [DEV[/INDEX]]", show="port"),
    ("resource", "show"): Spec(_resource_show, "resource show [DEV]", show="resource"),
    ("resource", "set"): Spec(_resource_set, "resource set [DEV] path PATH size SIZE", ("path", "size"), 2),
    ("health", "show"): Spec(_health_show, "health show [DEV [reporter NAME]]", ("reporter",), show="health"),
    ("health", "recover"): Spec(_health_recover, f"health recover {_REPORTER}", ("reporter",), 1),
    ("health", "diagnose"): Spec(_health_diagnose, f"health diagnose {_REPORTER}", ("reporter",), 1),
    ("health", "dump", "show"): Spec(health_dump_show, f"health dump show {_REPORTER}", ("reporter",), 1),
    ("health", "dump", "clear"): Spec(health_dump_clear, f"health dump clear {_REPORTER}", ("reporter",), 1),
}

#: Every command's syntax line, in the order ``help`` lists them.
SYNTAX = tuple((words, spec.syntax) for words, spec in COMMANDS.items())

USAGE = (
    "Usage: devlink [ OPTIONS ] OBJECT { COMMAND | help } [ DEV ] [ KEYWORD VALUE ... ]\n"
    "OPTIONS := { -j[son] | -p[retty] | -V[ersion] | -h[elp] } (short ones combine: -jp)\n"
    "Commands and keywords may be abbreviated to any unambiguous prefix (dev sh, d s).\n"
    + "".join(f"  {line}\n" for _, line in SYNTAX)
    + "DEV is BUS/NAME (e.g. sim/ctoffload0); it may be left out when there is exactly one device.\n"
    "fault is the simulated device's fault injection (netdevsim's debugfs knobs; not a kernel devlink command).\n"
)


def _handle(text: str, *, with_port: bool) -> tuple[DevHandle, int | None]:
    """``bus/dev`` (or ``bus/dev/index`` where a port may be named) of a command line."""
    parts = text.split("/")
    if with_port and len(parts) == 3 and all(parts[:2]):
        try:
            return DevHandle(parts[0], parts[1]), parse_decimal(parts[2], 32)
        except ValueError as exc:
            raise UsageError(f"malformed port index in {_shown(text)}: {exc}") from None
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"malformed device handle {_shown(text)} (expected BUS/NAME)")
    return DevHandle(parts[0], parts[1]), None


def _prepare(words: tuple[str, ...], spec: Spec, rest: list[str], port: DevlinkPort) -> Call:
    """The call of a command: its device(s) and keywords checked against the spec and the port."""
    handle = None
    if rest and ("/" in rest[0] or not any(key.startswith(rest[0]) for key in spec.keys)):
        handle, rest = rest[0], rest[1:]
    keys: dict[str, str] = {}
    while rest:
        key = keyword(rest[0], spec.keys)
        if key in keys:
            raise UsageError(f"keyword {key!r} given twice")
        if len(rest) < 2:
            raise UsageError(f"keyword {key!r} needs a value")
        keys[key], rest = rest[1], rest[2:]
    missing = [key for key in spec.keys[: spec.required] if key not in keys]
    if missing:
        raise UsageError(f"missing {' and '.join(missing)}")
    known = port.devices()
    if handle is not None:
        dev, index = _handle(handle, with_port=words == ("port", "show"))
        if dev not in known:
            raise Refusal(f"unknown device {dev} (ENODEV)")
        return Call(port, [dev], keys, index)
    if spec.show and not keys:
        return Call(port, known, keys)
    if len(known) != 1:
        raise UsageError(f"no device given, and the port has {len(known)} devices (name one as BUS/NAME)")
    return Call(port, known, keys)


def version() -> str:
    """``devlink utility, ct-offload VERSION``, as iproute2 says ``devlink utility, iproute2-6.1.0``."""
    from importlib import metadata  # noqa: PLC0415 (only -V needs it; every command would pay its import)

    try:
        return f"devlink utility, ct-offload {metadata.version('ct-offload')}"
    except metadata.PackageNotFoundError:
        return "devlink utility, ct-offload (not installed)"


def _errno_name(number: int | None) -> str:
    """The symbolic name of an errno, preferring the names the kernel's own code uses."""
    preferred = {errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK"}
    return preferred.get(number or 0) or errno.errorcode.get(number or 0, f"errno {number}")


def main(argv: Sequence[str], port: DevlinkPort, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one devlink command line against ``port``; the exit status (see the module docstring)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    words: tuple[str, ...] = ()
    try:
        options, args = parse_options(list(argv))
        if options.version:
            print(version(), file=out)
            return 0
        if options.help or args == ["help"]:
            print(USAGE, end="", file=out)
            return 0
        if not args:
            print(USAGE, end="", file=err)
            return 2
        words = tuple(args[:3])
        full, words, rest = resolve(args, list(COMMANDS))
        words = full
        spec = COMMANDS[full]
        call = _prepare(full, spec, rest, port)
        if spec.show:
            call.out[spec.show] = {}
        spec.run(call)
    except Help as asked:
        print(USAGE if not asked.words else usage(SYNTAX, asked.words), end="", file=out)
        return 0
    except UsageError as exc:
        words = words if exc.where is None else exc.where
        print(f"devlink: {' '.join(words) + ': ' if words else ''}{exc}", file=err)
        return 2
    except Refusal as exc:
        print(f"devlink: {' '.join(words)}: {exc}", file=err)
        return 1
    except DevlinkError as exc:
        print(f"devlink: {' '.join(words)}: {exc.strerror} ({_errno_name(exc.errno)})", file=err)
        return 1
    if options.json and call.out:
        print(json.dumps(call.out, indent=4 if options.pretty else None), file=out)
    elif not options.json and call.text:
        print("\n".join(call.text), file=out)
    return 0
