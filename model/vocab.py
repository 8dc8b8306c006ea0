"""Shared vocabulary of the ct-offload layer: op types, errno values, marks, profiles, callbacks.

Purpose: the names every part of the project agrees on. ``impl`` may import this module (it holds no
semantics); the values match the RFC's C definitions and Linux's errno numbers so that results read
the same in Python, in the portable vectors and in a C implementation.

Promises: every enum value here is the number the RFC code (or Linux) uses; nothing here decides a
result.
"""

from __future__ import annotations

import enum


class OpType(enum.IntEnum):
    """``enum ct_offload_op_type`` of lib/ct-offload.h, in declaration order (so EST is 5)."""

    ADD = 0
    DEL = 1
    UPD = 2
    POLICY = 3
    FLUSH = 4
    EST = 5


class Errno(enum.IntEnum):
    """The Linux errno values the layer, its providers and the simulated device answer with."""

    OK = 0
    EPERM = 1
    ENOENT = 2
    EIO = 5
    EAGAIN = 11
    ENOMEM = 12
    EBUSY = 16
    EEXIST = 17
    EINVAL = 22
    ENOSPC = 28
    ENODATA = 61
    EOPNOTSUPP = 95
    ETIMEDOUT = 110
    EALREADY = 114


def errno_name(value: int) -> str:
    """The symbolic name of ``value`` (``"ENODATA"``), or its decimal text if it has none."""
    try:
        return Errno(value).name
    except ValueError:
        return str(value)


class Mark(enum.IntEnum):
    """The per-connection offload mark kept in the conn's private slot (patch 07)."""

    NONE = 0
    ADDED = 1
    EST = 2


class Profile(enum.Enum):
    """Which semantics a model run or an implementation follows.

    ``RFC_V1`` is the posted series (2026-04-08) quirks included; ``RFC_V2`` the repost (2026-05-18),
    identical at this layer except that a batch UPD with no timestamp answers EIO instead of
    ENODATA; ``STRICT`` the project's corrected semantics (docs/spec.rst, model/strict.py).
    """

    RFC_V1 = "rfc-v1"
    RFC_V2 = "rfc-v2"
    STRICT = "strict"

    @classmethod
    def parse(cls, text: str) -> Profile:
        """The profile named ``text``; a ValueError naming the allowed spellings otherwise."""
        for profile in cls:
            if profile.value == text:
                return profile
        allowed = ", ".join(p.value for p in cls)
        raise ValueError(f"unknown profile {text!r}: expected one of {allowed}")


class Callback(enum.Enum):
    """A member of ``struct ct_offload_class``, named as the scenario protocol's trace names it."""

    INIT = "init"
    ADD = "add"
    DEL = "del"
    UPD = "upd"
    EST = "est"
    CAN = "can"
    FLUSH = "flush"
    BATCH = "batch"


#: The callbacks that act on one connection, in the order the scenario protocol lists them.
PER_OP_CALLBACKS: tuple[Callback, ...] = (
    Callback.ADD,
    Callback.DEL,
    Callback.UPD,
    Callback.EST,
    Callback.CAN,
    Callback.FLUSH,
)

#: The per-op callback that serves each valid op type on the single-op path.
CALLBACK_OF_OP: dict[OpType, Callback] = {
    OpType.ADD: Callback.ADD,
    OpType.DEL: Callback.DEL,
    OpType.UPD: Callback.UPD,
    OpType.POLICY: Callback.CAN,
    OpType.FLUSH: Callback.FLUSH,
    OpType.EST: Callback.EST,
}
