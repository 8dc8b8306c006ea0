"""The external checker against conforming programs, buggy ones (mutants) and broken ones."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.external import DEFAULT_COUNT, command_line, run
from conformance.external.check import WINDOW, Session
from conformance.external.generate import sample
from conformance.external.process import Program, ProgramFailed
from conformance.external.report import agree
from conformance.external.shrink import minimise, removals, renumbered
from conformance.model_target import run_on_model
from conformance.runner import run_object
from conformance.tests.mutant_harness import MUTANTS
from model.vocab import Profile

pytestmark = pytest.mark.conformance
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = sys.executable
MUTANT_HARNESS = [PY, str(HERE / "mutant_harness.py")]
BROKEN = [PY, str(HERE / "broken_harness.py")]


def _check(argv: list[str], profile: Profile = Profile.STRICT, **options: object) -> tuple[int, list[str]]:
    lines: list[str] = []
    status = run(command_line(argv), profile, out=lines.append, **options)  # type: ignore[arg-type]
    return status, lines


def _minimal(lines: list[str]) -> dict[str, object]:
    index = next(i for i, line in enumerate(lines) if line.startswith("the external implementation disagrees"))
    return json.loads(lines[index + 1])  # type: ignore[no-any-return]


# -- conforming and buggy programs -----------------------------------------------------------------


def test_impl_behind_the_protocol_agrees_with_the_model() -> None:
    argv = [PY, "-m", "conformance", "scenarios", "--profile", "strict", "--target", "impl"]
    status, lines = _check(argv, count=60, seed=1)
    assert status == 0, lines
    assert lines[0].startswith("vectors: ")
    assert lines[-1] == "generated: 60 scenarios (seed 1), no disagreement with the model (strict)"


def test_a_buggy_implementation_is_shrunk_to_a_minimal_scenario() -> None:
    status, lines = _check([PY, str(ROOT / "docs/examples/buggy_external.py")], count=200, seed=3)
    assert status == 1
    assert "; disagreeing: " in lines[0]  # the vectors that disagree are named
    assert lines[-2].strip() == '{"providers": [], "steps": [{"do": "batch", "ops": [["UPD", 0]]}]}'
    assert lines[-1].strip() == "returns[0]: model [61], external [0]"
    assert lines[-4].startswith("ran ") and " vectors, " in lines[-4] and " while shrinking" in lines[-4]


def test_the_tracker_protocol_can_be_checked_too() -> None:
    argv = [PY, "-m", "conformance", "tracker", "--profile", "rfc-v1", "--target", "impl"]
    status, lines = _check(argv, Profile.RFC_V1, count=30, seed=2, tracker=True)
    assert status == 0, lines
    assert lines[0].startswith("vectors: ")


def test_a_scenario_the_model_leaves_undefined_is_never_sent() -> None:
    """rfc-v1 leaves a NULL connection in ADD, DEL or EST undefined while the private slot exists
    (RFC-NULL); the stand-in of the C code dies there as the C would (exit 139), so a single such
    scenario sent, vector or generated, would fail the run."""
    status, lines = _check([*MUTANT_HARNESS, "rfc-v1"], Profile.RFC_V1, count=300, seed=4)
    assert status == 0, lines
    assert lines[0].endswith(" skipped: undefined in rfc-v1)")


def test_an_undefined_model_answer_is_skipped_and_counted() -> None:
    def model(obj: dict[str, object]) -> dict[str, object]:
        answer = run_object(obj, run_on_model, Profile.RFC_V1)
        if len(obj.get("steps", [])) == 1:  # type: ignore[arg-type]
            return {"id": None, "undefined": "test", "before": {}}
        return answer

    status, lines = _check([*MUTANT_HARNESS, "rfc-v1"], Profile.RFC_V1, count=50, seed=5, model=model)
    assert status == 0, lines
    single = sum(1 for obj in sample(Profile.RFC_V1, 50, 5) if len(obj["steps"]) == 1)
    assert single > 0
    skipped = f"{single} skipped as undefined"
    assert lines[-1] == f"generated: 50 scenarios (seed 5), {skipped}, no disagreement with the model (rfc-v1)"


def test_a_vector_that_disagrees_is_shrunk_before_it_is_printed() -> None:
    """Only the errata's E-BATCH-INVALID uses op type 9: generation never meets it, the vector does."""
    program = (
        "import json, sys\n"
        "from conformance.tests.mutant_harness import run\n"
        "for line in sys.stdin:\n"
        "    s = json.loads(line); r = run(s, 1)\n"
        "    for i, step in enumerate(s.get('steps', [])):\n"
        "        if step['do'] == 'batch':\n"
        "            r['returns'][i] = [0 if op[0] == 9 else e for op, e in zip(step['ops'], r['returns'][i])]\n"
        "    print(json.dumps(r), flush=True)\n"
    )
    status, lines = _check([PY, "-c", program], Profile.RFC_V1, count=20, seed=6)
    assert status == 1, lines
    assert lines[0].endswith("; disagreeing: E-BATCH-INVALID")
    assert "(vector E-BATCH-INVALID, shrunk)" in lines[-3]
    assert _minimal(lines) == {"id": "E-BATCH-INVALID", "providers": [], "steps": [{"do": "batch", "ops": [[9, 0]]}]}


