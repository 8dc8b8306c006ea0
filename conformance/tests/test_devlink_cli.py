"""The devlink command line (``impl.switchdev.devlink_cli.main``) over a small in-test DevlinkPort.

Output is compared with what iproute2's devlink prints for the same values; errors must be one
line on stderr, exit status 2 for usage errors and 1 for refusals. One test runs the command line
over ``NetlinkDevlink`` with a replaying channel, so the two halves are seen to fit.
"""

from __future__ import annotations

import errno
import io
import json
import struct

import pytest

from impl.switchdev.devlink_cli import main
from impl.switchdev.devlink_netlink import NetlinkDevlink
from impl.switchdev.ports import (
    DevHandle,
    DevInfo,
    DevlinkError,
    DevlinkPort,
    HealthReporter,
    ParamValue,
    PortInfo,
    Resource,
)

DEV = DevHandle("sim", "ctoffload0")
OTHER = DevHandle("sim", "ctoffload1")


class FakePort:
    """A DevlinkPort with the simulated device's surface (docs/switchdev.rst), kept minimal."""

    def __init__(self, *devs: DevHandle) -> None:
        self.devs = list(devs or (DEV,))
        self.mode = "switchdev"
        self.busy = False
        self.params = {
            "ct_max_offloaded_conns": ParamValue("ct_max_offloaded_conns", "u32", "runtime", 4294967295),
            "ct_action_on_nat_conns": ParamValue("ct_action_on_nat_conns", "bool", "runtime", False),
            "flow_steering_mode": ParamValue("flow_steering_mode", "string", "runtime", "smfs"),
            "max_macs": ParamValue("max_macs", "u8", "driverinit", 32, generic=True),
        }
        self.size, self.size_new, self.occ = 65536, 65536, 10
        self.calls: list[tuple[object, ...]] = []

    def _check(self, dev: DevHandle) -> None:
        if dev not in self.devs:
            raise DevlinkError(errno.ENODEV, f"no device {dev}")

    def devices(self) -> list[DevHandle]:
        return list(self.devs)

    def ports(self, dev: DevHandle) -> list[PortInfo]:
        self._check(dev)
        ports = [PortInfo(0, "physical", "ctoff0p0"), PortInfo(1, "pci-pf", "ctoff0pf0")]
        if self.mode != "legacy":
            ports += [PortInfo(2 + n, "pci-vf", f"ctoff0pf0vf{n}", n) for n in range(2)]
        return ports

    def eswitch_get(self, dev: DevHandle) -> str:
        self._check(dev)
        return self.mode

    def eswitch_set(self, dev: DevHandle, mode: str) -> None:
        self._check(dev)
        if self.busy:
            raise DevlinkError(errno.EBUSY, "connections are programmed")
        self.calls.append(("eswitch_set", dev, mode))
        self.mode = mode

    def param_get(self, dev: DevHandle, name: str | None = None) -> list[ParamValue]:
        self._check(dev)
        if name is None:
            return list(self.params.values())
        if name not in self.params:
            raise DevlinkError(errno.EINVAL, f"unknown param {name}")
        return [self.params[name]]

    def param_set(self, dev: DevHandle, name: str, value: int | str | bool, cmode: str = "runtime") -> None:
        self._check(dev)
        if cmode != "runtime":
            raise DevlinkError(errno.EOPNOTSUPP, f"{name} has no {cmode} cmode")
        if name == "flow_steering_mode" and self.mode != "legacy":
            raise DevlinkError(errno.EBUSY, "E-Switch must either disabled or non switchdev mode")
        self.calls.append(("param_set", dev, name, value, cmode))
        old = self.params[name]
        self.params[name] = ParamValue(name, old.type, cmode, value, old.generic)

    def resource_dump(self, dev: DevHandle) -> list[Resource]:
        self._check(dev)
        entries = Resource("entries", 2, self.size, self.size_new, True, "entry", self.occ, 1, 2**32, 1)
        return [Resource("ct", 1, self.size, self.size, True, children=(entries,))]

    def resource_set(self, dev: DevHandle, path: str, size: int) -> None:
        self._check(dev)
        if path.strip("/") != "ct/entries":
            raise DevlinkError(errno.ENOENT, f"no resource {path}")
        self.calls.append(("resource_set", dev, path, size))
        self.size_new = size

    def reload(self, dev: DevHandle) -> None:
        self._check(dev)
        self.calls.append(("reload", dev))
        self.size = self.size_new

    def info(self, dev: DevHandle) -> DevInfo:
        self._check(dev)
        return DevInfo("sim_switchdev", "CTOFF0000", running=(("fw.version", "1.0.0"),))

    def health(self, dev: DevHandle) -> list[HealthReporter]:
        self._check(dev)
        return [HealthReporter("ct_offload", "error", 3, 1)]

    def health_recover(self, dev: DevHandle, reporter: str) -> None:
        self._check(dev)
        if reporter != "ct_offload":
            raise DevlinkError(errno.ENOENT, f"no reporter {reporter}")
        self.calls.append(("health_recover", dev, reporter))

    def health_diagnose(self, dev: DevHandle, reporter: str) -> dict[str, object]:
        self._check(dev)
        return {"size": 65536, "occupancy": 10, "conns": 5, "queue_depth": 0, "last_errors": [28, 5]}


