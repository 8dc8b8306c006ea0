"""``bench --cprofile N``: the profile names what the workload runs, and without the option the
timed runs are exactly as before (nothing profiled, no profiler active while a figure is timed)."""

from __future__ import annotations

import cProfile
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance import cli
from conformance.bench import profiling, report, sweep
from conformance.bench.timing import Section
from model.vocab import Profile


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def test_a_profile_table_names_the_functions_the_workload_calls() -> None:
    lines = profiling.table("spin", profiling.profile(lambda: [_spin(2000) for _ in range(20)]), 5)
    text = "\n".join(lines)
    assert "**spin**" in text
    assert "by module: `conformance.tests.test_bench_profiling`" in text  # where nearly all of it goes
    assert "| `conformance.tests.test_bench_profiling:_spin` |" in text
    assert "| 20 |" in text  # its call count
    assert len([line for line in lines if line.startswith("| `")]) == 3  # _spin, the listcomp, the lambda


def test_the_sweep_workloads_are_profiled_in_the_tracker_and_the_layer() -> None:
    section = profiling.section("sweep", sweep.workloads(200, [Profile.RFC_V2]), 30)
    text = "\n".join(section.table)
    assert "**rfc-v2, 200 connections, batched sweep**" in text
    assert "**rfc-v2, 200 connections, one UPD at a time**" in text
    assert "`impl.tracker_sweep:refresh`" in text
    assert "`impl.rfc_dispatch:submit`" in text  # the batched side submits batches
    assert "`impl.layer:conn_update`" in text  # the other sends one UPD at a time
    assert not section.goals and not section.failures


def test_builtins_and_clashing_names_are_told_apart() -> None:
    assert profiling.function_name(("~", 0, "<method 'append' of 'list' objects>")) == "list.append (C)"
    assert profiling.function_name(("~", 0, "<built-in method builtins.len>")) == "builtins.len (C)"
    new = "<built-in method __new__ of type object at 0x7f00d205ea00>"
    assert profiling.function_name(("~", 0, new)) == "__new__ of a type (C)"
    installed = "/venv/lib/python3.11/site-packages/hypothesis/core.py"
    assert profiling.function_name((installed, 1, "run")) == "hypothesis.core:run"
    here = str(Path(__file__).resolve())
    assert profiling.function_name((here, 1, "f")) == "conformance.tests.test_bench_profiling:f"


def test_the_timed_path_still_measures_what_it_did() -> None:
    elapsed, sweeps = sweep.one_round(Profile.STRICT, 300, batch=True)
    assert elapsed > 0 and sweeps == 1
    assert report.BENCHMARKS["sweep"] is sweep.run


def _fake(log: list[str]) -> tuple[dict[str, Callable[[], Section]], dict[str, profiling.Workloads]]:
    def run() -> Section:
        log.append(f"run, profiler {'on' if sys.getprofile() else 'off'}")
        return Section(title="fake", table=["| a |", "|---|", "| 1 |"], notes=[])

    def workloads() -> Iterator[profiling.Workload]:
        log.append("workloads")
        yield profiling.Workload("fake work", lambda: _spin(1000))

    return {"fake": run}, {"fake": workloads}


@pytest.mark.parametrize("cprofile", [0, 3])
def test_profiling_runs_only_with_the_option_and_after_the_timed_run(
    cprofile: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log: list[str] = []
    benchmarks, workloads = _fake(log)
    monkeypatch.setattr(report, "BENCHMARKS", benchmarks)
    monkeypatch.setattr(report, "WORKLOADS", workloads)
    if not cprofile:
        monkeypatch.setattr(cProfile, "Profile", None)  # any use would fail
    out = tmp_path / "bench.md"
    assert report.main(str(out), [], cprofile) == 0
    text = out.read_text()
    assert text.count("\n## ") == 1 + bool(cprofile)
    if cprofile:
        assert log == ["run, profiler off", "workloads"]
        assert "## Where the time goes: fake (cProfile, top 3 functions by own time)" in text
        assert "`conformance.tests.test_bench_profiling:_spin`" in text
    else:
        assert log == ["run, profiler off"]
        assert "cProfile" not in text
    capsys.readouterr()


def test_the_command_line_passes_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str | None, list[str], int]] = []

    def main(path: str | None, only: list[str], cprofile: int = 0) -> int:
        calls.append((path, only, cprofile))
        return 0

    monkeypatch.setattr(report, "main", main)
    assert cli.main(["bench", "sweep"]) == 0
    assert cli.main(["bench", "--cprofile", "7", "sweep", "dispatch"]) == 0
    assert calls == [(None, ["sweep"], 0), (None, ["sweep", "dispatch"], 7)]
    with pytest.raises(SystemExit) as exit_:
        cli.parser().parse_args(["bench", "--cprofile", "0"])
    assert exit_.value.code == 2
