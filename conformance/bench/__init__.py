"""Benchmarks of the project (``python -m conformance bench``, the ``nox -s bench`` session).

Purpose: measure speed as ratios taken in one run on one machine, never as absolute thresholds in
tests. Each benchmark module exposes ``run() -> Section``; ``conformance.bench.report`` writes them.
Most also expose ``workloads()``, the work of their figures' sides, which ``bench --cprofile N``
profiles once after the timed runs (``conformance.bench.profiling``).
"""