def run(port: DevlinkPort, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, port, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ok(port: DevlinkPort, *argv: str) -> str:
    code, out, err = run(port, *argv)
    assert (code, err) == (0, ""), err
    return out


def fails(port: DevlinkPort, status: int, *argv: str) -> str:
    code, out, err = run(port, *argv)
    assert (code, out) == (status, "")
    assert err.startswith("devlink: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err


def test_fake_port_is_a_devlink_port() -> None:
    port: DevlinkPort = FakePort()
    assert port.devices() == [DEV]


# --- shows -----------------------------------------------------------------------------------------


def test_dev_show_lists_every_device() -> None:
    port = FakePort(DEV, OTHER)
    assert ok(port, "dev", "show") == "sim/ctoffload0\nsim/ctoffload1\n"
    assert ok(port, "dev") == ok(port, "dev", "show")
    assert ok(port, "dev", "show", "sim/ctoffload1") == "sim/ctoffload1\n"
    assert json.loads(ok(port, "-j", "dev", "show")) == {"dev": {"sim/ctoffload0": {}, "sim/ctoffload1": {}}}


def test_dev_info() -> None:
    assert ok(FakePort(), "dev", "info", "sim/ctoffload0") == (
        "sim/ctoffload0:\n"
        "  driver sim_switchdev\n"
        "  serial_number CTOFF0000\n"
        "  versions:\n"
        "      running:\n"
        "        fw.version 1.0.0\n"
    )
    assert json.loads(ok(FakePort(), "-j", "dev", "info")) == {
        "info": {
            "sim/ctoffload0": {
                "driver": "sim_switchdev",
                "serial_number": "CTOFF0000",
                "versions": {"running": {"fw.version": "1.0.0"}},
            }
        }
    }


def test_port_show_all_and_one() -> None:
    port = FakePort()
    assert ok(port, "port", "show") == (
        "sim/ctoffload0/0: type eth netdev ctoff0p0 flavour physical\n"
        "sim/ctoffload0/1: type eth netdev ctoff0pf0 flavour pcipf\n"
        "sim/ctoffload0/2: type eth netdev ctoff0pf0vf0 flavour pcivf vfnum 0\n"
        "sim/ctoffload0/3: type eth netdev ctoff0pf0vf1 flavour pcivf vfnum 1\n"
    )
    assert ok(port, "port", "show", "sim/ctoffload0/3") == (
        "sim/ctoffload0/3: type eth netdev ctoff0pf0vf1 flavour pcivf vfnum 1\n"
    )
    assert json.loads(ok(port, "-j", "port", "show", "sim/ctoffload0/1")) == {
        "port": {"sim/ctoffload0/1": {"type": "eth", "netdev": "ctoff0pf0", "flavour": "pcipf"}}
    }
    assert "no port sim/ctoffload0/9" in fails(port, 1, "port", "show", "sim/ctoffload0/9")


def test_eswitch_show_and_set() -> None:
    port = FakePort()
    assert ok(port, "dev", "eswitch", "show", "sim/ctoffload0") == "sim/ctoffload0: mode switchdev\n"
    assert ok(port, "dev", "eswitch", "set", "sim/ctoffload0", "mode", "legacy") == ""
    assert ok(port, "dev", "eswitch", "set", "mode", "switchdev_inactive") == ""  # the only device
    assert port.calls == [("eswitch_set", DEV, "legacy"), ("eswitch_set", DEV, "switchdev_inactive")]
    assert json.loads(ok(port, "-j", "dev", "eswitch", "show")) == {
        "dev": {"sim/ctoffload0": {"mode": "switchdev_inactive"}}
    }


def test_param_show_all_and_by_name() -> None:
    port = FakePort()
    assert ok(port, "dev", "param", "show", "sim/ctoffload0", "name", "ct_max_offloaded_conns") == (
        "sim/ctoffload0:\n"
        "  name ct_max_offloaded_conns type driver-specific\n"
        "    values:\n"
        "      cmode runtime value 4294967295\n"
    )
    text = ok(port, "dev", "param", "show")
    assert "  name ct_action_on_nat_conns type driver-specific\n    values:\n      cmode runtime value false\n" in text
    assert "  name max_macs type generic\n    values:\n      cmode driverinit value 32\n" in text
    assert json.loads(ok(port, "-j", "dev", "param", "show", "name", "flow_steering_mode")) == {
        "param": {
            "sim/ctoffload0": [
                {
                    "name": "flow_steering_mode",
                    "type": "driver-specific",
                    "values": [{"cmode": "runtime", "value": "smfs"}],
                }
            ]
        }
    }


def test_resource_show_with_occupancy_and_a_pending_size() -> None:
    port = FakePort()
    assert ok(port, "resource", "show", "sim/ctoffload0") == (
        "sim/ctoffload0:\n"
        "  name ct size 65536 unit entry size_min 0 size_max unlimited size_gran 1\n"
        "    resources:\n"
        "      name entries size 65536 occ 10 unit entry size_min 1 size_max 4294967296 size_gran 1\n"
    )
    ok(port, "resource", "set", "sim/ctoffload0", "path", "/ct/entries", "size", "1024")
    assert ok(port, "resource", "show") == (
        "sim/ctoffload0:\n"
        "  name ct size 65536 unit entry size_min 0 size_max unlimited size_gran 1 size_valid true\n"
        "    resources:\n"
        "      name entries size 65536 size_new 1024 occ 10 unit entry size_min 1 size_max 4294967296 size_gran 1\n"
    )
    ok(port, "dev", "reload")
    doc = json.loads(ok(port, "-j", "resource", "show"))
    assert doc["resource"]["sim/ctoffload0"][0]["resources"][0] == {
        "name": "entries",
        "size": 1024,
        "occ": 10,
        "unit": "entry",
        "size_min": 1,
        "size_max": 4294967296,
        "size_gran": 1,
    }
    assert port.calls == [("resource_set", DEV, "/ct/entries", 1024), ("reload", DEV)]


def test_health_show_recover_and_diagnose() -> None:
    port = FakePort()
    expected = "sim/ctoffload0:\n  reporter ct_offload\n    state error error 3 recover 1\n"
    assert ok(port, "health", "show") == expected
    assert ok(port, "health", "show", "sim/ctoffload0", "reporter", "ct_offload") == expected
    assert json.loads(ok(port, "-j", "health", "show")) == {
        "health": {"sim/ctoffload0": [{"reporter": "ct_offload", "state": "error", "error": 3, "recover": 1}]}
    }
    assert ok(port, "health", "recover", "reporter", "ct_offload") == ""
    assert port.calls == [("health_recover", DEV, "ct_offload")]
    assert ok(port, "health", "diagnose", "sim/ctoffload0", "reporter", "ct_offload") == (
        "size 65536 occupancy 10 conns 5 queue_depth 0\nlast_errors:\n  28 5\n"
    )
    assert json.loads(ok(port, "-j", "health", "diagnose", "reporter", "ct_offload"))["last_errors"] == [28, 5]
    assert "no health reporter fw" in fails(port, 1, "health", "show", "reporter", "fw")


def test_pretty_json_is_indented() -> None:
    assert ok(FakePort(), "-j", "-p", "dev", "show") == '{\n    "dev": {\n        "sim/ctoffload0": {}\n    }\n}\n'


# --- param set: values parsed by the param's type ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("ct_max_offloaded_conns", "1000000", 1000000),
        ("ct_max_offloaded_conns", "0", 0),
        ("ct_action_on_nat_conns", "true", True),
        ("ct_action_on_nat_conns", "false", False),
    ],
)
def test_param_set_parses_the_value_by_type(name: str, text: str, value: int | bool) -> None:
    port = FakePort()
    assert ok(port, "dev", "param", "set", "sim/ctoffload0", "name", name, "value", text, "cmode", "runtime") == ""
    assert port.calls == [("param_set", DEV, name, value, "runtime")]
    assert type(port.params[name].value) is type(value)


