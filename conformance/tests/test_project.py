"""The project's own promises: the README's commands, the CI script and the docs stay true."""

from __future__ import annotations

from pathlib import Path

from conformance import docs_check

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    lines = ROOT.joinpath("README.md").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines[:8] if line.startswith("python3 -m pip")]


def test_readme_opens_with_the_main_job_and_the_test_command() -> None:
    main_job, tests = _readme_commands()
    assert main_job.endswith("nox -s conformance")
    assert "nox -s tests" in tests


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
