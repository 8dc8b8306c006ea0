"""Profile differences of the ct-offload docs extension: the ``profile-differences`` table.

Purpose: run every scenario of the layer vectors under each profile (``observe``), find for each
pair of profiles the first step where they differ (``first_divergence``), and show per step kind
the rules of the rfc profiles and of strict, how many scenarios first differ there, what differs
and the smallest example (``table_profile_differences``).

Promises: the counts, what differs and the examples come from running the model on the committed
vectors during the build; the rules come from the docstrings of the model functions named in
``RULE_FUNCTIONS``; a step kind the profiles first differ at that the table does not list is a
Sphinx warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from ct_common import NONE_CELL, CtDirective, list_table, literal, rule_of, rule_ref

from conformance import vectors
from conformance.model_target import ModelRunner
from conformance.scenario import parse_scenario
from model.ops import Register, SubmitBatch
from model.rfc import Undefined
from model.vocab import OpType, Profile

# Profile differences, computed over the vectors' scenarios.

#: The result recorded for a step the rfc profiles leave undefined (RFC-NULL).
UNDEFINED = "undefined"

STEP_WORDS = {
    "Register": "register",
    "Unregister": "unregister",
    "Add": "add",
    "Delete": "del",
    "Update": "upd",
    "Established": "est",
    "CanOffload": "can",
    "Flush": "flush",
    "SubmitBatch": "batch",
}

#: The model functions that state each step's rule: (rfc profiles, strict).
RULE_FUNCTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "register": (("model.registry.register",), ("model.registry.register",)),
    "add": (("model.rfc.add",), ("model.strict.gate", "model.verdict.ask_add", "model.strict.effect")),
    "del": (("model.rfc.delete",), ("model.strict.gate", "model.verdict.ask_void", "model.strict.effect")),
    "upd": (("model.rfc.update",), ("model.strict.gate", "model.verdict.ask_upd", "model.strict.effect")),
    "est": (("model.rfc.established",), ("model.strict.gate", "model.verdict.ask_void", "model.strict.effect")),
    "can": (("model.rfc.can_offload",), ("model.verdict.ask_policy", "model.strict.stops_early")),
    "flush": (("model.rfc.flush",), ("model.verdict.ask_void", "model.strict.effect")),
    "unregister": (("model.registry.unregister",), ("model.strict.unregister",)),
    "batch": (("model.rfc.submit_batch",), ("model.strict_batch.segments", "model.strict_batch.submit_batch")),
}

Observed = list[tuple[str, Any, tuple[Any, ...], tuple[Any, ...]]]


def observe(scenario: dict[str, Any], profile: Any) -> Observed:
    """Per step of ``scenario`` (registrations at start first): (word, result, trace, marks)."""
    parsed = parse_scenario(scenario)
    runner = ModelRunner(parsed.providers, profile, private_slot=parsed.private_slot)
    seen: Observed = []
    named: set[int] = set()
    if parsed.register_all_at_start:
        for ident in range(len(parsed.providers)):
            result, trace = runner.apply(Register(provider=ident), 0)
            seen.append(("register", result, trace, ()))
    for step in parsed.steps:
        try:
            result, trace = runner.apply(step.op, step.now)
        except Undefined:  # RFC-NULL: this step and every later one have no prescribed result
            seen.append((STEP_WORDS[type(step.op).__name__], UNDEFINED, (), ()))
            break
        named.update(step.conns)
        marks = tuple((conn, runner.mark(conn)) for conn in sorted(named))
        seen.append((STEP_WORDS[type(step.op).__name__], result, trace, marks))
    return seen


def first_divergence(a: Observed, b: Observed, ops: Sequence[Any]) -> tuple[str, list[str]] | None:
    """Where two runs of one scenario first differ: the step's label and what differs."""
    batches = iter(ops)
    # A run that stopped at an undefined step is shorter: the steps both runs have are compared.
    for (word, ra, ta, ma), (_, rb, tb, mb) in zip(a, b, strict=False):
        batch = next(batches) if word == "batch" else None
        what = [name for name, x, y in (("result", ra, rb), ("trace", ta, tb), ("marks", ma, mb)) if x != y]
        if not what:
            continue
        label = word
        if UNDEFINED in (ra, rb):
            return f"{word} undefined", ["result"]
        if batch is not None and ra != rb:
            label = next(
                (f"batch {_kind_word(op.kind)}" for op, x, y in zip(batch, ra, rb, strict=True) if x != y), "batch"
            )
        return label, what
    return None


