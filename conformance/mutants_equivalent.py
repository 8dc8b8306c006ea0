"""The surviving mutants of ``nox -s mutants`` judged equivalent: why no test can kill them.

Purpose: a mutant that changes no observable behaviour survives every test; the mutation report
(``conformance.mutants_report``) marks each such survivor with the reason recorded here, so a reader
sees which survivors are gaps in the tests and which are not. A survivor is recorded here only
after reading the code around it; a new survivor is a gap until someone does the same.

Promises: ``EQUIVALENT`` maps (file, function, the mutated line as mutmut writes it, stripped) to
the reason; the report never counts a judgement in the score: the score stays mutmut's own, and the
report gives the share over the mutants not judged equivalent beside it. A judgement whose line no
longer matches a mutant simply stops applying (the survivor then shows as unjudged).
"""

from __future__ import annotations

_ZIP_CHECKED = "impl builds both sequences with one item per item of the other, so zip's strict check never fires"
_UNUSED_STAMP = (
    "STRICT-EFFECT reads the verdicts' last-used only for UPD: an ADD, POLICY, DEL, EST or FLUSH result is "
    "(error, 0) whatever the verdicts carry"
)
_UPD_FAILURE_STAMP = (
    "a failed UPD verdict's last-used is read only when some other target answered 0, and such a verdict "
    "always carries a positive timestamp (>= 1), so a 1 never changes the max"
)
_ABSENT_STATUS = "the status of a callback that is absent is never read (``present`` is false)"
_NO_NULL_RECORD = "a NULL connection (id None) never has a record (every writer checks), so get(None) is None"

_SKIP_EMPTY = (
    "skip_empty only saves work (model/tracker_sweep.py says so): sweeping an empty list under strict submits no batch,"
    " and under the rfc profiles without a native provider its empty batch calls nobody, so sweeping it changes nothing"
)
_MODEL_ZIP = "the layer answers one result per op of the batch it was handed, so zip's strict check never fires"
_UNREACHABLE = "the match covers every TrackerOp (mypy checks it with assert_never): the default case is unreachable"

