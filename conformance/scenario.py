"""The scenario protocol (DESIGN.md section 5): parsing and validating one scenario object.

Purpose: turn one JSON scenario into typed values (provider declarations and ``model.ops`` ops) or
reject it with a message that names the offending key and says what was expected. The parser is
shared by every target (model, impl, external) so all of them see the same scenario.

Promises: ``parse_scenario`` either returns a ``Scenario`` or raises ``ScenarioError``; it never
returns a partially checked scenario. Extensions beyond DESIGN.md (all optional): provider ``kind``
("scripted", "dummy", or "switchdev" with an optional ``device`` object of ``ct_entries``,
``entries_per_conn``, ``queue_size``, ``stats_period``, ``accept_new_udp``) and ``raises``
(callbacks that raise); top-level ``conns`` (connection id -> ``proto`` tcp/udp/gre, ``zone``,
``helper``, ``labels``, ``nat``; other connections are synthetic UDP ones); step ``now`` (ms, default the step's
index + 1) and ``netdev`` (the input netdev of add/est); top-level ``batch_timestamps`` (true adds a
``timestamps`` key to the result: per step, the per-op last-used timestamps of a batch, else null).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from model.conn import PROTO_GRE, PROTO_TCP, PROTO_UDP, ConnRef, Ctx
from model.ops import (
    Add,
    BatchOp,
    CanOffload,
    Delete,
    Established,
    Flush,
    LayerOp,
    Register,
    SubmitBatch,
    Unregister,
    Update,
    batch_kind,
)
from model.vocab import PER_OP_CALLBACKS, Callback, OpType

JSON = Any


class ScenarioError(ValueError):
    """A malformed scenario; the message names what is wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderDecl:
    """One provider of a scenario, as declared."""

    name: str
    kind: str
    callbacks: frozenset[Callback]
    init: int | None
    can: tuple[tuple[int, bool], ...]
    add: tuple[tuple[int, int], ...]
    upd: tuple[tuple[int, int], ...]
    batch_errors: tuple[tuple[int, int], ...]
    raises: frozenset[Callback]
    device: tuple[tuple[str, int | bool], ...] = ()

    @property
    def batch(self) -> bool:
        """Whether the provider has ``batch_submit``."""
        return Callback.BATCH in self.callbacks


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioStep:
    """One step: the op, the time it runs at, and the connections it names."""

    op: LayerOp
    now: int
    conns: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A parsed scenario."""

    id: JSON
    register_all_at_start: bool
    private_slot: bool
    batch_timestamps: bool
    providers: tuple[ProviderDecl, ...]
    steps: tuple[ScenarioStep, ...]


_TOP_KEYS = {"id", "register_all_at_start", "private_slot", "batch_timestamps", "providers", "conns", "steps"}
_PROVIDER_KEYS = {"name", "kind", "callbacks", "batch", "init", "can", "add", "upd", "batch_errors", "raises", "device"}
_DEVICE_KEYS = {"ct_entries", "entries_per_conn", "queue_size", "stats_period", "accept_new_udp"}
_CONN_KEYS = {"proto", "zone", "helper", "labels", "nat"}
_PROTOS = {"tcp": PROTO_TCP, "udp": PROTO_UDP, "gre": PROTO_GRE}
_CALLBACK_WORDS = {cb.value: cb for cb in Callback}
_OP_WORDS = {t.name: t for t in OpType}
_CONN_STEPS = {"add", "del", "upd", "est", "can"}
_STEP_KEYS = {
    **{word: {"do", "conn", "now"} for word in _CONN_STEPS},
    "add": {"do", "conn", "now", "netdev"},
    "est": {"do", "conn", "now", "netdev"},
    "flush": {"do", "now"},
    "batch": {"do", "ops", "now"},
    "register": {"do", "provider", "now"},
    "unregister": {"do", "provider", "now"},
}


def scenario_id(obj: JSON) -> JSON:
    """The ``id`` to echo for ``obj`` (None when it is not an object or has none)."""
    return obj.get("id") if isinstance(obj, dict) else None


def _is_int(value: JSON) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: JSON, where: str) -> int:
    if not _is_int(value):
        raise ScenarioError(f"{where}: expected an integer, got {value!r}")
    return int(value)


def _bool(value: JSON, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    return value


def _conn(value: JSON, where: str) -> int:
    if not _is_int(value) or value < 0:
        raise ScenarioError(f"{where}: a connection is a non-negative integer, got {value!r}")
    return int(value)


def _keys(obj: JSON, allowed: set[str], where: str, *, any_key: bool = False) -> Mapping[str, JSON]:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{where}: expected an object, got {obj!r}")
    unknown = [] if any_key else sorted(set(obj) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    return obj


def _table(obj: JSON, where: str, value_of: Any, key_word: str) -> tuple[tuple[int, Any], ...]:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{where}: expected an object keyed by {key_word}, got {obj!r}")
    pairs = []
    for key, value in obj.items():
        if not (isinstance(key, str) and key.isdigit()):
            raise ScenarioError(f"{where}: key {key!r} is not a {key_word} (a non-negative integer as a string)")
        pairs.append((int(key), value_of(value, f"{where}[{key!r}]")))
    return tuple(sorted(pairs))


def _callbacks(obj: Mapping[str, JSON], where: str) -> tuple[frozenset[Callback], int | None]:
    words = obj.get("callbacks", [cb.value for cb in PER_OP_CALLBACKS])
    if not isinstance(words, list):
        raise ScenarioError(f"{where}.callbacks: expected a list of names, got {words!r}")
    found: set[Callback] = set()
    for i, word in enumerate(words):
        if word not in _CALLBACK_WORDS:
            allowed = ", ".join(_CALLBACK_WORDS)
            raise ScenarioError(f"{where}.callbacks[{i}]: unknown callback {word!r} (expected one of {allowed})")
        found.add(_CALLBACK_WORDS[word])
    batch = _bool(obj["batch"], f"{where}.batch") if "batch" in obj else None
    if batch is False and Callback.BATCH in found:
        raise ScenarioError(f"{where}: 'batch' is false but 'callbacks' lists \"batch\"")
    if batch:
        found.add(Callback.BATCH)
    init = _int(obj["init"], f"{where}.init") if "init" in obj else None
    if init is None and Callback.INIT in found:
        init = 0
    if init is not None:
        found.add(Callback.INIT)
    return frozenset(found), init


def _provider(obj: JSON, index: int) -> ProviderDecl:
    where = f"providers[{index}]"
    decl = _keys(obj, _PROVIDER_KEYS, where)
    name = decl.get("name", f"p{index}")
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{where}.name: expected a non-empty string, got {name!r}")
    kind = decl.get("kind", "scripted")
    if kind not in ("scripted", "dummy", "switchdev"):
        raise ScenarioError(f"{where}.kind: expected 'scripted', 'dummy' or 'switchdev', got {kind!r}")
    if kind == "switchdev":
        return _switchdev(decl, name, where)
    if kind == "dummy":
        extra = sorted(set(decl) - {"name", "kind"})
        if extra:
            raise ScenarioError(f"{where}: a dummy provider takes only 'name' and 'kind', not {extra[0]!r}")
        dummy = frozenset(PER_OP_CALLBACKS)
        return ProviderDecl(
            name=name,
            kind=kind,
            callbacks=dummy,
            init=None,
            can=(),
            add=(),
            upd=(),
            batch_errors=(),
            raises=frozenset(),
        )
    callbacks, init = _callbacks(decl, where)
    raises_words = decl.get("raises", [])
    if not isinstance(raises_words, list) or any(w not in _CALLBACK_WORDS for w in raises_words):
        raise ScenarioError(f"{where}.raises: expected a list of callback names, got {raises_words!r}")
    raises = frozenset(_CALLBACK_WORDS[w] for w in raises_words)
    missing = sorted(cb.value for cb in raises - callbacks)
    if missing:
        raise ScenarioError(f"{where}.raises: callback {missing[0]!r} does not exist in this provider")
    return ProviderDecl(
        name=name,
        kind=kind,
        callbacks=callbacks,
        init=init,
        can=_table(decl.get("can", {}), f"{where}.can", _bool, "connection"),
        add=_table(decl.get("add", {}), f"{where}.add", _int, "connection"),
        upd=_table(decl.get("upd", {}), f"{where}.upd", _int, "connection"),
        batch_errors=_table(decl.get("batch_errors", {}), f"{where}.batch_errors", _int, "op index"),
        raises=raises,
    )


def _switchdev(decl: Mapping[str, JSON], name: str, where: str) -> ProviderDecl:
    extra = sorted(set(decl) - {"name", "kind", "device"})
    if extra:
        raise ScenarioError(f"{where}: a switchdev provider takes only 'name', 'kind' and 'device', not {extra[0]!r}")
    device = _keys(decl.get("device", {}), _DEVICE_KEYS, f"{where}.device")
    values: list[tuple[str, int | bool]] = []
    for key, value in sorted(device.items()):
        if key == "accept_new_udp":
            values.append((key, _bool(value, f"{where}.device.{key}")))
        else:
            number = _int(value, f"{where}.device.{key}")
            if number < (0 if key == "stats_period" else 1):
                raise ScenarioError(f"{where}.device.{key}: expected a positive integer, got {value!r}")
            values.append((key, number))
    return ProviderDecl(
        name=name,
        kind="switchdev",
        callbacks=frozenset(Callback),
        init=0,
        can=(),
        add=(),
        upd=(),
        batch_errors=(),
        raises=frozenset(),
        device=tuple(values),
    )


def _conns(obj: JSON) -> dict[int, ConnRef]:
    """The ``conns`` extension: attributes of named connections (protocol, zone, helper, labels,
    NAT); other connections are synthetic UDP ones."""
    table = {}
    for key, attrs in _keys(obj, set(), "conns", any_key=True).items():
        where = f"conns[{key!r}]"
        if not (isinstance(key, str) and key.isdigit()):
            raise ScenarioError(f"{where}: a connection is a non-negative integer as a string")
        spec = _keys(attrs, _CONN_KEYS, where)
        proto = spec.get("proto", "udp")
        if proto not in _PROTOS:
            raise ScenarioError(f"{where}.proto: expected one of {', '.join(_PROTOS)}, got {proto!r}")
        zone = _int(spec.get("zone", 0), f"{where}.zone")
        ref = ConnRef.synthetic(int(key), zone=zone, proto=_PROTOS[proto])
        helper = spec.get("helper")
        if helper is not None and not isinstance(helper, str):
            raise ScenarioError(f"{where}.helper: expected a name, got {helper!r}")
        labels = _int(spec.get("labels", 0), f"{where}.labels")
        if zone < 0 or labels < 0:
            raise ScenarioError(f"{where}: zone and labels are non-negative")
        reply = replace(ref.reply, src="192.0.2.1") if _bool(spec.get("nat", False), f"{where}.nat") else ref.reply
        table[int(key)] = replace(ref, helper=helper, labels=labels, reply=reply)
    return table


def _ctx(conns: Mapping[int, ConnRef], conn_id: int | None, netdev: str | None = None) -> Ctx:
    if conn_id is not None and conn_id in conns:
        return Ctx(conn=conns[conn_id], netdev_in=netdev)
    return Ctx.of(conn_id, netdev_in=netdev)


def _batch_op(obj: JSON, where: str, conns: Mapping[int, ConnRef]) -> BatchOp:
    if not (isinstance(obj, list) and len(obj) == 2):
        raise ScenarioError(f"{where}: expected [TYPE, CONN], got {obj!r}")
    word, conn = obj
    if isinstance(word, str):
        if word not in _OP_WORDS:
            raise ScenarioError(
                f"{where}: unknown op type {word!r} (expected one of {', '.join(_OP_WORDS)} or an integer)"
            )
        kind = batch_kind(_OP_WORDS[word].value)
    elif _is_int(word):
        kind = batch_kind(word)
    else:
        raise ScenarioError(f"{where}: an op type is a name or an integer, got {word!r}")
    conn_id = None if conn is None else _conn(conn, f"{where}[1]")
    return BatchOp(kind=kind, ctx=_ctx(conns, conn_id))


def _step(obj: JSON, index: int, n_providers: int, conns: Mapping[int, ConnRef]) -> ScenarioStep:
    where = f"steps[{index}]"
    if not isinstance(obj, dict) or "do" not in obj:
        raise ScenarioError(f"{where}: expected an object with a 'do' key, got {obj!r}")
    word = obj["do"]
    if word not in _STEP_KEYS:
        raise ScenarioError(f"{where}.do: unknown action {word!r} (expected one of {', '.join(sorted(_STEP_KEYS))})")
    step = _keys(obj, _STEP_KEYS[word], where)
    now = _int(step["now"], f"{where}.now") if "now" in step else index + 1
    if word in _CONN_STEPS:
        if "conn" not in step:
            raise ScenarioError(f"{where}: '{word}' needs a 'conn'")
        conn = _conn(step["conn"], f"{where}.conn")
        netdev = step.get("netdev")
        if netdev is not None and not isinstance(netdev, str):
            raise ScenarioError(f"{where}.netdev: expected a string, got {netdev!r}")
        ctx = _ctx(conns, conn, netdev)
        ops: dict[str, LayerOp] = {
            "add": Add(ctx=ctx),
            "del": Delete(ctx=ctx),
            "upd": Update(ctx=ctx),
            "est": Established(ctx=ctx),
            "can": CanOffload(ctx=ctx),
        }
        return ScenarioStep(op=ops[word], now=now, conns=(conn,))
    if word == "flush":
        return ScenarioStep(op=Flush(), now=now, conns=())
    if word == "batch":
        if not isinstance(step.get("ops"), list):
            raise ScenarioError(f"{where}.ops: expected a list of [TYPE, CONN], got {step.get('ops')!r}")
        batch = tuple(_batch_op(op, f"{where}.ops[{i}]", conns) for i, op in enumerate(step["ops"]))
        named = tuple(op.conn_id for op in batch if op.conn_id is not None)
        return ScenarioStep(op=SubmitBatch(ops=batch), now=now, conns=named)
    if "provider" not in step:
        raise ScenarioError(f"{where}: '{word}' needs a 'provider' index")
    ident = _int(step["provider"], f"{where}.provider")
    if not 0 <= ident < n_providers:
        raise ScenarioError(f"{where}.provider: {ident} is not an index of 'providers' (0..{n_providers - 1})")
    op = Register(provider=ident) if word == "register" else Unregister(provider=ident)
    return ScenarioStep(op=op, now=now, conns=())


EXTENSION_KEYS = {"batch_timestamps", "conns"}
EXTENSION_PROVIDER_KEYS = {"kind", "raises", "device"}
EXTENSION_STEP_KEYS = {"now", "netdev"}


def uses_extensions(obj: JSON) -> bool:
    """Whether a scenario uses any of the project's extensions to DESIGN.md section 5."""
    if not isinstance(obj, dict):
        return False
    providers = obj.get("providers") or []
    steps = obj.get("steps") or []
    return (
        bool(EXTENSION_KEYS & set(obj))
        or any(isinstance(p, dict) and EXTENSION_PROVIDER_KEYS & set(p) for p in providers)
        or any(isinstance(s, dict) and EXTENSION_STEP_KEYS & set(s) for s in steps)
    )


def parse_scenario(obj: JSON) -> Scenario:
    """Validate one scenario object; raises ScenarioError naming the first problem found."""
    top = _keys(obj, _TOP_KEYS, "scenario")
    providers_json = top.get("providers", [])
    if not isinstance(providers_json, list):
        raise ScenarioError(f"providers: expected a list, got {providers_json!r}")
    providers = tuple(_provider(p, i) for i, p in enumerate(providers_json))
    steps_json = top.get("steps", [])
    if not isinstance(steps_json, list):
        raise ScenarioError(f"steps: expected a list, got {steps_json!r}")
    conns = _conns(top.get("conns", {}))
    steps = tuple(_step(s, i, len(providers), conns) for i, s in enumerate(steps_json))
    return Scenario(
        id=top.get("id"),
        register_all_at_start=_bool(top.get("register_all_at_start", True), "register_all_at_start"),
        private_slot=_bool(top.get("private_slot", True), "private_slot"),
        batch_timestamps=_bool(top.get("batch_timestamps", False), "batch_timestamps"),
        providers=providers,
        steps=steps,
    )
