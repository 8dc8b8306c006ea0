"""ct-offload conformance suite: checks implementations (impl, or any external program) against the model.

Purpose: the scenario protocol, the targets that run scenarios, and the command line
(``python -m conformance``). Nothing imports this package; it imports ``model`` and ``impl``.
"""
