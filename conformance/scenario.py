"""The scenario protocol (docs/spec.rst): parsing and validating one scenario object.

Purpose: turn one JSON scenario into typed values (provider declarations and ``model.ops`` ops) or
reject it with a message that names the offending key and says what was expected. The parser is
shared by every target (model, impl, external) so all of them see the same scenario.

Promises: ``parse_scenario`` either returns a ``Scenario`` or raises ``ScenarioError``; it never
returns a partially checked scenario. Every integer fits a C ``long long`` (64 bits, signed) unless
its field says otherwise: errnos and raw op types are C ``int``s (32 bits), a connection's
``labels`` 128 bits (the ct label), a switchdev device's sizes what the device can hold
(``BOUNDS``). A name is a string and only a string; a table key is a number in ASCII digits without
leading zeros. An error message quotes at most ``SHOW`` characters of the offending value.

Extensions beyond the core protocol (all optional): provider ``kind`` ("scripted", "dummy", or "switchdev"
with an optional ``device`` object of ``ct_entries``, ``entries_per_conn``, ``queue_size``,
``stats_period``, ``accept_new_udp``) and ``raises`` (callbacks that raise); top-level ``conns``
(connection id -> ``proto`` tcp/udp/gre, ``zone``, ``helper``, ``labels``, ``nat``; other
connections are synthetic UDP ones); step ``now`` (ms, default the step's index + 1) and ``netdev``
(the input netdev of add/est); top-level ``batch_timestamps`` (true adds a ``timestamps`` key to
the result: per step, the per-op last-used timestamps of a batch, else null).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


#: The range of an integer unless its field says otherwise (a C ``long long``).
I64 = (-(2**63), 2**63 - 1)
#: Errnos and raw op types (a C ``int``).
INT = (-(2**31), 2**31 - 1)
#: A connection id, a table key (a connection or an op index), a flow.
NON_NEGATIVE = (0, I64[1])
#: A connection's ct label (128 bits).
LABELS = (0, 2**128 - 1)
#: What the simulated switchdev device can hold: ``/ct/entries`` is 1..2^32 (D-RESOURCE); the
#: other sizes are u32, as devlink carries them; ``stats_period`` is u32 ms.
BOUNDS = {
    "ct_entries": (1, 2**32),
    "entries_per_conn": (1, 2**32 - 1),
    "queue_size": (1, 2**32 - 1),
    "stats_period": (0, 2**32 - 1),
}
#: The most characters of a bad value an error message quotes.
SHOW = 80


def _show(value: JSON) -> str:
    """``repr(value)``, cut to ``SHOW`` characters (a huge or deeply nested value stays readable)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**SHOW:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= SHOW else text[: SHOW - 3] + "..."


def _is_int(value: JSON) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: JSON, where: str, bounds: tuple[int, int] = I64) -> int:
    if not _is_int(value):
        raise ScenarioError(f"{where}: expected an integer, got {_show(value)}")
    low, high = bounds
    if not low <= value <= high:
        raise ScenarioError(f"{where}: expected an integer from {low} to {high}, got {_show(value)}")
    return int(value)


