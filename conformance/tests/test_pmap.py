"""The two persistent-map backends agree with a dict and never mutate their receiver."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from model.pmap import HamtMap, PersistentMap, TupleMap, empty_map

OPS = st.lists(st.tuples(st.integers(0, 20), st.one_of(st.none(), st.integers())), max_size=40)


@given(OPS)
def test_backends_agree_with_a_dict(ops: list[tuple[int, int | None]]) -> None:
    reference: dict[int, int] = {}
    maps: list[PersistentMap[int, int]] = [TupleMap(), HamtMap()]
    for key, value in ops:
        before = [m.as_dict() for m in maps]
        new = [m.remove(key) if value is None else m.set(key, value) for m in maps]
        assert [m.as_dict() for m in maps] == before
        maps = new
        if value is None:
            reference.pop(key, None)
        else:
            reference[key] = value
        for m in maps:
            assert m.as_dict() == reference
            assert len(m) == len(reference)
            assert all(m.get(k) == v for k, v in reference.items())


@given(OPS)
def test_bulk_update_equals_one_by_one(ops: list[tuple[int, int | None]]) -> None:
    for backend in ("tuple", "hamt"):
        seed: list[tuple[int, int | None]] = [(k, 1) for k in range(5)]
        empty: PersistentMap[int, int] = empty_map(backend)
        start = empty.update(seed)
        one_by_one = start
        for key, value in ops:
            one_by_one = one_by_one.remove(key) if value is None else one_by_one.set(key, value)
        bulk = start.update(ops)
        assert bulk == one_by_one
        assert hash(bulk) == hash(one_by_one)
