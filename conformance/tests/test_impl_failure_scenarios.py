"""impl against the model on the failure paths that generated scenarios reach too rarely.

Each scenario below names one rule's failure path (a raising callback, a native provider served
through a batch of one); impl must give exactly the model's result object, under every profile.
Mutation testing (``nox -s mutants``) found these paths unchecked on impl: the named tests of
test_strict_rules.py and test_rfc_behaviours.py run on the model only.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.impl_target import run_on_impl
from conformance.model_target import run_on_model
from conformance.runner import run_object
from model.vocab import Profile

pytestmark = pytest.mark.conformance
JSON = Any
PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])

SCENARIOS: dict[str, dict[str, JSON]] = {
    # STRICT-RAISE: a raising batch_submit fails every op it was handed; the others still answer.
    "raising-batch-submit": {
        "providers": [{"callbacks": ["batch", "add"], "raises": ["batch"]}, {"name": "ok", "callbacks": ["add"]}],
        "steps": [{"do": "batch", "ops": [["ADD", 0], ["ADD", 1]]}, {"do": "batch", "ops": [["UPD", 0], ["DEL", 1]]}],
    },
    "raising-batch-submit-alone": {
        "providers": [{"callbacks": ["batch", "add", "upd"], "raises": ["batch"]}],
        "steps": [{"do": "batch", "ops": [["ADD", 0], ["POLICY", 1]]}, {"do": "add", "conn": 2}],
    },
    # STRICT-RAISE / RFC-RAISE on the single-op path: a raising conn_add is EIO, and nothing is marked.
    "raising-conn-add-alone": {
        "providers": [{"callbacks": ["add"], "raises": ["add"]}],
        "steps": [{"do": "add", "conn": 0}, {"do": "can", "conn": 0}, {"do": "upd", "conn": 0}],
    },
    # STRICT-RAISE for the void callbacks: EIO is the verdict (EST then stays ADDED; DEL and FLUSH
    # fail in a batch), and on the single-op path as well.
    "raising-void-callbacks": {
        "providers": [{"callbacks": ["add", "del", "est", "flush"], "raises": ["del", "est", "flush"]}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "add", "conn": 1},
            {"do": "est", "conn": 0},
            {"do": "batch", "ops": [["EST", 0], ["EST", 1], ["DEL", 0], ["FLUSH", None]]},
            {"do": "del", "conn": 1},
            {"do": "flush"},
        ],
    },
    "raising-void-callbacks-beside-a-good-one": {
        "providers": [
            {"name": "bad", "callbacks": ["add", "del", "est"], "raises": ["del", "est"]},
            {"name": "good", "callbacks": ["add", "del", "est"]},
        ],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "batch", "ops": [["EST", 0], ["DEL", 0]]},
            {"do": "add", "conn": 1},
            {"do": "est", "conn": 1},
        ],
    },
    # STRICT-RAISE / RFC-RAISE for conn_update, single and batched (the batch's UPD path of each
    # dispatch): a raise is EIO under strict (no data when another holder has some), 0 under rfc.
    "raising-conn-update": {
        "batch_timestamps": True,
        "providers": [{"callbacks": ["add", "upd"], "raises": ["upd"]}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "upd", "conn": 0},
            {"do": "batch", "ops": [["UPD", 0], ["UPD", 1], ["UPD", None]]},
        ],
    },
    "raising-conn-update-beside-a-good-one": {
        "batch_timestamps": True,
        "providers": [
            {"name": "bad", "callbacks": ["add", "upd"], "raises": ["upd"]},
            {"name": "good", "callbacks": ["add", "upd"], "upd": {"0": 900}},
        ],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "upd", "conn": 0},
            {"do": "batch", "ops": [["UPD", 0], ["DEL", 0], ["UPD", 0]]},
        ],
    },
    # STRICT-MISSING: a native holder without conn_update is asked through a batch of one UPD.
    "native-holder-without-conn-update": {
        "batch_timestamps": True,
        "providers": [{"callbacks": ["add", "batch"], "upd": {"0": 700, "1": 0}}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "add", "conn": 1},
            {"do": "upd", "conn": 0},
            {"do": "upd", "conn": 1},
            {"do": "batch", "ops": [["UPD", 0], ["UPD", 1]]},
        ],
    },
    "batch-only-provider": {
        "batch_timestamps": True,
        "providers": [{"callbacks": ["batch"], "upd": {"0": 40}, "can": {"1": False}}],
        "steps": [
            {"do": "add", "conn": 0},
            {"do": "can", "conn": 1},
            {"do": "upd", "conn": 0},
            {"do": "est", "conn": 0},
            {"do": "del", "conn": 0},
            {"do": "flush"},
        ],
    },
}


@PROFILES
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_impl_agrees_with_the_model_on_failure_paths(profile: Profile, name: str) -> None:
    scenario = {"id": name, **SCENARIOS[name]}
    expected = run_object(scenario, run_on_model, profile)
    assert "error" not in expected, expected
    assert run_object(scenario, run_on_impl, profile) == expected
