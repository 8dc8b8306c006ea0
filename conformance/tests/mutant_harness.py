r"""A fast stand-in for the RFC's C layer behind the scenario protocol, with switchable mutants.

Purpose: the external checker must find semantic mutants of lib/ct-offload.c in every run. Building
and running C for each is slow, so this file ports ``ct_offload_*`` of the posted series line by line
(the same loops, the same ``continue`` and ``break``, the same private-slot states; no import from
this project, so it starts fast) and speaks the scenario protocol like a C harness would. The
environment variable ``CT_MUTANT`` names one mutation of the C code, made at the place the comment
``# MUTANT name`` marks; ``MUTANTS`` lists them with the C change each one stands for. Run as
``python mutant_harness.py rfc-v1|rfc-v2``. Unmutated, it agrees with the model's rfc profiles.

Promises: one answer line per scenario line, flushed; a NULL connection where the C code
dereferences it crashes the harness (exit 139), as the C harness would.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

JSON = Any
EPERM, EIO, EAGAIN, ENOMEM, EACCES, EEXIST, EINVAL, ENODATA, EALREADY = 1, 5, 11, 12, 13, 17, 22, 61, 114
NONE, ADDED, EST = 0, 1, 2
MARK_NAMES = {NONE: "NONE", ADDED: "ADDED", EST: "EST"}
OP_TYPES = {"ADD": 0, "DEL": 1, "UPD": 2, "POLICY": 3, "FLUSH": 4, "EST": 5}
PER_OP = ("add", "del", "upd", "est", "can", "flush")

#: Each mutant and the change of lib/ct-offload.c it stands for.
MUTANTS = {
    "est-errno": "ct_offload_conn_established_: return EALREADY -> return EEXIST",
    "noslot-errno": "ct_offload_conn_established_: return EAGAIN -> return ENOMEM",
    "policy-errno": "op_batch_submit POLICY: EPERM -> EACCES",
    "invalid-errno": "op_batch_submit default: EINVAL -> EPERM",
    "add-can-continue": "ct_offload_conn_add_: the continue after can_offload() false dropped",
    "batch-skip-add": "ct_offload_conn_add_: the batched skip dropped",
    "batch-skip-est": "ct_offload_conn_established_: the batched skip dropped",
    "batch-skip-upd": "ct_offload_conn_update_: the batched skip dropped",
    "upd-break": "ct_offload_conn_update_: the break after a timestamp dropped (last one wins)",
    "can-break": "ct_offload_can_offload_: the break after true dropped",
    "first-last": "ct_offload_conn_add_: if (error && !ret) -> if (error) (last error wins)",
    "est-guard-inverted": "ct_offload_conn_established_: != CT_OFFLOAD_STATE_ADDED -> ==",
    "upd-ts-inverted": "op_batch_submit UPD: ts ? 0 : ENODATA -> ts ? ENODATA : 0",
    "can-inverted": "ct_offload_conn_add_: !class->can_offload(ctx) -> class->can_offload(ctx)",
    "est-mark": "ct_offload_conn_established_: sets CT_OFFLOAD_STATE_ADDED instead of EST",
    "add-mark": "ct_offload_conn_add_: sets CT_OFFLOAD_STATE_EST instead of ADDED",
    "del-mark": "ct_offload_conn_del_: the conn_private_set(NONE) dropped",
    "upd-v2": "op_batch_submit UPD: ENODATA -> EIO (v1 and v2 swapped)",
    "batch-after": "op_batch_submit: batch_submit called after the fallback loop, not before",
    "del-reverse": "ct_offload_conn_del_: LIST_FOR_EACH -> LIST_FOR_EACH_REVERSE",
    "add-before-can": "ct_offload_conn_add_: conn_add called before can_offload is asked",
    "register-front": "ct_offload_register: ovs_list_push_back -> ovs_list_push_front",
    "init-before-dup": "ct_offload_register: init called before the duplicate check",
    "init-error-kept": "ct_offload_register: a provider whose init failed is registered anyway",
    "flush-op-noop": "op_batch_submit FLUSH: ct_offload_flush_ not called",
    "add-slot-inverted": "ct_offload_conn_add_: !ret && slot valid -> ret && slot valid",
}
MUTANT = os.environ.get("CT_MUTANT", "")


class Provider:
    """A scripted ``struct ct_offload_class``: answers from the scenario's tables, records every call."""

    def __init__(self, decl: dict[str, JSON], index: int, trace: list[JSON]) -> None:
        self.name = decl.get("name", f"p{index}")
        words = set(decl.get("callbacks", PER_OP))
        self.callbacks = words & set(PER_OP)
        self.batch_submit = bool(decl.get("batch")) or "batch" in words
        self.has_init = "init" in decl or "init" in words
        self.init_result = decl.get("init", 0)
        self.decl = decl
        self.trace = trace

    def _table(self, key: str, conn: int | None, default: JSON) -> JSON:
        return self.decl.get(key, {}).get(str(conn), default)

    def call(self, callback: str, conn: int | None) -> JSON:
        self.trace.append([self.name, callback, conn])
        if callback == "add":
            return self._table("add", conn, 0)
        if callback == "upd":
            return self._table("upd", conn, 0)
        if callback == "can":
            return self._table("can", conn, True)
        return None

    def init(self) -> int:
        self.trace.append([self.name, "init", None])
        return int(self.init_result)

    def submit(self, ops: list[list[JSON]]) -> None:
        self.trace.append([self.name, "batch", [list(op) for op in ops]])


