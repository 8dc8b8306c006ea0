"""Deep runs pool their example database through Redis: what one machine found, another replays.

A real ``redis-server`` (Debian's package; ``nox -s tests`` installs it when run as root) is
started on a free port in a temporary directory and stopped at the end. Worker processes load the
deep profile's database (``conftest.example_database`` with ``$CT_OFFLOAD_REDIS`` set): the first
runs a failing property and saves its minimal failing example; a second, which may only replay
the database (no generation), fails with the same example. Before the first ran, a replay-only
worker passes: the failure it replays came from the pool. Skipped, saying why, where redis-server
is not installed or the ``redis`` client is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.skipif(SERVER is None, reason="redis-server is not on PATH (Debian: apt-get install redis-server)"),
    pytest.mark.skipif(
        importlib.util.find_spec("redis") is None, reason="the redis client is not installed (pip install redis)"
    ),
]

#: One worker: the deep profile's database, a property that fails for n >= 1000; ``reuse`` only
#: replays the database, ``generate`` also searches (and saves what fails).
WORKER = """
import sys
import unittest
from hypothesis import Phase, given, settings, strategies as st
from conformance.tests.conftest import example_database

phases = [Phase.reuse] if sys.argv[1] == "reuse" else [Phase.reuse, Phase.generate, Phase.shrink]

@settings(database=example_database(), phases=phases, max_examples=500, deadline=None, derandomize=False)
@given(st.integers(0, 10**6))
def pooled_property(n):
    assert n < 1000

try:
    pooled_property()
except unittest.SkipTest:  # a replay-only run with nothing to replay
    print("NOTHING TO REPLAY")
    sys.exit(0)
except AssertionError as failure:
    print("FAILED", *getattr(failure, "__notes__", []))
    sys.exit(1)
print("PASSED")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of our own on 127.0.0.1, in ``tmp_path``, stopped afterwards."""
    assert SERVER is not None
    port = _free_port()
    cmd = [SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", ""]
    server = subprocess.Popen([*cmd, "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"redis-server did not start (exit status {server.poll()})")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _worker(tmp_path: Path, url: str, mode: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CT_OFFLOAD_REDIS": url, "HYPOTHESIS_PROFILE": "ci"}
    return subprocess.run(
        [sys.executable, str(script), mode],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )


def test_a_second_worker_replays_the_failure_the_first_found_from_the_pool(tmp_path: Path, redis_url: str) -> None:
    before = _worker(tmp_path, redis_url, "reuse")
    assert before.returncode == 0 and "NOTHING TO REPLAY" in before.stdout, before.stderr
    first = _worker(tmp_path, redis_url, "generate")
    assert first.returncode == 1 and "FAILED" in first.stdout, first.stderr
    assert "n=1000" in first.stdout + first.stderr
    second = _worker(tmp_path, redis_url, "reuse")
    assert second.returncode == 1 and "FAILED" in second.stdout, second.stderr
    assert "n=1000" in second.stdout + second.stderr
