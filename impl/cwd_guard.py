"""Keep a user's own ``model.py`` in the current folder from shadowing the project's packages.

Purpose: ``python -m impl`` and ``python -m conformance`` put the current folder first on
``sys.path``. The project's top-level packages have short names (``model``, ``impl``,
``conformance``), so a ``model.py`` (or a ``model/`` folder) of the user's there would be imported
instead of ours, and the command would fail with "'model' is not a package". The ``ct-offload``
console script has no such problem (its ``sys.path[0]`` is the folder of the script).

Promises: ``drop_shadowing_cwd()`` removes the current folder from the front of ``sys.path`` only
when it holds something named like one of our packages and is not the folder our packages were
loaded from (a source checkout keeps working as before); it imports nothing of the project.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The project's top-level packages.
PACKAGES = ("model", "impl", "conformance")


def shadows(folder: Path) -> bool:
    """Whether ``folder`` holds a module or package named like one of ours."""
    return any((folder / f"{name}.py").exists() or (folder / name).is_dir() for name in PACKAGES)


def drop_shadowing_cwd() -> None:
    """Remove ``sys.path[0]`` when it is a foreign folder that would shadow our packages."""
    if not sys.path:
        return
    first = Path(sys.path[0] or ".").resolve()
    ours = Path(__file__).resolve().parents[1]
    if first != ours and shadows(first):
        del sys.path[0]
