"""Mark transitions of the ct-offload docs extension: the ``mark-transitions`` table and the mark diagrams.

Purpose: find what every op does to a connection's mark by running the model -- from every mark,
with providers that accept, refuse or decline, native batch or not, under each profile -- and show
it as a transition table per group of profiles (``table_mark_transitions``) and as a state diagram,
in text (``text_diagram``) and SVG (``svg_diagram``), from the same edges (``diagram_edges``).

Promises: every transition shown is observed by running the model during the build, never written
here; each is checked against ``model.laws.mark_after`` and an op that leads from one mark to
several is reported, both as Sphinx warnings; profiles whose tables would show the same are
grouped, so one table and one diagram stand for them.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

from ct_common import CtDirective, list_table, literal

from model.conn import Ctx
from model.laws import mark_after, sequential_results
from model.ops import BatchOp, Unregister
from model.provider import ProviderSpec, Scripted
from model.registry import register
from model.state import Record, initial_state, mark_of
from model.step import step as layer_step
from model.vocab import Callback, Errno, Mark, OpType, Profile, errno_name

# Mark transitions, observed by running the model.

Key = tuple[Any, str, bool]


def _provider_variants() -> list[tuple[str, Any]]:
    """Scripted providers that accept, refuse (errors, raising void callbacks) or decline."""
    return [
        ("willing", Scripted(upd_table=((0, 5),))),
        (
            "refusing",
            Scripted(
                add_table=((0, Errno.ENOSPC),),
                raising=frozenset({Callback.DEL, Callback.EST, Callback.FLUSH, Callback.UPD}),
            ),
        ),
        ("declining", Scripted(can_table=((0, False),))),
    ]


def observed_transitions(profile: Any) -> tuple[dict[Key, set[Any]], dict[Key, set[int]]]:
    """Run every op on connection 0 of a one-provider layer, from every mark, with every provider
    variant (native or not): (mark before, op word, result was 0) -> the marks after, and the errors
    seen. ``unregister`` (no result) counts as a success."""
    after: dict[Key, set[Any]] = {}
    errors: dict[Key, set[int]] = {}
    for _, behaviour in _provider_variants():
        for native in (False, True):
            callbacks = frozenset(Callback) if native else frozenset(Callback) - {Callback.BATCH}
            world = (ProviderSpec(name="p0", callbacks=callbacks, behaviour=behaviour),)
            fresh, _, _ = register(initial_state(profile, world), 0)
            for before in Mark:
                state = fresh
                if before is not Mark.NONE:
                    holders = frozenset({0}) if profile is Profile.STRICT else frozenset()
                    state = state.with_record(0, Record(mark=before, holders=holders))
                for kind in OpType:
                    moved, (result,) = sequential_results(state, (BatchOp(kind=kind, ctx=Ctx.of(0)),), 1)
                    key = (before, kind.name, result.error == 0)
                    after.setdefault(key, set()).add(mark_of(moved, 0))
                    if result.error:
                        errors.setdefault(key, set()).add(result.error)
                moved, _ = layer_step(state, Unregister(provider=0))
                after.setdefault((before, "unregister", True), set()).add(mark_of(moved, 0))
    return after, errors


@cache
def _transitions() -> list[tuple[Any, dict[Key, set[Any]], dict[Key, set[int]]]]:
    return [(p, *observed_transitions(p)) for p in Profile]


def transition_groups(directive: CtDirective) -> list[tuple[list[Any], dict[Key, Any]]]:
    """The observed transition table of each profile, profiles with equal tables grouped; each
    entry checked against ``model.laws.mark_after`` (a warning where they differ)."""
    groups: list[tuple[list[Any], dict[Key, Any]]] = []
    for profile, after, errors in _transitions():
        table: dict[Key, Any] = {}
        for key, marks in after.items():
            before, word, succeeded = key
            if len(marks) != 1:
                directive.complain(f"{profile.value}: {word} from {before.name} leads to several marks {marks}")
            (mark,) = sorted(marks)
            if word in OpType.__members__:
                expected = mark_after(profile, before, OpType[word], succeeded)
                if expected is not mark:
                    directive.complain(
                        f"{profile.value}: {word} from {before.name} ({'0' if succeeded else 'error'}) gives "
                        f"{mark.name} when run, but model.laws.mark_after says {expected.name}"
                    )
            table[key] = (mark, tuple(sorted(errors.get(key, ()))))
        shown = _rendered(table)
        for group_profiles, group_table in groups:
            if _rendered(group_table) == shown:
                group_profiles.append(profile)
                break
        else:
            groups.append(([profile], table))
    return groups


OPS_SHOWN = ("ADD", "DEL", "UPD", "POLICY", "FLUSH", "EST", "unregister")


def _rendered(table: dict[Key, Any]) -> tuple[str, ...]:
    """What the tables and diagrams show of a transition table (profiles showing the same are grouped)."""
    return tuple(transition_cell(table, before, word) for word in OPS_SHOWN for before in Mark)


def _moved(before: Any, mark: Any) -> str:
    return "kept" if mark is before else f"-> {mark.name}"


def transition_cell(table: dict[Key, Any], before: Any, word: str) -> str:
    """What ``word`` does to a mark ``before``: per outcome observed, the mark after."""
    ok = table.get((before, word, True))
    bad = table.get((before, word, False))
    if ok and bad and ok[0] is bad[0]:
        return _moved(before, ok[0])
    parts = []
    if ok:
        parts.append(f"0: {_moved(before, ok[0])}" if bad else _moved(before, ok[0]))
    if bad:
        named = "/".join(errno_name(e) for e in bad[1])
        parts.append(f"{named}: {_moved(before, bad[0])}" if not ok else f"error: {_moved(before, bad[0])}")
    return "; ".join(parts)


def table_mark_transitions(directive: CtDirective) -> list[str]:
    """The mark transitions observed by running the model, one table per group of profiles."""
    lines: list[str] = []
    for profiles, table in transition_groups(directive):
        lines += [f".. rubric:: {', '.join(p.value for p in profiles)}", ""]
        rows = [[literal(word), *(transition_cell(table, before, word) for before in Mark)] for word in OPS_SHOWN]
        lines += list_table(["op", *(f"from {m.name}" for m in Mark)], rows, widths="16 28 28 28")
    return lines


Edge = tuple[str, str, str]


def diagram_edges(table: dict[Key, Any]) -> tuple[list[Edge], dict[str, list[str]]]:
    """The edges (from, to, label) between different marks, and per mark the ops that keep it."""
    labels: dict[tuple[str, str], list[str]] = {}
    kept: dict[str, list[str]] = {m.name: [] for m in Mark}
    for before in Mark:
        for word in OPS_SHOWN:
            ok = table.get((before, word, True))
            bad = table.get((before, word, False))
            outcomes = [(o, tag) for o, tag in ((ok, "0"), (bad, "error")) if o]
            targets = {o[0] for o, _ in outcomes}
            for target in sorted(targets):
                tags = [tag for o, tag in outcomes if o[0] is target]
                label = word if len(tags) == len(outcomes) else f"{word} ({tags[0]})"
                if target is before:
                    kept[before.name].append(label)
                else:
                    labels.setdefault((before.name, target.name), []).append(label)
    edges = [(a, b, ", ".join(words)) for (a, b), words in labels.items()]
    return edges, kept


def text_diagram(edges: list[Edge], kept: dict[str, list[str]]) -> str:
    """The edges as lines ``FROM --[ops]--> TO``, then the ops that keep each mark."""
    width = max(len(label) for _, _, label in edges) + 8
    lines = [f"{a:<6}{('--[' + label + ']').ljust(width, '-')}--> {b}" for a, b, label in edges]
    lines.append("")
    lines += [f"{mark:<6}kept by: {', '.join(words)}" for mark, words in kept.items() if words]
    return "\n".join(lines)


def svg_diagram(edges: list[Edge], title: str) -> str:
    """The marks as circles, the edges as labelled arcs (forward above, backward below)."""
    x = {m.name: 110 + 260 * i for i, m in enumerate(Mark)}
    mid, radius = 150, 42
    marker = "ct-arrow-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")  # one id per diagram
    parts = [
        f'<svg class="ct-mark-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 740 320" role="img" '
        f'aria-label="mark transitions under {html.escape(title)}">',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    for name, cx in x.items():
        parts.append(f'<circle cx="{cx}" cy="{mid}" r="{radius}" fill="#eef3f8" stroke="#336" stroke-width="1.5"/>')
        parts.append(f'<text x="{cx}" y="{mid + 5}" text-anchor="middle" font-weight="bold">{name}</text>')
    for a, b, label in edges:
        x1, x2 = x[a], x[b]
        forward = x2 > x1
        lift = (55 if abs(x2 - x1) < 300 else 115) * (-1 if forward else 1)
        start = x1 + (radius if forward else -radius) * 0.7
        end = x2 - (radius if forward else -radius) * 0.7
        y_edge = mid + (-radius if forward else radius) * 0.7
        control = mid + 2 * lift
        parts.append(
            f'<path d="M{start:.0f},{y_edge:.0f} Q{(x1 + x2) / 2:.0f},{control:.0f} {end:.0f},{y_edge:.0f}" '
            f'fill="none" stroke="#444" stroke-width="1.3" marker-end="url(#{marker})"/>'
        )
        label_y = (y_edge + control) / 2 + (-6 if forward else 14)
        parts.append(
            f'<text x="{(x1 + x2) / 2:.0f}" y="{label_y:.0f}" text-anchor="middle" font-size="13">'
            f"{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
