"""What the tracker simulation's summary says about a run: each anomaly with its cause, and notes.

Purpose: a count alone does not tell a user why connections were cleaned with ENODATA, why the
table never stops growing or why the device holds entries nobody owns. ``anomalies(summary)``
finds each such fact in a summary (``impl.sim_report``) and names what explains it: an erratum of
docs/errata.rst (E-*), a rule (TRACK-RETRY), or a fault injected in the device (``--fail-rate``,
``--fail-next``, ``--table-full``, ``--stuck-queue``, a small ``/ct/entries``, a devlink param).
``notes(summary)`` says in a sentence or two how the provider behaved: offload at work on the
switchdev provider, the dummy that keeps idle flows alive for ever (E-TRACK-DUMMY), no provider.

Promises: both read only the summary dict, so a saved ``--json`` can be explained again; each
anomaly is ``{"what", "count", "cause", "refs"}`` (``refs``: the errata and rules cited, possibly
empty), in a fixed order; a fact no known cause explains says so ("not explained ...: a bug to
report") rather than guessing.
"""

from __future__ import annotations

import errno
from typing import Any

__all__ = ["anomalies", "notes"]

#: The clean reasons of a working sweep (anything else is an errno that cleaned a connection).
ORDINARY = ("expired", "stale", "forced", "flushed")

_UNEXPLAINED = "not explained by a known erratum or by an injected fault: a bug to report (see the timeline)"


def _fault_cause(summary: dict[str, Any], error: str, count: int | None = None) -> str | None:
    """The injected faults or device settings that explain ``count`` device ops (None: some)
    failing with ``error``."""
    device = summary["device"]
    if device is None:
        return None
    faults, params = device["faults_at_start"], device["params"]
    causes = []
    if faults["fail_next_count"] and faults["fail_next_errno"] == getattr(errno, error, None):
        causes.append(f"the fail_next fault failed the first {faults['fail_next_count']} device ops with {error}")
        if count is not None and count <= faults["fail_next_count"]:
            return causes[0]
    if error == "ENOSPC":
        cap, per_conn = params.get("ct_max_offloaded_conns"), device["entries_per_conn"]
        if faults["force_full"]:
            causes.append("the force_full fault refuses every INSERT (--table-full)")
        elif isinstance(cap, int) and cap < device["size"] // per_conn:
            causes.append(f"the devlink param ct_max_offloaded_conns caps the device at {cap} connections")
        else:
            causes.append(
                f"the device's table (/ct/entries, {device['size']} entries, {per_conn} per connection) was full"
            )
    elif error == "ETIMEDOUT" and faults["stuck_queue"]:
        causes.append("the stuck_queue fault: the device never completes its queue, so the provider cancels the op")
    elif error == "EIO" and faults["fail_rate"] > 0:
        causes.append(f"the fail_rate fault: each device op fails with EIO with chance {faults['fail_rate']:g}")
    elif error == "EOPNOTSUPP" and device["eswitch_mode"] != "switchdev":
        causes.append(f"the eswitch is in {device['eswitch_mode']} mode: nothing is offloadable")
    return "; ".join(causes) or None


def _errno_cleans(summary: dict[str, Any], reason: str, count: int) -> dict[str, Any]:
    settings, provider = summary["settings"], summary["provider"]
    rfc = settings["profile"] != "strict"
    what = f"{count} connections cleaned with {reason}"
    if rfc and settings["sweep"]["batch"] and provider["native_batch"]:
        cause = (
            f"under {settings['profile']} the sweep's batch UPD never reaches a batch provider: the fallback "
            f"loop skips it and answers {reason} for it (E-BATCH-ONLY), overwriting what it wrote "
            "(E-BATCH-LOST), so every offloaded connection is cleaned at its first expiry however recently "
            "the hardware forwarded its packets"
        )
        return {"what": what, "count": count, "cause": cause, "refs": ["E-BATCH-ONLY", "E-BATCH-LOST"]}
    if rfc and not settings["registered"]:
        cause = (
            "no provider holds them, yet conn_add marked them offloaded (E-ADD-NOBODY), so the sweep asks "
            f"nobody for a last-used time and gets {reason}"
        )
        return {"what": what, "count": count, "cause": cause, "refs": ["E-ADD-NOBODY", "E-TRACK-NOBODY"]}
    fault = _fault_cause(summary, reason, count)
    if fault is not None:
        return {"what": what, "count": count, "cause": f"their UPD failed: {fault}", "refs": []}
    return {"what": what, "count": count, "cause": _UNEXPLAINED, "refs": []}


def _idle_kept(summary: dict[str, Any], count: int) -> dict[str, Any]:
    settings = summary["settings"]
    what = f"{count} connections of flows idle past every timeout are still in the table"
    if settings["provider"] == "dummy":
        cause = (
            "the dummy provider answers every UPD with the current time, so the sweep refreshes an idle "
            "offloaded connection for ever and the table grows with every flow (E-TRACK-DUMMY)"
        )
        return {"what": what, "count": count, "cause": cause, "refs": ["E-TRACK-DUMMY"]}
    if settings["profile"] != "strict":
        cause = (
            f"under {settings['profile']} the sweep extends a connection whose UPD answers any timestamp, "
            "however old (E-TRACK-STALE): the hardware's last-used time of an idle flow keeps it for ever"
        )
        return {"what": what, "count": count, "cause": cause, "refs": ["E-TRACK-STALE"]}
    return {"what": what, "count": count, "cause": _UNEXPLAINED, "refs": []}


