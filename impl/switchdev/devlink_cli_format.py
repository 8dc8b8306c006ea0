"""How ``impl.switchdev.devlink_cli`` prints: iproute2 devlink's text lines and JSON documents.

Purpose: one function per show command; each adds one device's part to the JSON document (``doc``,
keyed as ``devlink -j`` keys it: ``dev``, ``info``, ``param``, ``port``, ``resource``,
``health``, ``reload``; and ``fault`` for the simulated device's fault knobs, which iproute2 has
no command for) and to the text lines (``lines``), so a command over several devices calls it once
per device and prints whichever of the two was asked for.

Promises (the layout of iproute2's devlink 6.x, for the attributes the ``DevlinkPort`` values
carry): a handle line ``bus/dev:`` then indented lines, two spaces per level (versions of ``dev
info`` six and eight, as iproute2 prints them); bools print ``true``/``false``; port flavours print
as iproute2 spells them (``pcipf``, ``pcivf``, ``pcisf``); a resource prints ``size_new`` only
when it differs from ``size``, ``occ`` only when reported, the size bounds only when they differ,
and ``size_valid`` for a parent while any resize is pending; a size of 2**64 - 1 prints (and is
in JSON) ``unlimited``. Params are grouped under one handle
line per device (iproute2 repeats the handle for each param); dpipe tables are not shown. The
reload actions performed print as iproute2 prints them (``reload_actions_performed:`` then the
actions on one indented line; JSON ``{"reload": {"reload_actions_performed": [...]}}``); a health
dump prints as a diagnosis does.
"""

from __future__ import annotations

from typing import Any

from impl.switchdev.ports import DevHandle, DevInfo, HealthReporter, ParamValue, PortInfo, Resource

__all__ = [
    "INT_BITS",
    "dev_info",
    "dev_show",
    "eswitch_show",
    "fault_show",
    "health_diagnose",
    "health_show",
    "param_show",
    "port_show",
    "reload_performed",
    "resource_show",
]

#: The integer param types and their widths.
INT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}


def _value(value: object) -> str:
    """A value as iproute2 prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    section: dict[str, Any] = doc.setdefault(key, {})
    return section


def dev_show(doc: dict[str, Any], lines: list[str], dev: DevHandle) -> None:
    """``dev show``: the handle."""
    _section(doc, "dev")[str(dev)] = {}
    lines.append(str(dev))


def dev_info(doc: dict[str, Any], lines: list[str], dev: DevHandle, info: DevInfo) -> None:
    """``dev info``: driver, serial number and the version groups that are not empty."""
    entry: dict[str, Any] = {"driver": info.driver}
    lines += [f"{dev}:", f"  driver {info.driver}"]
    if info.serial is not None:
        entry["serial_number"] = info.serial
        lines.append(f"  serial_number {info.serial}")
    groups = [(name, versions) for name, versions in _version_groups(info) if versions]
    if groups:
        entry["versions"] = {name: dict(versions) for name, versions in groups}
        lines.append("  versions:")
        for name, versions in groups:
            lines.append(f"      {name}:")
            lines += [f"        {key} {value}" for key, value in versions]
    _section(doc, "info")[str(dev)] = entry


def _version_groups(info: DevInfo) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [("fixed", info.fixed), ("running", info.running), ("stored", info.stored)]


def eswitch_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, mode: str) -> None:
    """``dev eswitch show``: the mode."""
    _section(doc, "dev")[str(dev)] = {"mode": mode}
    lines.append(f"{dev}: mode {mode}")


def param_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, values: list[ParamValue]) -> None:
    """``dev param show``: each param with its type and its value per cmode."""
    params: list[dict[str, Any]] = []
    lines.append(f"{dev}:")
    for value in values:
        if not params or params[-1]["name"] != value.name:
            kind = "generic" if value.generic else "driver-specific"
            params.append({"name": value.name, "type": kind, "values": []})
            lines += [f"  name {value.name} type {kind}", "    values:"]
        params[-1]["values"].append({"cmode": value.cmode, "value": value.value})
        lines.append(f"      cmode {value.cmode} value {_value(value.value)}")
    _section(doc, "param")[str(dev)] = params


def port_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, ports: list[PortInfo]) -> None:
    """``port show``: one line per port."""
    section = _section(doc, "port")
    for port in ports:
        entry: dict[str, Any] = {"type": "eth" if port.netdev else "notset"}
        if port.netdev:
            entry["netdev"] = port.netdev
        entry["flavour"] = port.flavour.replace("-", "")
        if port.vf is not None:
            entry["vfnum"] = port.vf
        section[f"{dev}/{port.index}"] = entry
        lines.append(f"{dev}/{port.index}: " + " ".join(f"{key} {_value(val)}" for key, val in entry.items()))


def _pending(resources: tuple[Resource, ...] | list[Resource]) -> bool:
    return any(r.size != r.size_new or _pending(r.children) for r in resources)


def _u64(value: int) -> int | str:
    """A u64 as iproute2's ``pr_out_u64`` prints it: all ones is ``unlimited``."""
    return "unlimited" if value == 2**64 - 1 else value


