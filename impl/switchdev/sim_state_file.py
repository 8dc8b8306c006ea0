"""Where the simulated device's devlink configuration lives between commands.

Purpose: ``python -m impl devlink`` changes what the simulated device shows (eswitch mode, params,
resource sizes, faults) and ``python -m impl simulate --provider switchdev`` must see it: both
load and save ``SimDevice.devlink_state()`` in one JSON file. The file holds configuration only,
never offloaded connections.

Promises:

- the default path is ``$CT_OFFLOAD_SIM_STATE`` if set, else
  ``$XDG_STATE_HOME/ct-offload/sim-device.json`` (``~/.local/state`` when XDG_STATE_HOME is unset);
- a missing file means a factory-fresh device;
- ``locked(path)`` holds an exclusive ``flock`` on ``<path>.lock`` (beside the file, created with
  its directory as needed) for a read-modify-write, so concurrent commands lose no update; where
  the lock file cannot be created (a read-only directory) the block runs unlocked: reading needs
  no lock, and a write there fails anyway;
- ``save`` writes a unique temporary file in the same directory, fsyncs it, renames it over the
  file (atomic: a reader sees the old state or the new, never part of one) and fsyncs the
  directory; on failure the temporary file is removed and the old state stays;
- every failure is a ``StateFileError`` (a ValueError) whose message is one line naming the file
  and what is wrong: unreadable (a directory, a FIFO, over ``MAX_BYTES``), not UTF-8, not JSON,
  not a device state (the first bad key), or not writable.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from impl.switchdev.ports import DevlinkError
from impl.switchdev.sim_device import SimDevice

__all__ = ["MAX_BYTES", "StateFileError", "default_path", "load", "lock_path", "locked", "save"]

#: The largest state file read (a state is a few hundred bytes).
MAX_BYTES = 1 << 20


class StateFileError(ValueError):
    """The state file cannot be read or written; the message names the file and the problem."""


def default_path() -> Path:
    """The state file every command uses unless told otherwise."""
    explicit = os.environ.get("CT_OFFLOAD_SIM_STATE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ct-offload" / "sim-device.json"


def lock_path(path: Path) -> Path:
    """The lock file of the state file ``path`` (StateFileError if ``path`` names no file)."""
    if not path.name or path.name in (".", ".."):
        raise StateFileError(f"the simulated device's state {str(path)!r} is not a path to a file")
    return path.with_name(path.name + ".lock")


def _reason(exc: BaseException) -> str:
    """What an exception says, on one line (its first clause)."""
    if isinstance(exc, RecursionError):
        return "nested too deep"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split(";")[0].split()) or type(exc).__name__


def _make_directory(path: Path) -> None:
    """Create the state file's directory as needed (FileExistsError said as what it means)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, f"{path.parent} is not a directory") from None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Run the block holding the exclusive lock of the state file ``path`` (see the module)."""
    fd: int | None = None
    if path.is_dir():
        raise StateFileError(f"cannot read the simulated device's state {path}: Is a directory")
    try:
        _make_directory(path)
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if not (isinstance(exc, PermissionError) or exc.errno == errno.EROFS):
            raise StateFileError(f"cannot lock the simulated device's state {path}: {_reason(exc)}") from None
    if fd is None:  # nobody can write here: reading needs no lock
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise StateFileError(f"cannot lock the simulated device's state {path}: {_reason(exc)}") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _read(path: Path) -> bytes | None:
    """The bytes of the state file (None if there is none); StateFileError if it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block us
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot read the simulated device's state {path}: {_reason(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "Is a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise StateFileError(f"cannot read the simulated device's state {path}: {what}")
        with os.fdopen(os.dup(fd), "rb") as source:
            raw = source.read(MAX_BYTES + 1)
    except OSError as exc:
        raise StateFileError(f"cannot read the simulated device's state {path}: {_reason(exc)}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise StateFileError(f"the simulated device's state {path} is larger than {MAX_BYTES} bytes: not a state")
    return raw


def load(path: Path, *, clock: Callable[[], int]) -> SimDevice:
    """A simulated device configured as ``path`` says (factory-fresh if the file is absent)."""
    device = SimDevice(clock=clock)
    raw = _read(path)
    if raw is None:
        return device
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StateFileError(f"the simulated device's state {path} is not UTF-8 text (byte {exc.start + 1})") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise StateFileError(f"the simulated device's state {path} is not JSON: {exc.msg} at {where}") from None
    except (ValueError, RecursionError) as exc:
        raise StateFileError(
            f"the simulated device's state {path} is not JSON this tool reads: {_reason(exc)}"
        ) from None
    try:
        device.apply_devlink_state(data)
    except (ValueError, TypeError, DevlinkError) as exc:
        raise StateFileError(f"the simulated device's state {path} is not a device state: {_reason(exc)}") from None
    return device


def save(device: SimDevice, path: Path) -> None:
    """Write ``device``'s devlink configuration to ``path`` (directories created as needed),
    atomically; call it inside ``locked(path)`` after loading there."""
    text = json.dumps(device.devlink_state(), indent=2, sort_keys=True) + "\n"
    scratch: str | None = None
    try:
        _make_directory(path)
        fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(fd, _mode_of(path))
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, path)
        scratch = None
        _sync_directory(path.parent)
    except OSError as exc:
        raise StateFileError(f"cannot write the simulated device's state {path}: {_reason(exc)}") from None
    finally:
        if scratch is not None:
            with contextlib.suppress(OSError):
                os.unlink(scratch)


def _mode_of(path: Path) -> int:
    """The permissions the state file keeps (0644 for a new one; mkstemp's are 0600)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
