"""The ``ct-offload`` console script: every command of the project behind one name.

Purpose: an installed copy is used like any other tool. ``ct-offload scenarios|tracker|check|
vectors|contracts|bench|docs-check|errata ...`` are the conformance suite's commands
(``conformance.cli``, also ``python -m conformance``); ``ct-offload simulate|devlink ...`` are the
implementation's (``impl.commands``, also ``python -m impl``).

Promises: works from any folder (a console script's ``sys.path[0]`` is its own folder, so a user's
``model.py`` in the current folder is never imported); ``ct-offload``, ``-h`` and ``help`` list the
commands; ``-V``/``--version`` prints the installed version; the exit status is the command's, 2
for a command that does not exist.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from conformance import cli
from impl import commands as impl_commands

PROG = "ct-offload"


def version() -> str:
    """The installed distribution's version (pyproject.toml is its single source)."""
    try:
        return metadata.version("ct-offload")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def conformance_commands() -> dict[str, str]:
    """The conformance suite's commands and their one-line help, read from its own parser (so a
    command added there is listed here without a second list to keep in step)."""
    for action in cli.parser(PROG)._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def usage() -> str:
    """The list of commands."""
    rows = {**conformance_commands(), **impl_commands.COMMANDS}
    width = max(map(len, rows))
    lines = [f"usage: {PROG} COMMAND [ARGS...]   ({PROG} COMMAND -h for a command's options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in rows.items()]
    lines += ["", f"  {'-V, --version':<{width}}  print the version and exit"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ct-offload`` with ``argv`` (default: the process arguments); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if args[0] in ("-V", "--version"):
        print(f"{PROG} {version()}")
        return 0
    if args[0] in impl_commands.COMMANDS:
        return impl_commands.run(args)
    if args[0] not in conformance_commands():
        print(f"{PROG}: unknown command {args[0]!r} (run '{PROG} help' for the list)", file=sys.stderr)
        return 2
    return cli.main(args, prog=PROG)
