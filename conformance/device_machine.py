"""The switchdev provider and its simulated device against the pure device model, faults included.

Purpose: conformance of the hardware provider, checked against the device model as the dispatch
layer is checked against its model (docs/switchdev.rst). ``ProviderMachine`` drives impl's
``SwitchdevProvider`` over a ``SimDevice`` and the model's ``Switchdev`` behaviour over
``model.device`` side by side: batches and single callbacks on connections of every kind,
deterministic faults (failures of the next completions, a full table, a stuck queue), devlink
changes (eswitch mode, params, resource size and reload, health recovery) and traffic; after every
step it compares the answers, the device's table, configuration and health, and the provider's view.
``EngineMachine`` drives the engine alone with the random ``fail_rate`` fault, accepting any
outcome the model allows and following the observed one.

Promises: a failure prints the steps as a program; the provider's view and the device's table
are equal on both sides after every step, whatever the faults.
"""

from __future__ import annotations

import errno
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conformance import summary
from conformance.scenario import parse_scenario
from conformance.strategies import connections
from impl.batch import BatchEntry
from impl.switchdev.ports import DevlinkError, EngineOp, EngineOpKind
from impl.switchdev.provider import SwitchdevProvider
from impl.switchdev.sim_config import DeviceConfig as ImplConfig
from impl.switchdev.sim_device import SimDevice
from impl.switchdev.sim_devlink import SIM_HANDLE, SimDevlink
from impl.switchdev.sim_engine import SimEngine
from model import device as dev_model
from model import device_engine as engine_model
from model.conn import ConnRef, Ctx
from model.device import DeviceConfig, DeviceState, new_device
from model.ops import BatchOp, BatchResult, batch_kind
from model.switchdev import ESTABLISHED, PROGRAMMED, SwitchdevState
from model.switchdev import batch as model_batch
from model.vocab import OpType

JSON = Any
CONNS = st.integers(0, 5)
KINDS = st.sampled_from(["ADD", "ADD", "EST", "EST", "UPD", "DEL", "POLICY", "FLUSH", 9])
SMALL = st.fixed_dictionaries({"ct_entries": st.sampled_from([4, 6, 20]), "queue_size": st.sampled_from([1, 2, 8])})


def pool_refs(attrs: dict[str, JSON]) -> dict[int, ConnRef]:
    """The pool's connections (ids 0 to 5) with the drawn ``conns`` attributes, as the scenario
    protocol builds them."""
    parsed = parse_scenario({"conns": attrs, "steps": [{"do": "add", "conn": c} for c in range(6)]})
    refs: dict[int, ConnRef] = {}
    for s in parsed.steps:
        ctx = getattr(s.op, "ctx", None)
        assert isinstance(ctx, Ctx) and ctx.conn is not None
        refs[ctx.conn.id] = ctx.conn
    return refs


