"""impl as a scenario target: the scenario's providers become real ``impl`` provider classes.

Purpose: ``python -m conformance scenarios --target impl`` and the sequential conformance machines
drive ``impl.layer.OffloadLayer`` through ``ImplRunner``. Scripted providers are real
``impl.provider.OffloadClass`` objects whose callbacks answer from the scenario's tables (the
scenario's inputs, shared with the model target); a ``dummy`` provider is impl's own
``impl.dummy.DummyProvider``. Every callback is wrapped to record the call trace, independently of
the layer.

Promises: the trace records exactly the callbacks the layer invoked, in order; the layer under test
is used only through its public API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, assert_never

from conformance.model_target import scripted_behaviour
from conformance.outcome import Outcome, run_scenario
from conformance.scenario import ProviderDecl, Scenario
from impl.batch import Batch, BatchEntry
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_config import DeviceConfig as SimDeviceConfig
from impl.switchdev.sim_device import SimDevice
from model.conn import Ctx
from model.ops import (
    Add,
    BatchOp,
    Call,
    CanOffload,
    Delete,
    Established,
    Flush,
    InvalidType,
    LayerOp,
    QueryMark,
    Register,
    Result,
    SubmitBatch,
    Unregister,
    Update,
)
from model.vocab import Callback, Mark, Profile

T = TypeVar("T")


class ScriptedFailure(RuntimeError):
    """What a scripted provider's callback raises when the scenario says it raises."""


@dataclass(slots=True)
class Recorder:
    """The trace of provider calls, appended to by every wrapped callback."""

    calls: list[Call] = field(default_factory=list)


def _wrap(recorder: Recorder, name: str, callback: Callback, func: Callable[..., T]) -> Callable[..., T]:
    def recorded(*args: object) -> T:
        arg = args[0] if args else None
        if callback is Callback.BATCH:
            assert isinstance(arg, list)
            batch = tuple(BatchOp(kind=e.kind, ctx=e.ctx) for e in arg if isinstance(e, BatchEntry))
            recorder.calls.append(Call(provider=name, callback=callback, batch=batch))
        else:
            conn = arg.conn_id if isinstance(arg, Ctx) else None
            recorder.calls.append(Call(provider=name, callback=callback, conn=conn))
        return func(*args)

    return recorded


_FIELDS = {
    Callback.INIT: "init",
    Callback.BATCH: "batch_submit",
    Callback.ADD: "conn_add",
    Callback.DEL: "conn_del",
    Callback.UPD: "conn_update",
    Callback.EST: "conn_established",
    Callback.CAN: "can_offload",
    Callback.FLUSH: "flush",
}


def recorded(cls: OffloadClass, recorder: Recorder) -> OffloadClass:
    """A class with the same name and callbacks as ``cls``, each recording its calls first."""
    wrapped: dict[str, object] = {}
    for callback, attr in _FIELDS.items():
        func = getattr(cls, attr)
        if func is not None:
            wrapped[attr] = _wrap(recorder, cls.name, callback, func)
    return OffloadClass(name=cls.name, **wrapped)  # type: ignore[arg-type]


def scripted_class(decl: ProviderDecl) -> OffloadClass:
    """A real provider class answering from ``decl``'s tables (raising where it says so)."""
    behaviour = scripted_behaviour(decl)

    def check(callback: Callback) -> None:
        if callback in decl.raises:
            raise ScriptedFailure(f"{decl.name}.{callback.value} raises, as the scenario says")

    def init() -> int:
        check(Callback.INIT)
        return behaviour.init_result

    def conn_add(ctx: Ctx) -> int:
        check(Callback.ADD)
        return behaviour.add((), ctx, 0)[1]

    def conn_del(ctx: Ctx) -> None:
        check(Callback.DEL)

    def conn_update(ctx: Ctx) -> int:
        check(Callback.UPD)
        return behaviour.update((), ctx, 0)[1]

    def conn_established(ctx: Ctx) -> None:
        check(Callback.EST)

    def can_offload(ctx: Ctx) -> bool:
        check(Callback.CAN)
        return behaviour.can((), ctx, 0)[1]

    def flush() -> None:
        check(Callback.FLUSH)

    def batch_submit(entries: list[BatchEntry]) -> None:
        check(Callback.BATCH)
        for entry in entries:
            answer = behaviour.batch_answer(entry.index, BatchOp(kind=entry.kind, ctx=entry.ctx))
            entry.error, entry.last_used = answer.error, answer.last_used

    present = {
        Callback.INIT: init,
        Callback.BATCH: batch_submit,
        Callback.ADD: conn_add,
        Callback.DEL: conn_del,
        Callback.UPD: conn_update,
        Callback.EST: conn_established,
        Callback.CAN: can_offload,
        Callback.FLUSH: flush,
    }
    funcs = {_FIELDS[cb]: func for cb, func in present.items() if cb in decl.callbacks}
    return OffloadClass(name=decl.name, **funcs)  # type: ignore[arg-type]


