"""What the external checker generates: coverage of what matters, few empty or duplicate
scenarios, every erratum's shape within the default budget, nothing undefined for the rfc profiles."""

from __future__ import annotations

import functools
import json
from collections import Counter

import pytest

from conformance.errata import ERRATA
from conformance.external import DEFAULT_COUNT
from conformance.external.generate import GROWTH_POINT, sample
from conformance.scenario import parse_scenario, uses_extensions
from conformance.tests.errata_shapes import SHAPES, batch_ops, reaches
from model.vocab import Profile

pytestmark = pytest.mark.conformance
N = 2000


@pytest.mark.parametrize("profile", list(Profile))
def test_the_generator_covers_what_matters_with_few_empty_or_duplicate_scenarios(profile: Profile) -> None:
    drawn = sample(profile, N, seed=1)
    texts = [json.dumps(obj, sort_keys=True) for obj in drawn]
    shares = {
        "duplicate": (len(texts) - len(set(texts))) / N,
        "without steps": sum(1 for obj in drawn if not obj["steps"]) / N,
        "without providers": sum(1 for obj in drawn if not obj["providers"]) / N,
    }
    batches = [len(step["ops"]) for obj in drawn for step in obj["steps"] if step["do"] == "batch"]
    conns = {op[1] for obj in drawn for op in batch_ops(obj)} | {
        step["conn"] for obj in drawn for step in obj["steps"] if "conn" in step
    }
    large = sum(n > GROWTH_POINT for n in batches)
    print(f"{profile.value}: shares of {N} scenarios {shares}; {large} of {len(batches)} batches > {GROWTH_POINT} ops")
    assert shares["duplicate"] == 0 and shares["without steps"] == 0
    assert shares["without providers"] < 0.08
    assert Counter(len(obj["providers"]) for obj in drawn).keys() == set(range(9))
    assert large > 0.25 * len(batches)
    assert max(batches) == 40 and 0 in batches
    assert len(conns - {None, 0, 1, 2, 3}) > 50
    callbacks = Counter(tuple(p["callbacks"]) for obj in drawn for p in obj["providers"])
    assert len(callbacks) == 64  # every subset of the six per-op callbacks
    for obj in drawn:
        parse_scenario(obj)


@pytest.mark.parametrize("profile", list(Profile))
def test_a_null_connection_goes_to_add_del_and_est_only_under_strict(profile: Profile) -> None:
    nulls = Counter(kind for obj in sample(profile, N, seed=2) for kind, conn in batch_ops(obj) if conn is None)
    if profile is Profile.STRICT:
        assert {"ADD", "DEL", "EST", "UPD", "POLICY", "FLUSH"} <= nulls.keys()
    else:
        assert not {"ADD", "DEL", "EST"} & nulls.keys()
        assert {"UPD", "POLICY", "FLUSH"} <= nulls.keys()


def test_every_erratum_has_a_shape() -> None:
    assert {e.id for e in ERRATA if e.kind == "layer"} == SHAPES.keys()


@functools.cache
def _sample(profile: Profile, seed: int, extensions: bool) -> list[dict[str, object]]:
    return sample(profile, DEFAULT_COUNT, seed, extensions=extensions)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("erratum", [e for e in ERRATA if e.kind == "layer"], ids=lambda e: e.id)
def test_the_generator_reaches_every_erratum_within_the_default_budget(erratum: object, seed: int) -> None:
    ident, scenario = erratum.id, erratum.scenario  # type: ignore[attr-defined]
    profile = Profile.STRICT if ident == "E-NULL-CONN" else Profile.RFC_V1
    assert any(reaches(ident, obj) for obj in _sample(profile, seed, uses_extensions(scenario)))


def test_the_same_seed_draws_the_same_scenarios() -> None:
    assert sample(Profile.RFC_V1, 50, 3) == sample(Profile.RFC_V1, 50, 3) != sample(Profile.RFC_V1, 50, 4)
