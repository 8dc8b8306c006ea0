"""The devlink commands only some ports can carry out: reload actions, health dumps, fault injection.

Purpose: ``impl.switchdev.devlink_cli`` speaks to any ``DevlinkPort``; the kernel's devlink also
has reload actions and limits (``dev reload DEV action fw_activate``), health reporter dumps
(``health dump show|clear``), and netdevsim exposes fault injection in debugfs. A port that can do
these has the methods of ``PortExtras`` (the simulated device's tool port,
``impl.switchdev.sim_devlink_tool.SimDevlinkTool``, has them all); this module holds the commands
that use them, ``dev fault show|set|clear`` being our own command for the knobs netdevsim keeps in
debugfs.

Promises: a port without the method a command needs gets the command refused with EOPNOTSUPP
("... is not supported by this device"), as the kernel refuses what a driver does not implement;
``dev reload`` without an action or limit is the plain ``DevlinkPort.reload`` (driver_reinit);
fault values are typed by the knob's current value (bool: ``true``/``false``; probability: a
decimal from 0 to 1; count: a u32; an errno knob also takes a name such as ``EIO``), each a usage
error naming the knob otherwise; ``dev fault set`` needs at least one knob; ``dev fault clear``
sets every knob back to its default.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from typing import Any, Protocol

from impl.switchdev import devlink_cli_format as fmt
from impl.switchdev.devlink_cli_syntax import Call, UsageError
from impl.switchdev.devlink_values import parse_decimal
from impl.switchdev.ports import DevHandle, DevlinkError

__all__ = [
    "FAULT_DEFAULTS",
    "FAULT_KNOBS",
    "RELOAD_ACTIONS",
    "RELOAD_LIMITS",
    "PortExtras",
    "dev_reload",
    "fault_clear",
    "fault_set",
    "fault_show",
    "health_dump_clear",
    "health_dump_show",
]

#: ``DEVLINK_RELOAD_ACTION_*`` names, and the one reload limit.
RELOAD_ACTIONS = ("driver_reinit", "fw_activate")
RELOAD_LIMITS = ("no_reset",)


class PortExtras(Protocol):
    """What a port may add to ``DevlinkPort`` (each method is looked up, never required)."""

    def reload_action(self, dev: DevHandle, action: str, limit: str | None) -> list[str]:
        """Reload with ``action`` (and ``limit``); the actions performed."""
        ...

    def health_dump(self, dev: DevHandle, reporter: str) -> dict[str, object]:
        """The reporter's dump (the stored one, else one taken now)."""
        ...

    def health_dump_clear(self, dev: DevHandle, reporter: str) -> None:
        """Drop the reporter's stored dump."""
        ...

    def faults(self, dev: DevHandle) -> dict[str, int | float | bool]:
        """The fault knobs and their values."""
        ...

    def set_faults(self, dev: DevHandle, changes: dict[str, int | float | bool]) -> None:
        """Set some fault knobs (DevlinkError EINVAL for a bad one; then nothing changed)."""
        ...


#: The fault knobs ``dev fault set`` takes (``impl.switchdev.sim_config.Faults``) and their defaults.
FAULT_DEFAULTS: dict[str, int | float | bool] = {
    "fail_next_count": 0,
    "fail_next_errno": errno.EIO,
    "fail_rate": 0.0,
    "force_full": False,
    "stuck_queue": False,
    "fail_reload": False,
}
FAULT_KNOBS = tuple(FAULT_DEFAULTS)
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def _extra(call: Call, method: str, what: str) -> Callable[..., Any]:
    """The port's optional ``method``; EOPNOTSUPP naming ``what`` when it has none."""
    found = getattr(call.port, method, None)
    if not callable(found):
        raise DevlinkError(errno.EOPNOTSUPP, f"{what} is not supported by this device")
    return found  # type: ignore[no-any-return]  # PortExtras says what it returns


def dev_reload(call: Call) -> None:
    """``dev reload``: driver_reinit through ``reload``, any other action or a limit through
    ``reload_action``; prints the actions performed."""
    action, limit = call.keys.get("action", "driver_reinit"), call.keys.get("limit")
    if action not in RELOAD_ACTIONS:
        raise UsageError(f"unknown reload action {action!r} (one of {', '.join(RELOAD_ACTIONS)})")
    if limit is not None and limit not in RELOAD_LIMITS:
        raise UsageError(f"unknown reload limit {limit!r} (one of {', '.join(RELOAD_LIMITS)})")
    if action == "driver_reinit" and limit is None:
        call.port.reload(call.dev)
        performed = ["driver_reinit"]
    else:
        what = f"reload action {action}" + ("" if limit is None else f" with limit {limit}")
        performed = list(_extra(call, "reload_action", what)(call.dev, action, limit))
    fmt.reload_performed(call.out, call.text, performed)


def health_dump_show(call: Call) -> None:
    """``health dump show``: the reporter's dump, printed as a diagnosis."""
    reporter = call.keys["reporter"]
    dump = _extra(call, "health_dump", f"a dump of health reporter {reporter}")(call.dev, reporter)
    fmt.health_diagnose(call.out, call.text, dump)


def health_dump_clear(call: Call) -> None:
    """``health dump clear``: drop the reporter's stored dump."""
    reporter = call.keys["reporter"]
    _extra(call, "health_dump_clear", f"a dump of health reporter {reporter}")(call.dev, reporter)


def fault_show(call: Call) -> None:
    """``dev fault show``: every fault knob of each device."""
    for dev in call.devs:
        fmt.fault_show(call.out, call.text, dev, _extra(call, "faults", "fault injection")(dev))


def _fault_value(name: str, current: object, text: str) -> int | float | bool:
    """``text`` as a value of the fault knob ``name`` (typed by its current value)."""
    if isinstance(current, bool):
        if text not in ("true", "false"):
            raise UsageError(f"fault {name} is a bool: value must be true or false, not {_shown(text)}")
        return text == "true"
    if isinstance(current, float):
        value = float(text) if _DECIMAL.fullmatch(text) else -1.0
        if not 0.0 <= value <= 1.0:
            raise UsageError(f"fault {name} is a probability: value must be from 0 to 1, not {_shown(text)}")
        return value
    if name.endswith("errno") and text.isascii() and text.isupper():
        number = getattr(errno, text, None)
        if isinstance(number, int):
            return number
    try:
        return parse_decimal(text, 32)
    except ValueError as exc:
        raise UsageError(f"fault {name}: {exc}") from None


def fault_set(call: Call) -> None:
    """``dev fault set``: the knobs named, each value typed by the knob."""
    if not call.keys:
        raise UsageError(f"name at least one fault to set ({' | '.join(FAULT_KNOBS)})")
    current = _extra(call, "faults", "fault injection")(call.dev)
    changes = {name: _fault_value(name, current.get(name), text) for name, text in call.keys.items()}
    _extra(call, "set_faults", "fault injection")(call.dev, changes)


def fault_clear(call: Call) -> None:
    """``dev fault clear``: every knob back to its default."""
    current = _extra(call, "faults", "fault injection")(call.dev)
    _extra(call, "set_faults", "fault injection")(call.dev, {name: FAULT_DEFAULTS[name] for name in current})