def _resource(resource: Resource, pending: bool, depth: int, lines: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": resource.name, "size": _u64(resource.size)}
    if resource.size_new != resource.size:
        entry["size_new"] = _u64(resource.size_new)
    if resource.occ is not None:
        entry["occ"] = resource.occ
    entry["unit"] = resource.unit
    if resource.size_min != resource.size_max:
        entry.update(size_min=resource.size_min, size_max=_u64(resource.size_max), size_gran=resource.size_gran)
    if resource.children and pending:
        entry["size_valid"] = resource.size_valid
    lines.append("  " * depth + " ".join(f"{key} {_value(val)}" for key, val in entry.items()))
    if resource.children:
        lines.append("  " * (depth + 1) + "resources:")
        entry["resources"] = [_resource(child, pending, depth + 2, lines) for child in resource.children]
    return entry


def resource_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, resources: list[Resource]) -> None:
    """``resource show``: the resource tree."""
    lines.append(f"{dev}:")
    pending = _pending(resources)
    _section(doc, "resource")[str(dev)] = [_resource(r, pending, 1, lines) for r in resources]


def health_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, reporters: list[HealthReporter]) -> None:
    """``health show``: each reporter's state and counters."""
    entries = []
    lines.append(f"{dev}:")
    for reporter in reporters:
        entries.append(
            {
                "reporter": reporter.name,
                "state": reporter.state,
                "error": reporter.err_count,
                "recover": reporter.recover_count,
            }
        )
        lines += [
            f"  reporter {reporter.name}",
            f"    state {reporter.state} error {reporter.err_count} recover {reporter.recover_count}",
        ]
    _section(doc, "health")[str(dev)] = entries


def _diagnose(obj: dict[str, object], depth: int, lines: list[str]) -> None:
    scalars = [f"{key} {_value(val)}" for key, val in obj.items() if not isinstance(val, dict | list)]
    if scalars:
        lines.append("  " * depth + " ".join(scalars))
    for key, val in obj.items():
        if isinstance(val, dict):
            lines.append("  " * depth + f"{key}:")
            _diagnose(val, depth + 1, lines)
        elif isinstance(val, list):
            lines.append("  " * depth + f"{key}:")
            items = [_value(item) for item in val if not isinstance(item, dict | list)]
            if items:
                lines.append("  " * (depth + 1) + " ".join(items))
            for item in val:
                if isinstance(item, dict):
                    _diagnose(item, depth + 1, lines)


def health_diagnose(doc: dict[str, Any], lines: list[str], diagnosis: dict[str, object]) -> None:
    """``health diagnose``: the reporter's object; scalars on one line, nests below their name
    (a list's scalars on one line)."""
    doc.update(diagnosis)
    _diagnose(diagnosis, 0, lines)


def reload_performed(doc: dict[str, Any], lines: list[str], actions: list[str]) -> None:
    """``dev reload``: the actions performed, as iproute2 prints ``reload_actions_performed``."""
    doc["reload"] = {"reload_actions_performed": list(actions)}
    lines += ["reload_actions_performed:", "    " + " ".join(actions)]


def fault_show(doc: dict[str, Any], lines: list[str], dev: DevHandle, faults: dict[str, int | float | bool]) -> None:
    """``dev fault show``: the device's fault knobs on one line under its handle."""
    _section(doc, "fault")[str(dev)] = dict(faults)
    lines += [f"{dev}:", "  " + " ".join(f"{name} {_value(value)}" for name, value in faults.items())]
