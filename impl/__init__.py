"""ct-offload implementation: the mutable, threaded offload layer users import as a library.

Purpose: the registry, single-op and batch dispatch, and per-connection marks, with real providers.
It may import ``model``'s vocabulary (``model.vocab``, ``model.conn``, ``model.ops``) and nothing of
its semantics, so that checking one against the other means something.

Modules: ``impl.layer`` (``OffloadLayer``, the public API), ``impl.provider`` (``OffloadClass``),
``impl.batch`` (``Batch``, ``BatchEntry``), ``impl.dummy`` (the RFC's dummy provider); the rules
live in ``impl.rfc_dispatch`` (rfc-v1, rfc-v2) and ``impl.strict_rules``, ``impl.strict_dispatch``,
``impl.strict_batch`` (strict); ``impl.marks``, ``impl.lock`` and ``impl.calls`` support them.

The connection tracker that drives the layer as OVS's conntrack does (docs/spec.rst, TRACK-*):
``impl.tracker`` (``ConnTracker``, ``TrackerConfig``, ``register_providers``, ``SweepReport``),
with ``impl.tracker_config``, ``impl.tracker_table`` and ``impl.tracker_sweep``; its threaded
simulation in virtual time: ``impl.sim`` (``Simulation``) and ``impl.clock`` (``VirtualClock``);
the command line ``python -m impl simulate``: ``impl.sim_cli``.
"""
