"""The ct-offload layer: registry, single-op and batch API, marks; one lock, one profile.

Purpose: ``OffloadLayer`` is lib/ct-offload.c as an object: providers register an ``OffloadClass``,
conntrack reports connection events (``conn_add``, ``conn_del``, ...) or submits a ``Batch``, and
the layer dispatches them to the providers and keeps each connection's offload mark. The profile
(rfc-v1, rfc-v2 or strict, docs/spec.rst) picks the rules: ``impl.rfc_dispatch`` or
``impl.strict_dispatch``. Nothing is global: ``default_layer`` is a convenience for callers only.

Promises:

- every public locked method checks its arguments first (TypeError naming the bad one, a malformed
  ``Ctx`` included, and then nothing has changed), then holds the layer's single lock for the
  whole operation: every provider callback runs under it, and a batch takes it once (the private
  ``_submit_own``, impl's tracker submitting a batch it built, skips only the check);
- a provider callback that calls a locked method of the same layer gets ``LayerReentryError``
  instead of a deadlock; a callback that raises counts as its documented failure value
  (RFC-RAISE, STRICT-RAISE), the remaining providers are still called and the lock is released;
- ``mark``, ``is_offloaded``, ``is_established``, ``registered``, ``holders`` and ``marks`` read
  without the lock (``impl.marks``), so providers may call them from their callbacks; another
  thread sees each connection's record before or after an operation, a whole batch included,
  never a mix (the thread running a batch sees its progress).
"""

from __future__ import annotations

import threading
from typing import Protocol

from impl.batch import Batch, BatchEntry, checked_entries, refuse_ctx, well_formed
from impl.calls import call_int
from impl.lock import LayerLock, LayerReentryError
from impl.marks import MarkTable
from impl.provider import OffloadClass
from impl.rfc_dispatch import RfcDispatch
from impl.strict_dispatch import StrictDispatch
from model.conn import Ctx
from model.vocab import Errno, Mark, Profile

__all__ = ["LayerReentryError", "OffloadLayer", "default_layer"]

EIO = int(Errno.EIO)
EEXIST = int(Errno.EEXIST)
NONE, EST = Mark.NONE, Mark.EST  # read once: an enum member read through its class costs ~100 ns


class Dispatch(Protocol):
    """The rules of one profile, called with the layer's lock held; told of every registry change."""

    def classes_changed(self, classes: tuple[OffloadClass, ...]) -> None: ...
    def conn_add(self, ctx: Ctx) -> int: ...
    def conn_del(self, ctx: Ctx) -> None: ...
    def conn_update(self, ctx: Ctx) -> int: ...
    def conn_established(self, ctx: Ctx) -> None: ...
    def can_offload(self, ctx: Ctx) -> bool: ...
    def flush(self) -> None: ...
    def unregistered(self, cls: OffloadClass) -> None: ...
    def submit(self, entries: list[BatchEntry]) -> None: ...


def _check_class(method: str, cls: object) -> OffloadClass:
    if not isinstance(cls, OffloadClass):
        raise TypeError(
            f"OffloadLayer.{method}: expected an impl.provider.OffloadClass, got {type(cls).__name__} "
            "(OffloadClass.from_object builds one from an object's methods)"
        )
    return cls


