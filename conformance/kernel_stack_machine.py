"""The whole strict stack on the kernel engine, with faults: no hardware entry is ever leaked.

Purpose: STRICT-KEEP and TRACK-RETRY promise that a removal the device failed is kept and retried,
so that once faults stop, the device holds exactly the connections whose mark is not NONE. The
tracker machine checks that on the simulated device; this machine checks it on the real kernel
path: impl's strict ``ConnTracker`` over an ``OffloadLayer`` whose one provider is the switchdev
provider on the ctnetlink engine, in a private network namespace. The kernel has no fault
injection, so ``FaultyEngine`` stands between the provider and the engine and fails the next
REMOVE or FLUSH ops it is given before they reach the kernel, as a NIC that failed to remove an
entry would: the kernel keeps the entry. Packets, expiry (time passes), flushes, sweeps and faults
are drawn; ``settle`` stops the faults and sweeps.

After ``settle`` the kernel's own table, read independently (``conformance.kernel_dump``), holds an
entry for exactly the connections the layer marks as held by the provider (less those still
waiting for their establishment, P-ADD), each a connection of the tracker's table, and nothing is
left waiting for removal.

Promises: ``KernelStackMachine`` needs CAP_NET_ADMIN and ctnetlink (``probe``); it opens one
namespace per example and closes it in ``teardown``; the host's table is never touched.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from conformance.kernel_dump import KernelDump
from impl.layer import OffloadLayer
from impl.switchdev.ctnetlink import CtnetlinkEngine
from impl.switchdev.ports import EngineOp, EngineOpKind, EngineResult, FlowStats
from impl.switchdev.provider import SwitchdevProvider
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.conn import ConnRef
from model.vocab import Profile

FLOW_COUNT = 6
FLOWS = st.integers(0, FLOW_COUNT - 1)


class FaultyEngine:
    """An ``OffloadEngine`` that fails the next ``failures`` REMOVE and FLUSH ops it is submitted
    (each completes with ``error`` at the next ``poll``, and never reaches the inner engine), and
    passes every other call through."""

    def __init__(self, inner: CtnetlinkEngine) -> None:
        self.inner = inner
        self.failures = 0
        self.error = errno.EIO
        self._failed: list[EngineResult] = []

    def submit(self, op: EngineOp) -> int:
        if self.failures and op.kind in (EngineOpKind.REMOVE, EngineOpKind.FLUSH):
            self.failures -= 1
            self._failed.append(EngineResult(tag=op.tag, error=self.error))
            return 0
        return self.inner.submit(op)

    def push(self) -> None:
        self.inner.push()

    def poll(self, max_results: int | None = None) -> list[EngineResult]:
        failed, self._failed = self._failed, []
        return failed + self.inner.poll(max_results)

    def cancel(self, tags: Sequence[int]) -> list[int]:
        mine = {result.tag for result in self._failed} & set(tags)
        self._failed = [result for result in self._failed if result.tag not in mine]
        return sorted(mine) + self.inner.cancel([tag for tag in tags if tag not in mine])

    def query(self, conn_ids: Sequence[int]) -> dict[int, FlowStats]:
        return self.inner.query(conn_ids)

    def capacity(self) -> tuple[int, int]:
        return self.inner.capacity()

    def close(self) -> None:
        self.inner.close()


class KernelStackMachine(RuleBasedStateMachine):
    """Strict tracker -> layer -> switchdev provider -> (faults) -> kernel conntrack table."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.engine: FaultyEngine | None = None
        self.dump: KernelDump | None = None
        self.tracker: ConnTracker | None = None
        self.provider: SwitchdevProvider | None = None

    @initialize(batch_sweep=st.booleans(), udp_new=st.booleans())
    def setup(self, batch_sweep: bool, udp_new: bool) -> None:
        inner = CtnetlinkEngine.open(max_conns=64, queue_size=8, clock=lambda: self.now)
        self.engine = FaultyEngine(inner)
        self.dump = KernelDump(inner.namespace)
        self.provider = SwitchdevProvider(self.engine, accept_new_udp=udp_new, timeout=1.0)
        layer = OffloadLayer(Profile.STRICT)
        config = TrackerConfig(batch_sweep=batch_sweep, requested=(self.provider.name,))
        assert register_providers(layer, [self.provider.offload_class()], config) == [0]
        self.tracker = ConnTracker(layer, config)

    def teardown(self) -> None:
        if self.dump is not None:
            self.dump.close()
        if self.engine is not None:
            self.engine.close()

    @property
    def stack(self) -> tuple[ConnTracker, FaultyEngine]:
        assert self.tracker is not None and self.engine is not None
        return self.tracker, self.engine

    @rule(gap=st.sampled_from([1_000, 20_000, 61_000]))
    def wait(self, gap: int) -> None:
        self.now += gap

    @rule(flow=FLOWS)
    def commit(self, flow: int) -> None:
        self.stack[0].commit(flow, self.now)

    @rule(flow=FLOWS)
    def reply(self, flow: int) -> None:
        self.stack[0].reply(flow, self.now)

    @rule(flow=FLOWS)
    def flush_flow(self, flow: int) -> None:
        self.stack[0].flush_flow(flow, self.now)

    @rule()
    def flush_all(self) -> None:
        self.stack[0].flush_all(self.now)

    @rule()
    def sweep(self) -> None:
        self.stack[0].sweep(self.now)

    @rule(count=st.integers(1, 3), error=st.sampled_from([errno.EIO, errno.ETIMEDOUT]))
    def fail_removals(self, count: int, error: int) -> None:
        """The next ``count`` REMOVE or FLUSH ops fail and leave the kernel's entries."""
        engine = self.stack[1]
        engine.failures, engine.error = count, error

    @rule()
    def settle(self) -> None:
        """Faults stop, one sweep runs: the kernel holds exactly what the marks say."""
        tracker, engine = self.stack
        engine.failures = 0
        tracker.sweep(self.now)
        assert tracker.removing() == (), f"removals still pending: {tracker.removing()}"
        layer, provider, dump = tracker.layer, self.provider, self.dump
        assert provider is not None and dump is not None
        held = {c for c in layer.marks() if provider.offload_class() in layer.holders(c)} - provider.waiting()
        table = tracker.table()
        assert held <= set(table), f"held connections missing from the tracker's table: {held - set(table)}"
        # The kernel keys entries by tuple: read each flow's, and count the whole table.
        held_flows = {table[conn_id][0] for conn_id in held}
        in_kernel = {flow for flow in range(FLOW_COUNT) if dump.get(ConnRef.synthetic(flow)) is not None}
        assert in_kernel == held_flows, f"flows in the kernel: {sorted(in_kernel)}, held: {sorted(held_flows)}"
        assert dump.count() == len(held), f"the kernel holds {dump.count()} entries, the marks say {sorted(held)}"
