"""The named scopes of ``python -m conformance prove``: ``small`` (CI) and ``published`` (the docs).

Purpose: the bounds every law is proven within, stated once: docs/conformance.rst ('Proven within a
scope') quotes them, and the report prints them in words (``conformance.prove.scope.describe``).
Each family spends the budget on one dimension: ``shapes`` on which callbacks a provider has,
``batches`` on batch contents, ``pairs`` on two providers meeting, ``faults`` on raising
callbacks, bad batch answers, failed ``init``, a missing private slot and late registration,
``refine`` on three-op batches for the batch refinement law.

Promises: ``published`` runs in under 10 minutes on 2 cores; ``small`` in about a minute; every
family of ``small`` is a sub-family of the ``published`` family of the same name.
"""

from __future__ import annotations

from conformance.prove.scope import Family, Scope
from model.vocab import Callback, Errno

_ERR = int(Errno.ENOSPC)
_VOIDS = frozenset({Callback.DEL, Callback.EST, Callback.FLUSH})

PUBLISHED = Scope(
    name="published",
    families=(
        Family(name="shapes", providers=(0, 1), can0=(True, False), add0=(0, _ERR), upd0=(0, 7), steps=2),
        Family(
            name="batches",
            providers=(1,),
            callbacks=(Callback.ADD, Callback.UPD, Callback.CAN, Callback.BATCH),
            always=_VOIDS,
            can0=(True, False),
            add0=(0, _ERR),
            upd0=(0, 7),
            steps=1,
            batch_ops=2,
            refine_ops=2,
        ),
        Family(
            name="pairs",
            providers=(2,),
            callbacks=(Callback.CAN, Callback.BATCH),
            always=_VOIDS | {Callback.ADD, Callback.UPD},
            can0=(True, False),
            add0=(0, _ERR),
            upd0=(7,),
            steps=2,
            refine_ops=1,
        ),
        Family(
            name="faults",
            providers=(1,),
            callbacks=(Callback.ADD, Callback.CAN, Callback.BATCH),
            always=_VOIDS | {Callback.UPD},
            add0=(0, _ERR),
            upd0=(7,),
            raising=True,
            batch_error0=(None, _ERR),
            init=(None, 12),
            slots=(True, False),
            register_at_start=(True, False),
            steps=1,
            batch_ops=1,
        ),
        Family(
            name="refine",
            providers=(2,),
            callbacks=(Callback.BATCH,),
            always=_VOIDS | {Callback.ADD, Callback.UPD, Callback.CAN},
            can0=(True, False),
            add0=(_ERR,),
            upd0=(7,),
            batch_error0=(None, _ERR),
            steps=0,
            scenarios=False,
            refine_ops=3,
        ),
    ),
    segment_ops=4,
    verdicts=5,
)

SMALL = Scope(
    name="small",
    families=(
        Family(name="shapes", providers=(0, 1), can0=(True, False), add0=(0, _ERR), upd0=(7,), steps=1),
        Family(
            name="batches",
            providers=(1,),
            callbacks=(Callback.CAN, Callback.BATCH),
            always=_VOIDS | {Callback.ADD, Callback.UPD},
            can0=(True, False),
            add0=(0, _ERR),
            upd0=(7,),
            steps=1,
            batch_ops=2,
            refine_ops=2,
        ),
        Family(
            name="pairs",
            providers=(2,),
            callbacks=(Callback.BATCH,),
            always=_VOIDS | {Callback.ADD, Callback.UPD, Callback.CAN},
            can0=(True, False),
            add0=(0, _ERR),
            upd0=(7,),
            steps=1,
            batch_ops=1,
            refine_ops=1,
        ),
        Family(
            name="faults",
            providers=(1,),
            callbacks=(Callback.ADD, Callback.BATCH),
            always=_VOIDS | {Callback.UPD, Callback.CAN},
            upd0=(7,),
            raising=True,
            batch_error0=(None, _ERR),
            init=(None, 12),
            slots=(True, False),
            register_at_start=(True, False),
            steps=1,
            batch_ops=1,
        ),
    ),
    segment_ops=3,
    verdicts=4,
)

SCOPES = {scope.name: scope for scope in (SMALL, PUBLISHED)}
