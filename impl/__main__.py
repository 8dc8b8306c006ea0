"""``python -m impl``: the implementation's command line.

Purpose: ``python -m impl simulate ...`` runs the threaded tracker simulation (``impl.sim_cli``);
``python -m impl devlink ...`` is the devlink command line of the embedded simulated device
(``impl.devlink_main``). The same commands are ``ct-offload simulate`` and ``ct-offload devlink``.
Promises: the exit status is the command's; a ``model.py`` in the current folder does not shadow
the project's ``model`` package (``impl.cwd_guard``).
"""

from __future__ import annotations

from impl.cwd_guard import drop_shadowing_cwd

drop_shadowing_cwd()

from impl.commands import run  # noqa: E402  (after the sys.path guard, on purpose)

raise SystemExit(run())
