"""Persistent maps behind one small interface, so the model stays pure and cheap to step.

Purpose: the model's per-connection table must be immutable (every step returns a new state) yet
cost O(log n) per update at 100,000 connections. ``HamtMap`` (the default) wraps ``immutables.Map``,
a hash array mapped trie; ``TupleMap`` holds a sorted tuple of pairs, which CrossHair can reason
about symbolically and which is the reference the HAMT is tested against.

Promises: no method mutates its receiver; two maps of the same backend with the same items are equal
and hash alike (maps of different backends never compare equal: compare ``dict(m.items())``);
``items()`` iterates in ascending key order for TupleMap and in an unspecified order for HamtMap
(callers that need an order sort).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

import immutables

K = TypeVar("K", bound=int)
V = TypeVar("V")


class PersistentMap(ABC, Generic[K, V]):
    """An immutable mapping from int-like keys to values; updates return new maps."""

    __slots__ = ()

    @abstractmethod
    def get(self, key: K) -> V | None:
        """The value at ``key``, or None."""

    @abstractmethod
    def set(self, key: K, value: V) -> PersistentMap[K, V]:
        """A map equal to this one except that ``key`` maps to ``value``."""

    @abstractmethod
    def remove(self, key: K) -> PersistentMap[K, V]:
        """A map equal to this one without ``key`` (the same map if it was absent)."""

    @abstractmethod
    def items(self) -> Iterator[tuple[K, V]]:
        """Every (key, value) pair."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of keys."""

    def update(self, pairs: Iterable[tuple[K, V | None]]) -> PersistentMap[K, V]:
        """Apply many changes at once: a None value removes the key."""
        result: PersistentMap[K, V] = self
        for key, value in pairs:
            result = result.remove(key) if value is None else result.set(key, value)
        return result

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.get(key) is not None  # type: ignore[arg-type]

    def as_dict(self) -> dict[K, V]:
        """A plain dict copy (for comparisons across backends and for reports)."""
        return dict(self.items())

    def __repr__(self) -> str:
        body = ", ".join(f"{k!r}: {v!r}" for k, v in sorted(self.items(), key=lambda kv: kv[0]))
        return f"{type(self).__name__}({{{body}}})"


class TupleMap(PersistentMap[K, V]):
    """A sorted tuple of pairs: O(n) updates, transparent to CrossHair, the reference backend."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[K, V]] = ()) -> None:
        self._pairs: tuple[tuple[K, V], ...] = tuple(sorted(dict(pairs).items(), key=lambda kv: kv[0]))

    def get(self, key: K) -> V | None:
        for k, v in self._pairs:
            if k == key:
                return v
        return None

    def set(self, key: K, value: V) -> TupleMap[K, V]:
        kept = [(k, v) for k, v in self._pairs if k != key]
        kept.append((key, value))
        return TupleMap(kept)

    def remove(self, key: K) -> TupleMap[K, V]:
        if self.get(key) is None:
            return self
        return TupleMap((k, v) for k, v in self._pairs if k != key)

    def items(self) -> Iterator[tuple[K, V]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TupleMap) and self._pairs == other._pairs

    def __hash__(self) -> int:
        return hash(self._pairs)


class HamtMap(PersistentMap[K, V]):
    """``immutables.Map`` (a HAMT): O(log32 n) updates with structural sharing, cached hash."""

    __slots__ = ("_map",)

    def __init__(self, pairs: Iterable[tuple[K, V]] | immutables.Map[K, V] = ()) -> None:
        self._map: immutables.Map[K, V] = pairs if isinstance(pairs, immutables.Map) else immutables.Map(pairs)

    def get(self, key: K) -> V | None:
        return self._map.get(key)

    def set(self, key: K, value: V) -> HamtMap[K, V]:
        return HamtMap(self._map.set(key, value))

    def remove(self, key: K) -> HamtMap[K, V]:
        if key not in self._map:
            return self
        return HamtMap(self._map.delete(key))

    def update(self, pairs: Iterable[tuple[K, V | None]]) -> HamtMap[K, V]:
        draft = self._map.mutate()
        for key, value in pairs:
            if value is None:
                draft.pop(key, None)
            else:
                draft[key] = value
        return HamtMap(draft.finish())

    def items(self) -> Iterator[tuple[K, V]]:
        return iter(self._map.items())

    def __len__(self) -> int:
        return len(self._map)

    def __hash__(self) -> int:
        return hash(self._map)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HamtMap) and (self._map is other._map or self._map == other._map)


def empty_map(backend: str = "hamt") -> PersistentMap[int, V]:
    """An empty map of the named backend (``"hamt"`` or ``"tuple"``)."""
    if backend == "hamt":
        return HamtMap()
    if backend == "tuple":
        return TupleMap()
    raise ValueError(f"unknown map backend {backend!r}: expected 'hamt' or 'tuple'")
