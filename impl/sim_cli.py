"""The command line of ``python -m impl``: ``simulate`` runs the tracker simulation and reports it.

Purpose: ``python -m impl simulate [options]`` (``impl.sim_args`` lists them: the run, the
traffic model, device faults, output) builds a layer of the profile and a provider from
``impl.sim_providers.PROVIDERS``, registers it as TRACK-INIT says (rfc profiles: through the dpif
offload classes; strict: requested by name), runs ``impl.sim.Simulation`` for the virtual
duration while ``impl.sim_timeline.Timeline`` records every sweep, and prints the summary of
``impl.sim_report`` on stdout: as text, or with ``--json`` as one JSON document; ``--timeline
FILE.csv`` writes the sweeps, ``--plot FILE.svg`` draws them (``impl.sim_plot``, matplotlib).

Promises:

- bad arguments are one line naming the argument (exit status 2) and nothing runs: argparse's
  errors, a fault or ``--device-entries`` without a device, an output file whose folder is
  missing, ``--plot`` without matplotlib (the line says how to install it), a simulated-device
  state file that cannot be read (``impl.switchdev.sim_state_file``);
- progress goes to stderr about once a wall second, only when stderr is a terminal (rewriting one
  line) or with ``--progress``, never with ``--quiet``; the summary goes to stdout; the exit
  status is 0 after a run, 1 if an output file could not be written (one line on stderr);
- Ctrl-C (SIGINT) stops the run: every thread is stopped and joined (a second Ctrl-C meanwhile is
  ignored), the summary of what ran so far is printed (text: under a first line saying it was
  interrupted; JSON: ``"interrupted": true``), the output files are written, and the exit status
  is 130, with no traceback; flows are generated as they arrive, so a huge ``--conns`` costs no
  memory up front and stays interruptible;
- a reader that goes away (``| head``) ends the command quietly with status 1, as Python advises
  for a broken pipe; the JSON is standard (no NaN or Infinity).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from impl.clock import VirtualClock
from impl.layer import OffloadLayer
from impl.sim import Simulation
from impl.sim_args import add_arguments, check_outputs, faults_of, traffic_of
from impl.sim_plot import missing, write_plot
from impl.sim_progress import ProgressPrinter
from impl.sim_providers import PROVIDERS, ProviderSetup
from impl.sim_report import RunFacts, render, summarise
from impl.sim_timeline import Timeline
from impl.switchdev import sim_state_file
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile

__all__ = ["PROVIDERS", "ProviderSetup", "build_parser", "main"]

#: How often (wall seconds) the main thread looks for a Ctrl-C while the simulation runs.
SIGNAL_POLL = 0.2


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m impl`` parser."""
    parser = argparse.ArgumentParser(prog="python -m impl", description="The ct-offload implementation's tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "devlink", help="devlink command line of the embedded simulated switchdev device", add_help=False
    )
    sim = commands.add_parser(
        "simulate",
        help="run the threaded connection-tracker simulation in virtual time",
        description="Run impl's threaded connection tracker over an offload provider on a virtual clock: flows "
        "arrive and go idle as the traffic model says, offloaded flows send in hardware, and the sweep keeps or "
        "cleans their connections. Prints a summary with rates, the steady state and each anomaly's cause.",
    )
    add_arguments(sim, sorted(PROVIDERS))
    return parser


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C in the block (in the main thread; elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(sim: Simulation) -> bool:
    """Run ``sim`` to its end or to Ctrl-C: whether it was interrupted. Its threads are stopped and
    joined either way."""
    interrupted = False
    try:
        sim.start()
        # A timed wait, again and again: a Ctrl-C that lands just before an untimed wait blocks would
        # only be noticed when the run ends; after each timeout the interpreter checks for it.
        while not sim.wait(SIGNAL_POLL):
            pass
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with _sigint_ignored():
            sim.stop()
    return interrupted


def _refuse(message: str) -> int:
    print(f"simulate: {message}", file=sys.stderr)
    return 2


def simulate(args: argparse.Namespace) -> int:
    """Run one simulation as ``args`` say and report it."""
    problem = check_outputs(args) or (missing() if args.plot is not None else None)
    if problem is not None:
        return _refuse(problem)
    try:
        traffic = traffic_of(args)
    except ValueError as exc:
        return _refuse(str(exc))
    profile, faults = Profile.parse(args.profile), faults_of(args)
    clock = VirtualClock()
    try:
        setup = PROVIDERS[args.provider](clock, faults=faults, entries=args.device_entries, seed=args.seed)
    except (sim_state_file.StateFileError, ValueError, TypeError, OSError) as exc:
        return _refuse(str(exc))
    names = tuple(cls.name for cls in setup.classes)
    config = TrackerConfig(
        sweep_interval=args.sweep_interval,
        dpif_classes=tuple(dict.fromkeys(TrackerConfig().dpif_classes + names)),
        requested=names if profile is Profile.STRICT else (),
        batch_sweep=not args.no_batch,
    )
    layer = OffloadLayer(profile)
    codes = register_providers(layer, setup.classes, config)
    tracker = ConnTracker(layer, config)
    timeline = Timeline(tracker, layer, setup)
    show = args.progress or (not args.quiet and sys.stderr.isatty())
    printer = ProgressPrinter(sys.stderr, in_place=sys.stderr.isatty()) if show else None
    sim = Simulation(
        layer, tracker, clock, conns=args.conns, workers=args.workers, duration=round(args.duration * 1000),
        traffic=traffic, seed=args.seed, progress=printer, hardware=setup.hardware,
        on_sweep=lambda now, report: timeline.record(sim, now, report),
    )  # fmt: skip
    interrupted = _run(sim)
    if interrupted and printer is not None:
        printer.interrupted()
    registered = dict(zip(names, codes, strict=False))  # TRACK-INIT registers all of them, in order
    facts = RunFacts(
        profile=profile, provider=args.provider, registered=registered, config=config, traffic=traffic,
        seed=args.seed, conns=args.conns, workers=args.workers, faults=faults, final=sim.snapshot(final=True),
        interrupted=interrupted, rows=timeline.rows, setup=setup, tracker=tracker, layer=layer,
    )  # fmt: skip
    summary = summarise(facts)
    written = _write_outputs(args, timeline, summary)
    print(json.dumps(summary, allow_nan=False) if args.json else render(summary))
    return 130 if interrupted else written


def _write_outputs(args: argparse.Namespace, timeline: Timeline, summary: dict[str, object]) -> int:
    """Write ``--timeline`` and ``--plot``: 0, or 1 after one line on stderr per file not written."""
    status = 0
    settings = summary["settings"]
    assert isinstance(settings, dict)
    title = f"{settings['provider']} provider, {settings['profile']}, seed {settings['seed']}"
    for option, path in (("timeline", args.timeline), ("plot", args.plot)):
        if path is None:
            continue
        try:
            if option == "timeline":
                timeline.write_csv(path)
            else:
                write_plot(timeline.rows, path, title=title)
        except OSError as exc:
            print(f"simulate: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m impl``: parse ``argv`` and run the command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "simulate":
        try:
            status = simulate(args)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes at exit
            return 1
        except KeyboardInterrupt:  # before the run started or while the summary was printed
            print("simulate: interrupted", file=sys.stderr)
            return 130
        return status
    parser.error(f"unknown command {args.command!r}")  # unreachable: argparse refused it already
