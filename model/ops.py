"""The op algebra: every operation of the layer, its result and the provider-call record.

Purpose: one typed definition shared by the model's step function, the impl adapter, the Hypothesis
strategies, the vector codec, the linearizability checker and the docs. Every consumer matches
``LayerOp`` (and ``BatchKind``) exhaustively with ``typing.assert_never``, so an op added here fails
type checking wherever it is not handled.

Promises: all values are frozen, keyword-only and hashable; nothing here decides a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from model.conn import Ctx
from model.vocab import Callback, OpType


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidType:
    """An op type value outside ``enum ct_offload_op_type`` (a batch op the layer must refuse)."""

    raw: int


#: The type of one batch op: a valid ``OpType`` or an invalid raw value.
BatchKind: TypeAlias = OpType | InvalidType


def batch_kind(raw: int) -> BatchKind:
    """The kind a raw C enum value stands for: the OpType with that value, else InvalidType."""
    try:
        return OpType(raw)
    except ValueError:
        return InvalidType(raw=raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOp:
    """``struct ct_offload_op`` as submitted: its type and ctx (the error is the result)."""

    kind: BatchKind
    ctx: Ctx

    @property
    def conn_id(self) -> int | None:
        """The op's connection identity (None for a NULL conn)."""
        return self.ctx.conn_id


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """What one batch op answers: its errno and, for UPD under strict, the last-used timestamp (ms).

    ``last_used`` is 0 whenever no timestamp is reported (always, under the rfc profiles, whose op
    struct has no field for it).
    """

    error: int
    last_used: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """``ct_offload_register(class)``; ``provider`` names the class (its index in the world)."""

    provider: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Unregister:
    """``ct_offload_unregister(class)``; matches the class itself, not its name."""

    provider: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Add:
    """``ct_offload_conn_add(ctx)`` -> errno."""

    ctx: Ctx


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete:
    """``ct_offload_conn_del(ctx)`` -> nothing."""

    ctx: Ctx


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """``ct_offload_conn_update(ctx)`` -> last-used timestamp in ms (0: none)."""

    ctx: Ctx


@dataclass(frozen=True, slots=True, kw_only=True)
class Established:
    """``ct_offload_conn_established(ctx)`` -> nothing."""

    ctx: Ctx


@dataclass(frozen=True, slots=True, kw_only=True)
class CanOffload:
    """``ct_offload_can_offload(ctx)`` -> bool."""

    ctx: Ctx


@dataclass(frozen=True, slots=True, kw_only=True)
class Flush:
    """``ct_offload_flush()`` -> nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryMark:
    """``ct_offload_conn_is_offloaded`` / ``_is_established`` in one: the mark of ``conn`` -> Mark."""

    conn: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitBatch:
    """``ct_offload_op_batch_submit(batch)`` -> one BatchResult per op, in order."""

    ops: tuple[BatchOp, ...]


#: Every public operation of the layer.
LayerOp: TypeAlias = (
    Register | Unregister | Add | Delete | Update | Established | CanOffload | Flush | SubmitBatch | QueryMark
)

#: What an operation returns: errno (Add, Register), timestamp (Update), bool (CanOffload),
#: per-op results (SubmitBatch), a mark (QueryMark; a Mark is an int) or nothing.
Result: TypeAlias = int | bool | None | tuple[BatchResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One provider callback invocation, as the trace of the observable records it.

    ``conn`` is the connection id for per-connection callbacks (None for init, flush and batch, and
    for a NULL conn); ``batch`` is the list of ops handed to ``batch_submit`` (None otherwise).
    """

    provider: str
    callback: Callback
    conn: int | None = None
    batch: tuple[BatchOp, ...] | None = None


#: The provider call trace of one operation, in call order.
Trace: TypeAlias = tuple[Call, ...]
