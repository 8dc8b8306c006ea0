"""The scopes of ``python -m conformance prove``: every scenario within stated bounds, smallest first.

Purpose: a bounded exhaustive check is only as good as the statement of what it enumerated. A
``Family`` states one product of choices -- how many scripted providers, every subset of which
callbacks, which answers from which small domain, which faults, how many steps of which kinds over
which connections, at most one batch of how many ops -- and a ``Scope`` is a named union of
families. ``describe`` turns a scope into the sentence the report and docs/conformance.rst print.

Provider answers are the scenario protocol's scripted tables (``conformance.scenario``): connection
0 answers from the family's domains, connection 1 answers the defaults (``can_offload`` true,
``conn_add`` 0, ``conn_update`` 0), so a family with two connections meets both. A table whose
callback is absent is dropped (``canonical``): no path of the layer can read it (a native
provider's ``batch_submit`` reads the ADD and UPD tables, which are kept when it has
``batch_submit``), so two providers that differ only there are one case.

Promises: ``worlds`` and ``sequences`` are finite and deterministic, in nondecreasing size (fewer
providers, then fewer callbacks; fewer steps, then fewer batch ops), so the first failing case a
checker meets at the smallest size is a minimal counterexample of its family; ``scenario_json``
is a scenario of the protocol that ``python -m conformance scenarios`` replays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

from conformance.scenario import ProviderDecl, Scenario, ScenarioStep
from model.conn import Ctx
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

#: The per-op callbacks and ``batch_submit``: what "every subset of callbacks" ranges over.
ALL_CALLBACKS: tuple[Callback, ...] = (*PER_OP_CALLBACKS, Callback.BATCH)
#: The single-op steps that act on one connection, as the scenario protocol spells them.
CONN_STEPS = ("add", "del", "upd", "est", "can")
#: An invalid op type value (``enum ct_offload_op_type`` ends at EST = 5).
INVALID = 6
#: Every batch op type: the six valid ones and one invalid value.
BATCH_KINDS: tuple[int, ...] = (*(t.value for t in OpType), INVALID)

#: One step as enumerated: ``("add", conn)``, ``("flush",)``, ``("register", provider)``,
#: ``("batch", ((kind, conn), ...))`` with conn None for a NULL connection.
Step = tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """One product of choices (see the module docstring); ``describe`` states it in words."""

    name: str
    #: How many providers a world has: every count in this tuple.
    providers: tuple[int, ...]
    #: Each provider has every subset of these callbacks ...
    callbacks: tuple[Callback, ...] = ALL_CALLBACKS
    #: ... plus all of these.
    always: frozenset[Callback] = frozenset()
    #: Connection 0's answers: ``can_offload``, ``conn_add`` (an errno), ``conn_update`` (a timestamp).
    can0: tuple[bool, ...] = (True,)
    add0: tuple[int, ...] = (0,)
    upd0: tuple[int, ...] = (0,)
    #: Faults: also every provider with exactly one of its callbacks raising.
    raising: bool = False
    #: What a native provider's ``batch_submit`` writes into op 0 regardless (None: nothing).
    batch_error0: tuple[int | None, ...] = (None,)
    #: What ``init`` answers (None: the provider has no ``init``).
    init: tuple[int | None, ...] = (None,)
    #: Whether the private slot exists: each value listed.
    slots: tuple[bool, ...] = (True,)
    #: Whether every provider is registered before the steps (``register_all_at_start``).
    register_at_start: tuple[bool, ...] = (True,)
    #: At most this many steps per scenario ...
    steps: int = 2
    #: ... of which at most one is a batch of 1 to this many ops (0: no batch).
    batch_ops: int = 0
    #: The connections single steps and batch ops name (batch ops also name a NULL connection).
    conns: tuple[int, ...] = (0, 1)
    #: Single-op steps over each connection, plus flush and, per provider, register and unregister.
    step_words: tuple[str, ...] = CONN_STEPS
    flush: bool = True
    registry_steps: bool = True
    #: The op types batch ops use.
    batch_kinds: tuple[int, ...] = BATCH_KINDS
    null_conn: bool = True
    #: Whether impl == model and the rfc-v1/rfc-v2 law run on every scenario of the family.
    scenarios: bool = True
    #: The batch refinement law on every state reachable within ``steps`` single steps, with
    #: every batch of 1 to this many ops (0: not checked on this family).
    refine_ops: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """A named union of families, and the bounds of the per-law checks that need no scenario."""

    name: str
    families: tuple[Family, ...]
    #: STRICT-SEGMENT's contract: every batch of up to this many ops.
    segment_ops: int
    #: STRICT-COMBINE-ANY and -ALL: every tuple of up to this many verdicts.
    verdicts: int


def _subsets(items: tuple[Callback, ...]) -> Iterator[frozenset[Callback]]:
    """Every subset of ``items``, smallest first."""
    for size in range(len(items) + 1):
        for chosen in combinations(items, size):
            yield frozenset(chosen)


def canonical(decl: ProviderDecl) -> ProviderDecl:
    """``decl`` without the tables no path can read (see the module docstring)."""
    has = decl.callbacks.__contains__
    native = has(Callback.BATCH)
    return ProviderDecl(
        name=decl.name,
        kind=decl.kind,
        callbacks=decl.callbacks,
        init=decl.init,
        can=decl.can if has(Callback.CAN) else (),
        add=decl.add if has(Callback.ADD) or native else (),
        upd=decl.upd if has(Callback.UPD) or native else (),
        batch_errors=decl.batch_errors if native else (),
        raises=decl.raises,
    )


def providers(family: Family, index: int) -> tuple[ProviderDecl, ...]:
    """Every distinct provider the family allows at position ``index`` (named ``p<index>``)."""
    seen: dict[ProviderDecl, None] = {}
    for subset in _subsets(family.callbacks):
        callbacks = subset | family.always
        for can, add, upd, batch_error, init in product(
            family.can0, family.add0, family.upd0, family.batch_error0, family.init
        ):
            faults: list[frozenset[Callback]] = [frozenset()]
            if family.raising:
                faults += [frozenset({cb}) for cb in ALL_CALLBACKS if cb in callbacks]
            for raises in faults:
                decl = ProviderDecl(
                    name=f"p{index}",
                    kind="scripted",
                    callbacks=callbacks | ({Callback.INIT} if init is not None else set()),
                    init=init,
                    can=() if can else ((0, False),),
                    add=((0, add),) if add else (),
                    upd=((0, upd),) if upd else (),
                    batch_errors=() if batch_error is None else ((0, batch_error),),
                    raises=raises,
                )
                seen.setdefault(canonical(decl), None)
    return tuple(seen)


def worlds(family: Family) -> Iterator[tuple[ProviderDecl, ...]]:
    """Every world of the family: its provider tuples, fewer providers first."""
    for count in sorted(family.providers):
        yield from product(*(providers(family, i) for i in range(count)))


def single_steps(family: Family, n_providers: int) -> tuple[Step, ...]:
    """The family's alphabet of single steps for a world of ``n_providers``."""
    steps: list[Step] = [(word, conn) for word in family.step_words for conn in family.conns]
    if family.flush:
        steps.append(("flush",))
    if family.registry_steps:
        for i in range(n_providers):
            steps += [("register", i), ("unregister", i)]
    return tuple(steps)


