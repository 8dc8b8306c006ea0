"""CrossHair contracts that relate impl to the model: a fresh impl layer and the model agree.

Purpose: the model checks itself through ``model.laws``; these contracts check impl against it
symbolically. Each ``check_*`` function builds one scenario of the protocol from small builtin
values that CrossHair draws -- which callbacks a scripted provider has, what it answers, which op
follows an ADD -- runs it on a fresh ``impl.layer.OffloadLayer`` (``conformance.impl_target``) and
on the model (``model.step.step``), and compares the observables (result, provider call trace,
marks) after every step, as ``conformance.prove.checks.impl_equals_model`` does (where the rfc
profiles prescribe nothing, RFC-NULL, ``conformance.outcome.agrees`` decides). One contract per
profile, so the three are checked side by side. ``python -m conformance contracts`` runs them with
the model's own contracts and must explore every path of each.

Promises: each ``check_*`` is pure apart from building and discarding one impl layer per call; its
postcondition is ``__return__``; impl takes nothing from the model here (the scenario's providers
are the scenario's inputs, ``conformance.impl_target``).
"""

from __future__ import annotations

from conformance.prove.checks import impl_equals_model, impl_outcome, model_outcome, specs_of
from conformance.prove.scope import Step, scenario
from conformance.scenario import ProviderDecl
from model.vocab import Callback, OpType, Profile

#: What may follow the first step (an ADD of connection 0): every single op on connection 0, and a
#: batch of one op of every type value (6: invalid) on connection 0 or a NULL connection.
SECOND: tuple[Step, ...] = (
    ("add", 0),
    ("del", 0),
    ("upd", 0),
    ("est", 0),
    ("can", 0),
    ("flush",),
    *(("batch", ((kind, 0),)) for kind in (*(t.value for t in OpType), 6)),
    *(("batch", ((kind, None),)) for kind in (OpType.ADD, OpType.FLUSH, OpType.UPD)),
)


def _provider(has_can: bool, native: bool, allowed: bool, add_error: int, stamp: int) -> ProviderDecl:
    """A scripted provider with ``conn_add``, ``conn_del``, ``conn_update``, ``conn_established``
    and ``flush``, plus ``can_offload`` and ``batch_submit`` as asked, answering connection 0 so."""
    callbacks = {Callback.ADD, Callback.DEL, Callback.UPD, Callback.EST, Callback.FLUSH}
    if has_can:
        callbacks.add(Callback.CAN)
    if native:
        callbacks.add(Callback.BATCH)
    return ProviderDecl(
        name="p0",
        kind="scripted",
        callbacks=frozenset(callbacks),
        init=None,
        can=((0, allowed),),
        add=((0, add_error),),
        upd=((0, stamp),),
        batch_errors=(),
        raises=frozenset(),
    )


def _agrees(profile: Profile, decl: ProviderDecl, second: int) -> bool:
    world = (decl,)
    steps = (("add", 0), SECOND[second])
    scen = scenario(world, steps)
    return impl_equals_model(model_outcome(specs_of(world), scen, profile), impl_outcome(scen, profile))


def check_impl_matches_model_rfc_v1(  # noqa: PLR0917 (CrossHair passes arguments positionally)
    has_can: bool, native: bool, allowed: bool, add_error: int, stamp: int, second: int
) -> bool:
    """rfc-v1: impl and the model agree on [add 0, SECOND[second]] for one scripted provider with
    or without ``can_offload`` and ``batch_submit`` and any of the answers below.

    pre: add_error in (0, 28)
    pre: stamp in (0, 7)
    pre: 0 <= second < len(SECOND)
    post: __return__
    """
    # crosshair: max_iterations=2000
    return _agrees(Profile.RFC_V1, _provider(has_can, native, allowed, add_error, stamp), second)


def check_impl_matches_model_rfc_v2(  # noqa: PLR0917
    has_can: bool, native: bool, allowed: bool, add_error: int, stamp: int, second: int
) -> bool:
    """rfc-v2: as ``check_impl_matches_model_rfc_v1``.

    pre: add_error in (0, 28)
    pre: stamp in (0, 7)
    pre: 0 <= second < len(SECOND)
    post: __return__
    """
    # crosshair: max_iterations=2000
    return _agrees(Profile.RFC_V2, _provider(has_can, native, allowed, add_error, stamp), second)


def check_impl_matches_model_strict(  # noqa: PLR0917
    has_can: bool, native: bool, allowed: bool, add_error: int, stamp: int, second: int
) -> bool:
    """strict: as ``check_impl_matches_model_rfc_v1``.

    pre: add_error in (0, 28)
    pre: stamp in (0, 7)
    pre: 0 <= second < len(SECOND)
    post: __return__
    """
    # crosshair: max_iterations=2000
    return _agrees(Profile.STRICT, _provider(has_can, native, allowed, add_error, stamp), second)
