"""The devlink-visible configuration of the simulated device as JSON-able data, and back.

Purpose: a command line runs one devlink command per process, so it saves the simulated device's
configuration in a file between runs: ``SimDevice.devlink_state`` writes it with ``encode`` and
``SimDevice.apply_devlink_state`` reads it with ``decode``. The data is the eswitch mode, the
params, the ``/ct/entries`` size and pending size, and the fault knobs; never the flow table.

The format (every top-level key optional when decoding; a missing one leaves that part as it is)::

    {"eswitch_mode": "switchdev",
     "params": {"ct_max_offloaded_conns": 4294967295, "ct_action_on_nat_conns": false,
                "ct_labels_mapping": false, "flow_steering_mode": "smfs"},
     "resources": {"/ct/entries": {"size": 65536, "size_new": 65536}},
     "faults": {"fail_next_count": 0, "fail_next_errno": 5, "fail_rate": 0.0,
                "force_full": false, "stuck_queue": false, "fail_reload": false}}

Promises: ``encode`` returns only dicts, strs, ints, floats and bools; ``decode`` checks everything
before returning and raises ValueError naming the first bad key or value (unknown keys included),
so a caller can apply the result all at once or not at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from impl.switchdev.ports import ESWITCH_MODES, DevlinkError
from impl.switchdev.sim_config import MAX_SIZE, Faults, check_param

__all__ = ["ENTRIES_PATH", "StateUpdate", "decode", "encode"]

#: The path of the only sized resource.
ENTRIES_PATH = "/ct/entries"

_TOP_KEYS = ("eswitch_mode", "params", "resources", "faults")


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """A decoded state: each part, or None when the data did not mention it."""

    eswitch_mode: str | None = None
    params: dict[str, int | str | bool] | None = None
    size: int | None = None
    size_new: int | None = None
    faults: dict[str, object] | None = None


def encode(
    mode: str, params: dict[str, int | str | bool], size: int, size_new: int, faults: Faults
) -> dict[str, object]:
    """The JSON-able state (the format in the module docstring)."""
    return {
        "eswitch_mode": mode,
        "params": dict(params),
        "resources": {ENTRIES_PATH: {"size": size, "size_new": size_new}},
        "faults": asdict(faults),
    }


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ValueError(f"devlink state: {where} must be an object with string keys, got {type(value).__name__}")
    return value


def _unknown(data: dict[str, object], known: tuple[str, ...], where: str) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise ValueError(f"devlink state: unknown key {extra[0]!r} in {where} (known: {', '.join(known)})")


def _size(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
        raise ValueError(f"devlink state: {where} must be an int between 1 and {MAX_SIZE}, got {value!r}")
    return value


def decode(data: object) -> StateUpdate:
    """The checked state ``data`` describes (ValueError naming the first problem)."""
    top = _mapping(data, "the state")
    _unknown(top, _TOP_KEYS, "the state")
    mode = top.get("eswitch_mode")
    if mode is not None and mode not in ESWITCH_MODES:
        raise ValueError(f"devlink state: eswitch_mode must be one of {', '.join(ESWITCH_MODES)}, got {mode!r}")
    params: dict[str, int | str | bool] | None = None
    if "params" in top:
        params = {}
        for name, value in _mapping(top["params"], "params").items():
            try:
                params[name] = check_param(name, value)
            except DevlinkError as exc:
                raise ValueError(f"devlink state: params: {exc.strerror}") from None
    size = size_new = None
    if "resources" in top:
        resources = _mapping(top["resources"], "resources")
        _unknown(resources, (ENTRIES_PATH,), "resources")
        if ENTRIES_PATH in resources:
            sizes = _mapping(resources[ENTRIES_PATH], ENTRIES_PATH)
            _unknown(sizes, ("size", "size_new"), ENTRIES_PATH)
            if "size" in sizes:
                size = _size(sizes["size"], f"{ENTRIES_PATH} size")
            if "size_new" in sizes:
                size_new = _size(sizes["size_new"], f"{ENTRIES_PATH} size_new")
    faults: dict[str, object] | None = None
    if "faults" in top:
        faults = _mapping(top["faults"], "faults")
        _unknown(faults, Faults.names(), "faults")
        try:
            Faults(**faults)  # type: ignore[arg-type]  # checked by Faults itself
        except (TypeError, ValueError) as exc:
            raise ValueError(f"devlink state: faults: {exc}") from None
    return StateUpdate(eswitch_mode=mode, params=params, size=size, size_new=size_new, faults=faults)
