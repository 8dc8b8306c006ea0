"""The simulated device's offload engine: ``OffloadEngine`` over a ``SimDevice``.

Purpose: ``SimEngine`` is how the switchdev provider programs the simulated device's flow table,
with the asynchronous shape of rte_flow's async API (``impl.switchdev.ports.OffloadEngine``):
``submit`` queues an op or refuses it at once (ENG-SUBMIT), ``push`` completes the queue
(ENG-PUSH), ``poll`` returns completions (ENG-POLL), ``cancel`` withdraws queued ops (ENG-CANCEL),
``query`` returns cached stats (ENG-QUERY), ``capacity`` is ``(entries in use, size)``.

Promises: the rules are the device's, unchanged. The device's completions are not per engine, so
one device should have one engine. ``close`` is idempotent: it withdraws the ops still queued (no
result will come for them; the programmed connections stay on the device) and afterwards
``submit`` answers ENODEV, ``push`` does nothing, and ``poll``, ``cancel`` and ``query`` answer
nothing; ``capacity`` still reads the device.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

from impl.switchdev.ports import EngineOp, EngineResult, FlowStats
from impl.switchdev.sim_device import SimDevice

__all__ = ["SimEngine"]


class SimEngine:
    """``OffloadEngine`` over one ``SimDevice``."""

    def __init__(self, device: SimDevice) -> None:
        """The engine of ``device``."""
        if not isinstance(device, SimDevice):
            raise TypeError(f"SimEngine: device must be a SimDevice, got {type(device).__name__}")
        self._device = device
        self._closed = False

    @property
    def device(self) -> SimDevice:
        """The device this engine programs."""
        return self._device

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def submit(self, op: EngineOp) -> int:
        """ENG-SUBMIT: 0 (queued) or the errno refusing it (ENODEV once closed)."""
        if self._closed:
            return errno.ENODEV
        return self._device.submit(op)

    def push(self) -> None:
        """ENG-PUSH: complete the queue (the ``stuck_queue`` fault: nothing happens)."""
        if not self._closed:
            self._device.push()

    def poll(self, max_results: int | None = None) -> list[EngineResult]:
        """ENG-POLL: completions in completion order, at most ``max_results``."""
        return [] if self._closed else self._device.poll(max_results)

    def cancel(self, tags: Sequence[int]) -> list[int]:
        """ENG-CANCEL: the tags of the queued ops withdrawn."""
        return [] if self._closed else self._device.cancel(tags)

    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]:
        """ENG-QUERY: cached stats of the programmed ones of ``conn_ids``."""
        return {} if self._closed else self._device.query(conn_ids)

    def capacity(self) -> tuple[int, int]:
        """``(entries in use, size)`` of ``/ct/entries``."""
        return self._device.capacity()

    def close(self) -> None:
        """Withdraw the ops still queued and stop programming (idempotent)."""
        if not self._closed:
            self._closed = True
            self._device.cancel([op.tag for op in self._device.queued()])
