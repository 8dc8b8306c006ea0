"""The devlink codec and ``NetlinkDevlink`` against byte fixtures built from the kernel's numbers.

The fixtures are packed here by a tiny nlattr packer that shares nothing with the code under test:
attribute and command numbers are written out from include/uapi/linux/devlink.h (and
linux/netlink.h, linux/genetlink.h), byte order little-endian as on the machines this runs on.
This kernel has no devlink family, so ``NetlinkDevlink`` talks to a fake channel that checks each
request's bytes and replays fixture replies stamped with the request's sequence number.
"""

from __future__ import annotations

import errno
import struct
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyroute2.netlink.devlink import devlinkcmd

from impl.switchdev import devlink_codec as codec
from impl.switchdev.devlink_netlink import NetlinkDevlink, devlink_available
from impl.switchdev.devlink_values import decode_param_data, encode_param_data, fmsg_tree
from impl.switchdev.ports import DevHandle, DevInfo, DevlinkError, HealthReporter, ParamValue, PortInfo, Resource

pytestmark = pytest.mark.skipif(sys.byteorder != "little", reason="the fixtures are little-endian")

# --- the kernel's numbers (include/uapi/linux/devlink.h, linux/netlink.h, linux/genetlink.h) ---

A = {
    "BUS_NAME": 1,
    "DEV_NAME": 2,
    "PORT_INDEX": 3,
    "PORT_TYPE": 4,
    "PORT_NETDEV_NAME": 7,
    "ESWITCH_MODE": 25,
    "ESWITCH_INLINE_MODE": 26,
    "PAD": 61,
    "ESWITCH_ENCAP_MODE": 62,
    "RESOURCE_LIST": 63,
    "RESOURCE": 64,
    "RESOURCE_NAME": 65,
    "RESOURCE_ID": 66,
    "RESOURCE_SIZE": 67,
    "RESOURCE_SIZE_NEW": 68,
    "RESOURCE_SIZE_VALID": 69,
    "RESOURCE_SIZE_MIN": 70,
    "RESOURCE_SIZE_MAX": 71,
    "RESOURCE_SIZE_GRAN": 72,
    "RESOURCE_UNIT": 73,
    "RESOURCE_OCC": 74,
    "PORT_FLAVOUR": 77,
    "PORT_NUMBER": 78,
    "PARAM": 80,
    "PARAM_NAME": 81,
    "PARAM_GENERIC": 82,
    "PARAM_TYPE": 83,
    "PARAM_VALUES_LIST": 84,
    "PARAM_VALUE": 85,
    "PARAM_VALUE_DATA": 86,
    "PARAM_VALUE_CMODE": 87,
    "INFO_DRIVER_NAME": 98,
    "INFO_SERIAL_NUMBER": 99,
    "INFO_VERSION_FIXED": 100,
    "INFO_VERSION_RUNNING": 101,
    "INFO_VERSION_STORED": 102,
    "INFO_VERSION_NAME": 103,
    "INFO_VERSION_VALUE": 104,
    "FMSG": 106,
    "FMSG_OBJ_NEST_START": 107,
    "FMSG_PAIR_NEST_START": 108,
    "FMSG_ARR_NEST_START": 109,
    "FMSG_NEST_END": 110,
    "FMSG_OBJ_NAME": 111,
    "FMSG_OBJ_VALUE_TYPE": 112,
    "FMSG_OBJ_VALUE_DATA": 113,
    "HEALTH_REPORTER": 114,
    "HEALTH_REPORTER_NAME": 115,
    "HEALTH_REPORTER_STATE": 116,
    "HEALTH_REPORTER_ERR_COUNT": 117,
    "HEALTH_REPORTER_RECOVER_COUNT": 118,
    "HEALTH_REPORTER_GRACEFUL_PERIOD": 120,
    "HEALTH_REPORTER_AUTO_RECOVER": 121,
    "PORT_PCI_PF_NUMBER": 127,
    "PORT_PCI_VF_NUMBER": 128,
    "RELOAD_FAILED": 136,
}
CMD = {
    "GET": 1,
    "PORT_GET": 5,
    "ESWITCH_GET": 29,
    "ESWITCH_SET": 30,
    "RESOURCE_SET": 35,
    "RESOURCE_DUMP": 36,
    "RELOAD": 37,
    "PARAM_GET": 38,
    "PARAM_SET": 39,
    "INFO_GET": 51,
    "HEALTH_REPORTER_GET": 52,
    "HEALTH_REPORTER_RECOVER": 54,
    "HEALTH_REPORTER_DIAGNOSE": 55,
}
NLMSG_ERROR, NLMSG_DONE = 2, 3
F_REQUEST, F_MULTI, F_ACK, F_DUMP = 0x1, 0x2, 0x4, 0x300
F_CAPPED, F_ACK_TLVS = 0x100, 0x200
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, CTRL_CMD_GETFAMILY = 16, 1, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2

FAMILY = 0x1B  # any dynamic generic-netlink id
DO, DUMP = F_REQUEST | F_ACK, F_REQUEST | F_DUMP
DEV = DevHandle("sim", "ctoffload0")
OTHER = DevHandle("pci", "0000:03:00.0")


# --- an independent nlattr packer --------------------------------------------------------------


