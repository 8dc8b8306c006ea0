"""ct-offload implementation: the mutable, threaded offload layer users import as a library.

Purpose: the registry, single-op and batch dispatch, and per-connection marks, with real providers.
It may import ``model``'s vocabulary (``model.vocab``, ``model.conn``, ``model.ops``) and nothing of
its semantics, so that checking one against the other means something.
"""
