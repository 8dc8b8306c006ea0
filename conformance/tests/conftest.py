"""Hypothesis profiles of the test run, chosen by the HYPOTHESIS_PROFILE environment variable.

``ci`` (the default of ``nox -s tests``): derandomised, modest budgets, no example database, so CI
replays the same examples every run. ``conformance``: larger budgets, still derandomised. ``deep``:
large budgets, random, with the example database, for nightly runs. ``dev``: Hypothesis defaults.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "conformance", max_examples=600, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile("deep", max_examples=20_000, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
