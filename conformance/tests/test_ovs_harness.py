"""The C conformance kit on the RFC's own trees: the harness built from v1 and v2 agrees with its profile.

The trees are ``$CT_OFFLOAD_OVS_TREES/v1`` and ``/v2`` (default: ``../shared/ovs-rfc`` beside the
repository); without them, or without a C compiler, the tests that need them skip and say which.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import vectors
from conformance.external import command_line, run
from conformance.external.report import agree
from conformance.model_target import run_on_model
from conformance.ovs import build, replay
from conformance.runner import run_object
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any
ROOT = Path(__file__).resolve().parents[2]
TREES = Path(os.environ.get("CT_OFFLOAD_OVS_TREES", ROOT.parent / "shared" / "ovs-rfc"))
PROFILE_OF = {"v1": Profile.RFC_V1, "v2": Profile.RFC_V2}
ENODATA, EIO = 61, 5


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The harness built from each RFC tree (skips when a tree or the C compiler is missing)."""
    try:
        build.find_compiler()
    except build.BuildError as exc:
        pytest.skip(f"cannot build the C harness: {exc}")
    out = tmp_path_factory.mktemp("ovs")
    built = {}
    for version in PROFILE_OF:
        tree = TREES / version
        if not (tree / "lib" / "ct-offload.c").is_file():
            pytest.skip(f"no RFC tree at {tree} (set CT_OFFLOAD_OVS_TREES to the folder holding v1/ and v2/)")
        built[version] = build.build(tree, out / f"harness-{version}").binary
    return built


