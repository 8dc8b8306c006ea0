"""Each tracker defect: the property holds under strict, Hypothesis finds a counterexample under
rfc-v1 no longer than the one kept in the errata, and the kept one fails rfc-v1 and passes strict."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from conformance.errata import erratum
from conformance.tracker_properties import DEFECTS, Defect, Events, kept
from model.vocab import Profile

pytestmark = pytest.mark.conformance
IDS = [d.erratum for d in DEFECTS]


@pytest.mark.parametrize("defect", DEFECTS, ids=IDS)
@given(data=st.data())
def test_the_property_holds_under_strict(defect: Defect, data: st.DataObject) -> None:
    events = data.draw(defect.events)
    assert defect.holds(Profile.STRICT, events)


@pytest.mark.parametrize("defect", DEFECTS, ids=IDS)
def test_the_kept_counterexample_fails_rfc_and_passes_strict(defect: Defect) -> None:
    events = kept(defect.erratum)
    assert not defect.holds(Profile.RFC_V1, events)
    assert not defect.holds(Profile.RFC_V2, events)
    assert defect.holds(Profile.STRICT, events)
    assert erratum(defect.erratum).kind == "tracker"


@pytest.mark.parametrize("defect", DEFECTS, ids=IDS)
def test_hypothesis_finds_no_smaller_counterexample_under_rfc_v1(defect: Defect) -> None:
    quick = settings(database=None, derandomize=True, max_examples=2000, suppress_health_check=list(HealthCheck))
    found: Events = find(defect.events, lambda events: not defect.holds(Profile.RFC_V1, events), settings=quick)
    assert not defect.holds(Profile.RFC_V1, found)
    kept_ops = [op for _, op in kept(defect.erratum) if type(op).__name__ != "Sweep"]
    found_ops = [op for _, op in found if type(op).__name__ != "Sweep"]
    assert len(found_ops) >= len(kept_ops), f"smaller counterexample found: {found}"
