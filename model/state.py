"""The model's state: the world of provider classes, the registry, and the per-connection records.

Purpose: one immutable value holds everything a dispatch decision reads. Connections are kept in a
persistent map (``model.pmap``), so a step copies O(log n) of it, not the table.

Promises: ``LayerState`` is frozen and hashable; ``records`` never holds a record equal to
``EMPTY_RECORD`` (a connection the layer knows nothing about is absent), so equal observable states
are equal values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from model.pmap import PersistentMap, empty_map
from model.provider import ProviderSpec, ProviderState
from model.vocab import Mark, Profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What the layer keeps per connection: the mark, and under strict the providers holding it.

    ``holders`` are world indices of the registered providers that accepted the connection; the
    rfc profiles never fill it. Under strict, ``mark`` is NONE exactly when ``holders`` is empty.
    """

    mark: Mark
    holders: frozenset[int] = frozenset()


#: The record of a connection the layer knows nothing about.
EMPTY_RECORD = Record(mark=Mark.NONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerState:
    """Everything the layer's dispatch reads and writes.

    - ``profile``: which semantics apply;
    - ``slot``: whether the per-connection private slot was allocated (patch 07);
    - ``world``: every provider class that exists, indexed by position (a class's identity);
    - ``pstates``: each class's own state, aligned with ``world`` (it survives unregistration, as a
      C provider's static state does);
    - ``registry``: the registered classes' indices, in registration order;
    - ``records``: connection id -> Record.
    """

    profile: Profile
    slot: bool
    world: tuple[ProviderSpec, ...]
    pstates: tuple[ProviderState, ...]
    registry: tuple[int, ...]
    records: PersistentMap[int, Record]

    def spec(self, ident: int) -> ProviderSpec:
        """The provider class with world index ``ident``."""
        return self.world[ident]

    def pstate(self, ident: int) -> ProviderState:
        """The own state of provider ``ident``."""
        return self.pstates[ident]

    def with_pstate(self, ident: int, pstate: ProviderState) -> LayerState:
        """This state with provider ``ident``'s own state replaced."""
        if self.pstates[ident] is pstate:
            return self
        states = (*self.pstates[:ident], pstate, *self.pstates[ident + 1 :])
        return replace(self, pstates=states)

    def record(self, conn_id: int | None) -> Record:
        """The record of ``conn_id`` (EMPTY_RECORD for unknown connections and the NULL conn)."""
        if conn_id is None:
            return EMPTY_RECORD
        return self.records.get(conn_id) or EMPTY_RECORD

    def with_record(self, conn_id: int | None, record: Record) -> LayerState:
        """This state with ``conn_id``'s record replaced; a NULL conn has nowhere to keep one."""
        if conn_id is None:
            return self
        if record == EMPTY_RECORD:
            return replace(self, records=self.records.remove(conn_id))
        return replace(self, records=self.records.set(conn_id, record))

    def is_registered(self, ident: int) -> bool:
        """Whether class ``ident`` is in the registry."""
        return ident in self.registry


def initial_state(
    profile: Profile,
    world: tuple[ProviderSpec, ...],
    *,
    slot: bool = True,
    backend: str = "hamt",
) -> LayerState:
    """The state before any operation: nothing registered, no connection known.

    ``backend`` picks the persistent map of the connection table (``"hamt"`` for speed, ``"tuple"``
    for CrossHair).
    """
    return LayerState(
        profile=profile,
        slot=slot,
        world=world,
        pstates=tuple(spec.behaviour.initial_state() for spec in world),
        registry=(),
        records=empty_map(backend),
    )


def mark_of(state: LayerState, conn_id: int) -> Mark:
    """``ct_offload_conn_is_offloaded`` / ``_is_established`` in one: the connection's mark.

    Without a private slot every mark reads NONE (the RFC's query functions return false).
    """
    if not state.slot:
        return Mark.NONE
    return state.record(conn_id).mark


def marks_of(state: LayerState, conn_ids: tuple[int, ...]) -> tuple[tuple[int, Mark], ...]:
    """The marks of ``conn_ids``, in the given order."""
    return tuple((conn_id, mark_of(state, conn_id)) for conn_id in conn_ids)