class OffloadLayer:
    """One ct-offload layer: its registered classes in registration order, its marks, its lock."""

    def __init__(self, profile: Profile = Profile.STRICT, *, private_slot: bool = True) -> None:
        """A layer with no provider. ``private_slot=False`` is patch 07's failed slot allocation:
        every mark then reads NONE (rfc: nothing is marked; strict: ADD answers ENOMEM)."""
        if not isinstance(profile, Profile):
            raise TypeError(f"OffloadLayer: profile must be a model.vocab.Profile, got {type(profile).__name__}")
        if not isinstance(private_slot, bool):
            raise TypeError(f"OffloadLayer: private_slot must be a bool, got {type(private_slot).__name__}")
        self._profile = profile
        self._slot = private_slot
        self._lock = LayerLock()
        self._classes: tuple[OffloadClass, ...] = ()
        self._marks = MarkTable(self._lock.held_by_caller)
        self._record = self._marks.record
        if private_slot:
            # The mark table's own test, one call instead of two: the sweep asks it of every
            # connection it walks (issue 16). The method below says what it answers.
            self.is_offloaded = self._marks.has_record  # type: ignore[method-assign]
        self._dispatch: Dispatch
        if profile is Profile.STRICT:
            self._dispatch = StrictDispatch(self._marks, private_slot=private_slot)
        else:
            self._dispatch = RfcDispatch(profile, self._marks, private_slot=private_slot)

    @property
    def profile(self) -> Profile:
        """The semantics this layer follows."""
        return self._profile

    @property
    def private_slot(self) -> bool:
        """Whether the layer has per-connection mark storage."""
        return self._slot

    def __repr__(self) -> str:
        """``OffloadLayer(strict, classes=['dummy'], offloaded=3)``."""
        names = [cls.name for cls in self._classes]
        return f"OffloadLayer({self._profile.value}, classes={names}, offloaded={len(self._marks)})"

    # Registry (REG-ADD, REG-DEL, STRICT-UNREG).

    def register(self, cls: OffloadClass) -> int:
        """REG-ADD (``ct_offload_register``): EEXIST for a registered name (``init`` not called);
        else ``init``'s error if non-zero (a raising ``init``: EIO), and the class is not added;
        else 0 and the class is appended."""
        cls = _check_class("register", cls)
        self._lock.acquire("register")
        try:
            if any(registered.name == cls.name for registered in self._classes):
                return EEXIST
            if cls.init is not None:
                error = call_int(cls.init)
                if error is None:
                    return EIO
                if error:
                    return error
            self._classes = (*self._classes, cls)
            self._dispatch.classes_changed(self._classes)
            return 0
        finally:
            self._lock.release()

    def unregister(self, cls: OffloadClass) -> None:
        """REG-DEL (``ct_offload_unregister``): removes the class object itself; an unknown class is
        a no-op. Under strict it also leaves every connection's holders (STRICT-UNREG)."""
        cls = _check_class("unregister", cls)
        self._lock.acquire("unregister")
        try:
            if any(registered is cls for registered in self._classes):
                self._classes = tuple(registered for registered in self._classes if registered is not cls)
                self._dispatch.classes_changed(self._classes)
                self._dispatch.unregistered(cls)
        finally:
            self._lock.release()

    def registered(self) -> tuple[OffloadClass, ...]:
        """The registered classes in registration order (lock-free read)."""
        return self._classes

    # The single-op API (RFC-* / STRICT-*).

    def conn_add(self, ctx: Ctx) -> int:
        """``ct_offload_conn_add``: an errno (RFC-ADD; strict: STRICT-GATE, -ASK-ADD, -EFFECT)."""
        if not well_formed(ctx):
            refuse_ctx("OffloadLayer.conn_add", ctx)
        self._lock.acquire("conn_add")
        try:
            return self._dispatch.conn_add(ctx)
        finally:
            self._lock.release()

    def conn_del(self, ctx: Ctx) -> None:
        """``ct_offload_conn_del`` (RFC-DEL; strict: the holders only, then NONE)."""
        if not well_formed(ctx):
            refuse_ctx("OffloadLayer.conn_del", ctx)
        self._lock.acquire("conn_del")
        try:
            self._dispatch.conn_del(ctx)
        finally:
            self._lock.release()

    def conn_update(self, ctx: Ctx) -> int:
        """``ct_offload_conn_update``: a last-used timestamp in ms, 0 for none (RFC-UPD: the first
        non-zero answer; strict: the latest positive one of the holders)."""
        if not well_formed(ctx):
            refuse_ctx("OffloadLayer.conn_update", ctx)
        self._lock.acquire("conn_update")
        try:
            return self._dispatch.conn_update(ctx)
        finally:
            self._lock.release()

    def conn_established(self, ctx: Ctx) -> None:
        """``ct_offload_conn_established`` (RFC-EST; strict: the holders of an ADDED connection)."""
        if not well_formed(ctx):
            refuse_ctx("OffloadLayer.conn_established", ctx)
        self._lock.acquire("conn_established")
        try:
            self._dispatch.conn_established(ctx)
        finally:
            self._lock.release()

    def can_offload(self, ctx: Ctx) -> bool:
        """``ct_offload_can_offload`` (RFC-CAN; strict: STRICT-ASK-POLICY, -POLICY-STOP)."""
        if not well_formed(ctx):
            refuse_ctx("OffloadLayer.can_offload", ctx)
        self._lock.acquire("can_offload")
        try:
            return self._dispatch.can_offload(ctx)
        finally:
            self._lock.release()

    def flush(self) -> None:
        """``ct_offload_flush`` (RFC-FLUSH: marks kept; strict: every record dropped)."""
        self._lock.acquire("flush")
        try:
            self._dispatch.flush()
        finally:
            self._lock.release()

    # The batch API (RFC-BATCH / STRICT-SEGMENT, STRICT-BATCH).

    def submit(self, batch: Batch) -> None:
        """``ct_offload_op_batch_submit``: writes every entry's ``error`` (and under strict the
        ``last_used`` of a UPD; the rfc profiles set it to 0), under one hold of the lock."""
        self._submit_entries(checked_entries(batch))

    def _submit_own(self, batch: Batch) -> None:
        """``submit`` without checking the entries first, for impl's own tracker only: its sweep
        fills its batch with UPD ops on ctxs its table built (``Conn.plain``), which cannot fail
        the check, and nothing else can reach the batch before it is submitted. The check is a
        pass over every op of every list (issue 16, ``nox -s bench -- sweep --cprofile``)."""
        self._submit_entries(list(batch._entries))

    def _submit_entries(self, entries: list[BatchEntry]) -> None:
        """The locked part of ``submit``: the dispatch over well-formed ``entries``, as one batch
        to every reader."""
        self._lock.acquire("submit")
        try:
            self._marks.begin_batch()
            try:
                self._dispatch.submit(entries)
            finally:
                self._marks.end_batch()
        finally:
            self._lock.release()

    # Marks (patch 07): lock-free reads.

    def mark(self, conn_id: int) -> Mark:
        """The offload mark of connection ``conn_id`` (NONE without a private slot)."""
        if not self._slot:
            return NONE
        record = self._record(conn_id)
        return NONE if record is None else record[0]

    def is_offloaded(self, conn_id: int) -> bool:
        """``ct_offload_conn_is_offloaded``: the mark is not NONE (a connection has a record exactly
        when its mark is not NONE, ``impl.marks``: the sweep asks this of every connection)."""
        return self._slot and self._record(conn_id) is not None

    def is_established(self, conn_id: int) -> bool:
        """``ct_offload_conn_is_established``: the mark is EST."""
        return self.mark(conn_id) is EST

    def holders(self, conn_id: int) -> tuple[OffloadClass, ...]:
        """Under strict, the registered classes that hold ``conn_id`` (empty under the rfc profiles)."""
        return self._marks.holders(conn_id)

    def marks(self) -> dict[int, Mark]:
        """Every connection whose mark is not NONE, with its mark (one atomic snapshot)."""
        return {conn_id: mark for conn_id, (mark, _) in self._marks.snapshot().items()}


_default: OffloadLayer | None = None
_default_lock = threading.Lock()


def default_layer() -> OffloadLayer:
    """A process-wide strict layer, created on first use, for callers that want one (as OVS has
    one ``ct_offload_mutex`` and one class list). The layer itself never uses it."""
    global _default  # noqa: PLW0603 - the lazily created convenience instance is the point
    with _default_lock:
        if _default is None:
            _default = OffloadLayer(Profile.STRICT)
        return _default