def nla(number: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", 4 + len(payload), number) + payload + bytes(-len(payload) % 4)


def nest(number: int, *children: bytes, flagged: bool = False) -> bytes:
    return nla(number | (NLA_F_NESTED if flagged else 0), b"".join(children))


def s(name: str, text: str) -> bytes:
    return nla(A[name], text.encode() + b"\0")


def u8(name: str, value: int) -> bytes:
    return nla(A[name], struct.pack("<B", value))


def u16(name: str, value: int) -> bytes:
    return nla(A[name], struct.pack("<H", value))


def u32(name: str, value: int) -> bytes:
    return nla(A[name], struct.pack("<I", value))


def u64(name: str, value: int, *, pad: bool = False) -> bytes:
    return (nla(A["PAD"]) if pad else b"") + nla(A[name], struct.pack("<Q", value))


def flag(name: str) -> bytes:
    return nla(A[name])


def msg(mtype: int, flags: int, seq: int, payload: bytes) -> bytes:
    return struct.pack("<IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload


def genl(cmd: int, *attrs: bytes, flags: int = DO, seq: int = 7, mtype: int = FAMILY) -> bytes:
    return msg(mtype, flags, seq, bytes([cmd, 1, 0, 0]) + b"".join(attrs))


def handle(dev: DevHandle = DEV) -> bytes:
    return s("BUS_NAME", dev.bus) + s("DEV_NAME", dev.dev)


def ack(seq: int = 7) -> bytes:
    return msg(NLMSG_ERROR, F_CAPPED, seq, struct.pack("<i", 0) + msg(FAMILY, DO, seq, b"")[:16])


def done(seq: int = 7) -> bytes:
    return msg(NLMSG_DONE, F_MULTI, seq, struct.pack("<i", 0))


def error(code: int, text: str = "", *, seq: int = 7, capped: bool = True, request: bytes = b"") -> bytes:
    """NLMSG_ERROR: -code, the request (its header only when capped), then the extack TLVs."""
    echoed = request or genl(CMD["ESWITCH_SET"], handle(), seq=seq)
    body = struct.pack("<i", -code) + (echoed[:16] if capped else echoed)
    flags = F_CAPPED if capped else 0
    if text:
        body += nla(NLMSGERR_ATTR_MSG, text.encode() + b"\0") + nla(NLMSGERR_ATTR_OFFS, struct.pack("<I", 20))
        flags |= F_ACK_TLVS
    return msg(NLMSG_ERROR, flags, seq, body)


def reply(cmd: int, *attrs: bytes, seq: int = 7, multi: bool = False) -> bytes:
    return genl(cmd, *attrs, flags=F_MULTI if multi else 0, seq=seq)


# --- the numbering pyroute2 uses is the kernel's --------------------------------------------------


def test_pyroute2_devlink_attribute_numbers_are_the_uapi_numbers() -> None:
    numbers = {name: number for number, (name, _) in enumerate(devlinkcmd.nla_map)}
    assert {name: numbers["DEVLINK_ATTR_" + name] for name in A} == A
    nested = [name for name, _ in devlinkcmd.devlink.nla_map]
    assert nested == [name for name, _ in devlinkcmd.nla_map]


def test_command_numbers_are_the_uapi_numbers() -> None:
    assert {name: getattr(codec, "CMD_" + name) for name in CMD} == CMD


# --- requests ------------------------------------------------------------------------------------


def test_family_lookup_request() -> None:
    expected = msg(GENL_ID_CTRL, DO, 3, bytes([CTRL_CMD_GETFAMILY, 1, 0, 0]) + nla(CTRL_ATTR_FAMILY_NAME, b"devlink\0"))
    assert codec.encode_family_lookup(3) == expected


@pytest.mark.parametrize(
    ("encode", "cmd"),
    [
        (codec.encode_dev_dump, "GET"),
        (codec.encode_port_dump, "PORT_GET"),
        (codec.encode_param_dump, "PARAM_GET"),
        (codec.encode_health_dump, "HEALTH_REPORTER_GET"),
    ],
)
def test_dumps_carry_no_attributes(encode: Callable[[int, int], bytes], cmd: str) -> None:
    assert encode(FAMILY, 9) == genl(CMD[cmd], flags=DUMP, seq=9)


@pytest.mark.parametrize(
    ("encode", "cmd"),
    [
        (codec.encode_eswitch_get, "ESWITCH_GET"),
        (codec.encode_resource_dump, "RESOURCE_DUMP"),
        (codec.encode_reload, "RELOAD"),
        (codec.encode_info_get, "INFO_GET"),
    ],
)
def test_requests_about_a_device_carry_its_handle(encode: Callable[[int, int, DevHandle], bytes], cmd: str) -> None:
    assert encode(FAMILY, 7, DEV) == genl(CMD[cmd], handle())


@pytest.mark.parametrize(("mode", "number"), [("legacy", 0), ("switchdev", 1), ("switchdev_inactive", 2)])
def test_eswitch_set_sends_the_mode_as_u16(mode: str, number: int) -> None:
    request = codec.encode_eswitch_set(FAMILY, 7, DEV, mode)
    assert request == genl(CMD["ESWITCH_SET"], handle(), u16("ESWITCH_MODE", number))
    assert request[-8:-4] == struct.pack("<HH", 6, 25)  # a 2-byte payload, padded


def test_eswitch_set_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="eswitch mode"):
        codec.encode_eswitch_set(FAMILY, 7, DEV, "offload")


def test_param_get_names_the_param() -> None:
    expected = genl(CMD["PARAM_GET"], handle(), s("PARAM_NAME", "ct_max_offloaded_conns"))
    assert codec.encode_param_get(FAMILY, 7, DEV, "ct_max_offloaded_conns") == expected


PARAM_SET_CASES = [
    ("u8", 7, 1, nla(A["PARAM_VALUE_DATA"], b"\x07")),
    ("u16", 0xBEEF, 2, nla(A["PARAM_VALUE_DATA"], b"\xef\xbe")),
    ("u32", 4294967295, 3, nla(A["PARAM_VALUE_DATA"], b"\xff\xff\xff\xff")),
    ("u64", 2**40 + 1, 4, nla(A["PARAM_VALUE_DATA"], struct.pack("<Q", 2**40 + 1))),
    ("string", "smfs", 5, nla(A["PARAM_VALUE_DATA"], b"smfs\0")),
    ("bool", True, 6, nla(A["PARAM_VALUE_DATA"])),  # a flag: present, empty
    ("bool", False, 6, b""),  # false: the data attribute is absent
]


@pytest.mark.parametrize("case", PARAM_SET_CASES, ids=lambda case: f"{case[0]}-{case[1]}")
@pytest.mark.parametrize(("cmode", "cmode_number"), [("runtime", 0), ("driverinit", 1), ("permanent", 2)])
def test_param_set_bytes(case: tuple[str, int | str | bool, int, bytes], cmode: str, cmode_number: int) -> None:
    kind, value, type_number, data = case
    expected = genl(
        CMD["PARAM_SET"],
        handle(),
        s("PARAM_NAME", "p"),
        u8("PARAM_TYPE", type_number),
        u8("PARAM_VALUE_CMODE", cmode_number),
        data,
    )
    assert codec.encode_param_set(FAMILY, 7, DEV, name="p", type=kind, value=value, cmode=cmode) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [("u8", 256), ("u16", -1), ("u32", 2**32), ("u32", True), ("u32", "5"), ("bool", 1), ("string", 5), ("s8", 1)],
)
def test_param_set_refuses_a_value_its_type_cannot_hold(kind: str, value: int | str | bool) -> None:
    with pytest.raises(ValueError, match="param"):
        codec.encode_param_set(FAMILY, 7, DEV, name="p", type=kind, value=value, cmode="runtime")