def batch_ops(family: Family) -> tuple[tuple[int, int | None], ...]:
    """Every ``(kind, conn)`` a batch op of the family may be."""
    conns: tuple[int | None, ...] = (*family.conns, None) if family.null_conn else family.conns
    return tuple(product(family.batch_kinds, conns))


def batches(family: Family, most: int) -> Iterator[tuple[tuple[int, int | None], ...]]:
    """Every batch of 1 to ``most`` ops, shorter first."""
    ops = batch_ops(family)
    for length in range(1, most + 1):
        yield from product(ops, repeat=length)


def sequences(family: Family, n_providers: int) -> Iterator[tuple[Step, ...]]:
    """Every step sequence of the family: up to ``steps`` steps, at most one of them a batch of
    up to ``batch_ops`` ops; fewer steps first, then fewer batch ops."""
    alphabet = single_steps(family, n_providers)
    for length in range(family.steps + 1):
        yield from product(alphabet, repeat=length)
        for ops in batches(family, family.batch_ops if length else 0):
            for where in range(length):
                for rest in product(alphabet, repeat=length - 1):
                    yield (*rest[:where], ("batch", ops), *rest[where:])


def layer_op(step: Step) -> LayerOp:
    """The ``model.ops`` operation a step stands for."""
    word = step[0]
    if word == "batch":
        return SubmitBatch(ops=tuple(BatchOp(kind=batch_kind(k), ctx=Ctx.of(c)) for k, c in step[1]))
    if word == "flush":
        return Flush()
    if word == "register":
        return Register(provider=step[1])
    if word == "unregister":
        return Unregister(provider=step[1])
    ctx = Ctx.of(step[1])
    ops: dict[str, LayerOp] = {
        "add": Add(ctx=ctx),
        "del": Delete(ctx=ctx),
        "upd": Update(ctx=ctx),
        "est": Established(ctx=ctx),
        "can": CanOffload(ctx=ctx),
    }
    return ops[word]


