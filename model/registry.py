"""Registration of provider classes (``ct_offload_register`` / ``ct_offload_unregister``).

Purpose: the registry rules, which the three profiles share except for what unregistering does to
the per-connection records (strict: ``model.strict.unregister``).

Promises: pure functions of (state, class index); the registry only ever holds distinct names.
"""

from __future__ import annotations

from dataclasses import replace

from model.invoke import Raised, invoke_init
from model.ops import Call, Trace
from model.state import LayerState
from model.vocab import Callback, Errno


def register(state: LayerState, ident: int, now: int = 0) -> tuple[LayerState, Trace, int]:
    """Rule REG-ADD: register class ``ident``; returns 0 or an errno.

    1. If a registered class has the same name, answer EEXIST without calling ``init`` (so a class
       cannot be registered twice either).
    2. Otherwise call ``init`` if the class has one; a non-zero answer (or a raising ``init``,
       answered EIO) is returned and the class is not added.
    3. Otherwise append the class: providers are iterated in registration order.
    """
    name = state.spec(ident).name
    if any(state.spec(other).name == name for other in state.registry):
        return state, (), Errno.EEXIST
    calls: tuple[Call, ...] = ()
    if state.spec(ident).has(Callback.INIT):
        state, call, answer = invoke_init(state, ident, now)
        calls = (call,)
        error = Errno.EIO if isinstance(answer, Raised) else answer
        if error:
            return state, calls, error
    return replace(state, registry=(*state.registry, ident)), calls, 0


def unregister(state: LayerState, ident: int) -> tuple[LayerState, Trace, None]:
    """Rule REG-DEL (rfc profiles): remove class ``ident`` if registered; an unknown class is a
    no-op. Matching is by the class itself, so a class with the same name as a removed one may
    register afterwards. No mark is touched (erratum E-UNREG-MARKS)."""
    if not state.is_registered(ident):
        return state, (), None
    return replace(state, registry=tuple(i for i in state.registry if i != ident)), (), None