#: (file, function, mutated line) -> why the mutant cannot change behaviour.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    # nox -s mutants-model (the model itself).
    ("model/tracker_sweep.py", "sweep", "skip_empty = None"): _SKIP_EMPTY,
    (
        "model/tracker_sweep.py",
        "sweep",
        "skip_empty = state.profile is Profile.STRICT and not any(state.layer.spec(i).native for i in"
        " state.layer.registry)",
    ): _SKIP_EMPTY,
    (
        "model/tracker_sweep.py",
        "sweep",
        "clean_end = state.config.n_conn_limit / CLEAN_LIMIT_DIVISOR",
    ): "the walked count is an int, and for an int c, c <= n / 64 exactly when c <= n // 64",
    **{
        ("model/tracker_sweep.py", function, f"for conn, result in zip(asked, results, {tail}):"): _MODEL_ZIP
        for function in ("sweep_list_strict", "sweep_list_rfc")
        for tail in ("strict=None", "", "strict=False")
    },
    ("model/tracker_sweep.py", "tracker_step", "assert_never(None)"): _UNREACHABLE,
    ("model/tracker_sweep.py", "tracker_step", "-case _:"): _UNREACHABLE,
    ("model/rfc.py", "_fallback", "raise AssertionError(None)"): (
        "only the message of an unreachable assertion changes: every OpType is handled above it, and an invalid"
        " type is answered EINVAL before"
    ),
    (
        "model/tracker_sweep.py",
        "refresh",
        "fresh = stamp > 0 if (state.profile is Profile.STRICT) and False else stamp != 0",
    ): "under strict conn_update answers the latest positive timestamp or 0 (STRICT-ASK-UPD), never a negative one",
    **{
        (
            "model/tracker_sweep.py",
            "refresh",
            f"results.append(BatchResult(error=0 if fresh else Errno.ENODATA, {t}))",
        ): (
            "the last-used of a refresh that failed is never read: the rfc sweep reads only the error, and the strict"
            " sweep reads last_used only when the error is 0"
        )
        for t in ("last_used=stamp if (fresh) or True else 0", "last_used=stamp if fresh else 1")
    },
    ("model/verdict.py", "ask_void", "return state, (), BatchResult(error=None)"): (
        "a provider with nothing to do for a DEL, EST or FLUSH succeeded: its verdict is read only by "
        "STRICT-COMBINE-ALL and STRICT-KEEP, which both take any false error (0 or None) as success"
    ),
    (
        "impl/batch.py",
        "checked_entries",
        "if all(e.ctx.__class__ is not Ctx and e.kind.__class__ in _KIND_CLASSES for e in entries):",
    ): "only the fast path is lost: the full re-check accepts valid entries and converts nothing",
    ("impl/batch.py", "checked_entries", "for entry, kind in zip(entries, kinds, strict=None):"): _ZIP_CHECKED,
    ("impl/batch.py", "checked_entries", "for entry, kind in zip(entries, kinds, ):"): _ZIP_CHECKED,
    ("impl/batch.py", "checked_entries", "for entry, kind in zip(entries, kinds, strict=False):"): _ZIP_CHECKED,
    (
        "impl/batch.py",
        "Batch.add",
        'checked = kind if (kind.__class__ is OpType) and False else as_kind(kind, "Batch.add: kind")',
    ): "only the fast path is lost: as_kind returns an OpType unchanged",
    (
        "impl/marks.py",
        "MarkTable.holders",
        "record = self.records.get(conn_id) if (conn_id is not None) or True else None",
    ): _NO_NULL_RECORD,
    (
        "impl/marks.py",
        "MarkTable.mark",
        "record = self.records.get(conn_id) if (conn_id is not None) or True else None",
    ): _NO_NULL_RECORD,
    (
        "impl/rfc_dispatch.py",
        "RfcDispatch.classes_changed",
        "self._plan = Plan.of(classes, batched=None)",
    ): "Plan.of only tests ``batched`` for truth, and None is false like False",
    (
        "impl/rfc_dispatch.py",
        "RfcDispatch.conn_established_",
        "self._set_mark(ctx, None)",
    ): "_set_mark stores EST for any mark that is neither NONE nor ADDED, so None marks EST as Mark.EST does",
    ("impl/strict_batch.py", "submit_run", "for i, copy in zip(picked, copies, strict=None):"): _ZIP_CHECKED,
    ("impl/strict_batch.py", "submit_run", "for i, copy in zip(picked, copies, ):"): _ZIP_CHECKED,
    ("impl/strict_batch.py", "submit_run", "for i, copy in zip(picked, copies, strict=False):"): _ZIP_CHECKED,
    (
        "impl/strict_batch.py",
        "submit_run",
        "for i, (entry, gated) in enumerate(zip(run, gates, strict=None)):",
    ): _ZIP_CHECKED,
    ("impl/strict_batch.py", "submit_run", "for i, (entry, gated) in enumerate(zip(run, gates, )):"): _ZIP_CHECKED,
    (
        "impl/strict_batch.py",
        "submit_run",
        "for i, (entry, gated) in enumerate(zip(run, gates, strict=False)):",
    ): _ZIP_CHECKED,
    ("impl/strict_rules.py", "ask_add", "return (EOPNOTSUPP, 1)"): _UNUSED_STAMP,
    ("impl/strict_rules.py", "ask_add", "return FAILED if error is None else (error, 1)"): _UNUSED_STAMP,
    ("impl/strict_rules.py", "ask_policy", "return OK if can else (EPERM, 1)"): _UNUSED_STAMP,
    ("impl/strict_rules.py", "ask_void", "return FAILED if status is None else (status, 1)"): _UNUSED_STAMP,
    ("impl/strict_rules.py", "ask_upd", "return (0, stamp) if stamp > 0 else (ENODATA, 1)"): _UPD_FAILURE_STAMP,
    ("impl/strict_rules.py", "ask_upd", "return (ENODATA, 1)"): _UPD_FAILURE_STAMP,
    ("impl/strict_rules.py", "verdict_of", "return (error, 1)"): _UPD_FAILURE_STAMP,
    (
        "impl/strict_rules.py",
        "verdict_of",
        "return (0, last_used) if last_used > 0 else (ENODATA, 1)",
    ): _UPD_FAILURE_STAMP,
    (
        "impl/strict_rules.py",
        "ask_void",
        "present, status = cls.conn_del is not None, call_status(cls.conn_del, ctx) if cls.conn_del else 1",
    ): _ABSENT_STATUS,
    (
        "impl/strict_rules.py",
        "ask_void",
        "present, status = fn is not None, call_status(fn, ctx) if fn else 1",
    ): _ABSENT_STATUS,
    (
        "impl/strict_rules.py",
        "ask_void",
        "present, status = cls.flush is not None, call_status(cls.flush) if cls.flush else 1",
    ): _ABSENT_STATUS,
    (
        "impl/strict_rules.py",
        "effect",
        "return (error, max((verdict[1] for _, verdict in asked), default=0) if (error == 0) or True else 0)",
    ): "a failed UPD has no target that answered 0, and every other UPD verdict carries last-used 0: the max is 0",
    (
        "impl/strict_rules.py",
        "effect",
        "return (error, max((verdict[1] for _, verdict in asked), default=None) if error == 0 else 0)",
    ): "the default counts only for no targets, and then the UPD result is ENODATA, so the max is not taken",
    (
        "impl/strict_rules.py",
        "effect",
        "return (error, max((verdict[1] for _, verdict in asked), ) if error == 0 else 0)",
    ): "the default counts only for no targets, and then the UPD result is ENODATA, so the max is not taken",
    (
        "impl/strict_rules.py",
        "effect",
        "return (error, max((verdict[1] for _, verdict in asked), default=1) if error == 0 else 0)",
    ): "the default counts only for no targets, and then the UPD result is ENODATA, so the max is not taken",
    (
        "impl/strict_rules.py",
        "effect",
        "record = records.get(conn.id) if (conn is not None) or True else None",
    ): "STRICT-GATE answers EST of a NULL connection EINVAL, so effect never sees one",
}