def test_the_same_seed_sends_the_same_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = []
    for name in ("a", "b", "c"):
        monkeypatch.setenv("CT_LOG", str(tmp_path / name))
        _check([*BROKEN, "chatty", "0"], Profile.RFC_V1, count=30, seed=7 if name != "c" else 8)
        logs.append((tmp_path / name).read_text())
    assert logs[0] == logs[1] != logs[2]


def test_the_command_line_takes_seed_count_and_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    command = command_line([*MUTANT_HARNESS, "rfc-v2"])
    argv = ["check", "--external", command, "--profile", "rfc-v2", "--seed", "9", "--count", "25", "--timeout", "5"]
    assert cli.main(argv) == 0
    assert "generated: 25 scenarios (seed 9), no disagreement" in capsys.readouterr().out


# -- mutants of the C layer: found in every run, shrunk to a 1-minimal scenario --------------------


def _mutants() -> list[str]:
    return sorted(MUTANTS)


def _still_disagreeing(minimal: dict[str, object]) -> list[dict[str, object]]:
    """The single-element removals of ``minimal`` on which the mutant (``$CT_MUTANT``) still
    disagrees: none, if ``minimal`` is 1-minimal."""
    candidates = list(removals(minimal))
    still = []
    with Program(command_line([*MUTANT_HARNESS, "rfc-v1"])) as program:
        for n, candidate in enumerate(candidates):
            expected = run_object(candidate, run_on_model, Profile.RFC_V1)
            if "error" in expected or "undefined" in expected:
                continue
            if not agree(expected, program.ask({**candidate, "id": n})):
                still.append(candidate)
    return still


