"""The simulated switchdev device's configuration, its devlink params and its fault knobs.

Purpose: ``DeviceConfig`` is the table of docs/switchdev.rst ("The simulated device"): what the
device is built with. ``PARAMS`` lists the devlink params of D-PARAM with their types and defaults,
and ``check_param`` validates a value for one of them. ``Faults`` holds the netdevsim-style fault
knobs (``fail_next`` count and errno, ``fail_rate``, ``force_full``, ``stuck_queue``,
``fail_reload``).

Promises:

- ``DeviceConfig`` and ``Faults`` are frozen and valid: construction raises TypeError (wrong type)
  or ValueError (out of range) naming the bad field; bools must be bools and ints must not be;
- ``check_param`` raises ``DevlinkError`` with EINVAL for an unknown name or a value of the wrong
  type or out of range, and otherwise returns the value unchanged.
"""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass, fields

from impl.switchdev.ports import DevlinkError

__all__ = [
    "MAX_SIZE",
    "PARAMS",
    "STEERING_MODES",
    "U32_MAX",
    "DeviceConfig",
    "Faults",
    "ParamSpec",
    "check_param",
    "param_spec",
]

#: The largest u32, ``ct_max_offloaded_conns``'s default (no cap).
U32_MAX = 2**32 - 1

#: The largest ``/ct/entries`` size (D-RESOURCE: 1 <= N <= 2^32).
MAX_SIZE = 2**32

#: ``flow_steering_mode``'s values.
STEERING_MODES: tuple[str, ...] = ("dmfs", "smfs", "hmfs")


def _int_field(owner: str, name: str, value: object, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{owner}.{name} must be {bound}, got {value}")


def _bool_field(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}.{name} must be a bool, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """What the simulated device is built with (docs/switchdev.rst, "The simulated device").

    ``ct_entries``: size of ``/ct/entries``; ``entries_per_conn``: entries a connection costs;
    ``queue_size``: ops the submit queue holds; ``num_vfs``: VF ports in switchdev mode;
    ``t_call_ns`` / ``t_op_ns``: device time a push costs per call / per op; ``stats_period``:
    how often the cached counters refresh (ms); ``accept_new_udp``: UDP offloaded before it is
    established (mlx5) or not (nfp).
    """

    ct_entries: int = 65536
    entries_per_conn: int = 2
    queue_size: int = 1024
    num_vfs: int = 4
    t_call_ns: int = 15000
    t_op_ns: int = 1200
    stats_period: int = 1000
    accept_new_udp: bool = True

    def __post_init__(self) -> None:
        """Refuse an invalid field, naming it."""
        _int_field("DeviceConfig", "ct_entries", self.ct_entries, 1, MAX_SIZE)
        _int_field("DeviceConfig", "entries_per_conn", self.entries_per_conn, 1)
        _int_field("DeviceConfig", "queue_size", self.queue_size, 1)
        _int_field("DeviceConfig", "num_vfs", self.num_vfs, 0, 65535)
        _int_field("DeviceConfig", "t_call_ns", self.t_call_ns, 0)
        _int_field("DeviceConfig", "t_op_ns", self.t_op_ns, 0)
        _int_field("DeviceConfig", "stats_period", self.stats_period, 0)
        _bool_field("DeviceConfig", "accept_new_udp", self.accept_new_udp)


@dataclass(frozen=True, slots=True)
class Faults:
    """The fault knobs: the next ``fail_next_count`` completions fail with ``fail_next_errno``;
    otherwise each fails with EIO with probability ``fail_rate``; ``force_full``: every INSERT is
    refused ENOSPC; ``stuck_queue``: push does nothing; ``fail_reload``: reload fails with EIO."""

    fail_next_count: int = 0
    fail_next_errno: int = errno.EIO
    fail_rate: float = 0.0
    force_full: bool = False
    stuck_queue: bool = False
    fail_reload: bool = False

    def __post_init__(self) -> None:
        """Refuse an invalid knob, naming it."""
        _int_field("Faults", "fail_next_count", self.fail_next_count, 0)
        _int_field("Faults", "fail_next_errno", self.fail_next_errno, 1, 4095)
        rate = self.fail_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise TypeError(f"Faults.fail_rate must be a number, got {type(rate).__name__}")
        if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
            raise ValueError(f"Faults.fail_rate must be between 0 and 1, got {rate!r}")
        for name in ("force_full", "stuck_queue", "fail_reload"):
            _bool_field("Faults", name, getattr(self, name))

    @staticmethod
    def names() -> tuple[str, ...]:
        """The knob names, in declaration order."""
        return tuple(f.name for f in fields(Faults))


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One devlink param of the device: its name, type (``"u32"``, ``"bool"``, ``"string"``) and
    default; every param is runtime-only and driver-specific (not generic)."""

    name: str
    type: str
    default: int | str | bool


#: D-PARAM, in the order ``param show`` lists them.
PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("ct_max_offloaded_conns", "u32", U32_MAX),
    ParamSpec("ct_action_on_nat_conns", "bool", False),
    ParamSpec("ct_labels_mapping", "bool", False),
    ParamSpec("flow_steering_mode", "string", "smfs"),
)

_BY_NAME = {spec.name: spec for spec in PARAMS}


def param_spec(name: object) -> ParamSpec:
    """The param called ``name``; ``DevlinkError(EINVAL)`` if the device has none."""
    spec = _BY_NAME.get(name) if isinstance(name, str) else None
    if spec is None:
        raise DevlinkError(errno.EINVAL, f"Parameter {name!r} not found (known: {', '.join(_BY_NAME)})")
    return spec


def check_param(name: object, value: object) -> int | str | bool:
    """``value`` if it is valid for param ``name``; ``DevlinkError(EINVAL)`` naming what is wrong."""
    spec = param_spec(name)
    if spec.type == "u32":
        if isinstance(value, bool) or not isinstance(value, int):
            raise DevlinkError(errno.EINVAL, f"{spec.name}: a u32 value is expected, got {type(value).__name__}")
        if not 0 <= value <= U32_MAX:
            raise DevlinkError(errno.EINVAL, f"{spec.name}: value {value} is out of the u32 range")
        return value
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise DevlinkError(errno.EINVAL, f"{spec.name}: a bool value is expected, got {type(value).__name__}")
        return value
    if not isinstance(value, str):
        raise DevlinkError(errno.EINVAL, f"{spec.name}: a string value is expected, got {type(value).__name__}")
    if value not in STEERING_MODES:
        raise DevlinkError(
            errno.EINVAL, f"{spec.name}: bad value {value!r}, supported values are {', '.join(STEERING_MODES)}"
        )
    return value
