"""The command line of ``python -m impl``: ``simulate`` runs the tracker simulation and summarises it.

Purpose: ``python -m impl simulate [--conns N] [--duration SECONDS] [--provider NAME]
[--profile rfc-v1|rfc-v2|strict] [--workers K] [--sweep-interval MS] [--no-batch] [--quiet]``
builds a layer of the profile, a provider from ``PROVIDERS``, registers it as TRACK-INIT says
(rfc profiles: through the dpif offload classes; strict: requested by name), runs
``impl.sim.Simulation`` for the virtual duration and prints a summary on stdout.

Promises:

- bad arguments are argparse errors naming the argument (exit status 2) and nothing runs;
- progress goes to stderr, about once a wall second, only for runs that last that long, and never
  with ``--quiet``; the summary goes to stdout; the exit status is 0 after a run;
- Ctrl-C (SIGINT) stops the run: every thread is stopped and joined (a second Ctrl-C meanwhile is
  ignored), the summary of what ran so far is printed under a first line saying it was
  interrupted, and the exit status is 130, with no traceback; ``--conns`` is generated lazily, so a
  huge one costs no memory up front and stays interruptible;
- a reader that goes away (``| head``) ends the command quietly with status 1, as Python advises
  for a broken pipe; a simulated-device state file that cannot be read
  (``impl.switchdev.sim_state_file``) is one line on stderr naming it, and status 2;
- a provider is added by adding a factory to ``PROVIDERS``: it gets the simulation's clock and
  returns the classes to register and how to read the provider's occupancy (and, optionally, a
  per-packet traffic hook and a device line for the summary); ``switchdev`` is the switchdev
  provider on the embedded simulated device, which sees every packet as hardware traffic.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from impl.clock import VirtualClock
from impl.dummy import DummyProvider
from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from impl.sim import SimProgress, Simulation
from impl.switchdev import sim_state_file
from impl.switchdev.provider import SwitchdevProvider
from impl.tracker import ConnTracker, TrackerConfig, register_providers
from model.vocab import Profile

__all__ = ["PROVIDERS", "ProviderSetup", "main"]


@dataclass(frozen=True, slots=True)
class ProviderSetup:
    """What a provider factory returns: the classes to register and the provider's occupancy;
    optionally a per-packet hook ``on_packet(flow, conn_id)`` (traffic the hardware sees) and a
    one-line description of the device for the summary."""

    classes: tuple[OffloadClass, ...]
    occupancy: Callable[[], int]
    on_packet: Callable[[int, int], None] | None = None
    details: Callable[[], str] | None = None


def _dummy(clock: VirtualClock) -> ProviderSetup:
    """The RFC's dummy provider, answering the virtual clock as its last-used time."""
    dummy = DummyProvider(clock=clock.now)
    return ProviderSetup(classes=(dummy.offload_class("dummy"),), occupancy=lambda: len(dummy))


def _none(clock: VirtualClock) -> ProviderSetup:
    """No provider at all: what offload does with nobody to take a connection."""
    return ProviderSetup(classes=(), occupancy=lambda: 0)


def _switchdev(clock: VirtualClock) -> ProviderSetup:
    """The switchdev provider on the embedded simulated device, fed every packet as hardware
    traffic: its last-used times are real, so idle connections expire under strict."""
    provider, device = SwitchdevProvider.simulated(clock=clock.now)
    saved = sim_state_file.load(sim_state_file.default_path(), clock=clock.now)  # python -m impl devlink's
    device.apply_devlink_state(saved.devlink_state())
    provider.refresh()

    def hit(flow: int, conn_id: int) -> None:
        device.hit(conn_id)

    def details() -> str:
        health = device.health()
        return (
            f"{device.conns} connections, occ {device.occupancy}/{device.size} entries, "
            f"device time {device.busy_ns / 1e6:.2f} ms, health {health.state} (errors: {health.err_count})"
        )

    return ProviderSetup(
        classes=(provider.offload_class(),), occupancy=lambda: device.conns, on_packet=hit, details=details
    )


#: Provider name -> factory.
PROVIDERS: dict[str, Callable[[VirtualClock], ProviderSetup]] = {
    "dummy": _dummy,
    "none": _none,
    "switchdev": _switchdev,
}