@pytest.mark.parametrize("mutant", _mutants())
def test_every_mutant_is_found_in_every_run_and_shrunk_to_a_1_minimal_scenario(
    mutant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the default budget, for two seeds; the generated scenarios find it, not only a vector."""
    monkeypatch.setenv("CT_MUTANT", mutant)
    for seed in (11, 12):
        status, lines = _check([*MUTANT_HARNESS, "rfc-v1"], Profile.RFC_V1, seed=seed)
        assert status == 1, (mutant, lines)
        assert lines[1].startswith("generated: scenario "), lines
        assert _still_disagreeing(_minimal(lines)) == []


# -- broken programs: exit 2 with one line, never shrunk, nothing left behind ----------------------


BROKEN_CASES = {
    "crash": "exited with status 3",
    "segv": "(a command killed by SIGSEGV)",
    "garbage": "answered something that is not JSON",
    "non-utf8": "answered bytes that are not UTF-8 (byte 0xff",
    "deep": "answered JSON nested too deeply to read",
    "huge-int": "answered an integer too long to read",
    "nan": "answered non-standard JSON (NaN)",
    "not-object": "answered list [1, 2], not a JSON object",
    "wrong-id": "answered [3] to the scenario with id 3",
    "no-id": "answered no id to the scenario with id 3",
    "twice": "answered the scenario with id 3 twice",
    "partial": "gave no answer within 1 s after a partial line b'{\"id\": '",
    "stall": "gave no answer within 1 s",
    "huge-line": "wrote a line longer than 16 MiB",
    # The shell still holds the pipe the program closed: no end of file, a timeout.
    "close": "gave no answer within 1 s",
}


@pytest.mark.parametrize("behaviour", sorted(BROKEN_CASES))
def test_a_broken_program_is_reported_in_one_line_and_not_shrunk(
    behaviour: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"
    monkeypatch.setenv("CT_LOG", str(log))
    status, lines = _check([*BROKEN, behaviour, "3"], Profile.RFC_V1, count=20, seed=1, timeout=1)
    assert status == 2, lines
    assert lines[0].startswith("error: the program ") and BROKEN_CASES[behaviour] in lines[0], lines[0]
    assert ", answering vector " in lines[0]
    # Each scenario was sent once, none after the failure was seen: at most WINDOW beyond the last
    # one answered well (the 3rd, answered twice: "twice"), which the program may have read.
    ids = [json.loads(line)["id"] for line in log.read_text().splitlines()]
    assert ids == list(range(1, len(ids) + 1)) and 3 <= len(ids) <= 3 + WINDOW
    if behaviour in ("crash", "segv"):
        assert lines[1] == "  its stderr ends with:"
        assert lines[2].startswith("    broken_harness: ")
    if behaviour != "twice":  # the scenario shown is the one the program failed on
        shown = next(line for line in lines if line.startswith("  the scenario: "))
        assert json.loads(shown.removeprefix("  the scenario: ")) == json.loads(log.read_text().splitlines()[2])


class _DiesOnThirdSend:
    """A program stand-in that answered its first scenario (the answer is not read yet) and died on
    its second: the third ``send`` fails."""

    def __init__(self) -> None:
        self.waiting = 0
        self.unread_answers = 0
        self.sent: list[int] = []

    def send(self, scenario: dict[str, Any]) -> None:
        if len(self.sent) == 2:
            raise ProgramFailed("exited with status 3")
        self.sent.append(int(scenario["id"]))
        self.waiting += 1
        self.unread_answers = len(self.sent) - 1

    def receive(self) -> dict[str, Any]:
        raise AssertionError("not reached: the failure comes on a send")


def test_a_failure_on_a_send_names_the_first_scenario_left_unanswered() -> None:
    # Answers already written but not read yet are not the program's failure: the scenario named is
    # the first it did not answer (the second here), not the oldest the checker had not read (the first).
    program = _DiesOnThirdSend()
    session = Session(program, lambda obj: {"id": 0, "returns": []})  # type: ignore[arg-type]
    items = [({"id": n, "steps": [{"do": "add", "conn": n}]}, None, f"vector {n}") for n in (1, 2, 3)]
    with pytest.raises(ProgramFailed):
        session.each(items, lambda *_: False)
    assert session.during == "vector 2"
    assert session.last_sent == {"id": 2, "steps": [{"do": "add", "conn": 2}]}


def test_a_failure_while_shrinking_ends_the_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """151 vectors and 50 generated scenarios; the program disagrees from its 200th line on and
    dies on its 203rd: the second scenario the shrinker tries."""
    log = tmp_path / "log"
    monkeypatch.setenv("CT_LOG", str(log))
    status, lines = _check([*BROKEN, "disagree-crash", "200"], Profile.RFC_V1, count=50, seed=1)
    assert status == 2, lines
    error = next(line for line in lines if line.startswith("error: "))
    assert error.endswith("exited with status 3, on a scenario tried while shrinking a disagreement")
    assert any(line.startswith("  (it had disagreed with the model before, on: ") for line in lines)
    assert len(log.read_text().splitlines()) == 203


def test_a_failure_in_the_tracker_search_stops_hypothesis_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"
    monkeypatch.setenv("CT_LOG", str(log))
    argv = [*BROKEN, "crash", "50", "--tracker"]
    status, lines = _check(argv, Profile.RFC_V1, count=50, seed=1, tracker=True)
    assert status == 2, lines
    error = next(line for line in lines if line.startswith("error: "))
    assert ", answering generated scenario 5 (seed 1)" in error
    assert len(log.read_text().splitlines()) == 50


def test_a_chatty_program_is_not_mistaken_for_a_hung_one() -> None:
    status, lines = _check([*BROKEN, "chatty", "0"], Profile.RFC_V1, count=20, seed=1, timeout=5)
    assert status == 0, lines


def test_a_command_that_does_not_exist_is_a_broken_program() -> None:
    status, lines = _check(["/nonexistent/harness"], Profile.RFC_V1, count=5)
    assert status == 2
    assert "exited with status 127" in lines[0]
    assert "nonexistent" in "\n".join(lines[1:])


def _live_members(pgid: int) -> list[int]:
    """The processes of group ``pgid`` that are not zombies (a zombie is dead; init reaps it)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see process groups")
@pytest.mark.parametrize("behaviour", ["stall", "chatty", "crash"])
def test_no_process_is_left_behind(behaviour: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the outcome, with a program that ignores SIGTERM and forked a child."""
    pgid_file = tmp_path / "pgid"
    monkeypatch.setenv("CT_PGID", str(pgid_file))
    argv = [*BROKEN, behaviour, "2", "--ignore-term", "--fork"]
    status, _ = _check(argv, Profile.RFC_V1, count=5, seed=1, timeout=1)
    assert status == (0 if behaviour == "chatty" else 2)
    pgid = int(pgid_file.read_text())
    assert pgid != os.getpgid(0)
    assert _live_members(pgid) == []


def test_a_failed_program_refuses_every_later_question() -> None:
    with Program(command_line([*BROKEN, "garbage", "1"])) as program:
        with pytest.raises(ProgramFailed) as first:
            program.ask({"id": 1, "steps": []})
        with pytest.raises(ProgramFailed) as again:
            program.ask({"id": 2, "steps": []})
        assert again.value is first.value


# -- the shrinker ------------------------------------------------------------------------------------


def test_the_shrinker_reaches_a_1_minimal_scenario_and_renumbers() -> None:
    """A made-up disagreement: some provider has can false for the connection of a batch ADD."""

    def fails(obj: dict[str, object]) -> bool:
        for step in obj.get("steps", []):  # type: ignore[attr-defined]
            for kind, conn in step.get("ops", []):
                if kind == "ADD" and any(p.get("can", {}).get(str(conn)) is False for p in obj.get("providers", [])):  # type: ignore[attr-defined]
                    return True
        return False

    start = {
        "private_slot": False,
        "providers": [{"callbacks": ["add"]}, {"callbacks": ["can", "add"], "can": {"7": False, "9": True}, "init": 0}],
        "steps": [
            {"do": "register", "provider": 1},
            {"do": "add", "conn": 9},
            {"do": "batch", "ops": [["DEL", 9], ["ADD", 7], ["EST", 7]] * 5},
            {"do": "unregister", "provider": 0},
        ],
    }
    minimal = minimise(start, fails)
    expected = {"providers": [{"callbacks": [], "can": {"0": False}}], "steps": [{"do": "batch", "ops": [["ADD", 0]]}]}
    assert minimal == expected
    assert not any(fails(candidate) for candidate in removals(minimal))


def test_removing_a_provider_renumbers_the_steps_naming_the_others() -> None:
    obj = {
        "providers": [{}, {}, {}],
        "steps": [{"do": "register", "provider": 2}, {"do": "unregister", "provider": 0}],
    }
    without_first = next(c for c in removals(obj) if len(c.get("providers", [])) == 2 and len(c["steps"]) == 1)
    assert without_first["steps"] == [{"do": "register", "provider": 1}]
    assert renumbered({"steps": [{"do": "add", "conn": 5}, {"do": "batch", "ops": [["DEL", 2], ["ADD", 5]]}]}) == {
        "steps": [{"do": "add", "conn": 0}, {"do": "batch", "ops": [["DEL", 1], ["ADD", 0]]}]
    }


def test_the_default_budget_is_what_the_docs_say() -> None:
    assert DEFAULT_COUNT == 1000
