"""Every erratum's counterexample gives the RFC's actual (defective) result under rfc-v1 and rfc-v2
and the fixed result under strict."""

from __future__ import annotations

import pytest

from conformance.errata import ERRATA, Erratum
from conformance.tests.protocol import run

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("e", ERRATA, ids=[e.id for e in ERRATA])
def test_erratum(e: Erratum) -> None:
    for profile, expected in (("rfc-v1", e.rfc), ("rfc-v2", e.rfc_v2 or e.rfc), ("strict", e.strict)):
        out = run(e.scenario, profile)
        assert {key: out[key] for key in expected} == expected, profile
    assert e.rfc != e.strict


def test_errata_ids_are_unique() -> None:
    assert len({e.id for e in ERRATA}) == len(ERRATA)
