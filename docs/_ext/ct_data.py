"""Vocabulary and configuration tables of the ct-offload docs extension.

Purpose: the tables that show the model's vocabulary, the device and the scenario protocol:
``op-types`` (each op, its callback, strict's "no opinion" code and what a batch of it alone
answers), ``errnos`` (each errno, its message, the model modules naming it and its count in the
vectors), ``devlink-params`` and ``device-config`` (the device model's params and configuration,
beside impl's), ``scenario-keys`` and ``scenario-steps`` (the keys and step actions
``conformance.scenario`` accepts; their descriptions are the directive's content).

Promises: every value comes from the model, impl or conformance during the build; an errno whose
value is not the platform's, a default of impl that is not the model's, and a documented key the
parser does not accept (or an accepted one left undocumented) are Sphinx warnings.
"""

from __future__ import annotations

import errno as errno_module
import importlib
import inspect
import json
import os
import pkgutil
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from functools import cache

from ct_common import NONE_CELL, CtDirective, list_table, literal

import model
from conformance import scenario as sc
from conformance import vectors
from impl.switchdev.sim_config import PARAMS
from impl.switchdev.sim_config import DeviceConfig as ImplConfig
from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, Ctx
from model.device import (
    ESWITCH_MODES,
    PARAM_VALUES,
    STEERING_MODES,
    U32_MAX,
    DeviceConfig,
    Params,
    eswitch_set,
    new_device,
    param_set,
)
from model.ops import BatchOp, SubmitBatch, batch_kind
from model.state import initial_state
from model.step import step as layer_step
from model.verdict import NO_OPINION
from model.vocab import CALLBACK_OF_OP, PER_OP_CALLBACKS, Callback, Errno, OpType, Profile, errno_name

# op-types: the op algebra's values, and what a batch of one answers on an empty layer.


def table_op_types(directive: CtDirective) -> list[str]:
    """``model.vocab.OpType``, the callback serving each on the single-op path, strict's "no opinion"
    code, and the answer of a batch of that one op on a layer with no provider, per profile."""

    def alone(raw: int, profile: Profile) -> str:
        _, seen = layer_step(
            initial_state(profile, ()), SubmitBatch(ops=(BatchOp(kind=batch_kind(raw), ctx=Ctx.of(0)),))
        )
        assert isinstance(seen.result, tuple)
        error = seen.result[0].error
        return errno_name(error) if error else "0"

    invalid = max(OpType) + 1
    rows = []
    for op in OpType:
        cells = [literal(op.name), str(op.value), literal(CALLBACK_OF_OP[op].value)]
        cells.append(errno_name(NO_OPINION[op]) if op in NO_OPINION else NONE_CELL)
        rows.append(cells + [alone(op.value, p) for p in Profile])
    rows.append(
        [f"any other value (e.g. {invalid})", NONE_CELL, NONE_CELL, NONE_CELL, *(alone(invalid, p) for p in Profile)]
    )
    header = ["op", "value", "per-op callback", "strict: no opinion", *(f"alone: {p.value}" for p in Profile)]
    return list_table(header, rows)


# errnos: the model's errno vocabulary, checked against the platform's.


@cache
def vector_errnos() -> dict[str, Counter[int]]:
    """Per profile, how often each errno is a result (add, register, batch op) in the layer vectors."""
    counts: dict[str, Counter[int]] = {}
    for profile in Profile:
        seen: Counter[int] = Counter()
        for vector in vectors.load(f"layer-{profile.value}.jsonl"):
            expect = vector["expect"]
            if "error" in expect:
                continue
            if "undefined" in expect:  # RFC-NULL: only the steps before the undefined one have results
                expect = expect["before"]
            seen.update(expect.get("initial_register", []))
            steps = vector["scenario"].get("steps", [])[: len(expect["returns"])]
            for action, returned in zip(steps, expect["returns"], strict=True):
                if action["do"] in ("add", "register"):
                    seen[returned] += 1
                elif action["do"] == "batch":
                    seen.update(returned)
        counts[profile.value] = seen
    return counts


