"""Where the project's source checkout is, for the commands that need one.

Purpose: most commands work from an installed copy (``ct-offload ...``); a few read or write files
that only a checkout has: ``docs-check`` reads docs/, ``vectors --write`` rewrites the committed
vector files. Installed from a wheel, those say so in one line instead of failing obscurely.

Promises: ``source_root()`` is the checkout holding this package, or None for an installed copy
(a checkout has ``pyproject.toml``, ``noxfile.py`` and ``docs/conf.py`` beside the packages);
``needs_checkout(command)`` is the one line such a command prints.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_MARKERS = ("pyproject.toml", "noxfile.py", "docs/conf.py")


def source_root() -> Path | None:
    """The source checkout this package was loaded from, or None when it is an installed copy."""
    return _ROOT if all((_ROOT / marker).exists() for marker in _MARKERS) else None


def needs_checkout(command: str) -> str:
    """The line a command that needs a checkout prints when run from an installed copy."""
    return (
        f"{command}: needs a source checkout of ct-offload (this copy is installed in {_ROOT}); "
        "run it from the checkout, e.g. 'python3 -m nox -s docs'"
    )
