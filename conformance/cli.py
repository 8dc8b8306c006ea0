"""Command line of the conformance suite: ``python -m conformance <command>``.

Purpose: the user-facing entry points of DESIGN.md section 5. ``scenarios`` reads scenarios on
stdin and writes results on stdout.

Promises: bad arguments exit with status 2 and a message naming the problem; results are written
one JSON object per line and flushed per line, so a driving program can interleave.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from conformance import contracts, docs_check, external, vectors
from conformance.bench import report
from conformance.errata_page import render
from conformance.impl_target import run_on_impl
from conformance.model_target import run_on_model
from conformance.runner import Target, answer, answer_all, answer_with
from conformance.tracker_scenario import TrackerRunner, TrackerScenario, parse_tracker_scenario, run_tracker
from conformance.tracker_targets import impl_tracker, model_tracker
from model.vocab import Profile

JSON = Any

TARGETS: dict[str, Target] = {"model": run_on_model, "impl": run_on_impl}
TrackerTarget = Callable[[TrackerScenario, Profile], TrackerRunner]
TRACKERS: dict[str, TrackerTarget] = {"model": model_tracker, "impl": impl_tracker}


def run_tracker_object(obj: JSON, target: TrackerTarget, profile: Profile) -> dict[str, JSON]:
    """Parse and run one tracker scenario."""
    scenario = parse_tracker_scenario(obj)
    return run_tracker(scenario, target(scenario, profile))


def _profile(text: str) -> Profile:
    try:
        return Profile.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parser(prog: str = "python -m conformance") -> argparse.ArgumentParser:
    """The argument parser of ``python -m conformance`` (``prog`` names the command in messages)."""
    top = argparse.ArgumentParser(prog=prog, description="ct-offload conformance suite")
    commands = top.add_subparsers(dest="command", required=True)
    scen = commands.add_parser("scenarios", help="run scenarios (JSON lines on stdin) and print results")
    scen.add_argument("--profile", required=True, type=_profile, help="rfc-v1, rfc-v2 or strict")
    scen.add_argument("--target", default="model", choices=sorted(TARGETS), help="what runs them (default: model)")
    track = commands.add_parser("tracker", help="run tracker scenarios (JSON lines on stdin) and print results")
    track.add_argument("--profile", required=True, type=_profile, help="rfc-v1, rfc-v2 or strict")
    track.add_argument("--target", default="model", choices=sorted(TRACKERS), help="what runs them (default: model)")
    con = commands.add_parser("contracts", help="check the model's contracts with CrossHair and report each")
    con.add_argument("--report", help="also write the report (markdown) to this file")
    con.add_argument("--jobs", type=int, default=2, help="contracts checked at once (default: 2)")
    bench = commands.add_parser("bench", help="run the benchmarks and report ratios measured in one run")
    bench.add_argument("--report", help="also write the report (markdown) to this file")
    bench.add_argument("only", nargs="*", help="benchmarks to run (default: all)")
    chk = commands.add_parser("check", help="check an external implementation against the model")
    chk.add_argument(
        "--external", required=True, help="the command that runs it (speaking the protocol on stdin/stdout)"
    )
    chk.add_argument("--profile", required=True, type=_profile, help="rfc-v1, rfc-v2 or strict")
    chk.add_argument("--count", type=int, default=300, help="scenarios to generate after the vectors (default 300)")
    chk.add_argument("--tracker", action="store_true", help="speak the tracker scenario protocol instead")
    chk.add_argument("--extensions", action="store_true", help="also use the project's protocol extensions")
    vec = commands.add_parser("vectors", help="write the vector files, or check they are up to date")
    vec.add_argument("--write", action="store_true", help="regenerate the files (default: check)")
    commands.add_parser("docs-check", help="check that docs/ cites rules and functions the model has")
    commands.add_parser("errata", help="print docs/errata.rst, generated from conformance/errata.py")
    return top


def main(argv: Sequence[str] | None = None, prog: str = "python -m conformance") -> int:
    """Run the command line; returns the exit status."""
    args = parser(prog).parse_args(argv)
    if args.command in ("scenarios", "tracker"):
        profile: Profile = args.profile
        if args.command == "scenarios":
            target = TARGETS[args.target]
            handle = partial(answer, target=target, profile=profile)
        else:
            tracker = TRACKERS[args.target]
            handle = partial(answer_with, handle=lambda obj: run_tracker_object(obj, tracker, profile))
        for result in answer_all(sys.stdin, handle):
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
        return 0
    if args.command == "contracts":
        return contracts.main(args.report, args.jobs)
    if args.command == "bench":
        return report.main(args.report, args.only)
    if args.command == "check":
        if args.count < 1:
            parser().error(f"--count must be at least 1, got {args.count}")
        return external.run(
            args.external, args.profile, count=args.count, tracker=args.tracker, extensions=args.extensions
        )
    if args.command == "vectors":
        return vectors.main(write=args.write)
    if args.command == "docs-check":
        return docs_check.main()
    if args.command == "errata":
        sys.stdout.write(render())
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")