class ImplRunner:
    """Drives one ``impl.layer.OffloadLayer`` through a scenario's ops."""

    def __init__(self, providers: tuple[ProviderDecl, ...], profile: Profile, *, private_slot: bool = True) -> None:
        self.recorder = Recorder()
        self.now = 0
        self.layer = OffloadLayer(profile, private_slot=private_slot)
        self.dummies: dict[int, DummyProvider] = {}
        self.switchdevs: dict[int, tuple[SwitchdevProvider, SimDevice]] = {}
        self.classes = [self._make(i, decl) for i, decl in enumerate(providers)]

    def _make(self, index: int, decl: ProviderDecl) -> OffloadClass:
        if decl.kind == "switchdev":
            config = SimDeviceConfig(**dict(decl.device))  # type: ignore[arg-type]
            provider, device = SwitchdevProvider.simulated(config, clock=lambda: self.now, name=decl.name)
            self.switchdevs[index] = (provider, device)
            return recorded(provider.offload_class(), self.recorder)
        if decl.kind == "dummy":
            dummy = DummyProvider(clock=lambda: self.now)
            self.dummies[index] = dummy
            return recorded(dummy.offload_class(decl.name), self.recorder)
        return recorded(scripted_class(decl), self.recorder)

    def apply(self, op: LayerOp, now: int) -> tuple[Result, tuple[Call, ...]]:
        """Apply ``op`` at ``now`` through impl's public API: its result and the calls it made."""
        self.now = now
        start = len(self.recorder.calls)
        result = self._call(op)
        return result, tuple(self.recorder.calls[start:])

    def perform(self, op: LayerOp) -> Result:
        """Apply ``op`` without slicing the trace (safe to call from several threads at once)."""
        return self._call(op)

    def _call(self, op: LayerOp) -> Result:
        layer = self.layer
        match op:
            case Register(provider=i):
                return layer.register(self.classes[i])
            case Unregister(provider=i):
                layer.unregister(self.classes[i])
                return None
            case Add(ctx=ctx):
                return layer.conn_add(ctx)
            case Delete(ctx=ctx):
                layer.conn_del(ctx)
                return None
            case Update(ctx=ctx):
                return layer.conn_update(ctx)
            case Established(ctx=ctx):
                layer.conn_established(ctx)
                return None
            case CanOffload(ctx=ctx):
                return layer.can_offload(ctx)
            case Flush():
                layer.flush()
                return None
            case SubmitBatch(ops=ops):
                batch = Batch()
                for bop in ops:
                    batch.add(bop.kind.raw if isinstance(bop.kind, InvalidType) else bop.kind, bop.ctx)
                layer.submit(batch)
                return batch.results()
            case QueryMark(conn=conn):
                return layer.mark(conn)
            case _:
                assert_never(op)

    def mark(self, conn: int) -> Mark:
        """The mark impl reports for ``conn``."""
        return self.layer.mark(conn)


def run_on_impl(scenario: Scenario, profile: Profile) -> Outcome:
    """Run ``scenario`` on impl under ``profile``."""
    return run_scenario(scenario, ImplRunner(scenario.providers, profile, private_slot=scenario.private_slot))
