"""ct-offload implementation: the mutable, threaded offload layer users import as a library.

Purpose: the registry, single-op and batch dispatch, and per-connection marks, with real providers.
It may import ``model``'s vocabulary (``model.vocab``, ``model.conn``, ``model.ops``) and nothing of
its semantics, so that checking one against the other means something.

Modules: ``impl.layer`` (``OffloadLayer``, the public API), ``impl.provider`` (``OffloadClass``),
``impl.batch`` (``Batch``, ``BatchEntry``), ``impl.dummy`` (the RFC's dummy provider); the rules
live in ``impl.rfc_dispatch`` (rfc-v1, rfc-v2) and ``impl.strict_rules``, ``impl.strict_dispatch``,
``impl.strict_batch`` (strict); ``impl.marks``, ``impl.lock`` and ``impl.calls`` support them.
"""
