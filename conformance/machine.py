"""Sequential conformance: a Hypothesis state machine driving impl and the model side by side.

Purpose: layer 1 of the suite (docs/conformance.rst). Each rule applies one op (register, unregister, the six
single ops, a batch with invalid types and NULL connections) to both ``ModelRunner`` and
``ImplRunner`` and compares the whole observable: the result, the provider call trace and the mark
of every connection of the pool; an invariant compares the dummy providers' own state (entries and
counters). Providers are drawn by ``conformance.strategies.provider``: scripted (with and without
``batch_submit``, some raising), and the RFC's dummy.

Promises: ``layer_machine(profile)`` returns a machine class for that profile; a failure prints the
rule sequence as a Python program, shrunk by Hypothesis.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conformance import summary
from conformance.impl_target import ImplRunner
from conformance.model_target import ModelRunner
from conformance.scenario import ProviderDecl, parse_scenario
from conformance.strategies import CONNS, batch_op, connections, defined_for, lifecycle, provider
from model.conn import Ctx
from model.ops import (
    Add,
    BatchOp,
    CanOffload,
    Delete,
    Established,
    Flush,
    LayerOp,
    QueryMark,
    Register,
    SubmitBatch,
    Unregister,
    Update,
    batch_kind,
)
from model.provider import DummyState
from model.state import LayerState
from model.switchdev import SwitchdevState
from model.vocab import OpType, Profile

JSON = Any
POOL = range(4)


class LayerMachine(RuleBasedStateMachine):
    """impl against the model, op by op, under ``profile``."""

    profile: Profile = Profile.STRICT

    def __init__(self) -> None:
        super().__init__()
        self.decls: tuple[ProviderDecl, ...] = ()
        self.now = 1
        self.model: ModelRunner | None = None
        self.impl: ImplRunner | None = None

    @initialize(
        providers=st.lists(provider(), max_size=3),
        slot=st.sampled_from([True, True, True, False]),
        conns=st.one_of(st.just({}), connections()),
    )
    def setup(self, providers: list[dict[str, JSON]], slot: bool, conns: dict[str, JSON]) -> None:
        parsed = parse_scenario(
            {"providers": providers, "conns": conns, "steps": [{"do": "add", "conn": c} for c in POOL]}
        )
        self.decls = parsed.providers
        self.ctxs = {c: step.op.ctx for c, step in zip(POOL, parsed.steps, strict=True) if isinstance(step.op, Add)}
        self.model = ModelRunner(self.decls, self.profile, private_slot=slot)
        self.impl = ImplRunner(self.decls, self.profile, private_slot=slot)
        for i in range(len(self.decls)):
            self.both(Register(provider=i))

    def ctx(self, conn: int, netdev: str | None = None) -> Ctx:
        """The ctx of ``conn`` (with the attributes the run drew for it)."""
        return replace(self.ctxs[conn], netdev_in=netdev)

    def both(self, op: LayerOp) -> None:
        """Apply ``op`` to both sides and compare result, trace and every mark of the pool."""
        assert self.model is not None and self.impl is not None
        self.now += 1
        expected, expected_trace = self.model.apply(op, self.now)
        got, got_trace = self.impl.apply(op, self.now)
        assert got_trace == expected_trace, f"trace of {op}:\n impl  {got_trace}\n model {expected_trace}"
        assert got == expected, f"result of {op}: impl {got!r}, model {expected!r}"
        for conn in POOL:
            assert self.impl.mark(conn) == self.model.mark(conn), f"mark of {conn} after {op}"
        event(f"{type(op).__name__}:{_outcome(expected)}")
        summary.count("compared")

    @precondition(lambda self: len(self.decls) > 0)
    @rule(data=st.data())
    def register(self, data: st.DataObject) -> None:
        self.both(Register(provider=data.draw(st.integers(0, len(self.decls) - 1))))

    @precondition(lambda self: len(self.decls) > 0)
    @rule(data=st.data())
    def unregister(self, data: st.DataObject) -> None:
        self.both(Unregister(provider=data.draw(st.integers(0, len(self.decls) - 1))))

    @rule(conn=CONNS, netdev=st.sampled_from([None, "eth0"]))
    def add(self, conn: int, netdev: str | None) -> None:
        self.both(Add(ctx=self.ctx(conn, netdev)))

    @rule(conn=CONNS)
    def delete(self, conn: int) -> None:
        self.both(Delete(ctx=self.ctx(conn)))

    @rule(conn=CONNS)
    def update(self, conn: int) -> None:
        self.both(Update(ctx=self.ctx(conn)))

    @rule(conn=CONNS, netdev=st.sampled_from([None, "eth1"]))
    def established(self, conn: int, netdev: str | None) -> None:
        self.both(Established(ctx=self.ctx(conn, netdev)))

    @rule(conn=CONNS)
    def can_offload(self, conn: int) -> None:
        self.both(CanOffload(ctx=self.ctx(conn)))

    @rule()
    def flush(self) -> None:
        self.both(Flush())

    @rule(raw=st.lists(batch_op(), max_size=6))
    def batch(self, raw: list[list[JSON]]) -> None:
        self.both(SubmitBatch(ops=self.batch_ops(raw)))

    @rule(raw=lifecycle())
    def batch_lifecycle(self, raw: list[list[JSON]]) -> None:
        self.both(SubmitBatch(ops=self.batch_ops(raw)))

    def batch_ops(self, raw: list[list[JSON]]) -> tuple[BatchOp, ...]:
        """``[TYPE, CONN]`` pairs as batch ops on this run's connections (without the ops whose
        result the profile leaves undefined, RFC-NULL)."""
        return tuple(
            BatchOp(
                kind=batch_kind(OpType[k] if isinstance(k, str) else k),
                ctx=Ctx(conn=None) if c is None else self.ctx(c),
            )
            for k, c in defined_for(self.profile, raw)
        )

    @rule(conn=CONNS)
    def query_mark(self, conn: int) -> None:
        self.both(QueryMark(conn=conn))

    @invariant()
    def devices_agree(self) -> None:
        """Each switchdev provider's device holds the same connections on both sides."""
        if self.model is None or self.impl is None:
            return
        assert_devices_agree(self.model.state, self.impl)

    @invariant()
    def dummies_agree(self) -> None:
        if self.model is None or self.impl is None:
            return
        for index, dummy in self.impl.dummies.items():
            state = self.model.state.pstate(index)
            assert isinstance(state, DummyState)
            counters = (state.n_added, state.n_deleted, state.n_updated, state.n_established)
            assert (dummy.n_added, dummy.n_deleted, dummy.n_updated, dummy.n_established) == counters
            for conn in POOL:
                assert dummy.contains(conn) == state.contains(conn)


def assert_devices_agree(layer: LayerState, impl: ImplRunner) -> None:
    """Each of ``impl``'s switchdev providers and its device hold what the model's provider state
    ``layer.pstate(index)`` says: the device table (entry cost, established), the health error
    count, and the connections the provider believes programmed."""
    for index, (hardware, device) in impl.switchdevs.items():
        state = layer.pstate(index)
        assert isinstance(state, SwitchdevState)
        expected = {i: (e.cost, e.established) for i, e in state.device.table.items()}
        assert {i: (e.cost, e.established) for i, e in device.table().items()} == expected
        assert device.health().err_count == state.device.health.err_count
        assert set(hardware.programmed()) == {i for i, k in state.known.items() if k != "waiting"}


def _outcome(result: object) -> str:
    if isinstance(result, tuple):
        return "batch"
    return repr(result)


def layer_machine(profile: Profile) -> type[LayerMachine]:
    """The machine class for ``profile``."""
    return type(f"LayerMachine_{profile.name}", (LayerMachine,), {"profile": profile})