def test_param_set_of_a_string_keeps_it_as_is() -> None:
    port = FakePort()
    port.mode = "legacy"
    ok(port, "dev", "param", "set", "name", "flow_steering_mode", "value", "dmfs", "cmode", "runtime")
    assert port.calls == [("param_set", DEV, "flow_steering_mode", "dmfs", "runtime")]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("ct_action_on_nat_conns", "yes", "must be true or false"),
        ("ct_action_on_nat_conns", "1", "must be true or false"),
        ("ct_max_offloaded_conns", "4294967296", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "-1", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "ten", "from 0 to 4294967295"),
        ("max_macs", "256", "from 0 to 255"),
        ("ct_max_offloaded_conns", "²", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "٣", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "9" * 5000, "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "+5", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", " 5", "from 0 to 4294967295"),
        ("ct_max_offloaded_conns", "", "from 0 to 4294967295"),
    ],
)
def test_a_value_that_does_not_parse_is_a_usage_error(name: str, text: str, problem: str) -> None:
    port = FakePort()
    err = fails(port, 2, "dev", "param", "set", "name", name, "value", text, "cmode", "runtime")
    assert problem in err and name in err
    assert port.calls == []


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["frobnicate"], "unknown command"),
        (["dev", "explode"], "unknown command"),
        (["dev", "eswitch", "set", "mode"], "needs a value"),
        (["dev", "eswitch", "set"], "missing mode"),
        (["dev", "eswitch", "set", "mode", "hybrid"], "unknown eswitch mode 'hybrid'"),
        (["dev", "eswitch", "show", "sim/ctoffload0", "mode", "legacy"], "unknown keyword 'mode'"),
        (["dev", "param", "set", "name", "ct_labels_mapping", "value", "true"], "missing cmode"),
        (["dev", "param", "set", "name", "x", "name", "y", "value", "1", "cmode", "runtime"], "given twice"),
        (["dev", "param", "set", "name", "x", "value", "1", "cmode", "later"], "unknown cmode 'later'"),
        (["dev", "show", "ctoffload0"], "malformed device handle 'ctoffload0'"),
        (["dev", "show", "sim/a/b"], "malformed device handle"),
        (["resource", "set", "path", "/ct/entries", "size", "lots"], "size must be a non-negative integer"),
        (["resource", "set", "path", "/ct/entries", "size", "²"], "from 0 to 18446744073709551615"),
        (["resource", "set", "path", "/ct/entries", "size", "9" * 5000], "from 0 to 18446744073709551615"),
        (["resource", "set", "path", "/ct/entries", "size", str(2**64)], "from 0 to 18446744073709551615"),
        (["port", "show", "sim/ctoffload0/²"], "malformed port index"),
        (["port", "show", "sim/ctoffload0/" + "9" * 5000], "from 0 to 4294967295"),
        (["-x", "dev", "show"], "unknown option '-x'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], problem: str) -> None:
    port = FakePort()
    assert problem in fails(port, 2, *argv)
    assert port.calls == []


def test_no_arguments_print_the_usage_to_stderr_and_help_to_stdout() -> None:
    code, out, err = run(FakePort())
    assert (code, out) == (2, "") and err.startswith("Usage: devlink")
    code, out, err = run(FakePort(), "help")
    assert (code, err) == (0, "") and "dev param set [DEV] name NAME value VALUE cmode" in out


def test_a_device_must_be_named_when_the_port_has_several() -> None:
    port = FakePort(DEV, OTHER)
    assert "the port has 2 devices" in fails(port, 2, "dev", "reload")
    assert "the port has 2 devices" in fails(port, 2, "dev", "param", "show", "name", "max_macs")
    ok(port, "dev", "reload", "sim/ctoffload1")
    assert port.calls == [("reload", OTHER)]


def test_an_unknown_device_is_a_refusal() -> None:
    err = fails(FakePort(), 1, "dev", "eswitch", "show", "pci/0000:03:00.0")
    assert err == "devlink: dev eswitch show: unknown device pci/0000:03:00.0 (ENODEV)\n"


@pytest.mark.parametrize(
    ("setup", "argv", "line"),
    [
        (
            "busy",
            ["dev", "eswitch", "set", "sim/ctoffload0", "mode", "legacy"],
            "devlink: dev eswitch set: connections are programmed (EBUSY)\n",
        ),
        (
            "",
            ["dev", "param", "set", "name", "flow_steering_mode", "value", "dmfs", "cmode", "runtime"],
            "devlink: dev param set: E-Switch must either disabled or non switchdev mode (EBUSY)\n",
        ),
        (
            "",
            ["dev", "param", "set", "name", "ct_labels_mapping", "value", "true", "cmode", "runtime"],
            "devlink: dev param set: unknown param ct_labels_mapping (EINVAL)\n",
        ),
        (
            "",
            ["dev", "param", "set", "name", "max_macs", "value", "8", "cmode", "driverinit"],
            "devlink: dev param set: max_macs has no driverinit cmode (EOPNOTSUPP)\n",
        ),
        (
            "",
            ["resource", "set", "path", "/ct/nothing", "size", "8"],
            "devlink: resource set: no resource /ct/nothing (ENOENT)\n",
        ),
        ("", ["health", "recover", "reporter", "fw"], "devlink: health recover: no reporter fw (ENOENT)\n"),
    ],
)
def test_refusals_exit_1_naming_the_errno(setup: str, argv: list[str], line: str) -> None:
    port = FakePort()
    port.busy = setup == "busy"
    assert fails(port, 1, *argv) == line
    assert port.calls == []


# --- over the netlink backend -------------------------------------------------------------------------


def test_the_command_line_over_netlink_devlink() -> None:
    """``dev eswitch show`` through NetlinkDevlink: a GET dump, then ESWITCH_GET (29), mode u16 = 2."""

    def genl(cmd: int, seq: int, flags: int, attrs: bytes) -> bytes:
        body = bytes([cmd, 1, 0, 0]) + attrs
        return struct.pack("<IHHII", 16 + len(body), 0x1B, flags, seq, 0) + body

    def nla(number: int, payload: bytes) -> bytes:
        return struct.pack("<HH", 4 + len(payload), number) + payload + bytes(-len(payload) % 4)

    handle = nla(1, b"sim\0") + nla(2, b"ctoffload0\0")
    done = struct.pack("<IHHIIi", 20, 3, 2, 1, 0, 0)  # NLMSG_DONE of request 1
    ack = struct.pack("<IHHIIi", 36, 2, 0x100, 2, 0, 0) + bytes(16)  # NLMSG_ERROR 0 of request 2, capped
    answers = [
        [genl(1, 1, 2, handle) + done],
        [genl(29, 2, 0, handle + nla(25, struct.pack("<H", 2))) + ack],
    ]

    class Channel:
        def __init__(self) -> None:
            self.pending: list[bytes] = []

        def send(self, data: bytes) -> None:
            self.pending = answers.pop(0)

        def recv(self) -> bytes:
            return self.pending.pop(0)

        def close(self) -> None:
            pass

    assert ok(NetlinkDevlink(Channel(), family_id=0x1B), "dev", "eswitch", "show") == (
        "sim/ctoffload0: mode switchdev_inactive\n"
    )


# --- parsing as iproute2 does: options, prefixes, help ---------------------------------------------


@pytest.mark.parametrize("options", [["-jp"], ["-pj"], ["-j", "-p"], ["--json", "--pretty"], ["--js", "--pre"]])
def test_options_combine_and_abbreviate(options: list[str]) -> None:
    assert ok(FakePort(), *options, "dev", "show") == ok(FakePort(), "-j", "-p", "dev", "show")


@pytest.mark.parametrize("option", ["-V", "--version", "--vers", "-jV"])
def test_version(option: str) -> None:
    assert ok(FakePort(), option).startswith("devlink utility, ct-offload ")


@pytest.mark.parametrize(
    "argv",
    [["dev", "sh"], ["d", "s"], ["d"], ["de", "sho", "sim/ctoffload0"]],
)
def test_commands_by_unambiguous_prefix(argv: list[str]) -> None:
    assert ok(FakePort(), *argv) == "sim/ctoffload0\n"


def test_keywords_by_unambiguous_prefix() -> None:
    port = FakePort()
    ok(port, "d", "par", "se", "na", "ct_max_offloaded_conns", "val", "7", "cm", "runtime")
    assert port.calls == [("param_set", DEV, "ct_max_offloaded_conns", 7, "runtime")]
    assert ok(port, "h", "sh", "rep", "ct_offload") == ok(port, "health", "show", "reporter", "ct_offload")
    assert ok(port, "r", "sh") == ok(port, "resource", "show")


@pytest.mark.parametrize(
    ("argv", "where", "candidates"),
    [
        (["d", "e", "s"], "d e s", "show, set"),
        (["health", "d", "reporter", "ct_offload"], "health d", "diagnose, dump"),
        (["dev", "eswitch", "s", "mode", "legacy"], "dev eswitch s", "show, set"),
        (["dev", "param", "set", "n", "x", "v", "1", "c", "runtime", "name", "y"], "dev param set", "given twice"),
    ],
)
def test_an_ambiguous_prefix_is_one_clear_line(argv: list[str], where: str, candidates: str) -> None:
    port = FakePort()
    err = fails(port, 2, *argv)
    assert err.startswith(f"devlink: {where}: ") and candidates in err, err
    assert port.calls == []


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (["help"], None),
        (["-h"], None),
        (["dev", "help"], ["dev show [DEV]", "dev reload [DEV]", "dev fault clear [DEV]"]),
        (["dev", "param", "help"], ["dev param show", "dev param set"]),
        (["dev", "param", "set", "help"], ["dev param set [DEV] name NAME value VALUE cmode"]),
        (["health", "dump", "help"], ["health dump show", "health dump clear"]),
        (["d", "rel", "help"], ["dev reload [DEV] [action { driver_reinit | fw_activate }] [limit no_reset]"]),
    ],
)
def test_help_at_every_level(argv: list[str], lines: list[str] | None) -> None:
    port = FakePort()
    out = ok(port, *argv)
    assert out.startswith("Usage: devlink")
    if lines is None:
        assert "health dump show [DEV] reporter NAME" in out and "-jp" in out
    else:
        assert all(line.lstrip().startswith(("Usage: devlink ", "devlink ")) for line in out.splitlines())
        for line in lines:
            assert line in out
    assert port.calls == []


