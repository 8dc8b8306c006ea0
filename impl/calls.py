"""Calling provider callbacks safely: a callback that raises is reported, never propagated.

Purpose: C callbacks cannot raise; Python ones can. Every provider callback the layer invokes goes
through one of these helpers, which catch ``Exception`` and return a failure marker (None or False)
so the dispatch rules can count the failure as their documented value (RFC-RAISE, STRICT-RAISE) and
go on to the remaining providers.

Promises:

- ``Exception`` never escapes a helper (``BaseException`` such as KeyboardInterrupt does);
- an answer of the wrong type counts as a failure too: an int callback must return an int, and
  ``can_offload`` a bool or an int (C's nonzero-is-true);
- each failure is logged at DEBUG on the ``impl.calls`` logger with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from impl.batch import BatchEntry
from model.conn import Ctx

_log = logging.getLogger(__name__)


def _failed(fn: object, why: str) -> None:
    _log.debug("provider callback %r %s; counted as its failure value", fn, why, exc_info=why == "raised")


def call_int(fn: Callable[..., object], *args: Ctx) -> int | None:
    """``fn(*args)`` if it returns an int; None if it raised or returned anything else."""
    try:
        answer = fn(*args)
    except Exception:
        _failed(fn, "raised")
        return None
    if not isinstance(answer, int):
        _failed(fn, f"returned {type(answer).__name__}, not int")
        return None
    return int(answer)


def call_bool(fn: Callable[[Ctx], object], ctx: Ctx) -> bool | None:
    """``can_offload(ctx)`` as a bool; None if it raised or returned neither a bool nor an int."""
    try:
        answer = fn(ctx)
    except Exception:
        _failed(fn, "raised")
        return None
    if not isinstance(answer, int):
        _failed(fn, f"returned {type(answer).__name__}, not bool")
        return None
    return bool(answer)


def call_void(fn: Callable[..., object], *args: Ctx) -> bool:
    """``fn(*args)`` for a void callback (its answer is ignored); False if it raised."""
    try:
        fn(*args)
    except Exception:
        _failed(fn, "raised")
        return False
    return True


def call_batch(fn: Callable[[list[BatchEntry]], None], entries: list[BatchEntry]) -> bool:
    """``batch_submit(entries)``; False if it raised."""
    try:
        fn(entries)
    except Exception:
        _failed(fn, "raised")
        return False
    return True