class Layer:
    """lib/ct-offload.c: the registered list, the private slot, dispatch and the batch API."""

    def __init__(self, version: int, slot: bool) -> None:
        self.version = version
        self.slot = slot
        self.classes: list[Provider] = []
        self.marks: dict[int, int] = {}

    def _get(self, conn: int | None) -> int:
        if conn is None:
            os._exit(139)  # conn_private_get(NULL): the C harness dies here
        return self.marks.get(conn, NONE)

    def _set(self, conn: int | None, state: int) -> None:
        if conn is None:
            os._exit(139)
        self.marks[conn] = state

    def register(self, cls: Provider) -> int:
        if MUTANT == "init-before-dup" and cls.has_init:  # MUTANT init-before-dup
            error = cls.init()
            if any(node.name == cls.name for node in self.classes):
                return EEXIST
            if error:
                return int(error)
        else:
            if any(node.name == cls.name for node in self.classes):
                return EEXIST
            error = cls.init() if cls.has_init else 0
            if error and MUTANT != "init-error-kept":  # MUTANT init-error-kept
                return int(error)
        if MUTANT == "register-front":  # MUTANT register-front
            self.classes.insert(0, cls)
        else:
            self.classes.append(cls)
        return int(error)

    def unregister(self, cls: Provider) -> None:
        if cls in self.classes:
            self.classes.remove(cls)

    def _each(self, batched: bool, reverse: bool = False) -> list[Provider]:
        nodes = list(reversed(self.classes)) if reverse else list(self.classes)
        return [c for c in nodes if not (batched and c.batch_submit)]

    def conn_add(self, conn: int | None, batched: bool = False) -> int:
        ret = 0
        for cls in self.classes:
            if batched and cls.batch_submit and MUTANT != "batch-skip-add":  # MUTANT batch-skip-add
                continue
            if MUTANT == "add-before-can" and "add" in cls.callbacks:  # MUTANT add-before-can
                error = cls.call("add", conn)
                if "can" in cls.callbacks and not cls.call("can", conn):
                    continue
                if error and not ret:
                    ret = error
                continue
            if "can" in cls.callbacks:
                allowed = cls.call("can", conn)
                if MUTANT == "can-inverted":  # MUTANT can-inverted
                    allowed = not allowed
                if not allowed and MUTANT != "add-can-continue":  # MUTANT add-can-continue
                    continue
            if "add" in cls.callbacks:
                error = cls.call("add", conn)
                if MUTANT == "first-last":  # MUTANT first-last
                    if error:
                        ret = error
                elif error and not ret:
                    ret = error
        succeeded = bool(ret) if MUTANT == "add-slot-inverted" else not ret  # MUTANT add-slot-inverted
        if succeeded and self.slot:
            self._set(conn, EST if MUTANT == "add-mark" else ADDED)  # MUTANT add-mark
        return ret

    def conn_del(self, conn: int | None, batched: bool = False) -> None:
        for cls in self._each(batched, reverse=MUTANT == "del-reverse"):  # MUTANT del-reverse
            if "del" in cls.callbacks:
                cls.call("del", conn)
        if self.slot and MUTANT != "del-mark":  # MUTANT del-mark
            self._set(conn, NONE)

    def conn_established(self, conn: int | None, batched: bool = False) -> int:
        if not self.slot:
            return ENOMEM if MUTANT == "noslot-errno" else EAGAIN  # MUTANT noslot-errno
        is_added = self._get(conn) == ADDED
        if MUTANT == "est-guard-inverted":  # MUTANT est-guard-inverted
            is_added = not is_added
        if not is_added:
            return EEXIST if MUTANT == "est-errno" else EALREADY  # MUTANT est-errno
        skip = batched and MUTANT != "batch-skip-est"  # MUTANT batch-skip-est
        for cls in self._each(skip):
            if "est" in cls.callbacks:
                cls.call("est", conn)
        self._set(conn, ADDED if MUTANT == "est-mark" else EST)  # MUTANT est-mark
        return 0

    def conn_update(self, conn: int | None, batched: bool = False) -> int:
        last_used = 0
        for cls in self._each(batched and MUTANT != "batch-skip-upd"):  # MUTANT batch-skip-upd
            if "upd" in cls.callbacks:
                ts = cls.call("upd", conn)
                if ts:
                    last_used = ts
                    if MUTANT != "upd-break":  # MUTANT upd-break
                        break
        return last_used

    def can_offload(self, conn: int | None, batched: bool = False) -> bool:
        result = False
        for cls in self._each(batched):
            if "can" in cls.callbacks and cls.call("can", conn):
                result = True
                if MUTANT != "can-break":  # MUTANT can-break
                    break
        return result

    def flush(self, batched: bool = False) -> None:
        for cls in self._each(batched):
            if "flush" in cls.callbacks:
                cls.call("flush", None)

    def submit(self, ops: list[list[JSON]]) -> list[int]:
        if MUTANT != "batch-after":  # MUTANT batch-after
            self._submit_native(ops)
        errors = [self._op(kind, conn) for kind, conn in ops]
        if MUTANT == "batch-after":
            self._submit_native(ops)
        return errors

    def _submit_native(self, ops: list[list[JSON]]) -> None:
        for cls in self.classes:
            if cls.batch_submit:
                cls.submit(ops)

    def _op(self, kind: JSON, conn: int | None) -> int:
        code = OP_TYPES.get(kind, -1) if isinstance(kind, str) else kind
        if code == OP_TYPES["ADD"]:
            return self.conn_add(conn, batched=True)
        if code == OP_TYPES["DEL"]:
            self.conn_del(conn, batched=True)
            return 0
        if code == OP_TYPES["UPD"]:
            no_data = EIO if (self.version == 2) != (MUTANT == "upd-v2") else ENODATA  # MUTANT upd-v2
            ts = self.conn_update(conn, batched=True)
            if MUTANT == "upd-ts-inverted":  # MUTANT upd-ts-inverted
                return no_data if ts else 0
            return 0 if ts else no_data
        if code == OP_TYPES["POLICY"]:
            return 0 if self.can_offload(conn, batched=True) else (EACCES if MUTANT == "policy-errno" else EPERM)
        if code == OP_TYPES["FLUSH"]:
            if MUTANT != "flush-op-noop":  # MUTANT flush-op-noop
                self.flush(batched=True)
            return 0
        if code == OP_TYPES["EST"]:
            return self.conn_established(conn, batched=True)
        return EPERM if MUTANT == "invalid-errno" else EINVAL  # MUTANT invalid-errno

    def mark(self, conn: int) -> str:
        if not self.slot:
            return "NONE"
        return MARK_NAMES[self.marks.get(conn, NONE)]


