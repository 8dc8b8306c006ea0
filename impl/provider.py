"""Provider classes: the Python ``struct ct_offload_class`` of lib/ct-offload.h.

Purpose: what a provider hands to ``OffloadLayer.register``: a name and up to eight callbacks, each
optional (``None`` is the C struct's NULL member). The layer reads nothing else from a provider.

Promises:

- a class *is* its object, as the C pointer is: ``eq=False`` gives identity equality and hashing,
  so ``unregister`` and the strict profile's holders match the object itself, never a class of the
  same name;
- an ``OffloadClass`` is frozen and valid: its name is a non-empty ``str`` and every member given is
  callable, or construction raises (TypeError / ValueError naming the member);
- ``from_object`` builds one from an object's bound methods of the member names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from impl.batch import BatchEntry
from model.conn import Ctx

#: The callback members of ``struct ct_offload_class``, in declaration order.
CALLBACK_MEMBERS: tuple[str, ...] = (
    "init",
    "batch_submit",
    "conn_add",
    "conn_del",
    "conn_update",
    "conn_established",
    "can_offload",
    "flush",
)


@dataclass(frozen=True, eq=False, repr=False)
class OffloadClass:
    """``struct ct_offload_class``: a provider's name and its callbacks (None = absent member).

    The C signatures become: ``init() -> errno``; ``batch_submit(entries)`` writes each entry's
    ``error`` (and, for UPD, ``last_used``); ``conn_add(ctx) -> errno``; ``conn_del(ctx)``;
    ``conn_update(ctx) -> last-used ms`` (0: none); ``conn_established(ctx)``;
    ``can_offload(ctx) -> bool``; ``flush()``. ``conn_del``, ``conn_established`` and ``flush`` are
    void in C; in Python they may return an errno, which the strict profile counts (STRICT-ASK-VOID).
    Callbacks run under the layer's lock and must not call back into the layer's locked methods
    (``LayerReentryError``).
    """

    name: str
    init: Callable[[], int] | None = None
    batch_submit: Callable[[list[BatchEntry]], None] | None = None
    conn_add: Callable[[Ctx], int] | None = None
    conn_del: Callable[[Ctx], int | None] | None = None
    conn_update: Callable[[Ctx], int] | None = None
    conn_established: Callable[[Ctx], int | None] | None = None
    can_offload: Callable[[Ctx], bool] | None = None
    flush: Callable[[], int | None] | None = None

    def __post_init__(self) -> None:
        """Refuse a class the C code would have asserted on, or could not call."""
        if not isinstance(self.name, str):
            raise TypeError(f"OffloadClass.name must be a str, got {type(self.name).__name__}")
        if not self.name:
            raise ValueError("OffloadClass.name must not be empty")
        for member in CALLBACK_MEMBERS:
            value = getattr(self, member)
            if value is not None and not callable(value):
                raise TypeError(
                    f"OffloadClass {self.name!r}: member {member!r} must be callable or None, "
                    f"got {type(value).__name__}"
                )

    @property
    def is_native(self) -> bool:
        """Whether the class has ``batch_submit`` (a "native" batch provider)."""
        return self.batch_submit is not None

    def members(self) -> tuple[str, ...]:
        """The names of the callback members present, in declaration order."""
        return tuple(member for member in CALLBACK_MEMBERS if getattr(self, member) is not None)

    def __repr__(self) -> str:
        """``OffloadClass('dummy', members=(conn_add, ...))`` (identity is what counts, not this)."""
        return f"OffloadClass({self.name!r}, members=({', '.join(self.members())}))"

    @classmethod
    def from_object(cls, obj: object, name: str | None = None) -> OffloadClass:
        """A class whose members are ``obj``'s attributes of the member names.

        A missing attribute, or one that is None, is an absent member. ``name`` defaults to
        ``obj.name`` when that is a str, else to the name of ``obj``'s type.
        """
        if name is None:
            own = getattr(obj, "name", None)
            name = own if isinstance(own, str) else type(obj).__name__
        members = {member: getattr(obj, member, None) for member in CALLBACK_MEMBERS}
        return cls(name, **members)
