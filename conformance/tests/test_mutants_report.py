"""The mutation report reads an equivalence judgement from the mutated line, or from the deleted one.

``conformance.mutants_report.judgement`` matches a survivor's diff against
``conformance.mutants_equivalent.EQUIVALENT``: by its first added line, or, for a mutant that only
deletes lines, by its first deleted line prefixed with ``-``; a survivor nothing records is
unjudged (a gap in the tests until someone reads it).
"""

from __future__ import annotations

from conformance.mutants_report import Mutant, judgement

DELETION = """\
--- model/tracker_sweep.py
+++ model/tracker_sweep.py
@@ -240,5 +240,3 @@
         case Sweep():
             return sweep(state, now)
-        case _:
-            assert_never(op)
"""

CHANGE = """\
--- model/tracker_sweep.py
+++ model/tracker_sweep.py
@@ -240,5 +240,5 @@
         case _:
-            assert_never(op)
+            assert_never(None)
"""

UNKNOWN = """\
--- model/tracker_sweep.py
+++ model/tracker_sweep.py
@@ -240,5 +240,5 @@
-            return sweep(state, now)
+            return sweep(state, None)
"""


def mutant(number: int) -> Mutant:
    return Mutant(name=f"model.tracker_sweep.x_tracker_step__mutmut_{number}", status="survived", seconds=1.0)


def test_a_deletion_is_judged_by_its_first_deleted_line() -> None:
    reason = judgement(mutant(8), DELETION)
    assert reason is not None and "unreachable" in reason


def test_a_change_is_judged_by_its_added_line() -> None:
    reason = judgement(mutant(55), CHANGE)
    assert reason is not None and "unreachable" in reason


def test_a_survivor_nobody_judged_stays_unjudged() -> None:
    assert judgement(mutant(9), UNKNOWN) is None
    assert judgement(mutant(9), None) is None