def test_param_set_refuses_an_unknown_cmode() -> None:
    with pytest.raises(ValueError, match="cmode"):
        codec.encode_param_set(FAMILY, 7, DEV, name="p", type="u8", value=1, cmode="now")


def test_resource_set_sends_id_and_size_as_u64() -> None:
    expected = genl(CMD["RESOURCE_SET"], handle(), u64("RESOURCE_ID", 2), u64("RESOURCE_SIZE", 4096))
    assert codec.encode_resource_set(FAMILY, 7, DEV, 2, 4096) == expected


@pytest.mark.parametrize(
    ("encode", "cmd"),
    [
        (codec.encode_health_recover, "HEALTH_REPORTER_RECOVER"),
        (codec.encode_health_diagnose, "HEALTH_REPORTER_DIAGNOSE"),
    ],
)
def test_reporter_requests_name_the_reporter(encode: Callable[[int, int, DevHandle, str], bytes], cmd: str) -> None:
    assert encode(FAMILY, 7, DEV, "ct_offload") == genl(CMD[cmd], handle(), s("HEALTH_REPORTER_NAME", "ct_offload"))


# --- replies ---------------------------------------------------------------------------------------


def test_family_id_from_nlctrl() -> None:
    payload = bytes([CTRL_CMD_NEWFAMILY, 2, 0, 0])
    payload += nla(CTRL_ATTR_FAMILY_NAME, b"devlink\0") + nla(CTRL_ATTR_FAMILY_ID, struct.pack("<H", FAMILY))
    assert codec.decode_family_id(msg(GENL_ID_CTRL, 0, 3, payload) + ack(3)) == FAMILY


def test_devices_of_a_dump() -> None:
    data = reply(CMD["GET"], handle(), u8("RELOAD_FAILED", 0), multi=True)
    data += reply(CMD["GET"], handle(OTHER), multi=True) + done()
    assert codec.decode_devices(data) == [DEV, OTHER]


def port(index: int, flavour: int, netdev: str | None, *extra: bytes, dev: DevHandle = DEV) -> bytes:
    attrs = [handle(dev), u32("PORT_INDEX", index), u16("PORT_TYPE", 2)]
    if netdev is not None:
        attrs.append(s("PORT_NETDEV_NAME", netdev))
    return reply(CMD["PORT_GET"], *attrs, u16("PORT_FLAVOUR", flavour), *extra, multi=True)


def test_ports_of_a_dump_filtered_by_device() -> None:
    data = port(0, 0, "ctoff0p0", u32("PORT_NUMBER", 0))
    data += port(1, 3, "ctoff0pf0", u16("PORT_PCI_PF_NUMBER", 0))
    data += port(65535, 0, "ens1f0np0", dev=OTHER)
    data += port(2, 4, "ctoff0pf0vf0", u16("PORT_PCI_PF_NUMBER", 0), u16("PORT_PCI_VF_NUMBER", 0))
    data += port(3, 4, None, u16("PORT_PCI_VF_NUMBER", 1)) + done()
    ports = codec.decode_ports(data, DEV)
    assert ports == [
        PortInfo(0, "physical", "ctoff0p0"),
        PortInfo(1, "pci-pf", "ctoff0pf0"),
        PortInfo(2, "pci-vf", "ctoff0pf0vf0", 0),
        PortInfo(3, "pci-vf", None, 1),
    ]
    assert [p.index for p in codec.decode_ports(data)] == [0, 1, 65535, 2, 3]


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        (
            u16("ESWITCH_MODE", 1) + u8("ESWITCH_INLINE_MODE", 2) + u8("ESWITCH_ENCAP_MODE", 1),
            codec.Eswitch("switchdev", "network", "basic"),
        ),
        (u16("ESWITCH_MODE", 0), codec.Eswitch("legacy")),
        (u16("ESWITCH_MODE", 2), codec.Eswitch("switchdev_inactive")),
        (u16("ESWITCH_MODE", 9), codec.Eswitch("unknown(9)")),
    ],
)
def test_eswitch_reply(attrs: bytes, expected: codec.Eswitch) -> None:
    assert codec.decode_eswitch(reply(CMD["ESWITCH_GET"], handle(), attrs) + ack()) == expected