def _kind_word(kind: Any) -> str:
    return kind.name if isinstance(kind, OpType) else "invalid"


@cache
def profile_differences() -> dict[tuple[str, str], dict[str, tuple[int, set[str], list[tuple[int, str]]]]]:
    """Per pair of profiles: label of the first differing step -> (how many scenarios, what differs,
    (size, id) of the scenarios), over the layer vectors' scenarios."""
    scenarios = vectors.layer_scenarios()
    runs = {p: [observe(s, p) for s in scenarios] for p in Profile}
    pairs = [(Profile.RFC_V1, Profile.RFC_V2), (Profile.RFC_V1, Profile.STRICT), (Profile.RFC_V2, Profile.STRICT)]
    out: dict[tuple[str, str], dict[str, tuple[int, set[str], list[tuple[int, str]]]]] = {}
    for pa, pb in pairs:
        table: dict[str, tuple[int, set[str], list[tuple[int, str]]]] = {}
        for index, scenario in enumerate(scenarios):
            steps = parse_scenario(scenario).steps
            ops = [s.op.ops for s in steps if isinstance(s.op, SubmitBatch)]
            found = first_divergence(runs[pa][index], runs[pb][index], ops)
            if found is None:
                continue
            label, what = found
            count, whats, examples = table.get(label, (0, set(), []))
            size = len(json.dumps({k: v for k, v in scenario.items() if k != "id"}))
            table[label] = (count + 1, whats | set(what), [*examples, (size, str(scenario["id"]))])
        out[(pa.value, pb.value)] = table
    return out


def _example(examples: list[tuple[int, str]]) -> str:
    errata = sorted(e for e in examples if e[1].startswith("E-"))
    if errata:
        return f":ref:`{errata[0][1]} <{errata[0][1]}>`"
    return literal(min(examples)[1]) if examples else NONE_CELL


def table_profile_differences(directive: CtDirective) -> list[str]:
    """Per step kind: the rules of each profile, and in how many of the vectors' scenarios two
    profiles first differ at a step of that kind, what differs, and the smallest such scenario."""
    diffs = profile_differences()
    v1_v2, v1_s, v2_s = diffs[("rfc-v1", "rfc-v2")], diffs[("rfc-v1", "strict")], diffs[("rfc-v2", "strict")]
    labels = [*RULE_FUNCTIONS]
    labels[labels.index("batch") : labels.index("batch") + 1] = [
        *(f"batch {k.name}" for k in OpType),
        "batch invalid",
        "batch undefined",
        "batch",
    ]
    found = set(v1_v2) | set(v1_s) | set(v2_s)
    for label in sorted(found - set(labels)):
        directive.complain(f"the profiles first differ at an unexpected step {label!r}")
    rows = []
    for label in labels:
        word = label.split()[0]
        rfc_funcs, strict_funcs = RULE_FUNCTIONS[word]
        rfc_rules = [r for r in dict.fromkeys(map(rule_of, rfc_funcs)) if r]
        strict_rules = [r for r in dict.fromkeys(map(rule_of, strict_funcs)) if r]
        counts = [str(d[label][0]) if label in d else "0" for d in (v1_v2, v1_s, v2_s)]
        what = ", ".join(sorted(v1_s[label][1])) if label in v1_s else NONE_CELL
        example = _example(v1_s[label][2]) if label in v1_s else NONE_CELL
        rows.append(
            [
                literal(label),
                ", ".join(rule_ref(r) for r in rfc_rules),
                ", ".join(rule_ref(r) for r in strict_rules),
                *counts,
                what,
                example,
            ]
        )
    total = len(vectors.layer_scenarios())
    header = [
        "step",
        "rfc rules",
        "strict rules",
        "v1 / v2",
        "v1 / strict",
        "v2 / strict",
        "differs (v1 / strict)",
        "smallest example",
    ]
    lines = [
        f"Over the {total} scenarios of the layer vectors (``conformance.vectors.layer_scenarios``), each run "
        "under every profile; a scenario counts once, at the first step where the two profiles' result, "
        "trace or marks differ.",
        "",
    ]
    return lines + list_table(header, rows, widths="12 14 26 7 7 7 12 15")
