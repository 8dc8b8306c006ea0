"""The switchdev provider on the kernel (ctnetlink) engine against the pure device model.

Purpose: the second half of the switchdev provider's conformance (docs/switchdev.rst): the same
provider that runs on the simulated device by default, here programming a real kernel conntrack
table in a private network namespace (``impl.switchdev.ctnetlink.CtnetlinkEngine``), checked against
the model's ``Switchdev`` behaviour over a device whose capacity equals the engine's (``ct_entries``
= ``entries_per_conn`` x ``max_conns``) and whose counters are read live (``stats_period`` 0, as
``query`` reads the kernel at every call). The steps are those a kernel path can take: batches and
single callbacks on connections of every kind (eligible or not, NATed, zoned, TCP, UDP, GRE), and
time passing; the device model's faults, devlink and traffic have no kernel counterpart here.

After every step the machine compares each answer, the provider's view (programmed, established,
waiting) with the model's, and the kernel's own table, read independently
(``conformance.kernel_dump``: the entry count and each connection's entry), with the model
device's table (which connections, and which are established); at the end of each example, the
whole kernel table, dumped.

Promises: ``KernelProviderMachine`` needs CAP_NET_ADMIN and ctnetlink (``probe``); it opens one
namespace per example and removes it in ``teardown``, and never touches the host's table.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant
from pyroute2.conntrack import ConntrackEntry
from pyroute2.netlink.nfnetlink.nfctsocket import IPS_ASSURED

from conformance.device_machine import ProviderSteps, pool_refs
from conformance.kernel_dump import KernelDump
from conformance.strategies import connections
from impl.switchdev.ctnetlink import CtnetlinkEngine
from impl.switchdev.provider import SwitchdevProvider
from model.conn import PROTO_GRE, ConnRef
from model.device import DeviceConfig, new_device
from model.switchdev import SwitchdevState

JSON = Any
ZONE_MAX = 65535  # CTA_ZONE is 16 bits
Key = tuple[str, str, int | None, int | None, int]


def entry_key_of(entry: ConntrackEntry) -> Key:
    """The key of an entry as pyroute2 decodes it."""
    t = entry.tuple_orig
    return (t.saddr, t.daddr, t.sport, t.dport, t.proto)


def entry_key(ref: ConnRef) -> Key:
    """How a connection shows in a conntrack dump: its original tuple (pyroute2 decodes no GRE keys)."""
    o = ref.orig
    ports = (None, None) if o.proto == PROTO_GRE else (o.sport, o.dport)
    return (o.src, o.dst, *ports, o.proto)


class KernelProviderMachine(ProviderSteps):
    """impl's switchdev provider on the ctnetlink engine against the model's Switchdev behaviour."""

    side = "kernel path"

    def __init__(self) -> None:
        super().__init__()
        self.engine: CtnetlinkEngine | None = None
        self.dump: KernelDump | None = None

    @initialize(
        max_conns=st.sampled_from([2, 3, 100]),
        queue_size=st.sampled_from([1, 2, 64]),
        attrs=connections(),
        udp_new=st.booleans(),
    )
    def setup(self, max_conns: int, queue_size: int, attrs: dict[str, JSON], udp_new: bool) -> None:
        self.refs = pool_refs(attrs)
        self.engine = CtnetlinkEngine.open(max_conns=max_conns, queue_size=queue_size, clock=lambda: self.now)
        self.dump = KernelDump(self.engine.namespace)
        self.provider = SwitchdevProvider(self.engine, accept_new_udp=udp_new, timeout=1.0)
        # The kernel is read live at every query: a device whose stats cache never lasts.
        config = DeviceConfig(
            ct_entries=2 * max_conns, entries_per_conn=2, queue_size=queue_size, accept_new_udp=udp_new, stats_period=0
        )
        self.model = SwitchdevState(device=new_device(config))

    def teardown(self) -> None:
        """Compare the whole kernel table (GRE entries included) with the model device's, then
        remove the namespace (and every entry in it)."""
        if self.engine is None or self.dump is None:
            return
        try:
            if self.model is not None:
                found = {entry_key_of(e): bool(e.status & IPS_ASSURED) for e in self.dump.entries()}
                expected = {entry_key(self.refs[i]): e.established for i, e in self.model.device.table.items()}
                assert found == expected, f"the kernel's table at the end: {found}, the model device's: {expected}"
        finally:
            self.dump.close()
            self.engine.close()

    @invariant()
    def agree(self) -> None:
        """The provider's view, the model's and the kernel's table say the same."""
        if self.model is None or self.engine is None:
            return
        self.assert_view()
        assert self.dump is not None
        table = self.model.device.table
        assert self.dump.count() == len(table), f"the kernel holds {self.dump.count()} entries, the model {len(table)}"
        for conn_id, ref in self.refs.items():
            if ref.zone > ZONE_MAX:
                assert conn_id not in table, f"connection {conn_id} in zone {ref.zone} programmed"
                continue  # no kernel zone can name it
            if ref.orig.proto == PROTO_GRE:
                continue  # read at teardown, with the whole table
            entry, held = self.dump.get(ref), table.get(conn_id)
            got = None if entry is None else bool(entry.status & IPS_ASSURED)
            assert got == (None if held is None else held.established), f"the kernel's entry of connection {conn_id}"
