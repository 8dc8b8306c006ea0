"""A linearizability checker for histories of layer operations, against the model.

Purpose: layer 2 of the suite (docs/conformance.rst). Given a history (``conformance.history``) and the model's
initial state, decide whether some sequential order of the operations, consistent with their
real-time order, explains every result under ``model.step.step``. The search is Wing & Gong's with
Lowe's memoisation on (set of linearized operations, model state); an operation with an unknown
outcome may be placed anywhere after its invocation, or nowhere.

Partitioning: operations that name one connection (single ops, mark queries, batches of one
connection) only read and change that connection's record, the registry and the providers' state
for it, and their results depend on nothing else; operations on different connections therefore
commute, and a window of such operations is checked one connection at a time (P-compositionality).
Registration, flush and batches spanning several connections are global: where one is quiescent
(no other operation overlaps it) it is a barrier between windows; the set of model states that
can hold at a barrier is carried across it.

Promises: ``check`` answers OK, FAIL (with the first operation that cannot be placed, the model's
expected result for it, and the longest linearizable prefix) or UNKNOWN (the carried state set
grew beyond ``max_states``); it never answers OK for a history that is not linearizable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product

from conformance import summary
from conformance.history import Operation
from model.ops import Add, CanOffload, Delete, Established, LayerOp, QueryMark, Result, SubmitBatch, Update
from model.state import LayerState
from model.step import step
from model.vocab import Errno, Mark

Step = Callable[[LayerState, LayerOp, int], tuple[LayerState, Result]]


def model_step(state: LayerState, op: LayerOp, now: int) -> tuple[LayerState, Result]:
    """The model's step, keeping only the result (the observable a history records)."""
    state, observation = step(state, op, now)
    return state, observation.result


