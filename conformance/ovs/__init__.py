"""The C conformance kit: Open vSwitch's ``lib/ct-offload.c`` checked by this suite.

Purpose: let the real C code of the RFC series (or of any Open vSwitch tree that carries it) speak
the scenario protocol, so that the vectors, ``python -m conformance check --external`` and every
other check of the suite apply to it unchanged. The kit is:

- ``c/test-ct-offload-scenarios.c``, a harness written in the style of an OVS ``tests/test-*.c``
  program: it drives the public API of ``lib/ct-offload.h`` with scripted providers that are real
  ``struct ct_offload_class`` members, and answers one result line per scenario line;
- ``c/include/``, minimal stand-ins for the OVS headers ``lib/ct-offload.c`` and
  ``lib/ct-offload-dummy.c`` include, and ``c/standins.c`` behind them, so that the default build
  needs nothing of the tree but those two files and their headers;
- ``conformance.ovs.build`` (compile the harness for a tree given by path),
  ``conformance.ovs.replay`` (replay the committed vectors against a built harness) and
  ``conformance.ovs.cli`` (``python -m conformance ovs build|replay``).

Promises: nothing of an OVS tree is copied into this package; a tree is always taken by path, and
what is compiled from it is compiled where it lies (through a temporary directory that is removed).
"""
