"""ct-offload reference model: the executable specification of the connection-tracking offload layer.

Purpose: a pure, immutable model of dispatch, batch submission and per-connection offload marks in
three profiles (rfc-v1, rfc-v2, strict). ``model.step.step`` is the oracle; ``model.rfc`` states the
posted RFC's rules, ``model.strict`` and ``model.strict_batch`` the project's corrected ones.

Promises: imports only the standard library and ``immutables``; no threads, no I/O, no clocks (time
is an argument). ``model.vocab``, ``model.conn`` and ``model.ops`` are vocabulary that ``impl`` may
import; every other module holds semantics that ``impl`` must not use.
"""
