"""The Hypothesis profile of mutation testing (``nox -s mutants``), as a pytest plugin.

Purpose: mutmut runs the tests once per mutant and counts any failure as a kill; what Hypothesis
then spends shrinking the failing example (minutes for a state machine) buys nothing there. This
plugin, loaded with ``-p conformance.mutants_profile`` (``[tool.mutmut] pytest_add_cli_args``),
registers the profile ``mutants``: the ``ci`` profile (same examples, derandomised, no database)
without the shrink and explain phases. The tests' conftest loads it when ``HYPOTHESIS_PROFILE`` is
``mutants``, as the nox session sets it.

Promises: importing the module only registers the profile (it loads none and changes nothing
else); a test passes under ``mutants`` exactly when it passes under ``ci``, since both generate
the same examples.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

#: The profile's name, for ``HYPOTHESIS_PROFILE``.
NAME = "mutants"

settings.register_profile(
    NAME,
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
