"""The project's own promises: the README's commands, the CI script and the docs stay true."""

from __future__ import annotations

from pathlib import Path

from conformance import docs_check

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    """The commands of the README's first code block (comments dropped)."""
    text = ROOT.joinpath("README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_what_it_is_then_the_main_job_and_the_test_command() -> None:
    text = ROOT.joinpath("README.md").read_text()
    opening = text.split("```", 1)[0]
    assert "ct-offload is the reference for" in opening
    main_job, tests = _readme_commands()
    assert main_job.endswith("nox -s conformance")
    assert "nox -s tests" in tests and "docs" in tests.split()
    for command in (main_job, tests):
        assert "--user" not in command  # PEP 668: a distribution Python refuses it
        assert command.startswith("python3 -m venv .venv && ")


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = _readme_commands()
    assert tests in ROOT.joinpath(".ci/run").read_text().splitlines()


def test_docs_are_in_step_with_the_model() -> None:
    assert docs_check.problems() == []


def test_docs_check_catches_a_citation_of_nothing() -> None:
    assert docs_check.resolves("model.rfc.add")
    assert docs_check.resolves("model.state.Record.holders")
    assert not docs_check.resolves("model.rfc.no_such_rule")
    assert not docs_check.resolves("model.no_such_module")
