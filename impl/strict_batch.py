"""Batch submission under the strict profile (docs/spec.rst, STRICT-SEGMENT and STRICT-BATCH).

Purpose: a batch is cut into runs in which no two ops name the same connection; each run is
decided with the rules of ``impl.strict_rules`` that the single-op API also uses, so the two paths
cannot drift apart, while a native provider is called once per run instead of once per op.

Promises: every entry of the caller's batch gets exactly one result (its ``error``, and for UPD its
``last_used``); a native provider is handed its own fresh copies of the ops it is a target of, in a
list of its own, so what it writes is its verdict and nobody else's, and is never overwritten (one
that changes the list's entries answers EIO for all of them); the caller's entries are written
only in the effect step, after every provider of the run has answered.
"""

from __future__ import annotations

from collections.abc import Sequence

from impl import sched
from impl.batch import BatchEntry
from impl.calls import call_batch
from impl.marks import MarkTable
from impl.provider import OffloadClass
from impl.strict_rules import FAILED, FLUSH, POLICY, UPD, Verdict, ask, decide, decide_upd, effect, gate, verdict_of
from model.vocab import OpType


def segments(entries: Sequence[BatchEntry]) -> list[list[int]]:
    """STRICT-SEGMENT: the runs of a batch, as lists of positions.

    A run ends before an op naming a connection the run already names, and a FLUSH is a run of its
    own. An op of invalid type or with a NULL connection names no connection (the gate answers it
    whatever the run holds).
    """
    runs: list[list[int]] = []
    run: list[int] = []
    named: set[int] = set()
    for position, entry in enumerate(entries):
        kind = entry.kind
        if kind is FLUSH:
            if run:
                runs.append(run)
            runs.append([position])
            run, named = [], set()
            continue
        conn = entry.ctx.conn if isinstance(kind, OpType) else None
        if conn is not None:
            if conn.id in named:
                runs.append(run)
                run, named = [], set()
            named.add(conn.id)
        run.append(position)
    if run:
        runs.append(run)
    return runs


def submit_run(
    classes: tuple[OffloadClass, ...],
    capable: tuple[OffloadClass, ...],
    run: Sequence[BatchEntry],
    marks: MarkTable,
    *,
    private_slot: bool,
) -> None:
    """STRICT-BATCH for one run: gate every op, natives first, then the others op by op, then effects.

    Every native target of an op is handed it (POLICY included); the stop of STRICT-POLICY-STOP
    applies when the op's targets are then walked in registration order, so a non-native target
    after one that took the connection is not asked.
    """
    gates = [gate(entry.kind, entry.ctx, classes, capable, marks, private_slot=private_slot) for entry in run]
    # Each native provider, in registration order: one batch_submit with its own copies of the ops
    # of the run it is a target of (no call when there are none).
    native: dict[tuple[int, OffloadClass], Verdict] = {}
    for cls in classes:
        if cls.batch_submit is None:
            continue
        picked = [i for i, gated in enumerate(gates) if not isinstance(gated, int) and cls in gated]
        if not picked:
            continue
        copies = [BatchEntry(kind=run[i].kind, ctx=run[i].ctx, index=run[i].index) for i in picked]
        # The provider gets a list of its own. One that raises, or that adds, removes or reorders
        # entries of it, is broken: EIO for every op it was handed (STRICT-RAISE); the verdicts
        # are read from the copies, so nothing it did to the list can reach another op.
        handed = list(copies)
        answered = call_batch(cls.batch_submit, handed) and _untouched(handed, copies)
        for i, copy in zip(picked, copies, strict=True):
            native[(i, cls)] = verdict_of(copy) if answered else FAILED

    # Then op by op: the targets in registration order as on the single-op path (a native's
    # verdict is the one it just wrote, any other target is asked through its per-op callbacks;
    # POLICY stops at the first target that takes the connection, STRICT-POLICY-STOP), and the
    # effect. Only now are the caller's entries written.
    for i, (entry, gated) in enumerate(zip(run, gates, strict=True)):
        if isinstance(gated, int):
            entry.error, entry.last_used = gated, 0
            continue
        kind = entry.kind
        assert isinstance(kind, OpType)  # the gate answers every other kind itself
        asked: list[tuple[OffloadClass, Verdict]] = []
        for cls in gated:
            verdict = native[(i, cls)] if cls.batch_submit is not None else ask(cls, kind, entry.ctx)
            asked.append((cls, verdict))
            if kind is POLICY and verdict[0] == 0:
                break
        entry.error, entry.last_used = effect(marks, kind, entry.ctx, asked)


def _untouched(handed: list[BatchEntry], copies: list[BatchEntry]) -> bool:
    """Whether a provider left the list it was handed as it got it (the same entries, in order)."""
    return len(handed) == len(copies) and all(a is b for a, b in zip(handed, copies, strict=True))


def submit_batch(
    classes: tuple[OffloadClass, ...],
    capable: tuple[OffloadClass, ...],
    entries: Sequence[BatchEntry],
    marks: MarkTable,
    *,
    private_slot: bool,
) -> None:
    """STRICT-BATCH: every run of ``entries`` in order (an empty batch calls nobody)."""
    if not any(cls.batch_submit is not None for cls in classes):
        # No native provider: runs only decide who is called at once, so the batch is its ops one
        # by one through the single-op path (the refinement law, with nothing to batch); a UPD
        # takes ``decide_upd``, the same steps written out, unless a test scheduler is installed.
        fast = sched.hook is None
        for entry in entries:
            kind = entry.kind
            if kind is UPD and fast:  # (the records are read per op: a FLUSH replaces the dict)
                entry.error, entry.last_used = decide_upd(marks.records, entry.ctx)
            else:
                entry.error, entry.last_used = decide(
                    classes, capable, marks, kind, entry.ctx, private_slot=private_slot
                )
        return
    for run in segments(entries):
        submit_run(classes, capable, [entries[i] for i in run], marks, private_slot=private_slot)
