"""Providers as pure descriptions: which callbacks a class has, and what each callback answers.

Purpose: the model must say what the layer does with any provider, so a provider is a value: a name,
the set of callbacks that exist (a NULL member of ``struct ct_offload_class`` is simply absent), and a
``Behaviour`` whose answers are a pure function of the provider's own state. ``Scripted`` is the
stateless provider of the scenario protocol; ``Dummy`` is the RFC's stateful dummy provider (patch
11/12).

Promises: no behaviour reads anything but its own state and its arguments; a callback listed in
``raises`` raises (the model treats it as a failed call and leaves the provider's state unchanged).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from model.conn import Ctx
from model.ops import BatchOp, BatchResult, InvalidType
from model.pmap import HamtMap, PersistentMap
from model.vocab import Callback, Errno, OpType

#: A provider's own state (any hashable value; the scripted provider's is ``()``).
ProviderState = Hashable

#: One op handed to ``batch_submit``: its index in the submitted batch (None when the layer builds
#: a batch of one for the single-op path) and the op.
BatchItem = tuple[int | None, BatchOp]

#: Key standing for a NULL conn pointer in provider tables.
NULL_CONN = -1


def conn_key(ctx: Ctx) -> int:
    """The key a provider files ``ctx`` under: the connection id, or NULL_CONN for a NULL conn."""
    conn_id = ctx.conn_id
    return NULL_CONN if conn_id is None else conn_id


def lookup(pairs: tuple[tuple[int, int], ...], key: int, default: int) -> int:
    """The value paired with ``key`` in a response table, or ``default``."""
    for k, v in pairs:
        if k == key:
            return v
    return default


class Behaviour(ABC):
    """What a provider's callbacks answer, as pure functions of the provider's own state."""

    @abstractmethod
    def initial_state(self) -> ProviderState:
        """The provider's state before any callback."""

    @abstractmethod
    def init(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        """``init()``: 0 or an errno."""

    @abstractmethod
    def can(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, bool]:
        """``can_offload(ctx)``."""

    @abstractmethod
    def add(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        """``conn_add(ctx)``: 0 (accepted) or an errno."""

    @abstractmethod
    def delete(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        """``conn_del(ctx)``: void in C; 0, or an errno a Python provider may report (strict
        counts it, STRICT-ASK-VOID; the rfc profiles ignore it)."""

    @abstractmethod
    def update(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        """``conn_update(ctx)``: the last-used time in ms, 0 for none."""

    @abstractmethod
    def established(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        """``conn_established(ctx)``: 0 or an errno, as ``delete``."""

    @abstractmethod
    def flush(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        """``flush()``: 0 or an errno, as ``delete``."""

    @abstractmethod
    def batch(
        self, state: ProviderState, items: tuple[BatchItem, ...], now: int
    ) -> tuple[ProviderState, tuple[BatchResult, ...]]:
        """``batch_submit(batch)``: what the provider writes into each op it was handed."""

    def raises(self, callback: Callback) -> bool:
        """Whether calling ``callback`` raises instead of answering (default: never)."""
        return False

    def observable(self, state: ProviderState) -> Hashable:
        """What of the provider's state a user can observe (the batch refinement law compares
        this): by default all of it; a provider may leave out accounting that batching changes by
        design, such as time spent or request tags."""
        return state


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSpec:
    """One ``struct ct_offload_class``: its name, the callbacks that exist, and how they answer.

    ``callbacks`` holds ``Callback.INIT`` when ``init`` exists and ``Callback.BATCH`` when
    ``batch_submit`` exists; every other member is one of the per-op callbacks.
    """

    name: str
    callbacks: frozenset[Callback]
    behaviour: Behaviour

    def has(self, callback: Callback) -> bool:
        """Whether the class has ``callback`` (a non-NULL member)."""
        return callback in self.callbacks

    @property
    def native(self) -> bool:
        """Whether the class has ``batch_submit`` (a native batch provider)."""
        return Callback.BATCH in self.callbacks


@dataclass(frozen=True, slots=True, kw_only=True)
class Scripted(Behaviour):
    """The scenario protocol's scripted provider: fixed answers keyed by connection id.

    Tables are tuples of (key, value) pairs: ``can_table`` (bool, default true), ``add_table``
    (errno, default 0), ``upd_table`` (timestamp, default 0), ``batch_errors`` (errno keyed by op
    index in the submitted batch). ``init_result`` is what ``init`` returns. ``raising`` names the
    callbacks that raise.

    Its ``batch_submit`` writes into each op what its per-op callbacks would answer (a coherent
    native provider), unless ``batch_errors`` holds an entry for that op's index, which overrides
    the error. An ADD it would decline (``can`` says no) is answered EOPNOTSUPP; a callback that
    raises is answered EIO.
    """

    can_table: tuple[tuple[int, bool], ...] = ()
    add_table: tuple[tuple[int, int], ...] = ()
    upd_table: tuple[tuple[int, int], ...] = ()
    batch_errors: tuple[tuple[int, int], ...] = ()
    init_result: int = 0
    raising: frozenset[Callback] = frozenset()
    has_can: bool = True

    def initial_state(self) -> ProviderState:
        return ()

    def init(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return state, self.init_result

    def can(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, bool]:
        key = conn_key(ctx)
        for k, v in self.can_table:
            if k == key:
                return state, v
        return state, True

    def add(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return state, lookup(self.add_table, conn_key(ctx), 0)

    def delete(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return state, 0

    def update(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return state, lookup(self.upd_table, conn_key(ctx), 0)

    def established(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        return state, 0

    def flush(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return state, 0

    def batch(
        self, state: ProviderState, items: tuple[BatchItem, ...], now: int
    ) -> tuple[ProviderState, tuple[BatchResult, ...]]:
        return state, tuple(self.batch_answer(index, op) for index, op in items)

    def raises(self, callback: Callback) -> bool:
        return callback in self.raising

    def batch_answer(self, index: int | None, op: BatchOp) -> BatchResult:
        """What the scripted ``batch_submit`` writes into one op (``index``: its position in the
        submitted batch, None in a batch of one built for the single-op path)."""
        answer = self._coherent_answer(op)
        if index is None:
            return answer
        for k, error in self.batch_errors:
            if k == index:
                return BatchResult(error=error, last_used=answer.last_used if error == 0 else 0)
        return answer

    def _coherent_answer(self, op: BatchOp) -> BatchResult:
        """The answer the per-op callbacks give for ``op`` (EIO where one of them raises)."""
        key = conn_key(op.ctx)
        kind = op.kind
        if isinstance(kind, InvalidType):
            return BatchResult(error=Errno.EINVAL)
        if kind is OpType.ADD:
            if self.has_can and (Callback.CAN in self.raising):
                return BatchResult(error=Errno.EIO)
            if self.has_can and not self.can((), op.ctx, 0)[1]:
                return BatchResult(error=Errno.EOPNOTSUPP)
            if Callback.ADD in self.raising:
                return BatchResult(error=Errno.EIO)
            return BatchResult(error=lookup(self.add_table, key, 0))
        if kind is OpType.UPD:
            if Callback.UPD in self.raising:
                return BatchResult(error=Errno.EIO)
            stamp = lookup(self.upd_table, key, 0)
            return BatchResult(error=0, last_used=stamp) if stamp > 0 else BatchResult(error=Errno.ENODATA)
        if kind is OpType.POLICY:
            if self.has_can and Callback.CAN in self.raising:
                return BatchResult(error=Errno.EIO)
            allowed = self.can((), op.ctx, 0)[1] if self.has_can else True
            return BatchResult(error=0 if allowed else Errno.EPERM)
        raising = {OpType.DEL: Callback.DEL, OpType.EST: Callback.EST, OpType.FLUSH: Callback.FLUSH}
        return BatchResult(error=Errno.EIO if raising[kind] in self.raising else 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyEntry:
    """One entry of the dummy provider's list: the forward and reply input netdevs."""

    netdev_fwd_in: str | None
    netdev_rev_in: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyState:
    """The dummy provider's list (grouped by connection, oldest entry first) and its counters."""

    entries: PersistentMap[int, tuple[DummyEntry, ...]] = field(default_factory=HamtMap)
    n_added: int = 0
    n_deleted: int = 0
    n_updated: int = 0
    n_established: int = 0

    def contains(self, conn_id: int) -> bool:
        """``ct_offload_dummy_contains(conn)``."""
        return self.entries.get(conn_id) is not None


def _dummy(state: ProviderState) -> DummyState:
    if not isinstance(state, DummyState):
        raise TypeError(f"dummy provider state must be DummyState, not {type(state).__name__}")
    return state


@dataclass(frozen=True, slots=True, kw_only=True)
class Dummy(Behaviour):
    """The RFC's dummy provider (lib/ct-offload-dummy.c, patch 11/12).

    ``conn_add`` appends an entry (duplicates included) and answers 0; ``conn_del`` removes the
    oldest entry of that connection; ``conn_established`` records the reply netdev on the oldest
    entry if none is recorded yet (and counts it); ``conn_update`` answers ``now`` for a known
    connection (counting it) and 0 otherwise; ``can_offload`` is always true; ``flush`` removes
    every entry, counting each as deleted. It has no ``init`` and no ``batch_submit``.
    """

    def initial_state(self) -> ProviderState:
        return DummyState()

    def init(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        return state, 0

    def can(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, bool]:
        return state, True

    def add(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        st = _dummy(state)
        key = conn_key(ctx)
        entries = (st.entries.get(key) or ()) + (DummyEntry(netdev_fwd_in=ctx.netdev_in),)
        return replace(st, entries=st.entries.set(key, entries), n_added=st.n_added + 1), 0

    def delete(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        st = _dummy(state)
        key = conn_key(ctx)
        entries = st.entries.get(key)
        if not entries:
            return st, 0
        rest = entries[1:]
        table = st.entries.set(key, rest) if rest else st.entries.remove(key)
        return replace(st, entries=table, n_deleted=st.n_deleted + 1), 0

    def update(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        st = _dummy(state)
        if not st.entries.get(conn_key(ctx)):
            return st, 0
        return replace(st, n_updated=st.n_updated + 1), now

    def established(self, state: ProviderState, ctx: Ctx, now: int) -> tuple[ProviderState, int]:
        st = _dummy(state)
        key = conn_key(ctx)
        entries = st.entries.get(key)
        if not entries or entries[0].netdev_rev_in is not None:
            return st, 0
        first = replace(entries[0], netdev_rev_in=ctx.netdev_in)
        return replace(st, entries=st.entries.set(key, (first, *entries[1:])), n_established=st.n_established + 1), 0

    def flush(self, state: ProviderState, now: int) -> tuple[ProviderState, int]:
        st = _dummy(state)
        removed = sum(len(v) for _, v in st.entries.items())
        return replace(st, entries=HamtMap(), n_deleted=st.n_deleted + removed), 0

    def batch(
        self, state: ProviderState, items: tuple[BatchItem, ...], now: int
    ) -> tuple[ProviderState, tuple[BatchResult, ...]]:
        raise TypeError("the dummy provider has no batch_submit")


#: The callbacks of the RFC's dummy class.
DUMMY_CALLBACKS = frozenset({Callback.ADD, Callback.DEL, Callback.UPD, Callback.EST, Callback.CAN, Callback.FLUSH})


def dummy_spec(name: str = "dummy") -> ProviderSpec:
    """``ct_offload_dummy_class``."""
    return ProviderSpec(name=name, callbacks=DUMMY_CALLBACKS, behaviour=Dummy())
