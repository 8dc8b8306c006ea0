"""The implementation's command line, shared by ``python -m impl`` and the ``ct-offload`` script.

Purpose: one dispatcher for impl's two tools: ``simulate`` (the threaded tracker simulation,
``impl.sim_cli``) and ``devlink`` (the devlink command line of the embedded simulated device,
``impl.devlink_main``).

Promises: ``run(argv)`` returns the tool's exit status; ``COMMANDS`` names the tools it knows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from impl import devlink_main, sim_cli

#: impl's tools and what each does (the ``ct-offload`` script lists them).
COMMANDS = {
    "simulate": "run impl's threaded connection tracker on a virtual clock and summarise it",
    "devlink": "show or configure the embedded simulated switchdev device, as devlink does",
}


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``argv`` (default: the process arguments): ``devlink ...`` or the simulation's parser."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "devlink":
        return devlink_main.main(args[1:])
    return sim_cli.main(args)
