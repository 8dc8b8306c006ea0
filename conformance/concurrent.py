"""Concurrent conformance: run threads of operations on impl, record the history, check it.

Purpose: the glue of layer 2 of the suite (docs/conformance.rst). ``run_threads`` drives one ``ImplRunner`` from several
threads (under the deterministic ``Scheduler`` when choices are given, on real free-running threads
otherwise) and returns the history; ``verdict_of_run`` checks it against the model from the same
initial state.

Promises: every operation a thread runs is recorded; the model state the checker starts from is
the one ``ModelRunner`` builds from the same provider declarations.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from conformance.history import History, Operation
from conformance.impl_target import ImplRunner
from conformance.linearizability import Verdict, check
from conformance.model_target import ModelRunner
from conformance.scenario import ProviderDecl
from conformance.scheduler import Scheduler
from model.ops import LayerOp, Register
from model.vocab import Profile

NOW = 7


def prepared(providers: tuple[ProviderDecl, ...], profile: Profile) -> tuple[ImplRunner, ModelRunner]:
    """The implementation and the model, side by side, with every declared provider registered."""
    impl, model = ImplRunner(providers, profile), ModelRunner(providers, profile)
    for ident in range(len(providers)):
        impl.apply(Register(provider=ident), NOW)
        model.apply(Register(provider=ident), NOW)
    return impl, model


def run_threads(
    impl: ImplRunner, threads: Sequence[Sequence[LayerOp]], choices: Sequence[int] | None = None
) -> tuple[Operation, ...]:
    """Run each list of ops in its own thread against ``impl``; the recorded history."""
    history = History()

    def worker(index: int, ops: Sequence[LayerOp]) -> None:
        for op in ops:
            history.run(index, op, NOW, lambda op=op: impl.perform(op))  # type: ignore[misc]

    bodies = [lambda i=i, ops=ops: worker(i, ops) for i, ops in enumerate(threads)]
    if choices is not None:
        Scheduler(choices).run(bodies)
    else:
        started = [threading.Thread(target=body) for body in bodies]
        for t in started:
            t.start()
        for t in started:
            t.join(timeout=60)
    return history.operations()


def verdict_of_run(model: ModelRunner, history: Sequence[Operation]) -> Verdict:
    """Whether ``history`` is linearizable from the model's state."""
    return check(history, model.state)
