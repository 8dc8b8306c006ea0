"""Every erratum's counterexample gives the RFC's actual (defective) result under rfc-v1 and rfc-v2
and the fixed result under strict."""

from __future__ import annotations

import pytest

from conformance.errata import ALL_ERRATA, Erratum, expected, shown
from model.vocab import Profile

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("e", ALL_ERRATA, ids=[e.id for e in ALL_ERRATA])
def test_erratum(e: Erratum) -> None:
    for profile in Profile:
        assert shown(e, profile) == expected(e, profile), profile.value
    assert e.rfc != e.strict


def test_errata_ids_are_unique() -> None:
    assert len({e.id for e in ALL_ERRATA}) == len(ALL_ERRATA)