def run(scenario: dict[str, JSON], version: int) -> dict[str, JSON]:
    """The result object of one scenario."""
    trace: list[JSON] = []
    classes = [Provider(decl, i, trace) for i, decl in enumerate(scenario.get("providers", []))]
    layer = Layer(version, scenario.get("private_slot", True))
    initial = [layer.register(cls) for cls in classes] if scenario.get("register_all_at_start", True) else []
    returns: list[JSON] = []
    marks: list[JSON] = []
    named: set[int] = set()
    for step in scenario.get("steps", []):
        do = step["do"]
        if do in ("add", "del", "upd", "est", "can"):
            conn = step["conn"]
            named.add(conn)
            if do == "add":
                returns.append(layer.conn_add(conn))
            elif do == "del":
                layer.conn_del(conn)
                returns.append(None)
            elif do == "upd":
                returns.append(layer.conn_update(conn))
            elif do == "est":
                layer.conn_established(conn)
                returns.append(None)
            else:
                returns.append(layer.can_offload(conn))
        elif do == "flush":
            layer.flush()
            returns.append(None)
        elif do == "batch":
            named.update(conn for _, conn in step["ops"] if conn is not None)
            returns.append(layer.submit(step["ops"]))
        elif do == "register":
            returns.append(layer.register(classes[step["provider"]]))
        else:
            layer.unregister(classes[step["provider"]])
            returns.append(None)
        marks.append({str(conn): layer.mark(conn) for conn in sorted(named)})
    return {"id": scenario.get("id"), "initial_register": initial, "trace": trace, "returns": returns, "marks": marks}


def main() -> None:
    """Answer every line of stdin."""
    version = 2 if sys.argv[1:] == ["rfc-v2"] else 1
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(run(json.loads(line), version)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
