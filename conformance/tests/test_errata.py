"""Every erratum's counterexample gives the RFC's actual (defective) result under rfc-v1 and rfc-v2
and the fixed result under strict."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.errata import ALL_ERRATA, Erratum, expected, shown
from conformance.errata_page import WIDTH, fit_json, render
from model.vocab import Profile

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("e", ALL_ERRATA, ids=[e.id for e in ALL_ERRATA])
def test_erratum(e: Erratum) -> None:
    for profile in Profile:
        assert shown(e, profile) == expected(e, profile), profile.value
    assert e.rfc != e.strict


def test_errata_ids_are_unique() -> None:
    assert len({e.id for e in ALL_ERRATA}) == len(ALL_ERRATA)


def test_the_errata_page_shows_each_counterexample_within_the_page_width() -> None:
    page = render()
    blocks = page.split(".. code-block:: json\n\n")[1:]
    assert len(blocks) >= 2 * len(ALL_ERRATA)
    for block in blocks:
        body = [line for line in block.split("\n\n", 1)[0].splitlines() if line.strip()]
        assert all(len(line.strip()) <= WIDTH for line in body), body


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
        max_leaves=40,
    ),
    st.integers(min_value=20, max_value=100),
)
def test_fit_json_is_the_same_json_in_lines_as_narrow_as_it_can(value: object, width: int) -> None:
    lines = fit_json(value, width)
    assert json.loads("\n".join(lines)) == value
    decoder = json.JSONDecoder()
    for line in lines:
        if len(line) <= width:
            continue
        # Wider than asked only when the line holds no container that could have been cut: a key
        # and an opening bracket, or a scalar (after its key, if any).
        core = line.strip().rstrip(",").rstrip("[{").rstrip()
        first, end = decoder.raw_decode(core)
        rest = core[end:]
        if rest.startswith(":"):
            rest = rest[1:].strip()
            first = decoder.raw_decode(rest)[0] if rest else None
        assert not isinstance(first, dict | list) or first in ([], {}), line
