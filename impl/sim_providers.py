"""The providers a tracker simulation runs on, the faults it injects, and what it watches of them.

Purpose: ``PROVIDERS`` maps a provider name to a factory that gets the simulation's clock (and,
as keywords, the device faults and resource size the user asked for, and the seed of the fault
draws) and returns a ``ProviderSetup``: the classes to register, each wrapped by a
``ProviderProbe`` that counts what the layer asks of the provider and what it answers; the
provider's occupancy; the ``hardware`` hook the simulation offers established flows' traffic to
(``SimDevice.hit``: the device's counters and last-used times); and what the summary says of the
device. ``dummy`` is the RFC's dummy provider (no hardware: every packet stays in software, and
the dummy answers every UPD with the current time), ``none`` registers nothing, ``switchdev`` is
the switchdev provider on the embedded simulated device, configured as ``python -m impl devlink``
left it (``impl.switchdev.sim_state_file``) with the command line's faults on top.

Promises:

- a factory called with only the clock behaves as before this module had keywords (faults off,
  the state file's configuration, seed 0); ``faults`` and ``entries`` on a provider without a
  device are a ValueError naming the provider, and bad knobs a TypeError or ValueError naming the
  knob (``SimDevice.set_faults``), before anything runs;
- the switchdev provider waits for no wall time: the simulated device completes every op at push,
  so a queue that does not complete (``stuck_queue``) answers ETIMEDOUT at once, and the run never
  depends on how fast the machine is;
- a ``ProviderProbe`` changes no answer: it counts each callback's calls and results (by errno
  name) and the UPD ops of each ``batch_submit``; its counters are read under its own lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar

from impl.batch import BatchEntry
from impl.clock import VirtualClock
from impl.dummy import DummyProvider
from impl.provider import OffloadClass
from impl.switchdev import sim_state_file
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_device import SimDevice
from impl.switchdev.sim_state import ENTRIES_PATH
from model.conn import Ctx
from model.vocab import OpType, errno_name

__all__ = ["PROVIDERS", "ProviderFactory", "ProviderProbe", "ProviderSetup"]

_R = TypeVar("_R")


def _result(value: object) -> str:
    """A callback's answer as a counter key: ``ok`` or the errno's name."""
    if isinstance(value, int) and not isinstance(value, bool) and value:
        return errno_name(value)
    return "ok"


@dataclass
class ProviderProbe:
    """Counts of what the layer asked a provider and what it answered (``ok`` or an errno name)."""

    adds: Counter[str] = field(default_factory=Counter)
    dels: Counter[str] = field(default_factory=Counter)
    ests: Counter[str] = field(default_factory=Counter)
    upd_ops: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    native: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wrap(self, cls: OffloadClass) -> OffloadClass:
        """``cls`` with the same name and members, each counted here on its way through."""
        add, delete, update, est, submit = cls.conn_add, cls.conn_del, cls.conn_update, cls.conn_established, None
        if cls.batch_submit is not None:
            inner = cls.batch_submit
            self.native = True

            def submit(entries: list[BatchEntry]) -> None:
                ops = sum(1 for entry in entries if entry.kind is OpType.UPD)
                with self._lock:
                    self.upd_ops += ops
                    if ops:
                        self.batch_sizes.append(ops)
                inner(entries)

        return OffloadClass(
            cls.name,
            init=cls.init,
            batch_submit=submit,
            conn_add=None if add is None else self._counted(add, self.adds),
            conn_del=None if delete is None else self._counted(delete, self.dels),
            conn_update=None if update is None else self._updates(update),
            conn_established=None if est is None else self._counted(est, self.ests),
            can_offload=cls.can_offload,
            flush=cls.flush,
        )

    def _counted(self, callback: Callable[[Ctx], _R], into: Counter[str]) -> Callable[[Ctx], _R]:
        def counted(ctx: Ctx) -> _R:
            answer = callback(ctx)
            with self._lock:
                into[_result(answer)] += 1
            return answer

        return counted

    def _updates(self, callback: Callable[[Ctx], int]) -> Callable[[Ctx], int]:
        def counted(ctx: Ctx) -> int:
            with self._lock:
                self.upd_ops += 1
            return callback(ctx)

        return counted

    def take_batches(self) -> tuple[int, list[int]]:
        """The UPD ops asked and the sizes of the native batches handed over since the last call."""
        with self._lock:
            ops, sizes = self.upd_ops, self.batch_sizes
            self.upd_ops, self.batch_sizes = 0, []
            return ops, sizes

    def totals(self) -> dict[str, dict[str, int]]:
        """Every counter of results, by callback."""
        with self._lock:
            return {"conn_add": dict(self.adds), "conn_del": dict(self.dels), "conn_established": dict(self.ests)}


@dataclass(frozen=True, slots=True)
class ProviderSetup:
    """What a provider factory returns: the classes to register and the provider's occupancy;
    optionally ``on_packet(flow, conn_id)`` (one packet as hardware traffic, for callers that feed
    the device themselves), ``details()`` (a one-line description of the device for the summary),
    ``hardware(conn_id)`` (forward one exchange in hardware: whether the device had the
    connection), the ``probe`` counting the layer's calls, the device itself and its fault knobs
    when the run starts (``fail_next_count`` goes down as the device uses it up)."""

    classes: tuple[OffloadClass, ...]
    occupancy: Callable[[], int]
    on_packet: Callable[[int, int], None] | None = None
    details: Callable[[], str] | None = None
    hardware: Callable[[int], bool] | None = None
    probe: ProviderProbe = field(default_factory=ProviderProbe)
    device: SimDevice | None = None
    faults_at_start: dict[str, object] | None = None


class ProviderFactory(Protocol):
    """``factory(clock, *, faults=None, entries=None, seed=0)``: a provider set up for one run."""

    def __call__(
        self,
        clock: VirtualClock,
        *,
        faults: Mapping[str, object] | None = None,
        entries: int | None = None,
        seed: int = 0,
    ) -> ProviderSetup: ...


def _no_device(name: str, faults: Mapping[str, object] | None, entries: int | None) -> None:
    if faults or entries is not None:
        raise ValueError(f"the {name!r} provider has no device: faults and --device-entries need --provider switchdev")


def _dummy(
    clock: VirtualClock, *, faults: Mapping[str, object] | None = None, entries: int | None = None, seed: int = 0
) -> ProviderSetup:
    """The RFC's dummy provider, answering the virtual clock as its last-used time."""
    _no_device("dummy", faults, entries)
    dummy = DummyProvider(clock=clock.now)
    probe = ProviderProbe()
    return ProviderSetup(classes=(probe.wrap(dummy.offload_class("dummy")),), occupancy=lambda: len(dummy), probe=probe)