class ProviderSteps(RuleBasedStateMachine):
    """The provider's callbacks and time, step by step, against the model's ``Switchdev``
    behaviour; subclasses build ``provider``, ``refs`` and ``model`` in their ``initialize``."""

    side = "impl"  # how failures name the side under test

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000
        self.model: SwitchdevState | None = None
        self.provider: SwitchdevProvider
        self.refs: dict[int, ConnRef]

    @rule(ops=st.lists(st.tuples(KINDS, st.one_of(CONNS, st.none())), min_size=1, max_size=6))
    def batch(self, ops: list[tuple[JSON, int | None]]) -> None:
        assert self.model is not None
        kinds = [OpType[k] if isinstance(k, str) else k for k, _ in ops]
        ctxs = [Ctx(conn=None) if c is None else Ctx(conn=self.refs[c]) for _, c in ops]
        entries = [
            BatchEntry(kind=batch_kind(k), ctx=ctx, index=i) for i, (k, ctx) in enumerate(zip(kinds, ctxs, strict=True))
        ]
        self.provider.batch_submit(entries)
        items = tuple((i, BatchOp(kind=e.kind, ctx=e.ctx)) for i, e in enumerate(entries))
        self.model, expected = model_batch(self.model, items, self.now)
        got = tuple(BatchResult(error=e.error, last_used=e.last_used) for e in entries)
        assert got == expected, f"batch {ops}: {self.side} {got}, model {expected}"
        summary.count("compared")

    @rule(kind=st.sampled_from(["ADD", "EST", "UPD", "DEL"]), conn=CONNS)
    def single(self, kind: str, conn: int) -> None:
        assert self.model is not None
        ctx = Ctx(conn=self.refs[conn])
        calls = {
            "ADD": self.provider.conn_add,
            "EST": self.provider.conn_established,
            "UPD": self.provider.conn_update,
            "DEL": self.provider.conn_del,
        }
        got = calls[kind](ctx)
        self.model, (result,) = model_batch(self.model, ((None, BatchOp(kind=OpType[kind], ctx=ctx)),), self.now)
        expected = result.last_used if kind == "UPD" else result.error
        assert got == expected, f"{kind} {conn}: {self.side} {got}, model {expected}"
        summary.count("compared")

    @rule(ms=st.sampled_from([1, 500, 1000, 5000]))
    def wait(self, ms: int) -> None:
        self.now += ms

    def assert_view(self) -> None:
        """The provider's view (programmed, established, waiting) is the model's."""
        assert self.model is not None
        known = self.model.known
        assert self.provider.programmed() == {
            i: k == ESTABLISHED for i, k in known.items() if k in (PROGRAMMED, ESTABLISHED)
        }
        assert set(self.provider.waiting()) == {i for i, k in known.items() if k == "waiting"}


class ProviderMachine(ProviderSteps):
    """impl's switchdev provider and device against the model, with faults."""

    @initialize(size=SMALL, attrs=connections(), udp_new=st.booleans())
    def setup(self, size: dict[str, int], attrs: dict[str, JSON], udp_new: bool) -> None:
        config: dict[str, Any] = {**size, "accept_new_udp": udp_new}
        self.refs = pool_refs(attrs)
        self.provider, self.device = SwitchdevProvider.simulated(
            ImplConfig(**config), clock=lambda: self.now, timeout=0.001
        )
        self.devlink = SimDevlink(self.device)
        self.model = SwitchdevState(device=new_device(DeviceConfig(**config)))

    @rule(conn=CONNS)
    def traffic(self, conn: int) -> None:
        assert self.model is not None
        self.device.hit(conn)
        self.model = replace(self.model, device=engine_model.hit(self.model.device, conn, self.now))

    # Faults.

    @rule(count=st.integers(1, 3), error=st.sampled_from([errno.EIO, errno.ENOMEM, errno.EBUSY]))
    def fail_next(self, count: int, error: int) -> None:
        self._faults(fail_next_count=count, fail_next_errno=error)

    @rule(on=st.booleans())
    def force_full(self, on: bool) -> None:
        self._faults(force_full=on)

    @rule(on=st.booleans())
    def stuck_queue(self, on: bool) -> None:
        self._faults(stuck_queue=on)

    @rule(on=st.booleans())
    def fail_reload(self, on: bool) -> None:
        self._faults(fail_reload=on)

    def _faults(self, **changes: Any) -> None:
        assert self.model is not None
        self.device.set_faults(**changes)
        device = self.model.device
        self.model = replace(self.model, device=replace(device, faults=replace(device.faults, **changes)))

    # Devlink.

    def _devlink(self, call: Any, model_call: Any) -> None:
        assert self.model is not None
        try:
            call()
            got = 0
        except DevlinkError as exc:
            got = exc.errno or 0
        device, expected = model_call(self.model.device)
        self.model = replace(self.model, device=device)
        assert got == expected, f"devlink: impl {got}, model {expected}"

    @rule(mode=st.sampled_from(["legacy", "switchdev", "switchdev_inactive", "bogus"]))
    def eswitch(self, mode: str) -> None:
        self._devlink(lambda: self.devlink.eswitch_set(SIM_HANDLE, mode), lambda d: dev_model.eswitch_set(d, mode))
        self.provider.refresh()

    @rule(
        name=st.sampled_from(["ct_max_offloaded_conns", "ct_labels_mapping", "flow_steering_mode", "nope"]),
        value=st.sampled_from([1, 2, 100, True, False, "smfs", "xyz"]),
        cmode=st.sampled_from(["runtime", "runtime", "driverinit", "bogus"]),
    )
    def param(self, name: str, value: JSON, cmode: str) -> None:
        self._devlink(
            lambda: self.devlink.param_set(SIM_HANDLE, name, value, cmode),
            lambda d: dev_model.param_set(d, name, value, cmode),
        )
        self.provider.refresh()

    @rule(path=st.sampled_from(["/ct/entries", "/ct", "/x"]), size=st.sampled_from([0, 2, 4, 64]))
    def resource(self, path: str, size: int) -> None:
        self._devlink(
            lambda: self.devlink.resource_set(SIM_HANDLE, path, size), lambda d: dev_model.resource_set(d, path, size)
        )

    @rule()
    def reload(self) -> None:
        self._devlink(lambda: self.devlink.reload(SIM_HANDLE), dev_model.reload)

    @rule()
    def recover(self) -> None:
        self._devlink(
            lambda: self.devlink.health_recover(SIM_HANDLE, "ct_offload"), lambda d: (dev_model.health_recover(d), 0)
        )

    @invariant()
    def agree(self) -> None:
        if self.model is None:
            return
        device: DeviceState = self.model.device
        expected = {i: (e.cost, e.established, e.last_used, e.packets) for i, e in device.table.items()}
        assert {i: (e.cost, e.established, e.last_used, e.packets) for i, e in self.device.table().items()} == expected
        assert self.device.queue_depth == len(device.queue)
        assert (self.device.size, self.device.size_new, self.device.eswitch_mode) == (
            device.size,
            device.size_new,
            device.eswitch,
        )
        health = self.device.health()
        assert (health.state, health.err_count, health.recover_count) == (
            device.health.state,
            device.health.err_count,
            device.health.recover_count,
        )
        self.assert_view()
        assert set(self.provider.programmed()) == set(self.device.table())  # the view equals the device


