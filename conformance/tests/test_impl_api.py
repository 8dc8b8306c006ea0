"""impl's own promises that the model does not describe, one test each, found unchecked by mutation
testing (``nox -s mutants``): errors that name the method and the bad argument, the log of a failed
callback, the ``Batch`` object, the callback helpers, errnos of void callbacks under strict, what a
native provider writes, and the yield points a test scheduler switches at."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

import impl.layer
from impl import sched
from impl.batch import Batch, BatchEntry, as_kind
from impl.calls import call_batch, call_can, call_int, call_status, call_void
from impl.layer import LayerReentryError, OffloadLayer, default_layer
from impl.marks import MarkTable
from impl.provider import OffloadClass
from impl.rfc_dispatch import RfcDispatch
from impl.strict_rules import ask_void, batch_of_one
from model.conn import ConnRef, Ctx
from model.ops import BatchOp, BatchResult, InvalidType
from model.vocab import Errno, Mark, OpType, Profile

PROFILES = pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
EIO, EBUSY, ENODATA = int(Errno.EIO), int(Errno.EBUSY), int(Errno.ENODATA)
LOCKED_CTX_METHODS = ["conn_add", "conn_del", "conn_update", "conn_established", "can_offload"]


class TaggedCtx(Ctx):
    """A subclass of Ctx: still a Ctx everywhere."""

    __slots__ = ()


def _arguments(layer: OffloadLayer, method: str) -> tuple[object, ...]:
    if method in ("register", "unregister"):
        return (OffloadClass(name="other"),)
    if method == "flush":
        return ()
    if method == "submit":
        return (Batch(),)
    return (Ctx.of(2),)


# --- errors that name the method ----------------------------------------------------------------


@PROFILES
@pytest.mark.parametrize("method", ["register", "unregister", *LOCKED_CTX_METHODS, "flush", "submit"])
def test_a_callback_calling_back_into_any_locked_method_gets_an_error_naming_that_method(
    profile: Profile, method: str
) -> None:
    layer = OffloadLayer(profile)
    seen: list[LayerReentryError] = []

    def conn_add(ctx: Ctx) -> int:
        try:
            getattr(layer, method)(*_arguments(layer, method))
        except LayerReentryError as exc:
            seen.append(exc)
        return 0

    layer.register(OffloadClass(name="reentrant", conn_add=conn_add))
    assert layer.conn_add(Ctx.of(1)) == 0
    assert [exc.method for exc in seen] == [method]
    assert str(seen[0]).startswith(f"OffloadLayer.{method}() was called from inside a provider callback")


@pytest.mark.parametrize("method", LOCKED_CTX_METHODS)
def test_a_bad_ctx_is_refused_with_a_message_naming_the_method_and_the_type(method: str) -> None:
    layer = OffloadLayer(Profile.STRICT)
    with pytest.raises(TypeError) as raised:
        getattr(layer, method)(7)
    assert str(raised.value) == f"OffloadLayer.{method}: ctx must be a model.conn.Ctx, got int"


@pytest.mark.parametrize("method", ["register", "unregister"])
def test_a_bad_class_is_refused_with_a_message_naming_the_method_and_the_type(method: str) -> None:
    layer = OffloadLayer(Profile.STRICT)
    with pytest.raises(TypeError) as raised:
        getattr(layer, method)("p")
    assert str(raised.value) == (
        f"OffloadLayer.{method}: expected an impl.provider.OffloadClass, got str "
        "(OffloadClass.from_object builds one from an object's methods)"
    )


def test_bad_layer_arguments_are_refused_with_messages_naming_them() -> None:
    with pytest.raises(TypeError) as raised:
        OffloadLayer("strict")  # type: ignore[arg-type]
    assert str(raised.value) == "OffloadLayer: profile must be a model.vocab.Profile, got str"
    with pytest.raises(TypeError) as raised:
        OffloadLayer(Profile.STRICT, private_slot=1)  # type: ignore[arg-type]
    assert str(raised.value) == "OffloadLayer: private_slot must be a bool, got int"
    with pytest.raises(TypeError) as raised:
        OffloadLayer(Profile.STRICT).submit("batch")  # type: ignore[arg-type]
    assert str(raised.value) == "OffloadLayer.submit: batch must be an impl.batch.Batch, got str"
    with pytest.raises(ValueError) as refused:
        RfcDispatch(Profile.STRICT, MarkTable(), private_slot=True)
    assert str(refused.value) == "RfcDispatch implements the rfc profiles only"


# --- the Batch object ---------------------------------------------------------------------------


def test_a_batch_built_from_ops_holds_them_in_order_and_describes_itself() -> None:
    ops = [BatchOp(kind=OpType.ADD, ctx=Ctx.of(3)), BatchOp(kind=OpType.UPD, ctx=Ctx.of(4))]
    batch = Batch(ops)
    assert batch.ops() == tuple(ops)
    assert [entry.op() for entry in batch] == ops
    assert [entry.index for entry in batch.entries] == [0, 1]
    assert repr(batch) == "Batch([ADD 3, UPD 4])"
    batch.add(77, Ctx.of(None))
    assert batch.ops()[2] == BatchOp(kind=InvalidType(raw=77), ctx=Ctx.of(None))
    assert repr(batch) == "Batch([ADD 3, UPD 4, 77 None])"
    assert repr(Batch()) == "Batch([])"
    with pytest.raises(TypeError) as raised:
        Batch([ops[0], 5])  # type: ignore[list-item]
    assert str(raised.value) == "Batch(ops): expected model.ops.BatchOp items, got int"


def test_batch_add_names_the_bad_argument_and_accepts_a_ctx_subclass() -> None:
    batch = Batch()
    with pytest.raises(TypeError) as raised:
        batch.add("ADD", Ctx.of(1))  # type: ignore[arg-type]
    assert str(raised.value) == "Batch.add: kind must be an OpType or an int, got str"
    with pytest.raises(TypeError) as raised:
        batch.add(True, Ctx.of(1))
    assert str(raised.value) == "Batch.add: kind must be an OpType or an int, got bool"
    with pytest.raises(TypeError) as raised:
        batch.add(OpType.ADD, 3)  # type: ignore[arg-type]
    assert str(raised.value) == "Batch.add: ctx must be a model.conn.Ctx, got int"
    assert len(batch) == 0
    tagged = TaggedCtx(conn=ConnRef.synthetic(1))
    assert batch.add(2, tagged).kind is OpType.UPD
    batch.add(OpType.ADD, tagged)
    layer = OffloadLayer(Profile.STRICT)
    layer.register(OffloadClass(name="p", conn_add=lambda ctx: 0, conn_update=lambda ctx: 9))
    layer.submit(batch)
    assert batch.results() == (BatchResult(error=ENODATA), BatchResult(error=0))
    assert layer.conn_add(tagged) == int(Errno.EEXIST)


def test_as_kind_names_what_it_checks() -> None:
    assert as_kind(5) is OpType.EST
    assert as_kind(9) == InvalidType(raw=9)
    with pytest.raises(TypeError) as raised:
        as_kind(1.5)
    assert str(raised.value) == "kind must be an OpType or an int, got float"


@PROFILES
def test_submit_checks_entries_changed_after_add_and_converts_raw_kinds(profile: Profile) -> None:
    layer = OffloadLayer(profile)
    layer.register(OffloadClass(name="p", conn_add=lambda ctx: 0))
    batch = Batch()
    first, second = batch.add(OpType.DEL, Ctx.of(1)), batch.add(OpType.DEL, Ctx.of(2))
    first.kind = 0  # type: ignore[assignment]  # a raw C value written into the entry after add
    second.ctx = 7  # type: ignore[assignment]
    with pytest.raises(TypeError) as raised:
        layer.submit(batch)
    assert str(raised.value) == "OffloadLayer.submit: entry 1: ctx must be a model.conn.Ctx, got int"
    assert first.kind == 0 and first.kind.__class__ is int  # refused: no entry changed
    second.ctx, second.kind = Ctx.of(2), "UPD"  # type: ignore[assignment]
    with pytest.raises(TypeError) as raised:
        layer.submit(batch)
    assert str(raised.value) == "OffloadLayer.submit: entry 1: kind must be an OpType or an int, got str"
    second.kind = 99  # type: ignore[assignment]
    layer.submit(batch)
    assert (first.kind, second.kind) == (OpType.ADD, InvalidType(raw=99))
    assert batch.results() == (BatchResult(error=0), BatchResult(error=int(Errno.EINVAL)))
    assert layer.mark(1) is Mark.ADDED


# --- failed callbacks: logged, and counted as their failure value -------------------------------


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "impl.calls"]


@PROFILES
def test_a_raising_callback_is_logged_at_debug_with_its_traceback(
    profile: Profile, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="impl.calls")

    def conn_add(ctx: Ctx) -> int:
        raise RuntimeError("hardware on fire")

    layer = OffloadLayer(profile)
    layer.register(OffloadClass(name="boom", conn_add=conn_add))
    assert layer.conn_add(Ctx.of(1)) == EIO
    [record] = _records(caplog)
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == f"provider callback {conn_add!r} raised; counted as its failure value"
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


def test_a_raising_can_offload_is_logged_and_counts_as_no(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="impl.calls")

    def can_offload(ctx: Ctx) -> bool:
        raise RuntimeError("no table")

    layer = OffloadLayer(Profile.RFC_V1)
    layer.register(OffloadClass(name="boom", can_offload=can_offload))
    assert layer.can_offload(Ctx.of(1)) is False
    [record] = _records(caplog)
    assert record.getMessage() == f"provider callback {can_offload!r} raised; counted as its failure value"
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


@pytest.mark.parametrize(
    "case",
    [("conn_add", "0", "int", EIO, Mark.NONE), ("can_offload", "yes", "bool", 0, Mark.ADDED)],
    ids=["int", "bool"],
)
def test_a_callback_answering_the_wrong_type_is_logged_and_counts_as_failed(
    case: tuple[str, object, str, int, Mark], caplog: pytest.LogCaptureFixture
) -> None:
    member, answer, wanted, result, mark = case
    caplog.set_level(logging.DEBUG, logger="impl.calls")

    def callback(ctx: Ctx) -> object:
        return answer

    layer = OffloadLayer(Profile.RFC_V1)
    layer.register(OffloadClass(name="odd", **{member: callback}))  # type: ignore[arg-type]
    # RFC-RAISE: conn_add counts as EIO; can_offload as false (no provider then, so RFC-ADD answers 0 and marks).
    assert layer.conn_add(Ctx.of(1)) == result
    assert layer.mark(1) is mark
    [record] = _records(caplog)
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == (
        f"provider callback {callback!r} returned {type(answer).__name__}, not {wanted}; counted as its failure value"
    )
    assert not record.exc_info


def test_raising_void_and_batch_callbacks_are_logged_naming_the_callback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="impl.calls")

    def conn_del(ctx: Ctx) -> None:
        raise OSError("gone")

    def batch_submit(entries: list[BatchEntry]) -> None:
        raise OSError("queue full")

    layer = OffloadLayer(Profile.RFC_V1)
    layer.register(OffloadClass(name="v", conn_del=conn_del, batch_submit=batch_submit))
    layer.conn_del(Ctx.of(1))
    layer.submit(Batch([BatchOp(kind=OpType.POLICY, ctx=Ctx.of(1))]))
    assert [r.getMessage() for r in _records(caplog)] == [
        f"provider callback {conn_del!r} raised; counted as its failure value",
        f"provider callback {batch_submit!r} raised; counted as its failure value",
    ]


def test_a_missing_callback_is_skipped_silently(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="impl.calls")
    layer = OffloadLayer(Profile.STRICT)
    layer.register(OffloadClass(name="add-only", conn_add=lambda ctx: 0))
    assert layer.conn_add(Ctx.of(1)) == 0
    layer.conn_established(Ctx.of(1))
    assert layer.conn_update(Ctx.of(1)) == 0
    layer.flush()
    layer.conn_add(Ctx.of(2))
    layer.conn_del(Ctx.of(2))
    assert _records(caplog) == []


def test_the_callback_helpers_answer_as_documented() -> None:
    ctx = Ctx.of(1)

    def boom(*args: object) -> object:
        raise ValueError("no")

    assert (call_can(lambda c: 2, ctx), call_can(lambda c: 0, ctx), call_can(lambda c: "y", ctx)) == (True, False, None)
    assert call_can(boom, ctx) is None
    assert (call_int(lambda c: 7, ctx), call_int(lambda c: 7.0, ctx), call_int(boom, ctx)) == (7, None, None)
    assert (call_void(lambda c: None, ctx), call_void(boom, ctx)) == (True, False)
    answers: list[Callable[[Ctx], object]] = [lambda c: 16, lambda c: None, lambda c: True, lambda c: "x", boom]
    assert [call_status(fn, ctx) for fn in answers] == [16, 0, 0, 0, None]

    def boom_batch(entries: list[BatchEntry]) -> None:
        raise ValueError("no")

    assert (call_batch(lambda entries: None, []), call_batch(boom_batch, [])) == (True, False)


# --- strict: errnos of void callbacks, what natives write, batches of one -------------------------


def test_strict_counts_an_errno_returned_by_a_void_callback_and_the_rfc_profiles_ignore_it() -> None:
    def refusing(ctx: Ctx) -> int:
        return EBUSY

    def done(ctx: Ctx) -> bool:
        return True  # a bool is no errno: done

    for profile in Profile:
        layer = OffloadLayer(profile)
        layer.register(OffloadClass(name="p", conn_add=lambda ctx: 0, conn_established=refusing, conn_del=refusing))
        layer.conn_add(Ctx.of(1))
        batch = Batch([BatchOp(kind=OpType.EST, ctx=Ctx.of(1)), BatchOp(kind=OpType.DEL, ctx=Ctx.of(1))])
        layer.submit(batch)
        strict = profile is Profile.STRICT
        assert [r.error for r in batch.results()] == ([EBUSY, EBUSY] if strict else [0, 0])
        layer.conn_add(Ctx.of(2))
        layer.conn_established(Ctx.of(2))
        assert layer.mark(2) is (Mark.ADDED if strict else Mark.EST)
        assert layer.is_established(2) is not strict
    layer = OffloadLayer(Profile.STRICT)
    layer.register(OffloadClass(name="p", conn_add=lambda ctx: 0, conn_established=done))
    layer.conn_add(Ctx.of(1))
    layer.conn_established(Ctx.of(1))
    assert layer.is_established(1) and layer.is_offloaded(1) and not layer.is_established(2)


def test_strict_reads_what_a_native_provider_wrote_that_is_not_an_int_as_eio_or_no_timestamp() -> None:
    def writes(error: object, last_used: object) -> Callable[[list[BatchEntry]], None]:
        def batch_submit(entries: list[BatchEntry]) -> None:
            for entry in entries:
                entry.error, entry.last_used = error, last_used  # type: ignore[assignment]

        return batch_submit

    layer = OffloadLayer(Profile.STRICT)
    layer.register(OffloadClass(name="bad-error", batch_submit=writes("busy", 0)))
    assert layer.conn_add(Ctx.of(1)) == EIO
    layer = OffloadLayer(Profile.STRICT)
    layer.register(OffloadClass(name="bad-stamp", batch_submit=writes(0, "soon")))
    assert layer.conn_add(Ctx.of(1)) == 0
    batch = Batch([BatchOp(kind=OpType.UPD, ctx=Ctx.of(1))])
    layer.submit(batch)
    assert batch.results() == (BatchResult(error=ENODATA, last_used=0),)
    assert layer.conn_update(Ctx.of(1)) == 0


def test_the_single_op_path_hands_a_native_provider_a_batch_of_one_with_no_batch_index() -> None:
    handed: list[tuple[object, int]] = []

    def batch_submit(entries: list[BatchEntry]) -> None:
        handed.extend((entry.kind, entry.index) for entry in entries)

    native = OffloadClass(name="native", batch_submit=batch_submit)
    layer = OffloadLayer(Profile.STRICT)
    layer.register(native)
    assert layer.conn_add(Ctx.of(1)) == 0
    layer.conn_del(Ctx.of(1))
    assert handed == [(OpType.ADD, -1), (OpType.DEL, -1)]
    assert batch_of_one(native, OpType.POLICY, Ctx.of(3)) == (0, 0)
    plain = OffloadClass(name="plain", conn_add=lambda ctx: 0)
    with pytest.raises(ValueError) as refused:
        batch_of_one(plain, OpType.ADD, Ctx.of(1))
    assert str(refused.value) == f"{plain!r} has no batch_submit"
    with pytest.raises(ValueError) as refused:
        ask_void(plain, OpType.ADD, Ctx.of(1))
    assert str(refused.value) == "ADD is not a void op"


# --- the rest of the layer's surface ------------------------------------------------------------


def test_the_layer_describes_itself_and_the_default_layer_is_one_strict_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = OffloadLayer(Profile.RFC_V1)
    layer.register(OffloadClass(name="a", conn_add=lambda ctx: 0))
    layer.register(OffloadClass(name="b"))
    layer.conn_add(Ctx.of(1))
    assert repr(layer) == "OffloadLayer(rfc-v1, classes=['a', 'b'], offloaded=1)"
    monkeypatch.setattr(impl.layer, "_default", None)  # as in a fresh process: created on first use
    first = default_layer()
    assert isinstance(first, OffloadLayer) and first.profile is Profile.STRICT
    assert default_layer() is first


RFC_TAGS = (
    ("lock:acquire", "rfc:add:provider", "rfc:add:provider", "lock:released"),
    ("lock:acquire", "rfc:del:provider", "rfc:del:provider", "lock:released"),
)
STRICT_TAGS = (("lock:acquire", "strict:gated", "strict:asked", "strict:asked", "lock:released"),) * 2


@pytest.mark.parametrize(
    ("profile", "expected"), [(Profile.RFC_V1, RFC_TAGS), (Profile.STRICT, STRICT_TAGS)], ids=["rfc-v1", "strict"]
)
def test_the_yield_points_of_an_operation_name_where_it_is(
    profile: Profile, expected: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    layer = OffloadLayer(profile)
    for name in ("a", "b"):
        layer.register(OffloadClass(name=name, conn_add=lambda ctx: 0, conn_del=lambda ctx: None))
    tags: list[str] = []
    previous = sched.install(tags.append)
    try:
        layer.conn_add(Ctx.of(1))
        layer.conn_del(Ctx.of(1))
    finally:
        sched.install(previous)
    assert tags == [*expected[0], *expected[1]]
