"""Hypothesis profiles of the test run, chosen by the HYPOTHESIS_PROFILE environment variable.

``ci`` (the default of ``nox -s tests``): derandomised, modest budgets, no example database, so CI
replays the same examples every run. ``conformance``: larger budgets, still derandomised. ``deep``:
large budgets (``$CT_OFFLOAD_DEEP_EXAMPLES`` per test), random, with the example database of
``example_database``, for nightly runs. ``dev``: Hypothesis defaults.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings, statistics
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, MultiplexedDatabase

from conformance import coverage, summary

coverage.enable()  # the suite's coverage gate counts every op the model applies in this process
_PHASES = ("reuse", "generate", "shrink", "explain")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "conformance", max_examples=600, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)


def example_database() -> ExampleDatabase:
    """The deep profile's example database. A directory (safe for concurrent writers), shareable by
    machines: ``$CT_OFFLOAD_EXAMPLE_DB``, default .hypothesis/examples. With ``$CT_OFFLOAD_REDIS``
    (a redis:// URL) the database is Hypothesis's ``RedisExampleDatabase`` on that server instead,
    pooled by every machine pointed at it; with both set, a ``MultiplexedDatabase`` of the two."""
    directory = os.environ.get("CT_OFFLOAD_EXAMPLE_DB")
    url = os.environ.get("CT_OFFLOAD_REDIS")
    if not url:
        return DirectoryBasedExampleDatabase(directory or ".hypothesis/examples")
    import redis  # noqa: PLC0415 (only the pooled deep run needs the client: dependency group "deep")
    from hypothesis.extra.redis import RedisExampleDatabase  # noqa: PLC0415

    pooled = RedisExampleDatabase(redis.Redis.from_url(url))
    return MultiplexedDatabase(DirectoryBasedExampleDatabase(directory), pooled) if directory else pooled


settings.register_profile(
    "deep",
    max_examples=int(os.environ.get("CT_OFFLOAD_DEEP_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=_QUIET,
    database=example_database(),
)
settings.register_profile("dev", deadline=None)
# crosshair (nox -s crosshair-hypothesis): CrossHair draws the examples (hypothesis-crosshair).
if os.environ.get("HYPOTHESIS_PROFILE") == "crosshair":
    settings.register_profile(
        "crosshair", backend="crosshair", max_examples=50, database=None, deadline=None, suppress_health_check=_QUIET
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Count the Hypothesis examples each test ran, for the summary: Hypothesis hands its per-test
    statistics to ``hypothesis.statistics.collector`` (which its pytest plugin set just outside
    this wrapper; that callback still gets them)."""
    collector: Any = statistics.collector  # typed by Hypothesis as holding None only
    outer = collector.value

    def note(stats: dict[str, Any]) -> None:
        summary.count("examples", sum(len(stats.get(f"{p}-phase", {}).get("test-cases", [])) for p in _PHASES))
        if outer is not None:
            outer(stats)

    with collector.with_value(note):
        yield


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    """With CT_OFFLOAD_GATE=1 (the conformance session): the coverage gate and the summary."""
    if os.environ.get("CT_OFFLOAD_GATE") != "1":
        return
    write = terminalreporter.write_line
    write("")
    write("conformance summary")
    for line in summary.lines():
        write(f"  {line}")
    summary.record()  # the counts and the CPU time, for nox -s bench (conformance.bench.suite)
    for line in coverage.table():
        write(f"  coverage {line}")
    empty = coverage.missing()
    for cell in empty:
        write(f"  EMPTY coverage cell: profile={cell[0]} op={cell[1]} path={cell[2]} outcome={cell[3]}")
    session = terminalreporter._session  # the gate fails the run
    if empty and session is not None:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _private_sim_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tests off the user's simulated-device state file (``python -m impl devlink``)."""
    monkeypatch.setenv("CT_OFFLOAD_SIM_STATE", str(tmp_path_factory.mktemp("sim") / "sim-device.json"))