def _int_at_least(low: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be at least {low}, got {value}")
        return value

    return parse


def _fraction(text: str) -> float:
    """A number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"active must be a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"active must be between 0 and 1, got {text!r}")
    return value


def _seconds(text: str) -> int:
    """A positive number of seconds, as ms."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"duration must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or round(value * 1000) <= 0:
        raise argparse.ArgumentTypeError(f"duration must be a positive number of seconds, got {text!r}")
    return round(value * 1000)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m impl`` parser."""
    parser = argparse.ArgumentParser(prog="python -m impl", description="The ct-offload implementation's tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "devlink", help="devlink command line of the embedded simulated switchdev device", add_help=False
    )
    sim = commands.add_parser("simulate", help="run the threaded connection-tracker simulation in virtual time")
    sim.add_argument("--conns", type=_int_at_least(1, "conns"), default=1000, help="flows to open (default 1000)")
    sim.add_argument("--duration", type=_seconds, default=120_000, help="virtual seconds to run (default 120)")
    sim.add_argument("--provider", choices=sorted(PROVIDERS), default="dummy", help="offload provider")
    sim.add_argument("--profile", choices=[p.value for p in Profile], default="strict", help="semantics profile")
    sim.add_argument("--workers", type=_int_at_least(1, "workers"), default=4, help="worker threads (default 4)")
    sim.add_argument(
        "--sweep-interval", type=_int_at_least(1, "sweep-interval"), default=20_000, help="ms (default 20000)"
    )
    sim.add_argument("--active", type=_fraction, default=0.5, help="fraction of flows that keep sending (default 0.5)")
    sim.add_argument("--no-batch", action="store_true", help="refresh with one single-op UPD per connection")
    sim.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}={n}" for name, n in sorted(counts.items())) or "none"


class _ProgressPrinter:
    """Prints progress lines on stderr; the final line only if an earlier one was printed (a quick
    run prints nothing)."""

    def __init__(self) -> None:
        self.printed = False

    def __call__(self, p: SimProgress) -> None:
        if p.final and not self.printed:
            return
        self.printed = True
        end = "" if p.end is None else f"/{p.end / 1000:.0f}"
        print(
            f"[simulate] t={p.now / 1000:.0f}{end} s virtual, table={p.table_size}, created={p.stats.created}, "
            f"cleaned={p.stats.cleaned_total}, packets={p.packets}, wall={p.wall:.1f} s",
            file=sys.stderr,
            flush=True,
        )


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


def _run(sim: Simulation) -> tuple[SimProgress, bool]:
    """Run ``sim`` to its end or to Ctrl-C: the final counters and whether it was interrupted. Its
    threads are stopped and joined either way."""
    interrupted = False
    try:
        sim.start()
        sim.wait()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with _sigint_ignored():
            sim.stop()
    return sim.snapshot(final=True), interrupted


def simulate(args: argparse.Namespace) -> int:
    """Run one simulation as ``args`` say and print its summary."""
    profile = Profile.parse(args.profile)
    clock = VirtualClock()
    try:
        setup = PROVIDERS[args.provider](clock)
    except sim_state_file.StateFileError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
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
    progress = None if args.quiet else _ProgressPrinter()
    sim = Simulation(
        layer, tracker, clock, conns=args.conns, workers=args.workers, duration=args.duration,
        active_fraction=args.active, progress=progress, on_packet=setup.on_packet,
    )  # fmt: skip
    final, interrupted = _run(sim)
    stats = final.stats
    live = sum(1 for _, expiration, _, _ in tracker.table().values() if expiration > final.now)
    registered = ", ".join(f"{n}={c}" for n, c in zip(names, codes, strict=False)) or "none"
    lines = [
        *(
            [f"INTERRUPTED (Ctrl-C) at {final.now / 1000:g} s virtual: the counts below are partial"]
            if interrupted
            else []
        ),
        f"profile: {profile.value}; provider: {args.provider} (registered: {registered}); "
        f"sweep: {'batch' if config.batch_sweep else 'single-op'} every {config.sweep_interval} ms",
        f"flows: {args.conns} on {args.workers} workers, {args.active:.0%} active; "
        f"virtual time: {final.now / 1000:g} s; packets: {final.packets}",
        f"connections created: {stats.created}",
        f"offloaded (conn_add answered 0): {stats.offloaded}",
        f"established: {stats.established} (conn_established sent: {stats.est_sent})",
        f"refreshed by sweeps: {stats.refreshed}",
        f"cleaned: {stats.cleaned_total} ({_counts(stats.cleaned)})",
        f"sweep errors: {_counts(stats.sweep_errors)}",
        f"sweeps: {stats.sweeps} (batches submitted: {stats.batches}, single-op updates: {stats.updates})",
        f"provider occupancy: {setup.occupancy()}",
        *([f"device: {setup.details()}"] if setup.details is not None else []),
        f"final table size: {final.table_size} (live: {live})",
        f"wall time: {final.wall:.2f} s",
    ]
    print("\n".join(lines))
    return 130 if interrupted else 0


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