def param(
    name: str,
    type_number: int,
    *values: tuple[int, bytes | None],
    generic: bool = False,
    seq: int = 7,
    dev: DevHandle = DEV,
) -> bytes:
    """A PARAM_GET reply: ``values`` are (cmode, data payload or None for no data attribute)."""
    value_nests = [
        nest(
            A["PARAM_VALUE"], u8("PARAM_VALUE_CMODE", cmode), b"" if data is None else nla(A["PARAM_VALUE_DATA"], data)
        )
        for cmode, data in values
    ]
    body = s("PARAM_NAME", name) + (flag("PARAM_GENERIC") if generic else b"") + u8("PARAM_TYPE", type_number)
    return reply(
        CMD["PARAM_GET"], handle(dev), nest(A["PARAM"], body, nest(A["PARAM_VALUES_LIST"], *value_nests)), seq=seq
    )


PARAM_REPLY_CASES = [
    ("u8", 1, b"\x80", 128),
    ("u16", 2, b"\x34\x12", 0x1234),
    ("u32", 3, b"\xff\xff\xff\xff", 4294967295),
    ("u64", 4, struct.pack("<Q", 2**63), 2**63),
    ("string", 5, b"smfs\0", "smfs"),
    ("bool", 6, b"", True),
    ("bool", 6, None, False),
]


@pytest.mark.parametrize(("kind", "type_number", "data", "value"), PARAM_REPLY_CASES)
def test_param_reply_of_each_type(kind: str, type_number: int, data: bytes | None, value: int | str | bool) -> None:
    got = codec.decode_params(param("p", type_number, (0, data)) + ack())
    assert got == [ParamValue("p", kind, "runtime", value)]
    assert type(got[0].value) is type(value)


def test_param_reply_of_a_nul_string_and_a_binary() -> None:
    data = param("a", 10, (0, b"dmfs\0")) + param("b", 11, (0, b"\x01\xff"))
    assert [(p.type, p.value) for p in codec.decode_params(data)] == [("string", "dmfs"), ("binary", "01ff")]


def test_param_dump_with_cmodes_generic_flags_and_other_devices() -> None:
    data = param("max_macs", 3, (1, struct.pack("<I", 128)), (0, struct.pack("<I", 64)), generic=True)
    data += param("ct_labels_mapping", 6, (0, None), (2, b""))
    other = param("enable_roce", 6, (1, b""), generic=True, dev=OTHER)
    assert codec.decode_params(data + other + done(), DEV) == [
        ParamValue("max_macs", "u32", "driverinit", 128, generic=True),
        ParamValue("max_macs", "u32", "runtime", 64, generic=True),
        ParamValue("ct_labels_mapping", "bool", "runtime", False),
        ParamValue("ct_labels_mapping", "bool", "permanent", True),
    ]
    assert [p.name for p in codec.decode_params(data + other + done(), OTHER)] == ["enable_roce"]


def test_nested_attributes_flagged_nla_f_nested_decode_the_same() -> None:
    body = s("PARAM_NAME", "p") + u8("PARAM_TYPE", 2)
    value = nest(A["PARAM_VALUE"], u8("PARAM_VALUE_CMODE", 0), nla(A["PARAM_VALUE_DATA"], b"\x05\x00"), flagged=True)
    data = reply(
        CMD["PARAM_GET"],
        handle(),
        nest(A["PARAM"], body, nest(A["PARAM_VALUES_LIST"], value, flagged=True), flagged=True),
    )
    assert codec.decode_params(data) == [ParamValue("p", "u16", "runtime", 5)]


def test_param_reply_with_a_wrong_size_is_malformed() -> None:
    with pytest.raises(ValueError, match="u32"):
        codec.decode_params(param("p", 3, (0, b"\x01\x02")))


def resource(name: str, rid: int, size: int, *extra: bytes, pad: bool = False) -> bytes:
    head = s("RESOURCE_NAME", name) + u64("RESOURCE_SIZE", size, pad=pad) + u64("RESOURCE_ID", rid, pad=pad)
    return nest(A["RESOURCE"], head, *extra)