def _refusals(summary: dict[str, Any], callback: str, verb: str) -> list[dict[str, Any]]:
    found = []
    for error, count in sorted(summary["provider"]["answers"].get(callback, {}).items()):
        if error == "ok":
            continue
        cause = _fault_cause(summary, error, count) or _UNEXPLAINED
        found.append({"what": f"{count} of the {verb} answered {error}", "count": count, "cause": cause, "refs": []})
    return found


def _removals(summary: dict[str, Any]) -> list[dict[str, Any]]:
    errors = {error: n for error, n in summary["provider"]["answers"].get("conn_del", {}).items() if error != "ok"}
    failed = sum(errors.values())
    tracker, device, profile = summary["tracker"], summary["device"], summary["settings"]["profile"]
    leaked = 0 if device is None else device["leaked"]
    if not failed and not leaked:
        return []
    why = "; ".join(
        f"{errors[error]} with {error}, {_fault_cause(summary, error, errors[error]) or _UNEXPLAINED}"
        for error in sorted(errors)
    )
    if profile == "strict":
        what = f"{failed} removals failed on the device"
        cause = (
            f"{why}; the tracker kept each aside and sent it conn_del again at every later sweep (TRACK-RETRY): "
            f"{tracker['removal_retries']} retries, {tracker['removals_pending']} still pending at the end, "
            f"{leaked} entries leaked"
        )
        return [{"what": what, "count": failed, "cause": cause, "refs": ["TRACK-RETRY"]}]
    what = f"{leaked} entries left on the device that no connection owns"
    cause = (
        f"{failed} removals failed ({why or 'none'}), and under {profile} the layer marks the connection NONE "
        "whatever the device did (E-DEL-LOST)"
    )
    return [{"what": what, "count": leaked, "cause": cause, "refs": ["E-DEL-LOST"]}]


def _seconds(value: object) -> str:
    return "the whole run" if value is None else f"{value:g} s"


def anomalies(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Every anomaly of the run, each with its cause (see the module docstring)."""
    tracker, flows = summary["tracker"], summary["flows"]
    found = [
        _errno_cleans(summary, reason, count)
        for reason, count in sorted(tracker["cleaned"].items())
        if reason not in ORDINARY
    ]
    again = tracker["created"] - flows["opened"]
    if again > 0:
        cause = (
            "their connection was cleaned while they were still sending, so once the device had removed it "
            "their packets missed the hardware and software committed them anew"
        )
        what = f"{again} connections were created for flows that already had one"
        found.append({"what": what, "count": again, "cause": cause, "refs": []})
    if tracker["idle_kept"]:
        found.append(_idle_kept(summary, tracker["idle_kept"]))
    found += _refusals(summary, "conn_add", "offload requests (conn_add)")
    found += _refusals(summary, "conn_established", "establishments (conn_established)")
    found += _removals(summary)
    if tracker["refused"]:
        what, cause = f"{tracker['refused']} connections refused by the tracker", "its table was full (n_conn_limit)"
        found.append({"what": what, "count": tracker["refused"], "cause": cause, "refs": []})
    return found


def notes(summary: dict[str, Any]) -> list[str]:
    """How the provider behaved in this run, in a sentence or two each."""
    settings, tracker, rates = summary["settings"], summary["tracker"], summary["rates"]
    provider, profile = settings["provider"], settings["profile"]
    said = []
    if provider == "switchdev" and not summary["packets"]["hardware"]:
        said.append("nothing was forwarded in hardware: every packet went through software (the anomalies say why)")
    elif provider == "switchdev" and profile == "strict":
        said.append(
            f"offload at work: an established flow the device holds sends in hardware ({rates['hardware_share']:.0%} "
            "of the packets), so software never sees it; each sweep asks the device for the last-used time of "
            f"the connections about to expire (UPD) and keeps those the hardware saw recently "
            f"({tracker['refreshed']} refreshes), cleaning idle ones as stale ({tracker['cleaned'].get('stale', 0)})"
        )
    elif provider == "switchdev":
        said.append(
            f"an established flow the device holds sends in hardware ({rates['hardware_share']:.0%} of the packets); "
            f"under {profile} the sweep asks the device only about expired connections and, when it answers, "
            "extends them by one sweep interval whatever the last-used time says (TRACK-SWEEP-RFC)"
        )
    elif provider == "dummy":
        said.append(
            "the dummy provider has no hardware: every packet went through software; it answers every UPD with "
            "the current time, so an offloaded connection never expires and idle flows stay for ever "
            "(E-TRACK-DUMMY; the rfc profiles register it even unasked, TRACK-INIT); only a provider with real "
            "last-used times (--provider switchdev) lets idle flows age out"
        )
    elif profile == "strict":
        said.append("no provider: conntrack alone; every packet goes through software and idle connections expire")
    else:
        said.append(
            f"no provider, yet under {profile} conn_add marks every connection offloaded (E-ADD-NOBODY), "
            "which turns off their TCP sequence checks (E-TRACK-NOBODY)"
        )
    limit = settings["conns_limit"]
    if limit is not None and summary["flows"]["opened"] >= limit:
        said.append(f"no flow arrived after the first {limit} (--conns): the table empties, with no steady state")
    elif not summary["steady_state"]["reached"] and not tracker["idle_kept"]:
        traffic = settings["traffic"]
        said.append(
            "the run may be too short for the traffic to settle: a table reaches its steady state after a few "
            f"mean lifetimes (here {traffic['mean_lifetime_s']:g} s, long-lived "
            f"{_seconds(traffic['mean_long_lifetime_s'])}) plus the timeouts; try a longer --duration"
        )
    return said
