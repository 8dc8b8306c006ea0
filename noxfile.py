"""nox sessions of ct-offload: ``nox -l`` lists them; ``nox`` runs the default set.

Purpose: the one way to run everything. Sessions reuse their virtualenvs, never download an
interpreter, and install what they need from pyproject.toml's dependency groups.

Promises: every session fails when its check fails (pytest's "no tests ran" included); ``bench``,
``deep`` and ``docs`` write reports under ``reports/``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"
nox.options.error_on_external_run = True
nox.options.sessions = ["tests", "lint", "typecheck", "contracts", "conformance"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
SOURCES = ["model", "impl", "conformance", "docs/examples", "noxfile.py"]


def install(session: nox.Session, *groups: str) -> None:
    """Install the project (editable) and the named dependency groups."""
    requirements: list[str] = []
    for group in groups:
        requirements.extend(nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".", *requirements)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and protocol tests (fast, derandomised Hypothesis profile)."""
    install(session, "test")
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs, env={"HYPOTHESIS_PROFILE": "ci"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    install(session, "lint")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy --strict over every package and the tests."""
    install(session, "typecheck")
    session.run("mypy", "--strict", "model", "impl", "conformance")


@nox.session
def contracts(session: nox.Session) -> None:
    """CrossHair over the model's contracts, with per-contract time limits and an honest report."""
    install(session, "contracts")
    session.run("python", "-m", "conformance", "contracts", "--report", "reports/contracts.md", *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    """The conformance suite: the RFC behaviours and the profile laws, through the scenario protocol."""
    install(session, "test")
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "conformance",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "conformance"},
    )


@nox.session(default=False)
def deep(session: nox.Session) -> None:
    """The conformance suite with large Hypothesis budgets (nightly)."""
    install(session, "test")
    session.run("pytest", "-q", *session.posargs, env={"HYPOTHESIS_PROFILE": "deep"})


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Check that the specification text cites model rules and functions that exist, and vice versa."""
    install(session, "test")
    session.run("python", "-m", "conformance", "docs-check")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks, as ratios measured in one run; writes reports/bench.md."""
    install(session, "bench")
    session.run("python", "-m", "conformance", "bench", "--report", "reports/bench.md", *session.posargs)
