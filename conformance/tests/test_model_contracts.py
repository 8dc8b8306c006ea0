"""The laws CrossHair checks (``model.laws``'s ``check_*`` restatements), run concretely on a grid
of their inputs: a fast stand-in for the contracts in the mutation run of the model, where CrossHair
itself would take minutes per mutant."""

from __future__ import annotations

from itertools import product

import pytest

from model import laws

pytestmark = pytest.mark.conformance
ERRORS = (0, 1, 28, 95, -1)
STAMPS = (0, 7, -1)


def test_mark_transitions_and_hidden_native_errors() -> None:
    for profile, before, kind, error, native in product(range(3), range(3), range(6), ERRORS, (False, True)):
        assert laws.check_mark_transitions(profile, before, kind, error, native)
    assert all(laws.check_rfc_hides_native_errors(error) for error in ERRORS)


def test_rfc_versions_differ_only_in_upd() -> None:
    for kind, before, error, stamp, native in product(range(-1, 7), range(3), ERRORS, STAMPS, (False, True)):
        assert laws.check_rfc_versions_differ_only_in_upd(kind, before, error, stamp, native)


def test_strict_batch_refines() -> None:
    pairs = [(a, b) for a in (0, 28, 95) for b in (0, 28, 95)]
    flags = [(a, b) for a in (True, False) for b in (True, False)]
    for errors, stamps, allowed, natives in product(pairs, ((7, 0), (0, 9)), flags, range(4)):
        for kind, null in product(range(-1, 7), (False, True)):
            assert laws.check_strict_batch_refines(errors, stamps, allowed, natives, kind, null)
        for held, kind in product(range(1, 4), range(6)):
            assert laws.check_strict_batch_refines_held(errors, stamps, allowed, natives, held, kind)


def test_segments() -> None:
    ops = list(product(range(7), (-1, 0, 1)))
    for length in range(3):
        for batch in product(ops, repeat=length):
            assert laws.check_segments(tuple(k for k, _ in batch), tuple(c for _, c in batch))
