"""Tracker tables of the ct-offload docs extension: the timeout policy and the tracker's knobs.

Purpose: ``timeout-policy`` shows OVS's default conntrack timeout policy as the model names it
(``model.conntrack_tp``), with the state of a UDP-like connection each value applies to
(TRACK-TIMEOUT); ``tracker-config`` shows every field of ``model.tracker.TrackerConfig`` with the
model's default beside impl's, and the conntrack constants the sweep uses.

Promises: every value comes from the model or impl during the build; a UDP value of the policy
that is not the model tracker's default, and a default of impl that is not the model's, are
Sphinx warnings.
"""

from __future__ import annotations

import json
from dataclasses import fields

from ct_common import CtDirective, list_table, literal

from impl.tracker_config import TrackerConfig as ImplConfig
from model.conntrack_tp import DEFAULT_POLICY, OtherState, policy_attr
from model.tracker import CLEAN_LIMIT_DIVISOR, DEFAULT_N_CONN_LIMIT, N_EXP_LISTS, TrackerConfig

#: The tracker's config field that holds each UDP value of the policy.
_FIELD_OF = {"UDP_FIRST": "udp_first", "UDP_SINGLE": "udp_single", "UDP_MULTIPLE": "udp_multiple"}


def table_timeout_policy(directive: CtDirective) -> list[str]:
    """Each value of the default timeout policy, in seconds, and which tracker state it applies to."""
    states: dict[str, list[str]] = {}
    for state in OtherState:
        states.setdefault(policy_attr(state), []).append(state.value)
    defaults = TrackerConfig()
    rows = []
    for name, ms in DEFAULT_POLICY.items():
        field = _FIELD_OF.get(name)
        if field is not None and getattr(defaults, field) != ms:
            directive.complain(f"TrackerConfig.{field} defaults to {getattr(defaults, field)}, the policy to {ms}")
        used = ", ".join(states.get(name, ())) or ""
        rows.append([literal(f"CT_DPIF_TP_ATTR_{name}"), str(ms // 1000), used, literal(field) if field else ""])
    return list_table(["OVS constant", "seconds", "tracker state", "config field"], rows, widths="38 12 22 28")


def table_tracker_config(directive: CtDirective) -> list[str]:
    """Every knob of the tracker with the model's and impl's default, then the sweep's constants."""
    model_defaults = TrackerConfig()
    impl_defaults = ImplConfig()
    rows = []
    for field in fields(TrackerConfig):
        ours = getattr(model_defaults, field.name)
        theirs = getattr(impl_defaults, field.name, None)
        if theirs != ours:
            directive.complain(f"impl's TrackerConfig.{field.name} defaults to {theirs!r}, the model's to {ours!r}")
        shown = list(ours) if isinstance(ours, tuple) else ours
        rows.append([literal(field.name), literal(json.dumps(shown))])
    rows.append([literal("N_EXP_LISTS"), literal(N_EXP_LISTS)])
    rows.append([literal("DEFAULT_N_CONN_LIMIT"), literal(DEFAULT_N_CONN_LIMIT)])
    rows.append(
        [
            "walked per sweep at most (about)",
            literal(f"n_conn_limit // {CLEAN_LIMIT_DIVISOR} = {DEFAULT_N_CONN_LIMIT // CLEAN_LIMIT_DIVISOR}"),
        ]
    )
    return list_table(["knob", "default (model = impl)"], rows, widths="40 60")