def _lines(argv: list[str], text: str) -> list[str]:
    done = subprocess.run(argv, input=text, capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.splitlines()


def _ask(
    binary: Path, scenarios: list[dict[str, JSON]], *args: str, under: tuple[str, ...] = ()
) -> list[dict[str, JSON]]:
    """The harness's answers to ``scenarios`` (run with ``args``, under ``under``, e.g. valgrind)."""
    text = "".join(json.dumps(s) + "\n" for s in scenarios)
    return [json.loads(line) for line in _lines([*under, str(binary), *args], text)]


@pytest.mark.parametrize("version", sorted(PROFILE_OF))
def test_every_vector_of_the_matching_profile_agrees(harnesses: dict[str, Path], version: str) -> None:
    profile = PROFILE_OF[version]
    report = replay.replay(harnesses[version], profile)
    assert report.ok, [(v.id, v.kind, v.detail) for v in report.of("disagree") + report.of("crashed")]
    cases = vectors.load(f"layer-{profile.value}.jsonl")
    undefined = {c["scenario"]["id"] for c in cases if "undefined" in c["expect"]}
    assert {v.id for v in report.of("undefined")} == undefined
    # Only scenarios using the project's extensions may be unsupported, and they say so.
    assert all(v.answer and "unsupported by the C harness" in v.answer["error"] for v in report.of("unsupported"))
    assert len(report.of("agree")) == len(cases) - len(undefined) - len(report.of("unsupported")) > 100


@pytest.mark.parametrize("version", sorted(PROFILE_OF))
def test_the_checker_finds_no_disagreement_in_the_matching_profile(harnesses: dict[str, Path], version: str) -> None:
    lines: list[str] = []
    status = run(command_line([str(harnesses[version])]), PROFILE_OF[version], count=120, seed=15, out=lines.append)
    assert status == 0, lines
    assert "no disagreement" in lines[-1]


def _only_upd_without_timestamp_differs(scenario: dict[str, JSON], v1: JSON, v2: JSON) -> bool:
    """Whether the rfc-v1 and rfc-v2 results differ only in batch UPD ops answered ENODATA vs EIO."""
    if {k: v for k, v in v1.items() if k != "returns"} != {k: v for k, v in v2.items() if k != "returns"}:
        return False
    for step, got, want in zip(scenario["steps"], v1["returns"], v2["returns"], strict=True):
        if got == want:
            continue
        if step["do"] != "batch" or len(got) != len(want):
            return False
        for (kind, _), old, new in zip(step["ops"], got, want, strict=True):
            if old != new and not (kind in ("UPD", 2) and (old, new) == (ENODATA, EIO)):
                return False
    return True


def test_the_v1_code_disagrees_with_rfc_v2_exactly_on_batch_upd_without_a_timestamp(
    harnesses: dict[str, Path],
) -> None:
    report = replay.replay(harnesses["v1"], Profile.RFC_V2)
    v1 = {c["scenario"]["id"]: c["expect"] for c in vectors.load("layer-rfc-v1.jsonl")}
    v2 = {c["scenario"]["id"]: c for c in vectors.load("layer-rfc-v2.jsonl")}
    differ = {i for i, c in v2.items() if "undefined" not in c["expect"] and not agree(c["expect"], v1[i])}
    disagreeing = report.of("disagree")
    assert not report.of("crashed")
    assert {v.id for v in disagreeing} == differ - {v.id for v in report.of("unsupported")}
    assert disagreeing, "no vector tells v1 from v2"
    for verdict in disagreeing:
        assert verdict.answer is not None and agree(v1[verdict.id], verdict.answer)
        assert _only_upd_without_timestamp_differs(v2[verdict.id]["scenario"], verdict.answer, v2[verdict.id]["expect"])


def test_a_crash_is_reported_and_the_replay_goes_on(harnesses: dict[str, Path]) -> None:
    null_del: dict[str, JSON] = {
        "id": "null-del",
        "providers": [{}],
        "steps": [{"do": "batch", "ops": [["DEL", None]]}],
    }
    plain: dict[str, JSON] = {"id": "plain", "providers": [{}], "steps": [{"do": "add", "conn": 0}]}
    cases: list[dict[str, JSON]] = [
        # A NULL conn in a batch DEL: the RFC code dereferences it. Say the vector expected a result.
        {"scenario": null_del, "expect": {"id": "null-del", "initial_register": [0], "trace": [], "returns": []}},
        {"scenario": plain, "expect": run_object(plain, run_on_model, Profile.RFC_V1)},
    ]
    # One process per scenario: the crash is the answer to that scenario only.
    forked = replay.replay(harnesses["v1"], Profile.RFC_V1, cases=cases)
    assert [v.kind for v in forked.verdicts] == ["crashed", "agree"]
    assert "killed by signal" in forked.verdicts[0].detail[0] and "steps[0] (batch)" in forked.verdicts[0].detail[0]
    # --no-fork: the harness process itself dies; the replay says so, restarts it, and goes on.
    alone = replay.replay(harnesses["v1"], Profile.RFC_V1, cases=cases, args=["--no-fork"])
    assert [v.kind for v in alone.verdicts] == ["crashed", "agree"]
    assert "the harness process died" in alone.verdicts[0].detail[0]
    assert "1 of 2 vectors agree, 1 crashed the C code" in alone.summary()


def test_the_dummy_provider_is_the_trees_own_and_runs_on_the_steps_time(harnesses: dict[str, Path]) -> None:
    scenarios: list[dict[str, JSON]] = [
        {
            "id": "dummy",
            "providers": [{"kind": "dummy"}, {"callbacks": ["add", "upd"], "upd": {"1": 9}}],
            "steps": [
                {"do": "add", "conn": 0, "netdev": "eth0"},
                {"do": "upd", "conn": 0, "now": 500},
                {"do": "est", "conn": 0, "netdev": "eth1"},
                {"do": "unregister", "provider": 0},
                {"do": "upd", "conn": 0},
                {"do": "register", "provider": 0},
                {"do": "batch", "ops": [["UPD", 0], ["DEL", 0], ["UPD", 0], ["ADD", 1], ["UPD", 1]]},
                {"do": "flush"},
                {"do": "upd", "conn": 1},
            ],
        },
        {"id": "noslot", "private_slot": False, "providers": [{"kind": "dummy"}], "steps": [{"do": "add", "conn": 0}]},
    ]
    for version, binary in harnesses.items():
        for scenario, answer in zip(scenarios, _ask(binary, scenarios), strict=True):
            assert agree(run_object(scenario, run_on_model, PROFILE_OF[version]), answer), (version, answer)


def test_what_c_cannot_express_is_answered_unsupported(harnesses: dict[str, Path]) -> None:
    scenarios: list[dict[str, JSON]] = [
        {"id": 1, "providers": [{"kind": "switchdev"}]},
        {"id": 2, "providers": [{"raises": ["add"]}]},
        {"id": 3, "conns": {"0": {"proto": "tcp"}}},
        {"id": 4, "batch_timestamps": True},
        {"id": 5, "providers": [{"kind": "dummy"}, {"kind": "dummy", "name": "d2"}]},
    ]
    for scenario, answer in zip(scenarios, _ask(harnesses["v1"], scenarios), strict=True):
        assert answer["id"] == scenario["id"]
        assert answer["error"].startswith("unsupported by the C harness: "), answer


def test_the_harness_refuses_what_the_parser_refuses(harnesses: dict[str, Path]) -> None:
    malformed: list[dict[str, JSON]] = [
        {"id": 1, "step": []},
        {"id": 2, "steps": [{"do": "add"}]},
        {"id": 3, "steps": [{"do": "add", "conn": -1}]},
        {"id": 4, "steps": [{"do": "batch", "ops": [["ADD"]]}]},
        {"id": 5, "steps": [{"do": "batch", "ops": [[2**31, 0]]}]},
        {"id": 6, "providers": [{"add": {"01": 3}}]},
        {"id": 7, "providers": [{"callbacks": ["batch"], "batch": False}]},
        {"id": 8, "steps": [{"do": "register", "provider": 0}]},
        {"id": 9, "steps": [{"do": "upd", "conn": 1.0}]},
        {"id": 10, "providers": [{"kind": "dummy", "init": 0}]},
    ]
    for scenario, answer in zip(malformed, _ask(harnesses["v1"], malformed), strict=True):
        assert "error" in run_object(scenario, run_on_model, Profile.RFC_V1)
        assert set(answer) == {"id", "error"} and answer["id"] == scenario["id"], answer
    [garbage] = [json.loads(line) for line in _lines([str(harnesses["v1"])], "not json\n\n")]
    assert garbage["id"] is None and garbage["error"].startswith("not JSON")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_the_harness_is_clean_under_valgrind(harnesses: dict[str, Path]) -> None:
    cases = [c for c in vectors.load("layer-rfc-v1.jsonl")[:40] if "undefined" not in c["expect"]][:6]
    scenarios = [c["scenario"] for c in cases]
    valgrind = (
        "valgrind",
        "-q",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        "--error-exitcode=99",
    )
    answers = _ask(harnesses["v1"], scenarios, under=valgrind)
    for case, answer in zip(cases, answers, strict=True):
        # A memory error or a leak in a child makes it exit 99, which the harness answers as an error.
        assert "exited with status" not in answer.get("error", ""), answer
        assert "error" in answer or agree(case["expect"], answer)
    assert sum("error" not in answer for answer in answers) >= 4


def _mutant(tmp_path: Path, old: str, new: str, *, sanitize: bool = False) -> Path:
    """A tree in ``tmp_path`` whose lib/ct-offload.c is v2's with ``old`` replaced by ``new``, and
    the harness built from it."""
    lib = tmp_path / "mutant" / "lib"
    lib.mkdir(parents=True)
    for name in ("ct-offload.c", "ct-offload.h", "ct-offload-dummy.c", "ct-offload-dummy.h"):
        text = (TREES / "v2" / "lib" / name).read_text()
        if name == "ct-offload.c":
            assert text.count(old) == 1
            text = text.replace(old, new)
        (lib / name).write_text(text)
    return build.build(lib.parent, tmp_path / "mutant-harness", sanitize=sanitize).binary


def test_a_locking_mistake_aborts_and_a_hang_times_out(harnesses: dict[str, Path], tmp_path: Path) -> None:
    # ct_offload_conn_add() returns with the layer's mutex held: the next lock is the same thread's.
    held = "    ret = ct_offload_conn_add_(ctx, false);\n    ovs_mutex_unlock(&ct_offload_mutex);\n"
    binary = _mutant(tmp_path / "held", held, "    ret = ct_offload_conn_add_(ctx, false);\n")
    [answer] = _ask(binary, [{"id": 1, "providers": [{}], "steps": [{"do": "add", "conn": 0}, {"do": "flush"}]}])
    assert "killed by signal 6" in answer["error"] and "during steps[1] (flush)" in answer["error"], answer
    assert "Resource deadlock avoided" in answer["error"]
    # ct_offload_flush() never returns: the harness gives up on that scenario and answers the next.
    loop = "        if (class->flush) {\n            class->flush();\n        }\n"
    binary = _mutant(tmp_path / "loop", loop, loop + "        for (;;) {\n        }\n")
    answers = _ask(binary, [{"id": 1, "providers": [{}], "steps": [{"do": "flush"}]}, {"id": 2}], "--timeout", "0.3")
    assert answers[0]["error"].startswith("the C code under test did not finish within 0.3 s during steps[0] (flush)")
    assert answers[1] == {"id": 2, "initial_register": [], "trace": [], "returns": [], "marks": []}


def test_the_checker_finds_a_semantic_mutant_of_the_c_code(harnesses: dict[str, Path], tmp_path: Path) -> None:
    # POLICY answers 0 for a connection nobody can offload.
    binary = _mutant(tmp_path, "? 0 : EPERM;", "? 0 : 0;")
    lines: list[str] = []
    assert run(command_line([str(binary)]), Profile.RFC_V2, count=200, seed=15, out=lines.append) == 1, lines
    assert any('"POLICY"' in line for line in lines), lines


def test_build_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "conformance",
        "ovs",
        "build",
        "--tree",
        str(tmp_path),
        "--out",
        str(tmp_path / "h"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: no lib/ct-offload.c in {tmp_path} (is the ct-offload series applied to this tree?)"
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "ct-offload.c").write_text("")
    (tmp_path / "lib" / "ct-offload.h").write_text("")
    no_compiler = {k: v for k, v in os.environ.items() if k != "CC"} | {"PATH": str(tmp_path / "empty")}
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=no_compiler, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no C compiler: set $CC or install cc, gcc or clang"
    assert not (tmp_path / "h").exists()


def test_replay_says_when_there_is_no_harness(tmp_path: Path) -> None:
    lines: list[str] = []
    assert replay.main(tmp_path / "missing", Profile.RFC_V1, out=lines.append) == 2
    build_one = "build one: python -m conformance ovs build --tree TREE --out BIN"
    assert lines == [f"error: no harness at {tmp_path / 'missing'} ({build_one})"]


def test_the_sanitized_build_reports_a_memory_error_of_the_c_code(harnesses: dict[str, Path], tmp_path: Path) -> None:
    # The batch array grows one op short: the 8th op is written past its end.
    grow = "batch->allocated * sizeof *batch->ops);"
    binary = _mutant(tmp_path, grow, "(batch->allocated - 1) * sizeof *batch->ops);", sanitize=True)
    eight: dict[str, JSON] = {"id": 1, "providers": [{}], "steps": [{"do": "batch", "ops": [["UPD", 0]] * 8}]}
    [answer] = _ask(binary, [eight])
    assert answer["error"].startswith("the C code under test exited with status 1 during steps[0] (batch)"), answer
    assert "AddressSanitizer: heap-buffer-overflow" in answer["error"]
    [seven] = _ask(binary, [{**eight, "steps": [{"do": "batch", "ops": [["UPD", 0]] * 7}]}])
    assert seven["returns"] == [[5] * 7]
