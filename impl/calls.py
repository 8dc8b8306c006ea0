"""What the layer does when a provider callback fails: count it, log it, go on.

Purpose: C callbacks cannot raise; Python ones can. Every provider callback goes through one of
these helpers (a ``try`` block costs nothing when nothing is raised); when one raises or answers
the wrong type, the helper logs it and answers None (or False), and the dispatch rules count that
as the documented value (RFC-RAISE, STRICT-RAISE) and go on to the remaining providers.

Promises:

- ``Exception`` never escapes the layer's dispatch (``BaseException`` such as KeyboardInterrupt
  does); an int callback must return an int and ``can_offload`` a bool or an int (C's
  nonzero-is-true), else it counts as failed;
- each failure is logged at DEBUG on the ``impl.calls`` logger, with the traceback for a raise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from impl.batch import BatchEntry
from model.conn import Ctx

_log = logging.getLogger(__name__)


def failed(fn: object, why: str = "raised") -> None:
    """Log that provider callback ``fn`` failed (call it from the ``except`` block for a raise)."""
    _log.debug("provider callback %r %s; counted as its failure value", fn, why, exc_info=why == "raised")


def wrong_type(fn: object, answer: object, wanted: str) -> None:
    """Log that ``fn`` answered ``answer``, which is not a ``wanted``."""
    failed(fn, f"returned {type(answer).__name__}, not {wanted}")


def call_can(fn: Callable[[Ctx], object], ctx: Ctx) -> bool | None:
    """``can_offload(ctx)`` as a bool; None if it raised or answered neither a bool nor an int."""
    try:
        answer = fn(ctx)
    except Exception:
        failed(fn)
        return None
    if isinstance(answer, int):
        return bool(answer)
    wrong_type(fn, answer, "bool")
    return None


def call_int(fn: Callable[..., object], *args: Ctx) -> int | None:
    """An int callback's answer (``init()`` or a per-connection one); None if it raised or answered
    something else."""
    try:
        answer = fn(*args)
    except Exception:
        failed(fn)
        return None
    if isinstance(answer, int):
        return int(answer)
    wrong_type(fn, answer, "int")
    return None


def call_void(fn: Callable[..., object], *args: Ctx) -> bool:
    """A void callback; False if it raised."""
    return call_status(fn, *args) is not None


def call_status(fn: Callable[..., object], *args: Ctx) -> int | None:
    """A callback that is void in C (``conn_del``, ``conn_established``, ``flush``) but may return an
    errno in Python: that errno (None and other answers count as 0); None if it raised."""
    try:
        answer = fn(*args)
    except Exception:
        failed(fn)
        return None
    return int(answer) if isinstance(answer, int) and not isinstance(answer, bool) else 0


def call_batch(fn: Callable[[list[BatchEntry]], None], entries: list[BatchEntry]) -> bool:
    """``batch_submit(entries)``; False if it raised."""
    try:
        fn(entries)
    except Exception:
        failed(fn)
        return False
    return True