def test_dev_help_lists_only_dev_commands() -> None:
    out = ok(FakePort(), "dev", "help")
    assert "port show" not in out and "health" not in out and out.count("devlink dev ") == 10


# --- reload actions, health dumps, faults: what only some ports do ----------------------------------


def test_dev_reload_prints_the_actions_performed() -> None:
    port = FakePort()
    assert ok(port, "dev", "reload") == "reload_actions_performed:\n    driver_reinit\n"
    assert json.loads(ok(port, "-j", "dev", "reload", "action", "driver_reinit")) == {
        "reload": {"reload_actions_performed": ["driver_reinit"]}
    }
    assert port.calls == [("reload", DEV), ("reload", DEV)]


@pytest.mark.parametrize(
    ("argv", "status", "problem"),
    [
        (["dev", "reload", "action", "fw_activate"], 1, "reload action fw_activate is not supported by this device"),
        (["dev", "reload", "limit", "no_reset"], 1, "with limit no_reset is not supported by this device (EOPNOTSUPP)"),
        (["dev", "reload", "action", "warm"], 2, "unknown reload action 'warm'"),
        (["dev", "reload", "limit", "none"], 2, "unknown reload limit 'none'"),
        (["health", "dump", "show", "reporter", "ct_offload"], 1, "(EOPNOTSUPP)"),
        (["health", "dump", "clear", "reporter", "ct_offload"], 1, "(EOPNOTSUPP)"),
        (["dev", "fault", "show"], 1, "fault injection is not supported by this device (EOPNOTSUPP)"),
        (["dev", "fault", "set", "fail_rate", "0.5"], 1, "fault injection is not supported"),
    ],
)
def test_what_a_port_cannot_do_is_refused(argv: list[str], status: int, problem: str) -> None:
    port = FakePort()
    assert problem in fails(port, status, *argv)
    assert port.calls == []