def _bool(value: JSON, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {_show(value)}")
    return value


def _conn(value: JSON, where: str) -> int:
    if not _is_int(value) or not NON_NEGATIVE[0] <= value <= NON_NEGATIVE[1]:
        raise ScenarioError(
            f"{where}: a connection is a non-negative integer (at most {NON_NEGATIVE[1]}), got {_show(value)}"
        )
    return int(value)


def _word(value: JSON, words: Collection[str]) -> bool:
    """Whether ``value`` is one of ``words`` (a list or an object is no word: never hashed)."""
    return isinstance(value, str) and value in words


def _number_key(key: str) -> int | None:
    """The number a table key spells: plain ASCII digits, no leading zero, at most 2^63 - 1."""
    if not (key.isascii() and key.isdigit()) or (len(key) > 1 and key[0] == "0") or len(key) > 19:
        return None
    number = int(key)
    return number if number <= NON_NEGATIVE[1] else None


def _keys(obj: JSON, allowed: set[str], where: str, *, any_key: bool = False) -> Mapping[str, JSON]:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{where}: expected an object, got {_show(obj)}")
    unknown = [] if any_key else sorted(set(obj) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key {_show(unknown[0])} (allowed: {', '.join(sorted(allowed))})")
    return obj


def _table(obj: JSON, where: str, value_of: Any, key_word: str) -> tuple[tuple[int, Any], ...]:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{where}: expected an object keyed by {key_word}, got {_show(obj)}")
    pairs = []
    for key, value in obj.items():
        number = _number_key(key)
        if number is None:
            raise ScenarioError(
                f"{where}: key {_show(key)} is not a {key_word} (a non-negative integer as a string of ASCII digits)"
            )
        pairs.append((number, value_of(value, f"{where}[{key!r}]")))
    return tuple(sorted(pairs))


def _errno(value: JSON, where: str) -> int:
    return _int(value, where, INT)


def _callbacks(obj: Mapping[str, JSON], where: str) -> tuple[frozenset[Callback], int | None]:
    words = obj.get("callbacks", [cb.value for cb in PER_OP_CALLBACKS])
    if not isinstance(words, list):
        raise ScenarioError(f"{where}.callbacks: expected a list of names, got {_show(words)}")
    found: set[Callback] = set()
    for i, word in enumerate(words):
        if not _word(word, _CALLBACK_WORDS):
            allowed = ", ".join(_CALLBACK_WORDS)
            raise ScenarioError(f"{where}.callbacks[{i}]: unknown callback {_show(word)} (expected one of {allowed})")
        found.add(_CALLBACK_WORDS[word])
    batch = _bool(obj["batch"], f"{where}.batch") if "batch" in obj else None
    if batch is False and Callback.BATCH in found:
        raise ScenarioError(f"{where}: 'batch' is false but 'callbacks' lists \"batch\"")
    if batch:
        found.add(Callback.BATCH)
    init = _errno(obj["init"], f"{where}.init") if "init" in obj else None
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
        raise ScenarioError(f"{where}.name: expected a non-empty string, got {_show(name)}")
    kind = decl.get("kind", "scripted")
    if not _word(kind, ("scripted", "dummy", "switchdev")):
        raise ScenarioError(f"{where}.kind: expected 'scripted', 'dummy' or 'switchdev', got {_show(kind)}")
    if kind == "switchdev":
        return _switchdev(decl, name, where)
    if kind == "dummy":
        extra = sorted(set(decl) - {"name", "kind"})
        if extra:
            raise ScenarioError(f"{where}: a dummy provider takes only 'name' and 'kind', not {_show(extra[0])}")
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
    if "device" in decl:
        raise ScenarioError(f"{where}.device: only a switchdev provider has a device (kind is {kind!r})")
    callbacks, init = _callbacks(decl, where)
    raises_words = decl.get("raises", [])
    if not isinstance(raises_words, list) or not all(_word(w, _CALLBACK_WORDS) for w in raises_words):
        raise ScenarioError(f"{where}.raises: expected a list of callback names, got {_show(raises_words)}")
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
        add=_table(decl.get("add", {}), f"{where}.add", _errno, "connection"),
        upd=_table(decl.get("upd", {}), f"{where}.upd", _int, "connection"),
        batch_errors=_table(decl.get("batch_errors", {}), f"{where}.batch_errors", _errno, "op index"),
        raises=raises,
    )


def _switchdev(decl: Mapping[str, JSON], name: str, where: str) -> ProviderDecl:
    extra = sorted(set(decl) - {"name", "kind", "device"})
    if extra:
        raise ScenarioError(
            f"{where}: a switchdev provider takes only 'name', 'kind' and 'device', not {_show(extra[0])}"
        )
    device = _keys(decl.get("device", {}), _DEVICE_KEYS, f"{where}.device")
    values: list[tuple[str, int | bool]] = []
    for key, value in sorted(device.items()):
        if key == "accept_new_udp":
            values.append((key, _bool(value, f"{where}.device.{key}")))
        else:
            values.append((key, _int(value, f"{where}.device.{key}", BOUNDS[key])))
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
        where = f"conns[{_show(key)}]"
        conn_id = _number_key(key)
        if conn_id is None:
            raise ScenarioError(f"{where}: a connection is a non-negative integer as a string of ASCII digits")
        spec = _keys(attrs, _CONN_KEYS, where)
        proto = spec.get("proto", "udp")
        if not _word(proto, _PROTOS):
            raise ScenarioError(f"{where}.proto: expected one of {', '.join(_PROTOS)}, got {_show(proto)}")
        zone = _int(spec.get("zone", 0), f"{where}.zone", NON_NEGATIVE)
        ref = ConnRef.synthetic(conn_id, zone=zone, proto=_PROTOS[proto])
        helper = spec.get("helper")
        if helper is not None and not isinstance(helper, str):
            raise ScenarioError(f"{where}.helper: expected a name, got {_show(helper)}")
        labels = _int(spec.get("labels", 0), f"{where}.labels", LABELS)
        reply = replace(ref.reply, src="192.0.2.1") if _bool(spec.get("nat", False), f"{where}.nat") else ref.reply
        table[conn_id] = replace(ref, helper=helper, labels=labels, reply=reply)
    return table


def _ctx(conns: Mapping[int, ConnRef], conn_id: int | None, netdev: str | None = None) -> Ctx:
    if conn_id is not None and conn_id in conns:
        return Ctx(conn=conns[conn_id], netdev_in=netdev)
    return Ctx.of(conn_id, netdev_in=netdev)


def _batch_op(obj: JSON, where: str, conns: Mapping[int, ConnRef]) -> BatchOp:
    if not (isinstance(obj, list) and len(obj) == 2):
        raise ScenarioError(f"{where}: expected [TYPE, CONN], got {_show(obj)}")
    word, conn = obj
    if isinstance(word, str):
        if word not in _OP_WORDS:
            raise ScenarioError(
                f"{where}: unknown op type {_show(word)} (expected one of {', '.join(_OP_WORDS)} or an integer)"
            )
        kind = batch_kind(_OP_WORDS[word].value)
    elif _is_int(word):
        kind = batch_kind(_int(word, f"{where}[0]", INT))
    else:
        raise ScenarioError(f"{where}: an op type is a name or an integer, got {_show(word)}")
    conn_id = None if conn is None else _conn(conn, f"{where}[1]")
    return BatchOp(kind=kind, ctx=_ctx(conns, conn_id))


def _step(obj: JSON, index: int, n_providers: int, conns: Mapping[int, ConnRef]) -> ScenarioStep:
    where = f"steps[{index}]"
    if not isinstance(obj, dict) or "do" not in obj:
        raise ScenarioError(f"{where}: expected an object with a 'do' key, got {_show(obj)}")
    word = obj["do"]
    if not _word(word, _STEP_KEYS):
        raise ScenarioError(
            f"{where}.do: unknown action {_show(word)} (expected one of {', '.join(sorted(_STEP_KEYS))})"
        )
    step = _keys(obj, _STEP_KEYS[word], where)
    now = _int(step["now"], f"{where}.now") if "now" in step else index + 1
    if word in _CONN_STEPS:
        if "conn" not in step:
            raise ScenarioError(f"{where}: '{word}' needs a 'conn'")
        conn = _conn(step["conn"], f"{where}.conn")
        netdev = step.get("netdev")
        if netdev is not None and not isinstance(netdev, str):
            raise ScenarioError(f"{where}.netdev: expected a string, got {_show(netdev)}")
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
            raise ScenarioError(f"{where}.ops: expected a list of [TYPE, CONN], got {_show(step.get('ops'))}")
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
    """Whether a scenario uses any of the project's extensions to the core protocol."""
    if not isinstance(obj, dict):
        return False
    providers = obj["providers"] if isinstance(obj.get("providers"), list) else []
    steps = obj["steps"] if isinstance(obj.get("steps"), list) else []
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
        raise ScenarioError(f"providers: expected a list, got {_show(providers_json)}")
    providers = tuple(_provider(p, i) for i, p in enumerate(providers_json))
    steps_json = top.get("steps", [])
    if not isinstance(steps_json, list):
        raise ScenarioError(f"steps: expected a list, got {_show(steps_json)}")
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
