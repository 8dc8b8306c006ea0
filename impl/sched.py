"""Yield points: the places where impl's threads may interleave, and a hook a scheduler installs.

Purpose: a deterministic test scheduler (``conformance.scheduler``) makes races reproducible by
running threads one at a time and choosing, at every yield point, which thread goes next. impl
calls ``point(tag)`` where an interleaving could matter: around the layer's lock, between the
provider calls of one operation, and between deciding an op and recording its effect.

Promises: with no hook installed (production) ``point`` does nothing but one global read; the hook
is process-wide and must be installed and removed by one test at a time.
"""

from __future__ import annotations

from collections.abc import Callable

#: The installed hook, called with the yield point's tag; None in production.
hook: Callable[[str], None] | None = None


def point(tag: str) -> None:
    """A yield point named ``tag`` (``"lock:wait"``, ``"rfc:add:provider"``, ...)."""
    current = hook
    if current is not None:
        current(tag)


def install(new: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """Install ``new`` (None removes the hook); returns the previous hook."""
    global hook
    previous, hook = hook, new
    return previous