@dataclass(frozen=True, slots=True)
class Verdict:
    """The checker's answer."""

    status: str  # "ok", "fail" or "unknown"
    linearization: tuple[int, ...] = ()
    failed: Operation | None = None
    expected: Result = None
    prefix: tuple[int, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the history is linearizable."""
        return self.status == "ok"


def state_key(state: LayerState) -> object:
    """What distinguishes two model states of one history (the world and profile never change):
    cheap to hash, since the persistent maps cache their hashes."""
    return (state.registry, state.pstates, state.records)


def connection_of(op: LayerOp) -> int | None:
    """The one connection an operation touches, or None for a global operation."""
    match op:
        case Add(ctx=ctx) | Delete(ctx=ctx) | Update(ctx=ctx) | Established(ctx=ctx) | CanOffload(ctx=ctx):
            return ctx.conn_id
        case QueryMark(conn=conn):
            return conn
        case SubmitBatch(ops=ops):
            conns = {o.conn_id for o in ops}
            return conns.pop() if len(conns) == 1 and len(ops) > 0 else None
        case _:
            return None


@dataclass
class _Search:
    """State of one exhaustive WGL search over ``ops`` from ``start``."""

    ops: Sequence[Operation]
    start: LayerState
    step: Step
    ends: dict[LayerState, tuple[int, ...]] = field(default_factory=dict)
    best: tuple[int, ...] = ()
    blocked: tuple[Operation, Result] | None = None


def _search(ops: Sequence[Operation], start: LayerState, stepper: Step, *, all_ends: bool) -> _Search:
    """Every end state reachable by a valid linearization of ``ops`` from ``start`` (one witness
    order each); with ``all_ends`` False, stop at the first."""
    found = _Search(ops=ops, start=start, step=stepper)
    n = len(ops)
    known = [i for i in range(n) if not ops[i].unknown]
    seen: set[tuple[int, object]] = set()
    order: list[int] = []

    def minimal(done: int) -> list[int]:
        """The operations that may go next: not done, and invoked before every pending return."""
        pending = [ret for i in known if not done >> i & 1 and (ret := ops[i].ret) is not None]
        first_return = min(pending, default=None)
        return [i for i in range(n) if not done >> i & 1 and (first_return is None or ops[i].call < first_return)]

    def visit(done: int, state: LayerState) -> bool:
        memo = (done, state_key(state))
        if memo in seen:
            return False
        seen.add(memo)
        if len(order) > len(found.best):
            found.best = tuple(order)
        if all(done >> i & 1 for i in known):
            found.ends.setdefault(state, tuple(order))
            if not all_ends:
                return True
        for i in minimal(done):
            operation = ops[i]
            after, result = stepper(state, operation.op, operation.now)
            if not operation.unknown and result != operation.result:
                if found.blocked is None or len(order) >= len(found.best):
                    found.blocked = (operation, result)
                continue
            order.append(i)
            stop = visit(done | 1 << i, after)
            order.pop()
            if stop:
                return True
        return False

    visit(0, start)
    return found


def _window(
    ops: Sequence[Operation], starts: dict[LayerState, tuple[int, ...]], stepper: Step, max_states: int
) -> tuple[dict[LayerState, tuple[int, ...]], _Search | None]:
    """End states (with a witness order of global ids) of a window of operations, from each start."""
    ends: dict[LayerState, tuple[int, ...]] = {}
    last: _Search | None = None
    by_conn: dict[int | None, list[Operation]] = {}
    for operation in ops:
        by_conn.setdefault(connection_of(operation.op), []).append(operation)
    partitioned = None not in by_conn and len(by_conn) > 1
    for start, witness in starts.items():
        if partitioned:
            parts = [_search(part, start, stepper, all_ends=True) for part in by_conn.values()]
            failing = next((p for p in parts if not p.ends), None)
            if failing is not None:
                last = failing
                continue
            if sum(1 for _ in product(*(p.ends.values() for p in parts))) <= max_states:
                for orders in product(*([(p.ops, o) for o in p.ends.values()] for p in parts)):
                    state, sequence = start, list(witness)
                    for part_ops, order in orders:
                        for i in order:
                            state, _ = stepper(state, part_ops[i].op, part_ops[i].now)
                            sequence.append(part_ops[i].id)
                    ends.setdefault(state, tuple(sequence))
                continue
        whole = _search(ops, start, stepper, all_ends=True)
        last = whole
        for state, order in whole.ends.items():
            ends.setdefault(state, (*witness, *(ops[i].id for i in order)))
    return ends, (None if ends else last)


def _barriers(ops: Sequence[Operation]) -> list[int]:
    """Positions (in call order) of global operations no other operation overlaps."""
    out = []
    for k, operation in enumerate(ops):
        if connection_of(operation.op) is not None or operation.unknown:
            continue
        assert operation.ret is not None
        alone = all(
            other is operation or (other.ret is not None and other.ret < operation.call) or other.call > operation.ret
            for other in ops
        )
        if alone:
            out.append(k)
    return out


def check(
    history: Sequence[Operation], start: LayerState, stepper: Step = model_step, *, max_states: int = 256
) -> Verdict:
    """Decide whether ``history`` is linearizable from ``start`` under ``stepper``."""
    summary.count("histories")
    summary.count("history ops", len(history))
    ops = sorted(history, key=lambda o: o.call)
    states: dict[LayerState, tuple[int, ...]] = {start: ()}
    cuts = _barriers(ops)
    lo = 0
    for cut in [*cuts, len(ops)]:
        window = ops[lo:cut]
        if window:
            states, failed = _window(window, states, stepper, max_states)
            if not states:
                return _failure(failed, window)
        if cut < len(ops):
            barrier = ops[cut]
            after: dict[LayerState, tuple[int, ...]] = {}
            expected: Result = None
            for state, witness in states.items():
                new, result = stepper(state, barrier.op, barrier.now)
                expected = result
                if result == barrier.result:
                    after.setdefault(new, (*witness, barrier.id))
            if not after:
                return Verdict(
                    status="fail",
                    failed=barrier,
                    expected=expected,
                    prefix=next(iter(states.values())),
                    detail="a barrier operation answered what no reachable state gives",
                )
            states = after
        if len(states) > max_states:
            return Verdict(status="unknown", detail=f"more than {max_states} model states can hold at once")
        lo = cut + 1
    return Verdict(status="ok", linearization=next(iter(states.values())))


def _failure(search: _Search | None, window: Sequence[Operation]) -> Verdict:
    if search is None:
        return Verdict(status="fail", detail="no linearization")
    prefix = tuple(search.ops[i].id for i in search.best)
    if search.blocked is not None:
        operation, expected = search.blocked
        return Verdict(status="fail", failed=operation, expected=expected, prefix=prefix)
    pending = [o for o in search.ops if o.id not in prefix and not o.unknown]
    first = min(pending, key=lambda o: o.ret or 0) if pending else None
    return Verdict(status="fail", failed=first, prefix=prefix)


def swim_lanes(history: Sequence[Operation], verdict: Verdict | None = None) -> str:
    """The history as one column per thread, one row per event in time order; the operation that
    cannot be placed is marked, with the model's expected result."""
    threads = sorted({o.thread for o in history})
    width = 34
    events: list[tuple[int, int, str]] = []
    for o in history:
        name = _describe(o.op)
        events.append((o.call, o.thread, f"> {name}"))
        mark = " !!" if verdict is not None and verdict.failed is not None and verdict.failed.id == o.id else ""
        if o.ret is None:
            events.append((10**18, o.thread, f"< ? (unknown){mark}"))
        else:
            events.append((o.ret, o.thread, f"< {_short(o.result)}{mark}"))
    lines = ["  ".join(f"thread {t}".ljust(width) for t in threads)]
    for _, thread, text in sorted(events):
        cells = [text[:width].ljust(width) if t == thread else " " * width for t in threads]
        lines.append("  ".join(cells).rstrip())
    if verdict is not None and verdict.failed is not None:
        lines.append("")
        lines.append(f"first operation that cannot be placed: #{verdict.failed.id} {_describe(verdict.failed.op)}")
        lines.append(f"  it answered {_short(verdict.failed.result)}; the model expected {_short(verdict.expected)}")
        lines.append(f"  longest linearizable prefix: {list(verdict.prefix)}")
    return "\n".join(lines)


def _describe(op: LayerOp) -> str:
    conn = connection_of(op)
    name = type(op).__name__
    if isinstance(op, SubmitBatch):
        kinds = ",".join(getattr(o.kind, "name", str(o.kind)) for o in op.ops)
        return f"{name}[{kinds}]" + (f"({conn})" if conn is not None else "")
    return f"{name}({conn})" if conn is not None else name


def _short(result: Result) -> str:
    if isinstance(result, tuple):
        return "[" + ",".join(str(r.error) for r in result) + "]"
    if isinstance(result, Mark):
        return result.name
    if isinstance(result, Errno):
        return f"{int(result)} ({result.name})"
    return repr(result)
