"""Command line of the conformance suite: ``python -m conformance <command>``.

Purpose: the user-facing entry points of the scenario protocol (docs/spec.rst). ``scenarios`` reads scenarios on
stdin and writes results on stdout.

Promises: bad arguments exit with status 2 and a message naming the problem; ``scenarios`` and
``tracker`` answer every non-blank input line with one JSON line, flushed per line, so a driving
program can interleave, and exit 0 at the end of the input whatever the lines held
(``conformance.runner.serve``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from conformance import contracts, docs_check, external, vectors
from conformance.bench import report
from conformance.errata_page import render
from conformance.impl_target import run_on_impl
from conformance.model_target import run_on_model
from conformance.outcome import encode
from conformance.ovs import cli as ovs_cli
from conformance.prove import run as prove_run
from conformance.runner import Target, serve_stdio
from conformance.scenario import parse_scenario
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


def run_scenario_object(obj: JSON, target: Target, profile: Profile) -> dict[str, JSON]:
    """Parse and run one scenario."""
    return encode(target(parse_scenario(obj), profile))


def stream_handle(command: str, target: str, profile: Profile) -> Callable[[JSON], dict[str, JSON]]:
    """What answers one parsed line of the ``scenarios`` or ``tracker`` stream on ``target``
    (``conformance.runner.serve`` runs it for every line, on stdin or in a test)."""
    if command == "scenarios":
        return partial(run_scenario_object, target=TARGETS[target], profile=profile)
    return partial(run_tracker_object, target=TRACKERS[target], profile=profile)


def _profile(text: str) -> Profile:
    try:
        return Profile.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


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
    bench.add_argument(
        "--cprofile",
        type=_positive,
        default=0,
        metavar="N",
        help="also run each benchmark's workloads once under cProfile, after its timed runs, and report "
        "their top N functions by own time (default: off)",
    )
    bench.add_argument("only", nargs="*", help="benchmarks to run (default: all)")
    chk = commands.add_parser("check", help="check an external implementation against the model")
    chk.add_argument(
        "--external", required=True, help="the command that runs it (speaking the protocol on stdin/stdout)"
    )
    chk.add_argument("--profile", required=True, type=_profile, help="rfc-v1, rfc-v2 or strict")
    chk.add_argument(
        "--count",
        type=int,
        default=external.DEFAULT_COUNT,
        help=f"scenarios to generate after the vectors (default {external.DEFAULT_COUNT})",
    )
    chk.add_argument("--seed", type=int, help="the generator's seed, to repeat a run (default: drawn, and printed)")
    chk.add_argument(
        "--timeout",
        type=float,
        default=external.DEFAULT_TIMEOUT,
        help=f"seconds the program has to answer one scenario (default {external.DEFAULT_TIMEOUT:g})",
    )
    chk.add_argument("--tracker", action="store_true", help="speak the tracker scenario protocol instead")
    chk.add_argument("--extensions", action="store_true", help="also use the project's protocol extensions")
    vec = commands.add_parser("vectors", help="write the vector files, or check they are up to date")
    vec.add_argument("--write", action="store_true", help="regenerate the files (default: check)")
    commands.add_parser("docs-check", help="check that docs/ cites rules and functions the model has")
    prove_run.add_arguments(commands.add_parser("prove", help="check every law on every case of a stated scope"))
    commands.add_parser("errata", help="print docs/errata.rst, generated from conformance/errata.py")
    ovs_cli.add_parser(commands)
    return top


def main(argv: Sequence[str] | None = None, prog: str = "python -m conformance") -> int:
    """Run the command line; returns the exit status."""
    args = parser(prog).parse_args(argv)
    if args.command in ("scenarios", "tracker"):
        return serve_stdio(stream_handle(args.command, args.target, args.profile))
    if args.command == "contracts":
        return contracts.main(args.report, args.jobs)
    if args.command == "bench":
        return report.main(args.report, args.only, args.cprofile)
    if args.command == "check":
        if args.count < 1:
            parser(prog).error(f"--count must be at least 1, got {args.count}")
        if not args.timeout > 0:
            parser(prog).error(f"--timeout must be a positive number of seconds, got {args.timeout}")
        return external.run(
            args.external,
            args.profile,
            count=args.count,
            seed=args.seed,
            timeout=args.timeout,
            tracker=args.tracker,
            extensions=args.extensions,
        )
    if args.command == "vectors":
        return vectors.main(write=args.write)
    if args.command == "docs-check":
        return docs_check.main()
    if args.command == "prove":
        return prove_run.run(args.scope, args.jobs, args.report)
    if args.command == "ovs":
        return ovs_cli.main(args)
    if args.command == "errata":
        sys.stdout.write(render())
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")
