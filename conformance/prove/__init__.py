"""``python -m conformance prove``: a bounded exhaustive checker of the model's laws and of impl == model.

Purpose: CrossHair confirms the contracts on inputs small enough to exhaust symbolically
(``conformance.contracts``); this package enumerates every case of larger, stated scopes
concretely: ``scope`` says what a scope is and enumerates it, ``scopes`` names the scopes,
``checks`` decides one case of one law, ``run`` drives the enumeration and reports.

Promises: each law is reported per profile as "holds for all N cases within scope S" or with its
minimal counterexample; the exit status is non-zero on any failure.
"""

from __future__ import annotations

from conformance.prove.run import main

__all__ = ["main"]