def step_conns(step: Step) -> tuple[int, ...]:
    """The connections a step names (as the scenario parser records them)."""
    if step[0] == "batch":
        return tuple(c for _, c in step[1] if c is not None)
    if step[0] in CONN_STEPS:
        return (step[1],)
    return ()


def scenario(
    world: tuple[ProviderDecl, ...], steps: tuple[Step, ...], *, slot: bool = True, at_start: bool = True
) -> Scenario:
    """The parsed scenario of ``world`` and ``steps`` (step ``i`` runs at time ``i + 1``, the protocol's default)."""
    return Scenario(
        id=0,
        register_all_at_start=at_start,
        private_slot=slot,
        batch_timestamps=True,
        providers=world,
        steps=tuple(ScenarioStep(op=layer_op(step), now=i + 1, conns=step_conns(step)) for i, step in enumerate(steps)),
    )


def _decl_json(decl: ProviderDecl) -> dict[str, JSON]:
    obj: dict[str, JSON] = {"name": decl.name, "callbacks": sorted(cb.value for cb in decl.callbacks)}
    if decl.init is not None:
        obj["init"] = decl.init
    for key, table in (("can", decl.can), ("add", decl.add), ("upd", decl.upd), ("batch_errors", decl.batch_errors)):
        if table:
            obj[key] = {str(k): v for k, v in table}
    if decl.raises:
        obj["raises"] = sorted(cb.value for cb in decl.raises)
    return obj


def _step_json(step: Step) -> dict[str, JSON]:
    word = step[0]
    if word == "batch":
        return {
            "do": "batch",
            "ops": [[OpType(k).name if k in OpType._value2member_map_ else k, c] for k, c in step[1]],
        }
    if word == "flush":
        return {"do": "flush"}
    if word in ("register", "unregister"):
        return {"do": word, "provider": step[1]}
    return {"do": word, "conn": step[1]}


def scenario_json(
    world: tuple[ProviderDecl, ...], steps: tuple[Step, ...], *, slot: bool = True, at_start: bool = True
) -> dict[str, JSON]:
    """The scenario protocol's object for ``world`` and ``steps`` (``python -m conformance scenarios`` replays it)."""
    obj: dict[str, JSON] = {
        "id": 0,
        "batch_timestamps": True,
        "providers": [_decl_json(d) for d in world],
        "steps": [_step_json(s) for s in steps],
    }
    if not slot:
        obj["private_slot"] = False
    if not at_start:
        obj["register_all_at_start"] = False
    return obj


def describe(family: Family) -> str:
    """The family in one sentence, as the report and the docs state it."""
    counts = " or ".join(str(n) for n in sorted(family.providers))
    always = f" plus always {', '.join(sorted(cb.value for cb in family.always))}" if family.always else ""
    parts = [
        f"{counts} scripted providers, each with every subset of {{{', '.join(cb.value for cb in family.callbacks)}}}"
        f"{always}",
        f"connection 0 answering can_offload in {_set(family.can0)}, conn_add in {_set(family.add0)},"
        f" conn_update in {_set(family.upd0)} (connection 1: the defaults)",
    ]
    if family.raising:
        parts.append("no callback or any one callback raising")
    if family.batch_error0 != (None,):
        parts.append(f"batch_submit writing op 0 from {_set(family.batch_error0)}")
    if family.init != (None,):
        parts.append(f"init answering {_set(family.init)}")
    if family.slots != (True,):
        parts.append(f"private slot {_set(family.slots)}")
    if family.register_at_start != (True,):
        parts.append(f"registered at start {_set(family.register_at_start)}")
    words = [*(f"{w} c" for w in family.step_words), *(["flush"] if family.flush else [])]
    if family.registry_steps:
        words.append("register/unregister p")
    steps = f"up to {family.steps} steps from {{{', '.join(words)}}}, c in {_set(family.conns)}"
    if family.batch_ops:
        kinds = ", ".join(OpType(k).name if k in OpType._value2member_map_ else str(k) for k in family.batch_kinds)
        conns = _set((*family.conns, None) if family.null_conn else family.conns)
        steps += f", at most one of them a batch of 1-{family.batch_ops} ops of type {{{kinds}}} on {conns}"
    parts.append(steps)
    return f"{family.name}: " + "; ".join(parts)


def _set(values: tuple[object, ...]) -> str:
    return (
        "{"
        + ", ".join("null" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in values)
        + "}"
    )
