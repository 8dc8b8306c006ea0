"""``python -m impl simulate``'s outputs for tools: ``--json``, ``--timeline FILE.csv``, ``--plot
FILE.svg``, the anomalies with their causes, and bad input refused in one line before anything runs.

The timeline is the sweeps one by one and the summary the run's counters: in every profile the
rows must add up to the summary.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from impl import sim_cli
from impl.sim_report import is_standard_json
from model.vocab import Profile

RUN = ["simulate", "--provider", "switchdev", "--duration", "200", "--rate", "5", "--quiet"]


@pytest.fixture(autouse=True)
def _no_saved_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CT_OFFLOAD_SIM_STATE", str(tmp_path / "no-such-state.json"))


def simulate(capsys: pytest.CaptureFixture[str], *args: str, status: int = 0) -> str:
    assert sim_cli.main([*RUN, *args]) == status
    captured = capsys.readouterr()
    assert status != 0 or captured.err == "", captured.err
    return captured.out if status == 0 else captured.err


def summary_of(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    out = simulate(capsys, "--json", *args)
    summary: dict[str, Any] = json.loads(out)
    assert is_standard_json(summary)
    return summary


def _column_sums(rows: list[dict[str, str]], prefix: str) -> dict[str, int]:
    sums = {key[len(prefix) :]: sum(int(row[key]) for row in rows) for key in rows[0] if key.startswith(prefix)}
    return {name: n for name, n in sums.items() if n}


@pytest.mark.parametrize("profile", [p.value for p in Profile])
def test_the_timeline_adds_up_to_the_summary(profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    timeline = tmp_path / "t.csv"
    summary = summary_of(capsys, "--profile", profile, "--fail-rate", "0.05", "--timeline", str(timeline))
    tracker = summary["tracker"]
    with timeline.open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == tracker["sweeps"] == 10
    assert [float(row["time_s"]) for row in rows] == [20.0 * (n + 1) for n in range(10)]
    assert _column_sums(rows, "cleaned_") == tracker["cleaned"]
    assert _column_sums(rows, "errors_") == tracker["sweep_errors"]
    for column, total in (
        ("refreshed", "refreshed"),
        ("batches", "batches"),
        ("upd_ops", "upd_ops"),
        ("removal_retries", "removal_retries"),
        ("created", "created"),
        ("offloaded_new", "offloaded"),
    ):
        assert sum(int(row[column]) for row in rows) == tracker[total], column
    assert int(rows[-1]["table_size"]) == tracker["table_size"]
    assert int(rows[-1]["device_occupancy"]) == summary["provider"]["occupancy"]
    assert sum(int(row["sw_packets"]) + int(row["hw_packets"]) for row in rows) == summary["packets"]["total"]
    assert summary["tracker"]["removal_retries"] > 0 or profile != "strict"  # the faults hit removals


def test_the_summary_explains_each_anomaly(capsys: pytest.CaptureFixture[str]) -> None:
    rfc = summary_of(capsys, "--profile", "rfc-v1")
    causes = {ref for item in rfc["anomalies"] for ref in item["refs"]}
    assert {"E-BATCH-ONLY", "E-BATCH-LOST"} <= causes
    assert any("ENODATA" in item["what"] for item in rfc["anomalies"])
    dummy = json.loads(simulate(capsys, "--provider", "dummy", "--json"))
    assert [item["refs"] for item in dummy["anomalies"]] == [["E-TRACK-DUMMY"]]
    assert any("E-TRACK-DUMMY" in note for note in dummy["notes"])
    assert not dummy["steady_state"]["reached"]
    faulty = summary_of(capsys, "--fail-next", "3:ENOSPC", "--fail-rate", "0.1", "--device-entries", "200")
    said = " ".join(f"{item['what']}: {item['cause']}" for item in faulty["anomalies"])
    assert "answered ENOSPC: the fail_next fault failed the first 3 device ops with ENOSPC; the device's table" in said
    assert "/ct/entries, 200 entries" in said
    assert "TRACK-RETRY" in said and "the fail_rate fault: each device op fails with EIO with chance 0.1" in said
    clean = summary_of(capsys)
    assert clean["anomalies"] == [] and clean["tracker"]["refreshed"] > 0


def test_the_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    lines = simulate(capsys).splitlines()
    assert lines[0].startswith("profile: strict; provider: switchdev (registered: switchdev=0)")
    assert any(line.startswith("refreshed by sweeps: ") and not line.endswith(": 0") for line in lines)
    assert "anomalies: none" in lines
    assert any(line.startswith("note: offload at work") for line in lines)
    assert any(line.startswith("per sweep: ") for line in lines)
    assert lines[-1].startswith("wall time: ")


def test_the_plot_is_an_svg_of_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "p.svg"
    simulate(capsys, "--plot", str(plot))
    first = plot.read_text()
    assert first.lstrip().startswith("<?xml") and "<svg" in first and "virtual time (s)" in first
    assert "cleaned per sweep" in first and "stale" in first
    simulate(capsys, "--plot", str(plot))
    assert plot.read_text() == first  # the same run draws the same picture


def test_plot_without_matplotlib_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    err = simulate(capsys, "--plot", str(tmp_path / "p.svg"), status=2)
    assert err.count("\n") == 1 and "pip install 'ct-offload[plot]'" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--timeline", "/nonexistent-dir/t.csv"], "no such directory"),
        (["--plot", "."], "is a directory"),
        (["--provider", "dummy", "--fail-rate", "0.1"], "has no device"),
        (["--active", "0.5", "--lifetime", "3"], "--active cannot be combined with --lifetime"),
    ],
)
def test_bad_input_is_one_line_and_nothing_runs(
    args: list[str], problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = simulate(capsys, *args, status=2)
    assert err.startswith("simulate: ") and err.count("\n") == 1 and problem in err, err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--fail-next", "two"], "--fail-next"),
        (["--fail-next", "2:ENOTANERRNO"], "not an errno"),
        (["--fail-rate", "1.5"], "between 0 and 1"),
        (["--rate", "0"], "positive"),
        (["--lifetime", "-3"], "--lifetime"),
        (["--long-lifetime", "nan"], "--long-lifetime"),
        (["--quiet", "--progress"], "not allowed with"),
    ],
)
def test_bad_options_are_argparse_errors(args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        sim_cli.main(["simulate", *args])
    assert exit_.value.code == 2
    assert fragment in capsys.readouterr().err


def test_the_first_model_is_still_there(capsys: pytest.CaptureFixture[str]) -> None:
    summary = json.loads(simulate(capsys, "--provider", "dummy", "--active", "0.5", "--conns", "40", "--json"))
    assert summary["settings"]["traffic"]["mean_long_lifetime_s"] is None
    assert summary["flows"] == {"opened": 40, "active_at_end": summary["flows"]["active_at_end"]}
    assert 10 < summary["flows"]["active_at_end"] < 30  # about half keeps sending
