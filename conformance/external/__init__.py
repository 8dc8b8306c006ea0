"""Checking an external implementation (any language) against the model: ``check --external``.

Purpose: ``python -m conformance check --external 'COMMAND' --profile P`` runs COMMAND, a program
speaking the scenario protocol on stdin/stdout (docs/spec.rst), and reports every way its
answers differ from the model's, shrunk to a 1-minimal scenario. The parts, each readable alone:

- ``process``: the program, bounded (its own process group, a deadline on every read and write,
  stderr drained all along, nothing left running);
- ``generate``: the scenarios sent (seeded, distinct, reaching every erratum's shape);
- ``shrink``: the checker's own shrinking pass, to a 1-minimal scenario;
- ``report``: how answers are compared and what is printed;
- ``check``: the command itself (``run``), tying them together.

Promises: exit status 0 when nothing disagrees, 1 when something does (the minimal scenario is
printed with the fields that differ), 2 when the program is broken (what it did, and the tail of
its stderr); the names below are this package's public interface.
"""

from __future__ import annotations

import shlex

from conformance.external.check import DEFAULT_COUNT, DEFAULT_TIMEOUT, run
from conformance.external.process import Program, ProgramFailed
from conformance.external.report import differing_fields

#: The names of earlier releases.
External = Program
ExternalError = ProgramFailed


def command_line(argv: list[str]) -> str:
    """A command line for ``argv``, quoted for the shell (for tests and examples)."""
    return " ".join(shlex.quote(a) for a in argv)


__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_TIMEOUT",
    "External",
    "ExternalError",
    "Program",
    "ProgramFailed",
    "command_line",
    "differing_fields",
    "run",
]
