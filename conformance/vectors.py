"""Portable conformance vectors: scenarios with the model's results, one file per profile.

Purpose: layer 4 of the suite (docs/conformance.rst). An implementation in any language checks itself by
replaying ``conformance/vectors/*.jsonl``: each line is ``{"scenario": ..., "expect": ...}`` where
``expect`` is the result the scenario protocol (or, in ``tracker-*.jsonl``, the tracker scenario
protocol) must give. The vectors are the errata's counterexamples plus scenarios drawn by a
seeded generator written here (not Hypothesis, whose draws may change between releases), so that
regenerating them gives byte-identical files.

Promises: ``render`` is deterministic; ``python -m conformance vectors --check`` fails when the
committed files differ from a regeneration; every vector replays against impl in the tests.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from conformance.checkout import needs_checkout, source_root
from conformance.errata import ALL_ERRATA
from conformance.model_target import run_on_model
from conformance.runner import run_object
from conformance.tracker_scenario import parse_tracker_scenario, run_tracker
from conformance.tracker_targets import model_tracker
from model.vocab import OpType, Profile

JSON = Any
DIRECTORY = Path(__file__).resolve().parent / "vectors"
SEED = 20261124
GENERATED = 160
TRACKER_GENERATED = 40


def _provider(rng: random.Random) -> dict[str, JSON]:
    """A scripted provider using only the core scenario protocol (portable vectors)."""
    callbacks = [c for c in ("add", "del", "upd", "est", "can", "flush") if rng.random() < 0.7]
    decl: dict[str, JSON] = {"name": rng.choice("abcde"), "callbacks": callbacks}
    if rng.random() < 0.4:
        decl["batch"] = True
    if rng.random() < 0.2:
        decl["init"] = rng.choice([0, 12])
    for key, values in (("can", [True, False]), ("add", [0, 17, 28, 95]), ("upd", [0, -1, 1, 1000])):
        table = {str(c): rng.choice(values) for c in range(4) if rng.random() < 0.3}
        if table:
            decl[key] = table
    if decl.get("batch") and rng.random() < 0.3:
        decl["batch_errors"] = {str(i): rng.choice([0, 5, 28]) for i in range(4) if rng.random() < 0.4}
    return decl


def _step(rng: random.Random, n_providers: int) -> dict[str, JSON]:
    word = rng.choice(
        ["add", "add", "del", "upd", "est", "est", "can", "flush", "batch", "batch", "register", "unregister"]
    )
    if word in ("register", "unregister"):
        return {"do": word, "provider": rng.randrange(n_providers)} if n_providers else {"do": "flush"}
    if word == "batch":
        kinds: list[JSON] = [t.name for t in OpType] + [6, -1]
        ops = [[rng.choice(kinds), rng.choice([0, 1, 2, 3, None])] for _ in range(rng.randrange(6))]
        return {"do": "batch", "ops": ops}
    if word == "flush":
        return {"do": "flush"}
    return {"do": word, "conn": rng.randrange(4)}


def generated_scenarios(seed: int = SEED, count: int = GENERATED) -> list[dict[str, JSON]]:
    """``count`` scenario-protocol scenarios drawn by a seeded generator."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        providers = [_provider(rng) for _ in range(rng.randrange(4))]
        scenario: dict[str, JSON] = {"id": f"gen-{i}", "providers": providers}
        scenario["steps"] = [_step(rng, len(providers)) for _ in range(rng.randrange(1, 9))]
        if rng.random() < 0.15:
            scenario["private_slot"] = False
        out.append(scenario)
    return out


def generated_tracker_scenarios(seed: int = SEED, count: int = TRACKER_GENERATED) -> list[dict[str, JSON]]:
    """``count`` tracker scenarios drawn by a seeded generator."""
    rng = random.Random(seed + 1)
    out = []
    for i in range(count):
        providers: list[dict[str, JSON]] = []
        if rng.random() < 0.8:
            providers.append(
                {
                    "name": "hw",
                    "callbacks": ["add", "del", "upd", "est"],
                    "upd": {str(c): rng.choice([0, 1, 25000, 10**9]) for c in range(1, 8)},
                }
            )
        if rng.random() < 0.3:
            providers.append({"kind": "dummy", "name": "dummy"})
        events = []
        now = 0
        for _ in range(rng.randrange(1, 12)):
            now += rng.choice([0, 1000, 15000, 20000, 31000])
            word = rng.choice(["commit", "commit", "reply", "lookup", "force", "flush_flow", "flush", "sweep", "sweep"])
            event: dict[str, JSON] = {"at": now, "do": word}
            if word not in ("flush", "sweep"):
                event["flow"] = rng.randrange(3)
            events.append(event)
        out.append(
            {"id": f"tgen-{i}", "providers": providers, "config": {"batch_sweep": rng.random() < 0.8}, "events": events}
        )
    return out


def layer_scenarios() -> list[dict[str, JSON]]:
    """The layer vectors' scenarios: the errata's, then the generated ones."""
    curated = [{"id": e.id, **e.scenario} for e in ALL_ERRATA if e.kind == "layer"]
    return curated + generated_scenarios()


def tracker_scenarios() -> list[dict[str, JSON]]:
    """The tracker vectors' scenarios: the errata's, then the generated ones."""
    curated = [{"id": e.id, **e.scenario} for e in ALL_ERRATA if e.kind == "tracker"]
    return curated + generated_tracker_scenarios()


def tracker_result(scenario: dict[str, JSON], profile: Profile) -> dict[str, JSON]:
    """The model's result for a tracker scenario."""
    parsed = parse_tracker_scenario(scenario)
    return json.loads(json.dumps(run_tracker(parsed, model_tracker(parsed, profile))))  # type: ignore[no-any-return]


def render() -> dict[str, str]:
    """Every vector file's name and text."""
    files: dict[str, str] = {}
    for profile in Profile:
        layer = [{"scenario": s, "expect": run_object(s, run_on_model, profile)} for s in layer_scenarios()]
        files[f"layer-{profile.value}.jsonl"] = "".join(json.dumps(v, sort_keys=True) + "\n" for v in layer)
        tracker = [{"scenario": s, "expect": tracker_result(s, profile)} for s in tracker_scenarios()]
        files[f"tracker-{profile.value}.jsonl"] = "".join(json.dumps(v, sort_keys=True) + "\n" for v in tracker)
    return files


def load(name: str) -> list[dict[str, JSON]]:
    """The vectors of one committed file."""
    return [json.loads(line) for line in (DIRECTORY / name).read_text().splitlines() if line.strip()]


def main(*, write: bool) -> int:
    """Write the vector files, or check that regenerating them gives no difference."""
    if write and source_root() is None:
        print(needs_checkout("vectors --write"))
        return 2
    files = render()
    if write:
        DIRECTORY.mkdir(exist_ok=True)
        for name, text in files.items():
            (DIRECTORY / name).write_text(text)
        print(f"wrote {len(files)} vector files to {DIRECTORY}")
        return 0
    stale = [
        name
        for name, text in files.items()
        if not (DIRECTORY / name).exists() or (DIRECTORY / name).read_text() != text
    ]
    for name in stale:
        print(f"conformance/vectors/{name} differs from a regeneration (run: python -m conformance vectors --write)")
    print(f"vectors: {len(files) - len(stale)} of {len(files)} files up to date")
    return 1 if stale else 0
