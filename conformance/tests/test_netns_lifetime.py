"""No network namespace of the ctnetlink engine outlives its process, however the process ends.

A child process opens an engine, programs connections into its namespace's conntrack table and
reports the namespace (its ``net:[inode]``) and the entry count; then it ends: SIGTERM, SIGHUP,
SIGINT, SIGKILL, a normal exit without closing the engine, or ``os._exit``. The namespaces this
machine can still reach are counted while the child lives and after it ended: the
descriptors and ``ns/net`` links of every process, and the nsfs mounts (``/run/netns``). A namespace
nothing reaches is freed by the kernel, with its conntrack table. Root only: the tests probe the
engine and skip, saying why, where it cannot run (CI runs them as root). The host's conntrack
table is checked untouched.

The kernel hands a freed namespace's inode number to the next namespace created (the smallest free
one), so a process started after the child ended that holds that number holds a new namespace, not
the child's: only processes that already existed when the child ended can have kept its namespace.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pyroute2 import netns

from impl.switchdev.ctnetlink import CtnetlinkEngine, probe
from impl.switchdev.ctnetlink_netns import reclaim_stale

CONNS = 200
CHILD = f"""
import os, signal, sys
from impl.switchdev.ctnetlink import CtnetlinkEngine
from impl.switchdev.ports import EngineOp, EngineOpKind
from model.conn import ConnRef

engine = CtnetlinkEngine.open(max_conns={CONNS}, queue_size={CONNS}, timeout_s=600)
for i in range({CONNS}):
    assert engine.submit(EngineOp(kind=EngineOpKind.INSERT, conn=ConnRef.synthetic(i), tag=i)) == 0
engine.push()
assert all(result.error == 0 for result in engine.poll())
print(engine.namespace_inode, engine.kernel_count(), flush=True)
how = sys.argv[1]
sys.stdin.readline()
if how == "exit":
    sys.exit(0)  # without closing the engine
if how == "os._exit":
    os._exit(0)
while True:
    signal.pause()
"""
ENDINGS = ["SIGTERM", "SIGHUP", "SIGINT", "SIGKILL", "exit", "os._exit"]
_NET = re.compile(r"net:\[(\d+)\]")


@pytest.fixture(scope="module")
def runnable() -> None:
    ok, reason = probe()
    if not ok:
        pytest.skip(reason)


def host_count() -> int:
    """The host namespace's conntrack entry count."""
    with open("/proc/sys/net/netfilter/nf_conntrack_count") as count:
        return int(count.read())


def _links(pattern_dirs: Iterator[str]) -> Iterator[int]:
    for path in pattern_dirs:
        try:
            found = _NET.fullmatch(os.readlink(path))
        except OSError:  # the process or descriptor went away meanwhile
            continue
        if found:
            yield int(found.group(1))


def _started(pid: str) -> int:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat``, field 22)."""
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rpartition(")")[2].split()[19])


def now_ticks() -> int:
    """Clock ticks since boot, as process start times count them."""
    with open("/proc/uptime") as uptime:
        return int(float(uptime.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _proc_paths(started_by: int | None) -> Iterator[str]:
    """Every ``ns/net`` link and descriptor of every process and thread this process can see (of
    those started by tick ``started_by`` at the latest, if given)."""
    for pid in (p for p in os.listdir("/proc") if p.isascii() and p.isdigit()):
        try:
            if started_by is not None and _started(pid) > started_by:
                continue
            tasks = os.listdir(f"/proc/{pid}/task")
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        yield f"/proc/{pid}/ns/net"
        yield from (f"/proc/{pid}/task/{tid}/ns/net" for tid in tasks)
        yield from (f"/proc/{pid}/fd/{fd}" for fd in fds)


def reachable_namespaces(started_by: int | None = None) -> set[int]:
    """The inodes of every network namespace a process, a descriptor or a mount still holds
    (processes started after tick ``started_by`` aside, if given: they cannot hold an older one)."""
    reachable = set(_links(_proc_paths(started_by)))
    with open("/proc/self/mountinfo") as mounts:
        reachable.update(int(found.group(1)) for line in mounts if (found := _NET.search(line)))
    return reachable


def named_by(pid: int) -> list[str]:
    """Namespaces named after ``pid`` under /run/netns (earlier versions named theirs so)."""
    return [name for name in netns.listnetns() if name.startswith(f"ctoffload-{pid}-")]


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_namespace_and_its_entries_go_with_the_process(runnable: None, ending: str) -> None:
    host = host_count()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, ending],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        report = child.stdout.readline() if child.stdout else ""
        assert report, f"the child did not open an engine: {child.stderr.read() if child.stderr else ''}"
        inode, entries = map(int, report.split())
        assert entries == CONNS
        during = reachable_namespaces()
        own = int(_NET.fullmatch(os.readlink("/proc/self/ns/net")).group(1))  # type: ignore[union-attr]
        assert inode in during and inode != own, "the count does not see the child's namespace"
        assert named_by(child.pid) == [], "an anonymous namespace has no name"
        if ending.startswith("SIG"):
            child.send_signal(getattr(signal, ending))
        elif child.stdin:
            child.stdin.write("end\n")
            child.stdin.flush()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    ended = now_ticks()
    after = reachable_namespaces(started_by=ended)
    assert inode not in after, f"namespace net:[{inode}] ({CONNS} entries) outlived its process ({ending})"
    assert named_by(child.pid) == []
    assert host_count() == host, "the host's conntrack table changed"


def test_named_namespaces_of_dead_processes_are_reclaimed(runnable: None) -> None:
    argv = [sys.executable, "-c", "import os; print(os.getpid())"]
    dead = int(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    stale, alive = f"ctoffload-{dead}-0", f"ctoffload-{os.getpid()}-999"
    if named_by(dead):
        pytest.skip(f"PID {dead} already has named namespaces here")
    netns.create(stale)
    netns.create(alive)
    try:
        assert stale in reclaim_stale()
        assert stale not in netns.listnetns() and alive in netns.listnetns()
        netns.create(stale)
        with CtnetlinkEngine.open():
            assert stale not in netns.listnetns()
    finally:
        for name in (stale, alive):
            if name in netns.listnetns():
                netns.remove(name)