def _none(
    clock: VirtualClock, *, faults: Mapping[str, object] | None = None, entries: int | None = None, seed: int = 0
) -> ProviderSetup:
    """No provider at all: what offload does with nobody to take a connection."""
    _no_device("none", faults, entries)
    return ProviderSetup(classes=(), occupancy=lambda: 0)


def _switchdev(
    clock: VirtualClock, *, faults: Mapping[str, object] | None = None, entries: int | None = None, seed: int = 0
) -> ProviderSetup:
    """The switchdev provider on the embedded simulated device, as ``python -m impl devlink`` left
    it, with ``faults`` and an ``entries`` size of ``/ct/entries`` on top."""
    provider, device = SwitchdevProvider.simulated(clock=clock.now, seed=seed, timeout=0.0)
    saved = sim_state_file.load(sim_state_file.default_path(), clock=clock.now)  # python -m impl devlink's
    device.apply_devlink_state(saved.devlink_state())
    if entries is not None:
        device.set_resource_size(ENTRIES_PATH, entries)
        device.reload()
    if faults:
        knobs: dict[str, Any] = dict(faults)  # SimDevice.set_faults checks each one
        device.set_faults(**knobs)
    provider.refresh()
    probe = ProviderProbe()

    def on_packet(flow: int, conn_id: int) -> None:
        device.hit(conn_id)

    def hardware(conn_id: int) -> bool:
        return device.hit(conn_id, packets=2, bytes=128)

    def details() -> str:
        health = device.health()
        return (
            f"{device.conns} connections, occ {device.occupancy}/{device.size} entries, "
            f"device time {device.busy_ns / 1e6:.2f} ms, health {health.state} (errors: {health.err_count})"
        )

    return ProviderSetup(
        classes=(probe.wrap(provider.offload_class()),),
        occupancy=lambda: device.conns,
        on_packet=on_packet,
        details=details,
        hardware=hardware,
        probe=probe,
        device=device,
        faults_at_start=asdict(device.faults),
    )


#: Provider name -> factory.
PROVIDERS: dict[str, ProviderFactory] = {
    "dummy": _dummy,
    "none": _none,
    "switchdev": _switchdev,
}