@pytest.mark.parametrize("pad", [False, True], ids=["x86", "with-DEVLINK_ATTR_PAD"])
def test_resource_tree_with_occupancy_and_a_pending_size(pad: bool) -> None:
    bounds = u64("RESOURCE_SIZE_GRAN", 1, pad=pad) + u64("RESOURCE_SIZE_MAX", 2**32, pad=pad)
    bounds += u64("RESOURCE_SIZE_MIN", 1, pad=pad) + u8("RESOURCE_UNIT", 0)
    entries = resource(
        "entries", 2, 65536, u64("RESOURCE_SIZE_NEW", 1024, pad=pad), u64("RESOURCE_OCC", 10, pad=pad), bounds, pad=pad
    )
    parent_bounds = u64("RESOURCE_SIZE_GRAN", 1) + u64("RESOURCE_SIZE_MAX", 2**64 - 1) + u64("RESOURCE_SIZE_MIN", 0)
    ct = resource(
        "ct", 1, 65536, parent_bounds, u8("RESOURCE_UNIT", 0), u8("RESOURCE_SIZE_VALID", 1),
        nest(A["RESOURCE_LIST"], entries), pad=pad,
    )  # fmt: skip
    data = reply(CMD["RESOURCE_DUMP"], handle(), nest(A["RESOURCE_LIST"], ct)) + ack()
    child = Resource("entries", 2, 65536, 1024, True, "entry", 10, 1, 2**32, 1)
    assert codec.decode_resources(data) == [Resource("ct", 1, 65536, 65536, True, "entry", None, children=(child,))]
    assert codec.find_resource(codec.decode_resources(data), "/ct/entries") == child
    assert codec.find_resource(codec.decode_resources(data), "ct/entries") == child
    assert codec.find_resource(codec.decode_resources(data), "/ct/nope") is None


def test_a_multipart_resource_dump_is_joined() -> None:
    first = reply(CMD["RESOURCE_DUMP"], handle(), nest(A["RESOURCE_LIST"], resource("a", 1, 10)), multi=True)
    second = reply(CMD["RESOURCE_DUMP"], handle(), nest(A["RESOURCE_LIST"], resource("b", 2, 20)), multi=True)
    assert [r.name for r in codec.decode_resources(first + second + done() + ack())] == ["a", "b"]


def test_health_reporters_of_the_device_only() -> None:
    def rep(name: str, state: int, errs: int, recovers: int, *extra: bytes, dev: DevHandle = DEV) -> bytes:
        body = s("HEALTH_REPORTER_NAME", name) + u8("HEALTH_REPORTER_STATE", state)
        body += u64("HEALTH_REPORTER_ERR_COUNT", errs) + u64("HEALTH_REPORTER_RECOVER_COUNT", recovers)
        return reply(CMD["HEALTH_REPORTER_GET"], handle(dev), *extra, nest(A["HEALTH_REPORTER"], body), multi=True)

    data = rep("ct_offload", 1, 3, 1) + rep("tx", 0, 0, 0, u32("PORT_INDEX", 1)) + rep("fw", 0, 0, 0, dev=OTHER)
    data += rep("healthy_one", 0, 0, 0) + done()
    assert codec.decode_health(data, DEV) == [
        HealthReporter("ct_offload", "error", 3, 1),
        HealthReporter("healthy_one", "healthy", 0, 0),
    ]


def version(name: str, key: str, value: str) -> bytes:
    return nest(A[name], s("INFO_VERSION_NAME", key), s("INFO_VERSION_VALUE", value))


def test_info_reply() -> None:
    data = reply(
        CMD["INFO_GET"],
        handle(),
        s("INFO_DRIVER_NAME", "sim_switchdev"),
        s("INFO_SERIAL_NUMBER", "CTOFF0000"),
        version("INFO_VERSION_FIXED", "board.id", "SIM1"),
        version("INFO_VERSION_RUNNING", "fw.version", "1.0.0"),
        version("INFO_VERSION_RUNNING", "fw.mgmt", "10.20.30"),
        version("INFO_VERSION_STORED", "fw.version", "1.0.1"),
    )
    assert codec.decode_info(data + ack()) == DevInfo(
        "sim_switchdev",
        "CTOFF0000",
        fixed=(("board.id", "SIM1"),),
        running=(("fw.version", "1.0.0"), ("fw.mgmt", "10.20.30")),
        stored=(("fw.version", "1.0.1"),),
    )
    no_serial = reply(CMD["INFO_GET"], handle(), s("INFO_DRIVER_NAME", "netdevsim"))
    assert codec.decode_info(no_serial) == DevInfo("netdevsim", None)


def fm(name: str, payload: bytes = b"") -> bytes:
    return nla(A["FMSG_" + name], payload)


def fm_pair(key: str, type_number: int, data: bytes | None) -> bytes:
    value = fm("OBJ_VALUE_TYPE", bytes([type_number])) + (b"" if data is None else fm("OBJ_VALUE_DATA", data))
    return fm("PAIR_NEST_START") + fm("OBJ_NAME", key.encode() + b"\0") + value + fm("NEST_END")


def test_diagnose_reply_split_over_two_messages() -> None:
    part1 = fm("OBJ_NEST_START") + fm_pair("size", 4, struct.pack("<Q", 65536)) + fm_pair("occupancy", 3, b"\x0a\0\0\0")
    part1 += fm_pair("healthy", 6, b"\x00") + fm_pair("stuck", 6, b"\x01") + fm_pair("legacy_flag", 6, None)
    part2 = fm("PAIR_NEST_START") + fm("OBJ_NAME", b"last_errors\0") + fm("ARR_NEST_START")
    for code in (28, 5):
        part2 += fm("OBJ_VALUE_TYPE", b"\x01") + fm("OBJ_VALUE_DATA", bytes([code]))
    part2 += fm("NEST_END") + fm("NEST_END")
    part2 += fm("PAIR_NEST_START") + fm("OBJ_NAME", b"queue\0") + fm("OBJ_NEST_START")
    part2 += fm_pair("mode", 10, b"smfs\0") + fm_pair("blob", 11, b"\xde\xad") + fm("NEST_END") + fm("NEST_END")
    part2 += fm("NEST_END")
    data = reply(CMD["HEALTH_REPORTER_DIAGNOSE"], handle(), nest(A["FMSG"], part1), multi=True)
    data += reply(CMD["HEALTH_REPORTER_DIAGNOSE"], handle(), nest(A["FMSG"], part2), multi=True) + done() + ack()
    assert codec.decode_diagnose(data) == {
        "size": 65536,
        "occupancy": 10,
        "healthy": False,
        "stuck": True,
        "legacy_flag": False,
        "last_errors": [28, 5],
        "queue": {"mode": "smfs", "blob": "dead"},
    }


