"""The coverage gate: every op x path x outcome cell of every profile is hit by the suite.

Purpose: layer 5 of the suite (docs/conformance.rst). Every op the model applies during the suite (through
``ModelRunner``, which every layer-level check uses: the state machines, the differential tests,
the vectors) is classified into a cell ``(profile, op, path, outcome)``: the op kind; the path
("single" for the single-op API, "fallback" or "native" for a batch op, by whether a native
provider's ``batch_submit`` was handed it, "fault" when a raising callback was called); the outcome
(an errno name, "timestamp"/"none", "true"/"false", "done"). ``REQUIRED`` lists the cells each
profile must hit; the conformance session fails naming the empty ones.

Promises: recording is process-local and happens only once ``enable()`` was called (the test
suite's conftest does; the command line and the bench do not, as nobody reads their cells: a
sixth of ``scenarios --target model``'s time, issue 16); ``missing()`` lists required cells not hit.
"""

from __future__ import annotations

from collections import Counter
from itertools import product

from model.ops import (
    Add,
    BatchResult,
    CanOffload,
    Delete,
    Established,
    Flush,
    InvalidType,
    LayerOp,
    QueryMark,
    Register,
    Result,
    SubmitBatch,
    Trace,
    Unregister,
    Update,
)
from model.state import LayerState
from model.vocab import Callback, Errno, Profile

Cell = tuple[str, str, str, str]
HITS: Counter[Cell] = Counter()
_ENABLED = [False]


def enable() -> None:
    """Count cells from now on in this process (the test suite calls it at start)."""
    _ENABLED[0] = True


NAMED = {e.name for e in Errno}


def _errno(value: int) -> str:
    try:
        name = Errno(value).name
    except ValueError:
        return "OTHER"
    return name if name in NAMED else "OTHER"


def _raised(state: LayerState, trace: Trace) -> bool:
    names = {spec.name: spec for spec in state.world}
    return any(call.provider in names and names[call.provider].behaviour.raises(call.callback) for call in trace)


def record(state: LayerState, op: LayerOp, result: Result, trace: Trace) -> None:
    """Count the cells of one applied op (``state`` is the state before it), once enabled."""
    if not _ENABLED[0]:
        return
    profile = state.profile.value
    fault = _raised(state, trace)
    single = "fault" if fault else "single"
    match op:
        case Register():
            HITS[(profile, "REGISTER", single, "OK" if result == 0 else _errno(int(result or 0)))] += 1  # type: ignore[arg-type]
        case Unregister():
            HITS[(profile, "UNREGISTER", single, "done")] += 1
        case Add():
            HITS[(profile, "ADD", single, _errno(int(result)))] += 1  # type: ignore[arg-type]
        case Update():
            HITS[(profile, "UPD", single, "timestamp" if result else "none")] += 1
        case CanOffload():
            HITS[(profile, "POLICY", single, "true" if result else "false")] += 1
        case Delete():
            HITS[(profile, "DEL", single, "done")] += 1
        case Established():
            HITS[(profile, "EST", single, "done")] += 1
        case Flush():
            HITS[(profile, "FLUSH", single, "done")] += 1
        case QueryMark():
            HITS[(profile, "MARK", "single", "done")] += 1
        case SubmitBatch(ops=ops):
            handed = {id(o) for call in trace if call.callback is Callback.BATCH for o in (call.batch or ())}
            assert isinstance(result, tuple)
            for batch_op, outcome in zip(ops, result, strict=True):
                assert isinstance(outcome, BatchResult)
                kind = "INVALID" if isinstance(batch_op.kind, InvalidType) else batch_op.kind.name
                path = "fault" if fault else ("native" if id(batch_op) in handed else "fallback")
                HITS[(profile, kind, path, "OK" if outcome.error == 0 else _errno(outcome.error))] += 1


def _cells(profile: Profile, op: str, paths: tuple[str, ...], outcomes: tuple[str, ...]) -> set[Cell]:
    return {(profile.value, op, path, outcome) for path, outcome in product(paths, outcomes)}


def required(profile: Profile) -> set[Cell]:
    """The cells ``profile`` must hit."""
    cells: set[Cell] = set()
    both = ("fallback", "native")
    cells |= _cells(profile, "REGISTER", ("single",), ("OK", "EEXIST", "ENOMEM"))
    cells |= _cells(profile, "UNREGISTER", ("single",), ("done",))
    cells |= _cells(profile, "UPD", ("single",), ("timestamp", "none"))
    cells |= _cells(profile, "POLICY", ("single",), ("true", "false"))
    for op in ("DEL", "EST", "FLUSH"):
        cells |= _cells(profile, op, ("single",), ("done",))
    cells |= _cells(profile, "MARK", ("single",), ("done",))
    cells |= _cells(profile, "INVALID", ("fallback",), ("EINVAL",))
    cells |= _cells(profile, "ADD", ("single",), ("OK", "ENOSPC"))
    cells |= _cells(profile, "ADD", ("fault",), ("OK", "EIO"))
    cells |= _cells(profile, "DEL", both, ("OK",))
    cells |= _cells(profile, "FLUSH", both, ("OK",))
    if profile is Profile.STRICT:
        cells |= _cells(profile, "ADD", ("single",), ("EOPNOTSUPP", "EEXIST", "ENOMEM"))
        cells |= _cells(profile, "ADD", both, ("OK", "EOPNOTSUPP", "ENOSPC"))
        cells |= _cells(profile, "ADD", ("fallback",), ("EEXIST",))
        cells |= _cells(profile, "UPD", both, ("OK", "ENODATA"))
        cells |= _cells(profile, "POLICY", both, ("OK", "EPERM"))
        cells |= _cells(profile, "EST", both, ("OK",))
        cells |= _cells(profile, "EST", ("fallback",), ("EALREADY",))
        cells |= _cells(profile, "UPD", ("fault",), ("EIO",))
    else:
        no_data = "EIO" if profile is Profile.RFC_V2 else "ENODATA"
        cells |= _cells(profile, "ADD", ("native",), ("OK",))
        cells |= _cells(profile, "ADD", ("fallback",), ("OK", "ENOSPC"))
        cells |= _cells(profile, "UPD", both, ("OK", no_data))
        cells |= _cells(profile, "POLICY", both, ("OK", "EPERM"))
        cells |= _cells(profile, "EST", both, ("OK", "EALREADY"))
        cells |= _cells(profile, "EST", ("fallback",), ("EAGAIN",))
    return cells


def missing() -> list[Cell]:
    """Required cells of every profile that no check has hit, sorted."""
    need = set().union(*(required(p) for p in Profile))
    return sorted(cell for cell in need if HITS[cell] == 0)


def table() -> list[str]:
    """One line per profile: cells hit of those required."""
    lines = []
    for profile in Profile:
        need = required(profile)
        hit = sum(1 for cell in need if HITS[cell] > 0)
        seen = sum(1 for c in HITS if c[0] == profile.value)
        lines.append(f"{profile.value}: {hit}/{len(need)} required cells hit ({seen} cells seen)")
    return lines
