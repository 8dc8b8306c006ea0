r"""A scenario-protocol harness written from the core protocol alone: the shape of every harness.

Purpose: a worked example for implementations in other languages (docs/external.rst). It reads one
scenario per line on stdin, turns each declared provider into a real provider class of the
implementation under test -- here this project's ``impl.layer.OffloadLayer``; in C it would be a
``struct ct_offload_class`` of lib/ct-offload.c -- whose callbacks answer from the scenario's
tables and record every call, runs the steps, and writes one result per line on stdout. It uses
nothing from ``conformance``, only what the protocol defines, so a port to another language can
follow it line by line. Try:

    python -m conformance check --profile strict \\
        --external 'python docs/examples/minimal_harness.py strict'

Promises: speaks the portable protocol (no extension) under the profile named by its one argument,
flushing after each result; a line it cannot run gets ``{"id": ..., "error": "..."}`` naming why.
"""

import json
import sys
from collections.abc import Callable
from typing import Any

from impl.batch import Batch, BatchEntry
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.conn import Ctx
from model.vocab import OpType, Profile

EPERM, EINVAL, ENODATA, EOPNOTSUPP = 1, 22, 61, 95
PER_OP = ("add", "del", "upd", "est", "can", "flush")
JSON = Any


def scripted(decl: dict[str, JSON], index: int, trace: list[JSON]) -> OffloadClass:
    """The provider class ``decl`` declares: answers from its tables, records every call."""
    name = decl.get("name", f"p{index}")
    words = set(decl.get("callbacks", PER_OP))
    native = decl.get("batch", False) or "batch" in words
    init_result = decl.get("init", 0)
    has_init = "init" in decl or "init" in words

    def table(key: str, conn: int | None, default: JSON) -> JSON:
        return decl.get(key, {}).get(str(conn), default)

    def record(callback: str, conn: JSON) -> None:
        trace.append([name, callback, conn])

    def answer(entry: BatchEntry) -> tuple[int, int]:
        """What the per-op callbacks would answer for one op (a coherent batch_submit)."""
        conn, kind = entry.ctx.conn_id, entry.kind
        allowed = table("can", conn, True) if "can" in words else True
        if kind is OpType.ADD:
            return (table("add", conn, 0) if allowed else EOPNOTSUPP), 0
        if kind is OpType.UPD:
            stamp = table("upd", conn, 0)
            return (0, stamp) if stamp > 0 else (ENODATA, 0)
        if kind is OpType.POLICY:
            return (0 if allowed else EPERM), 0
        return (0 if isinstance(kind, OpType) else EINVAL), 0

    def batch_submit(entries: list[BatchEntry]) -> None:
        record("batch", [[e.kind.name if isinstance(e.kind, OpType) else e.kind.raw, e.conn_id] for e in entries])
        for entry in entries:
            error, stamp = answer(entry)
            override = decl.get("batch_errors", {}).get(str(entry.index)) if entry.index >= 0 else None
            if override is not None:
                error, stamp = override, stamp if override == 0 else 0
            entry.error, entry.last_used = error, stamp

    def per_op(word: str, result: Callable[[int | None], JSON]) -> Callable[[Ctx], JSON]:
        def callback(ctx: Ctx) -> JSON:
            record(word, ctx.conn_id)
            return result(ctx.conn_id)

        return callback

    def flush() -> None:
        record("flush", None)

    def init() -> int:
        record("init", None)
        return int(init_result)

    members: dict[str, Callable[..., JSON]] = {
        "conn_add": per_op("add", lambda conn: table("add", conn, 0)),
        "conn_del": per_op("del", lambda conn: None),
        "conn_update": per_op("upd", lambda conn: table("upd", conn, 0)),
        "conn_established": per_op("est", lambda conn: None),
        "can_offload": per_op("can", lambda conn: table("can", conn, True)),
    }
    words_of = {"conn_add": "add", "conn_del": "del", "conn_update": "upd", "conn_established": "est"}
    words_of["can_offload"] = "can"
    present = {member: func for member, func in members.items() if words_of[member] in words}
    if "flush" in words:
        present["flush"] = flush
    if native:
        present["batch_submit"] = batch_submit
    if has_init:
        present["init"] = init
    return OffloadClass(name, **present)


def run(scenario: dict[str, JSON], profile: Profile) -> dict[str, JSON]:
    """The result object of one scenario."""
    trace: list[JSON] = []
    classes = [scripted(decl, i, trace) for i, decl in enumerate(scenario.get("providers", []))]
    layer = OffloadLayer(profile, private_slot=scenario.get("private_slot", True))
    initial = [layer.register(cls) for cls in classes] if scenario.get("register_all_at_start", True) else []
    single = {
        "add": layer.conn_add,
        "del": layer.conn_del,
        "upd": layer.conn_update,
        "est": layer.conn_established,
        "can": layer.can_offload,
    }
    returns: list[JSON] = []
    marks: list[JSON] = []
    named: set[int] = set()
    for step in scenario.get("steps", []):
        do = step["do"]
        if do in single:
            named.add(step["conn"])
            returns.append(single[do](Ctx.of(step["conn"])))
        elif do == "flush":
            layer.flush()
            returns.append(None)
        elif do == "batch":
            batch = Batch()
            for kind, conn in step["ops"]:
                batch.add(OpType[kind] if isinstance(kind, str) else kind, Ctx.of(conn))
                named.update([conn] if conn is not None else [])
            layer.submit(batch)
            returns.append([result.error for result in batch.results()])
        elif do == "register":
            returns.append(layer.register(classes[step["provider"]]))
        elif do == "unregister":
            layer.unregister(classes[step["provider"]])
            returns.append(None)
        else:
            raise ValueError(f"unknown step {do!r}")
        marks.append({str(conn): layer.mark(conn).name for conn in sorted(named)})
    return {"id": scenario.get("id"), "initial_register": initial, "trace": trace, "returns": returns, "marks": marks}


def main() -> None:
    """Answer every line of stdin."""
    profile = Profile.parse(sys.argv[1] if len(sys.argv) > 1 else "strict")
    for line in sys.stdin:
        if not line.strip():
            continue
        scenario: JSON = None
        try:
            scenario = json.loads(line)
            result = run(scenario, profile)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            scenario_id = scenario.get("id") if isinstance(scenario, dict) else None
            result = {"id": scenario_id, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