def test_fmsg_that_does_not_nest_is_malformed() -> None:
    with pytest.raises(ValueError, match="fmsg"):
        fmsg_tree([(A["FMSG_NEST_END"], b"")])
    with pytest.raises(ValueError, match="fmsg"):
        fmsg_tree([(A["FMSG_OBJ_NEST_START"], b"")])
    with pytest.raises(ValueError, match="fmsg"):
        fmsg_tree([(A["FMSG_OBJ_VALUE_TYPE"], b"\x01"), (A["FMSG_OBJ_VALUE_DATA"], b"\x01")])


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("capped", [True, False], ids=["capped", "whole-request-echoed"])
def test_an_error_with_extack_becomes_devlink_error(capped: bool) -> None:
    text = "E-Switch must either disabled or non switchdev mode"
    with pytest.raises(DevlinkError) as caught:
        codec.decode_eswitch(error(errno.EBUSY, text, capped=capped))
    assert (caught.value.errno, caught.value.strerror) == (errno.EBUSY, text)


def test_an_error_without_extack_carries_strerror() -> None:
    with pytest.raises(DevlinkError) as caught:
        codec.raise_for_error(error(errno.ENODEV))
    assert (caught.value.errno, caught.value.strerror) == (errno.ENODEV, "No such device")


def test_a_dump_ending_in_an_error_raises_it() -> None:
    failed_done = msg(NLMSG_DONE, F_MULTI | F_ACK_TLVS, 7, struct.pack("<i", -errno.EMSGSIZE) + nla(1, b"too big\0"))
    with pytest.raises(DevlinkError) as caught:
        codec.decode_devices(reply(CMD["GET"], handle(), multi=True) + failed_done)
    assert (caught.value.errno, caught.value.strerror) == (errno.EMSGSIZE, "too big")


def test_acks_and_clean_ends_are_not_errors() -> None:
    codec.raise_for_error(ack() + done())


@pytest.mark.parametrize(
    "data",
    [
        b"\x01\x02",  # less than a header
        struct.pack("<IHHII", 40, FAMILY, 0, 7, 0) + bytes(4),  # a header longer than the buffer
        struct.pack("<IHHII", 8, FAMILY, 0, 7, 0),  # a header shorter than itself
        ack() + bytes(6),  # trailing bytes
    ],
    ids=["short", "longer-than-buffer", "shorter-than-header", "trailing"],
)
def test_a_truncated_buffer_is_malformed(data: bytes) -> None:
    with pytest.raises(ValueError, match="netlink"):
        codec.split_messages(data)


# --- round trips ---------------------------------------------------------------------------------------

