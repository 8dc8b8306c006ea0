"""Where the simulated device's devlink configuration lives between commands.

Purpose: ``python -m impl devlink`` changes what the simulated device shows (eswitch mode, params,
resource sizes, faults) and ``python -m impl simulate --provider switchdev`` must see it: both
load and save ``SimDevice.devlink_state()`` in one JSON file. The file holds configuration only,
never offloaded connections.

Promises: the default path is ``$CT_OFFLOAD_SIM_STATE`` if set, else
``$XDG_STATE_HOME/ct-offload/sim-device.json`` (``~/.local/state`` when XDG_STATE_HOME is unset);
a missing file means a factory-fresh device; a file that cannot be read raises ValueError naming
the file and the problem; ``save`` writes atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from impl.switchdev.sim_device import SimDevice


def default_path() -> Path:
    """The state file every command uses unless told otherwise."""
    explicit = os.environ.get("CT_OFFLOAD_SIM_STATE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ct-offload" / "sim-device.json"


def load(path: Path, *, clock: Callable[[], int]) -> SimDevice:
    """A simulated device configured as ``path`` says (factory-fresh if the file is absent)."""
    device = SimDevice(clock=clock)
    if not path.exists():
        return device
    try:
        data = json.loads(path.read_text())
        device.apply_devlink_state(data)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"cannot read the simulated device's state from {path}: {exc}") from exc
    return device


def save(device: SimDevice, path: Path) -> None:
    """Write ``device``'s devlink configuration to ``path`` (directories created as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(path.suffix + ".tmp")
    scratch.write_text(json.dumps(device.devlink_state(), indent=2, sort_keys=True) + "\n")
    scratch.replace(path)
