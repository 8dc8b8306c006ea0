"""One CrossHair run on one contract, in a process of its own (``conformance.contracts`` starts it).

Purpose: ``crosshair check`` reports a verdict per condition but not what it explored; this module
calls CrossHair's analysis itself (``crosshair.core_and_libs.analyze_function``), condition by
condition, with a budget of paths (``max_iterations``) and CPU-time safety nets, counting the paths
explored and whether the search was exhausted (CrossHair's own statistics). ``--pre EXPR`` adds a
precondition (``conformance.contracts.SCOPED``), compiled in the contract's module, before the
contract's own. ``python -m conformance.contracts_worker TARGET --max-iterations N [--pre EXPR]...``

Promises: prints one JSON line per condition: ``condition`` (its text), ``status`` ("confirmed"
only when CrossHair exhausted every path and found no counterexample, "refuted" with the
counterexample in ``detail``, else "not confirmed"), ``paths``, ``exhausted``, ``seconds`` (CPU);
exit status 0 when it could analyse the target, 2 otherwise. CrossHair is imported at run time, so
the rest of the suite does not need it installed.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any


def analyse(target: str, iterations: int, path_limit: float, condition_limit: float, pres: Sequence[str]) -> int:
    """Check every condition of ``target``; print one JSON line each."""
    core: Any = importlib.import_module("crosshair.core_and_libs")
    options: Any = importlib.import_module("crosshair.options")
    parser: Any = importlib.import_module("crosshair.condition_parser")
    module_name, _, name = target.rpartition(".")
    module = importlib.import_module(module_name)
    func = getattr(module, name)
    option_set = options.AnalysisOptionSet(
        max_iterations=iterations,
        per_path_timeout=path_limit,
        per_condition_timeout=condition_limit,
        max_uninteresting_iterations=0,  # no cut-off for "uninteresting" paths: only the budget counts
        report_all=True,
    )
    added = [
        parser.condition_from_source_text(
            parser.ConditionExprType.PRECONDITION, inspect.getfile(func), 1, text, vars(module)
        )
        for text in pres
    ]
    checkables = core.analyze_function(func, option_set)
    if not checkables:
        print(f"contracts_worker: {target} has no condition CrossHair can check", file=sys.stderr)
        return 2
    for checkable in checkables:
        conditions = getattr(checkable, "conditions", None)
        if conditions is None:
            messages = [m.message for m in checkable.analyze()]
            print(f"contracts_worker: {target}: {'; '.join(messages)}", file=sys.stderr)
            return 2
        checkable.conditions = replace(conditions, pre=[*added, *conditions.pre])
        checkable.options.stats = Counter()
        start = time.process_time()
        messages = list(checkable.analyze())
        seconds = time.process_time() - start
        stats = checkable.options.stats
        exhausted = stats["exhaustion"] > 0
        kinds = {m.state.name for m in messages}
        if kinds & {"POST_FAIL", "POST_ERR", "EXEC_ERR", "PRE_UNSAT", "SYNTAX_ERR", "IMPORT_ERR"}:
            status = "refuted"
        elif "CONFIRMED" in kinds and exhausted:
            status = "confirmed"
        else:
            status = "not confirmed"
        detail = "; ".join(m.message for m in messages if status == "refuted")
        row = {
            "condition": conditions.post[0].expr_source,
            "status": status,
            "detail": detail,
            "paths": stats["num_paths"],
            "exhausted": exhausted,
            "seconds": round(seconds, 1),
        }
        print(json.dumps(row), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m conformance.contracts_worker", description=__doc__.split("\n")[0])
    parser.add_argument("target", help="the contract: module.function")
    parser.add_argument("--max-iterations", type=int, required=True, help="paths the search may explore")
    parser.add_argument("--per-path-timeout", type=float, default=60.0, help="CPU seconds per path (safety net)")
    parser.add_argument("--per-condition-timeout", type=float, default=1800.0, help="CPU seconds per condition")
    parser.add_argument("--pre", action="append", default=[], help="an added precondition (repeatable)")
    args = parser.parse_args(argv)
    return analyse(args.target, args.max_iterations, args.per_path_timeout, args.per_condition_timeout, args.pre)


if __name__ == "__main__":
    sys.exit(main())