TYPED_VALUES = st.one_of(
    st.tuples(st.just("u8"), st.integers(0, 2**8 - 1)),
    st.tuples(st.just("u16"), st.integers(0, 2**16 - 1)),
    st.tuples(st.just("u32"), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("u64"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("string"), st.text(st.characters(blacklist_characters="\0", codec="utf-8"), max_size=31)),
    st.tuples(st.just("bool"), st.booleans()),
)


def attrs_of(request: bytes) -> dict[int, bytes]:
    """The top-level attributes of a genl request, parsed here (not by the codec)."""
    out, offset = {}, 20
    while offset < len(request):
        length, number = struct.unpack_from("<HH", request, offset)
        out[number] = request[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return out


@given(TYPED_VALUES, st.sampled_from(["runtime", "driverinit", "permanent"]))
def test_a_param_set_request_read_back_as_a_reply_gives_the_value(typed: tuple[str, object], cmode: str) -> None:
    kind, value = typed
    assert isinstance(value, int | str)
    attrs = attrs_of(codec.encode_param_set(FAMILY, 7, DEV, name="p", type=kind, value=value, cmode=cmode))
    echoed = param("p", attrs[A["PARAM_TYPE"]][0], (attrs[A["PARAM_VALUE_CMODE"]][0], attrs.get(A["PARAM_VALUE_DATA"])))
    assert codec.decode_params(echoed) == [ParamValue("p", kind, cmode, value)]
    assert decode_param_data(attrs[A["PARAM_TYPE"]][0], encode_param_data(kind, value)) == (kind, value)


# --- NetlinkDevlink over a fake channel ------------------------------------------------------------------

Reply = Callable[[int], list[bytes]]  # the request's seq -> the datagrams the kernel answers with


class FakeChannel:
    """A generic-netlink socket that checks requests and replays scripted replies."""

    def __init__(self, *script: tuple[Callable[[int], bytes] | None, Reply]) -> None:
        self.script = list(script)
        self.sent: list[bytes] = []
        self.pending: list[bytes] = []
        self.closed = False

    def send(self, data: bytes) -> None:
        assert self.script, f"unexpected request {data.hex()}"
        expected, answer = self.script.pop(0)
        seq = struct.unpack_from("<I", data, 8)[0]
        if expected is not None:
            assert data == expected(seq)
        self.sent.append(data)
        self.pending.extend(answer(seq))

    def recv(self) -> bytes:
        assert self.pending, "recv with nothing to receive"
        return self.pending.pop(0)

    def close(self) -> None:
        self.closed = True


def devlink(*script: tuple[Callable[[int], bytes] | None, Reply]) -> tuple[NetlinkDevlink, FakeChannel]:
    channel = FakeChannel(*script)
    return NetlinkDevlink(channel, family_id=FAMILY), channel


def test_the_family_is_looked_up_through_nlctrl() -> None:
    def found(seq: int) -> list[bytes]:
        payload = bytes([CTRL_CMD_NEWFAMILY, 2, 0, 0]) + nla(CTRL_ATTR_FAMILY_ID, struct.pack("<H", 0x22))
        return [msg(GENL_ID_CTRL, 0, seq, payload) + ack(seq)]

    channel = FakeChannel((codec.encode_family_lookup, found))
    assert NetlinkDevlink(channel).family_id == 0x22


def test_no_devlink_family_is_said_plainly() -> None:
    lookup = codec.encode_family_lookup(1)
    channel = FakeChannel((None, lambda seq: [error(errno.ENOENT, seq=seq, request=lookup)]))
    with pytest.raises(DevlinkError) as caught:
        NetlinkDevlink(channel)
    assert caught.value.errno == errno.ENOENT
    assert caught.value.strerror == "the kernel has no devlink generic-netlink family (ENOENT)"
    assert channel.closed


def test_devices_reads_a_dump_over_several_datagrams_and_skips_stale_replies() -> None:
    dl, channel = devlink(
        (
            lambda seq: genl(CMD["GET"], flags=DUMP, seq=seq),
            lambda seq: [
                reply(CMD["GET"], handle(OTHER), seq=seq + 100, multi=True),  # stale: another request's
                reply(CMD["GET"], handle(), seq=seq, multi=True),
                reply(CMD["GET"], handle(OTHER), seq=seq, multi=True) + done(seq),
            ],
        )
    )
    assert dl.devices() == [DEV, OTHER]
    dl.close()
    assert channel.closed


def test_eswitch_get_and_a_refused_set_with_its_extack() -> None:
    text = "Mode change with programmed connections"
    dl, _ = devlink(
        (
            lambda seq: genl(CMD["ESWITCH_GET"], handle(), seq=seq),
            lambda seq: [reply(CMD["ESWITCH_GET"], handle(), u16("ESWITCH_MODE", 1), seq=seq) + ack(seq)],
        ),
        (
            lambda seq: genl(CMD["ESWITCH_SET"], handle(), u16("ESWITCH_MODE", 0), seq=seq),
            lambda seq: [error(errno.EBUSY, text, seq=seq, capped=False)],
        ),
    )
    assert dl.eswitch_get(DEV) == "switchdev"
    with pytest.raises(DevlinkError) as caught:
        dl.eswitch_set(DEV, "legacy")
    assert (caught.value.errno, caught.value.strerror) == (errno.EBUSY, text)


def test_an_unknown_eswitch_mode_is_einval_before_anything_is_sent() -> None:
    dl, channel = devlink()
    with pytest.raises(DevlinkError) as caught:
        dl.eswitch_set(DEV, "hybrid")
    assert caught.value.errno == errno.EINVAL
    assert channel.sent == []


def param_set_request(type_number: int, data: bytes, cmode: int = 0) -> Callable[[int], bytes]:
    attrs = s("PARAM_NAME", "p") + u8("PARAM_TYPE", type_number) + u8("PARAM_VALUE_CMODE", cmode) + data
    return lambda seq: genl(CMD["PARAM_SET"], handle(), attrs, seq=seq)


def param_get_exchange(type_number: int, data: bytes | None) -> tuple[Callable[[int], bytes], Reply]:
    return (
        lambda seq: genl(CMD["PARAM_GET"], handle(), s("PARAM_NAME", "p"), seq=seq),
        lambda seq: [param("p", type_number, (0, data), seq=seq) + ack(seq)],
    )


def acked(seq: int) -> list[bytes]:
    return [ack(seq)]


def test_param_set_reads_the_type_then_sends_the_value_typed() -> None:
    dl, channel = devlink(
        param_get_exchange(3, b"\xff\xff\xff\xff"),
        param_get_exchange(3, b"\xff\xff\xff\xff"),
        (param_set_request(3, nla(A["PARAM_VALUE_DATA"], struct.pack("<I", 1000000))), acked),
        param_get_exchange(6, b""),
        (param_set_request(6, b""), acked),  # false: no data attribute at all
        param_get_exchange(6, None),
        (param_set_request(6, nla(A["PARAM_VALUE_DATA"]), cmode=1), acked),
    )
    assert dl.param_get(DEV, "p") == [ParamValue("p", "u32", "runtime", 4294967295)]
    dl.param_set(DEV, "p", 1000000)
    dl.param_set(DEV, "p", False)
    dl.param_set(DEV, "p", True, "driverinit")
    assert channel.script == []


@pytest.mark.parametrize(("value", "cmode"), [(-1, "runtime"), ("many", "runtime"), (True, "runtime"), (5, "later")])
def test_a_value_or_cmode_the_param_cannot_take_is_einval_and_not_sent(value: int | str | bool, cmode: str) -> None:
    dl, channel = devlink(param_get_exchange(3, b"\0\0\0\0"))
    with pytest.raises(DevlinkError) as caught:
        dl.param_set(DEV, "p", value, cmode)
    assert caught.value.errno == errno.EINVAL
    assert len(channel.sent) == 1  # only the read of the param's type


def test_param_get_of_every_param_is_a_dump_filtered_by_device() -> None:
    def answer(seq: int) -> list[bytes]:
        mine = param("a", 1, (0, b"\x01"), seq=seq)
        theirs = param("b", 1, (0, b"\x02"), seq=seq, dev=OTHER)
        return [mine, theirs + done(seq)]

    dl, _ = devlink((lambda seq: genl(CMD["PARAM_GET"], flags=DUMP, seq=seq), answer))
    assert dl.param_get(DEV) == [ParamValue("a", "u8", "runtime", 1)]


def resource_exchange() -> tuple[Callable[[int], bytes], Reply]:
    tree = nest(A["RESOURCE_LIST"], resource("ct", 1, 100, nest(A["RESOURCE_LIST"], resource("entries", 2, 100))))
    return (
        lambda seq: genl(CMD["RESOURCE_DUMP"], handle(), seq=seq),
        lambda seq: [reply(CMD["RESOURCE_DUMP"], handle(), tree, seq=seq) + ack(seq)],
    )


def test_resource_set_finds_the_id_by_path() -> None:
    set_request = genl(CMD["RESOURCE_SET"], handle(), u64("RESOURCE_ID", 2), u64("RESOURCE_SIZE", 50), seq=2)
    dl, _ = devlink(resource_exchange(), (lambda seq: set_request, acked))
    dl.resource_set(DEV, "/ct/entries", 50)


def test_resource_set_of_an_unknown_path_is_enoent() -> None:
    dl, channel = devlink(resource_exchange())
    with pytest.raises(DevlinkError) as caught:
        dl.resource_set(DEV, "/ct/missing", 50)
    assert caught.value.errno == errno.ENOENT
    assert len(channel.sent) == 1


def test_reload_info_health_recover_and_diagnose() -> None:
    info = s("INFO_DRIVER_NAME", "sim_switchdev") + version("INFO_VERSION_RUNNING", "fw.version", "1.0.0")
    reporter = nest(
        A["HEALTH_REPORTER"],
        s("HEALTH_REPORTER_NAME", "ct_offload"),
        u8("HEALTH_REPORTER_STATE", 0),
        u64("HEALTH_REPORTER_ERR_COUNT", 0),
        u64("HEALTH_REPORTER_RECOVER_COUNT", 2),
    )
    fmsg = nest(A["FMSG"], fm("OBJ_NEST_START"), fm_pair("conns", 3, b"\x03\0\0\0"), fm("NEST_END"))
    name = s("HEALTH_REPORTER_NAME", "ct_offload")
    dl, channel = devlink(
        (lambda seq: genl(CMD["RELOAD"], handle(), seq=seq), acked),
        (
            lambda seq: genl(CMD["INFO_GET"], handle(), seq=seq),
            lambda seq: [reply(CMD["INFO_GET"], handle(), info, seq=seq) + ack(seq)],
        ),
        (
            lambda seq: genl(CMD["HEALTH_REPORTER_GET"], flags=DUMP, seq=seq),
            lambda seq: [reply(CMD["HEALTH_REPORTER_GET"], handle(), reporter, seq=seq, multi=True) + done(seq)],
        ),
        (lambda seq: genl(CMD["HEALTH_REPORTER_RECOVER"], handle(), name, seq=seq), acked),
        (
            lambda seq: genl(CMD["HEALTH_REPORTER_DIAGNOSE"], handle(), name, seq=seq),
            lambda seq: [
                reply(CMD["HEALTH_REPORTER_DIAGNOSE"], handle(), fmsg, seq=seq, multi=True),
                done(seq) + ack(seq),
            ],
        ),
    )
    dl.reload(DEV)
    assert dl.info(DEV) == DevInfo("sim_switchdev", None, running=(("fw.version", "1.0.0"),))
    assert dl.health(DEV) == [HealthReporter("ct_offload", "healthy", 0, 2)]
    dl.health_recover(DEV, "ct_offload")
    assert dl.health_diagnose(DEV, "ct_offload") == {"conns": 3}
    assert channel.script == []


def test_ports_of_an_unknown_device_are_enodev() -> None:
    dl, _ = devlink(
        (lambda seq: genl(CMD["PORT_GET"], flags=DUMP, seq=seq), lambda seq: [done(seq)]),
        (
            lambda seq: genl(CMD["GET"], flags=DUMP, seq=seq),
            lambda seq: [reply(CMD["GET"], handle(OTHER), seq=seq, multi=True) + done(seq)],
        ),
    )
    with pytest.raises(DevlinkError) as caught:
        dl.ports(DEV)
    assert caught.value.errno == errno.ENODEV


@pytest.mark.parametrize(
    "garbage",
    [
        lambda seq: [b"\x05\x00"],  # not even a header
        lambda seq: [reply(CMD["ESWITCH_GET"], handle(), seq=seq) + ack(seq)],  # no mode attribute
    ],
)
def test_a_reply_that_cannot_be_read_is_eproto(garbage: Reply) -> None:
    dl, _ = devlink((None, garbage))
    with pytest.raises(DevlinkError) as caught:
        dl.eswitch_get(DEV)
    assert caught.value.errno == errno.EPROTO


# --- the probe on this machine ----------------------------------------------------------------------


def test_devlink_available_says_plainly_why_not() -> None:
    ok, reason = devlink_available()
    if ok:
        pytest.skip(f"this kernel has a devlink family: {reason}")
    assert reason in ("the kernel has no devlink generic-netlink family (ENOENT)",) or reason.startswith(
        "cannot open a generic-netlink socket"
    )