class EngineMachine(RuleBasedStateMachine):
    """impl's simulated engine alone against the model's, with random completion failures."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.tag = 0
        self.model: DeviceState | None = None

    @initialize(size=SMALL, rate=st.sampled_from([0.0, 0.3, 1.0]), seed=st.integers(0, 99))
    def setup(self, size: dict[str, int], rate: float, seed: int) -> None:
        self.device = SimDevice(ImplConfig(**size), clock=lambda: self.now, seed=seed)  # type: ignore[arg-type]
        self.device.set_faults(fail_rate=rate)
        self.engine = SimEngine(self.device)
        model = new_device(DeviceConfig(**size))  # type: ignore[arg-type]
        self.model = replace(model, faults=replace(model.faults, fail_rate=rate))

    @rule(
        kind=st.sampled_from(["insert", "insert", "update", "remove", "flush"]), conn=CONNS, established=st.booleans()
    )
    def submit(self, kind: str, conn: int, established: bool) -> None:
        assert self.model is not None
        self.tag += 1
        ref = None if kind == "flush" else ConnRef.synthetic(conn)
        got = self.engine.submit(EngineOp(kind=EngineOpKind(kind), conn=ref, tag=self.tag, established=established))
        self.model, expected = engine_model.submit(self.model, kind, ref, self.tag, established=established)
        assert got == expected, f"submit {kind} {conn}: impl {got}, model {expected}"

    @rule()
    def push_and_poll(self) -> None:
        assert self.model is not None
        allowed = engine_model.push_allowed(self.model)
        self.now += 1
        self.engine.push()
        observed = tuple(r.error for r in self.engine.poll())
        assert len(observed) == len(allowed), f"{len(observed)} completions for {len(allowed)} queued ops"
        assert all(o in a for o, a in zip(observed, allowed, strict=True)), f"outcomes {observed} not within {allowed}"
        self.model, ok = engine_model.push_with(self.model, self.now, observed)
        assert ok, f"outcomes {observed} not allowed by the model in order"
        self.model, _ = engine_model.poll(self.model)
        summary.count("compared")

    @invariant()
    def agree(self) -> None:
        if self.model is None:
            return
        assert set(self.device.table()) == {i for i, _ in self.model.table.items()}
        assert self.device.queue_depth == len(self.model.queue)