@cache
def model_errno_users() -> dict[str, list[str]]:
    """Errno name -> the model modules whose code names it (``Errno.NAME``)."""
    users: dict[str, list[str]] = {}
    for info in sorted(pkgutil.iter_modules(model.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"model.{info.name}")
        for name in sorted(set(re.findall(r"\bErrno\.([A-Z]+)\b", inspect.getsource(module)))):
            users.setdefault(name, []).append(module.__name__)
    return users


def table_errnos(directive: CtDirective) -> list[str]:
    """``model.vocab.Errno``: value, the platform's message, the model modules that answer it, and
    how often it is a result in the committed layer vectors of each profile."""
    counts = vector_errnos()
    users = model_errno_users()
    rows = []
    for err in Errno:
        if err.value and getattr(errno_module, err.name, None) != err.value:
            directive.complain(f"model.vocab.Errno.{err.name} is {err.value}, the platform's errno says otherwise")
        message = os.strerror(err.value) if err.value else "success"
        named = ", ".join(literal(m) for m in users.get(err.name, [])) or NONE_CELL
        rows.append(
            [literal(err.name), str(err.value), message, named, *(str(counts[p.value][err.value]) for p in Profile)]
        )
    header = ["name", "value", "message", "named by", *(f"vectors: {p.value}" for p in Profile)]
    return list_table(header, rows, widths="10 6 20 40 8 8 8")


# The device: devlink params and configuration.


def accepted_values(valid: Callable[[object], bool]) -> str:
    """What a param validator accepts, found by probing it: booleans, an integer range, strings."""
    parts = []
    if valid(True) and valid(False):
        parts.append("``true``, ``false``")
    ints = [v for v in (0, 1, U32_MAX) if valid(v)]
    if ints:
        low, high = min(ints), max(ints)
        if valid(low - 1) or valid(high + 1):
            parts.append("integers beyond the probed range")
        else:
            parts.append(f"integers {low} ... {high}")
    strings = [s for s in (*STEERING_MODES, "", "other") if valid(s)]
    if strings:
        parts.append(", ".join(literal(s) for s in strings))
    return "; ".join(parts) or "nothing"


def table_devlink_params(directive: CtDirective) -> list[str]:
    """``model.device.PARAM_VALUES`` with the defaults of ``model.device.Params`` and the type impl
    reports; per cmode and per eswitch mode, the errno ``model.device.param_set`` answers when the
    default value is set."""
    impl_params = {spec.name: spec for spec in PARAMS}
    if set(impl_params) != set(PARAM_VALUES):
        directive.complain(f"impl's params {sorted(impl_params)} are not the model's {sorted(PARAM_VALUES)}")
    defaults = {f.name: f.default for f in fields(Params)}
    rows = []
    for name, valid in PARAM_VALUES.items():
        default = defaults[name]
        spec = impl_params.get(name)
        if spec is not None and spec.default != default:
            directive.complain(f"{name}: impl's default {spec.default!r} is not the model's {default!r}")
        shown = json.dumps(default)
        by_cmode = []
        for cmode in ("runtime", "driverinit", "permanent"):
            _, error = param_set(new_device(), name, default, cmode)  # type: ignore[arg-type]
            by_cmode.append(f"{cmode}: {errno_name(error) if error else 'set'}")
        by_mode = []
        for mode in ESWITCH_MODES:
            device, _ = eswitch_set(new_device(), mode)
            _, error = param_set(device, name, default)  # type: ignore[arg-type]
            by_mode.append(f"{mode}: {errno_name(error) if error else 'set'}")
        rows.append(
            [
                literal(name),
                spec.type if spec else NONE_CELL,
                literal(shown),
                accepted_values(valid),
                "\n".join(f"| {line}" for line in by_cmode),
                "\n".join(f"| {line}" for line in by_mode),
            ]
        )
    header = ["param", "type (impl)", "default", "accepted values", "by cmode", "by eswitch mode"]
    return list_table(header, rows, widths="22 9 12 22 15 20")


def table_device_config(directive: CtDirective) -> list[str]:
    """``model.device.DeviceConfig``'s fields and defaults (checked against impl's), described by
    the directive's content."""
    model_fields = fields(DeviceConfig)
    impl_defaults = {f.name: f.default for f in fields(ImplConfig)}
    text = directive.descriptions([f.name for f in model_fields])
    rows = []
    for f in model_fields:
        if impl_defaults.get(f.name) != f.default:
            directive.complain(
                f"{f.name}: impl's default {impl_defaults.get(f.name)!r} is not the model's {f.default!r}"
            )
        rows.append([literal(f.name), literal(json.dumps(f.default)), text.get(f.name, "")])
    return list_table(["field", "default", "meaning"], rows, widths="20 12 68")


# The scenario protocol's keys, as conformance.scenario accepts them.


#: The order keys are listed in (the core protocol's order); a key the parser accepts that is not listed here
#: comes after these, alphabetically.
TOP_ORDER = ("id", "register_all_at_start", "private_slot", "providers", "steps")
PROVIDER_ORDER = ("name", "callbacks", "batch", "init", "can", "add", "upd", "batch_errors")
STEP_ORDER = ("add", "del", "upd", "est", "can", "flush", "batch", "register", "unregister")


def _in_order(keys: Iterable[str], order: Sequence[str], extensions: Iterable[str]) -> list[str]:
    """``keys``: the core protocol's first in ``order``, then the rest, then the extensions, alphabetically."""
    ext = set(extensions)
    return sorted(keys, key=lambda k: (k in ext, order.index(k) if k in order else len(order), k))


def _show_default(value: object) -> str:
    if value is None:
        return "none"
    if value in ((), frozenset()):
        return "empty"
    if isinstance(value, frozenset) and all(isinstance(v, Callback) for v in value):
        order = [*PER_OP_CALLBACKS, *(c for c in Callback if c not in PER_OP_CALLBACKS)]
        return literal(json.dumps([c.value for c in order if c in value]))
    return literal(json.dumps(value))


def table_scenario_keys(directive: CtDirective) -> list[str]:
    """Every key ``conformance.scenario.parse_scenario`` accepts in a scenario, a provider, a
    switchdev provider's ``device`` and a ``conns`` entry; the default the parser fills in; whether
    it is core (every harness speaks it) or one of the project's optional extensions."""
    empty = sc.parse_scenario({})
    parsed = sc.parse_scenario({"providers": [{}], "conns": {"0": {}}, "steps": [{"do": "add", "conn": 0}]})
    decl = parsed.providers[0]
    step = parsed.steps[0]
    conn = step.op.ctx.conn  # type: ignore[union-attr]
    assert conn is not None
    protos = {PROTO_TCP: "tcp", PROTO_UDP: "udp", PROTO_GRE: "gre"}
    conn_defaults = {
        "proto": protos[conn.orig.proto],
        "zone": conn.zone,
        "helper": conn.helper,
        "labels": conn.labels,
        "nat": conn.nat,
    }
    device_defaults = {f.name: f.default for f in fields(DeviceConfig)}
    table: list[tuple[str, bool, str]] = []
    for key in _in_order(sc._TOP_KEYS, TOP_ORDER, sc.EXTENSION_KEYS):
        default = "null" if key == "id" else _show_default(getattr(empty, key, ()))
        table.append((key, key in sc.EXTENSION_KEYS, default))
    for key in _in_order(sc._PROVIDER_KEYS, PROVIDER_ORDER, sc.EXTENSION_PROVIDER_KEYS):
        value = getattr(decl, key, None)
        table.append((f"provider.{key}", key in sc.EXTENSION_PROVIDER_KEYS, _show_default(value)))
    for key in sorted(sc._DEVICE_KEYS):
        table.append((f"provider.device.{key}", True, _show_default(device_defaults[key])))
    for key in sorted(sc._CONN_KEYS):
        table.append((f"conns.{key}", True, _show_default(conn_defaults[key])))
    text = directive.descriptions([key for key, _, _ in table])
    rows = [[literal(key), "extension" if ext else "core", default, text.get(key, "")] for key, ext, default in table]
    return list_table(["key", "from", "default", "meaning"], rows, widths="22 10 18 50")


def table_scenario_steps(directive: CtDirective) -> list[str]:
    """Every step action ``conformance.scenario`` accepts, the keys each takes (extensions marked),
    and what the result's ``returns`` holds for it (the directive's content)."""
    actions = _in_order(sc._STEP_KEYS, STEP_ORDER, ())
    text = directive.descriptions(actions)
    rows = []
    for action in actions:
        keys = sorted(sc._STEP_KEYS[action] - {"do"}, key=lambda k: (k in sc.EXTENSION_STEP_KEYS, k))
        shown = ", ".join(literal(k) + (" (ext.)" if k in sc.EXTENSION_STEP_KEYS else "") for k in keys)
        rows.append([literal(action), shown or NONE_CELL, text.get(action, "")])
    return list_table(["do", "keys", "returns"], rows, widths="14 36 50")
