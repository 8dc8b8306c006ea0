"""The options of ``python -m impl simulate``: the parser, its value types and what they build.

Purpose: ``add_arguments`` declares every option of the ``simulate`` command (the run, the
traffic model, the device faults, the output); ``traffic_of`` and ``faults_of`` turn parsed
arguments into an ``impl.sim_traffic.TrafficModel`` and the ``SimDevice.set_faults`` knobs;
``check_outputs`` checks the output files before anything runs.

Promises: a bad value is an argparse error naming the option (exit status 2) and nothing runs;
numbers are plain ASCII decimals (``inf`` only where a lifetime may be the whole run); times are
given in seconds and become ms; ``--active`` is the first simulations' model (a share of flows
sends for the whole run, the others open and go idle) and cannot be mixed with the options it
stands for; ``check_outputs`` returns one line naming the first output file that cannot be
written (its folder missing, or the path a folder), else None.
"""

from __future__ import annotations

import argparse
import errno
import math
import re
from collections.abc import Callable
from pathlib import Path

from impl.sim_traffic import TrafficModel
from model.vocab import Profile

__all__ = ["add_arguments", "check_outputs", "faults_of", "traffic_of"]

_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def _number(what: str, text: str, *, allow_inf: bool = False) -> float:
    if allow_inf and text in ("inf", "infinity"):
        return math.inf
    if not _DECIMAL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{what} must be a non-negative decimal number, got {text!r}")
    return float(text)


def _int_at_least(low: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit():
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}")
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be at least {low}, got {value}")
        return value

    return parse


def _seconds(what: str, *, positive: bool = True, allow_inf: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = _number(what, text, allow_inf=allow_inf)
        if math.isinf(value):
            return value
        if positive and round(value * 1000) <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be a positive number of seconds, got {text!r}")
        return value

    return parse


def _fraction(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = _number(what, text)
        if value > 1.0:
            raise argparse.ArgumentTypeError(f"{what} must be between 0 and 1, got {text!r}")
        return value

    return parse


def _rate(text: str) -> float:
    value = _number("rate", text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"rate must be a positive number of flows per second, got {text!r}")
    return value


def _fail_next(text: str) -> tuple[int, int]:
    """``COUNT[:ERRNO]``, ERRNO a number or a name (default EIO)."""
    count, _, name = text.partition(":")
    if not count.isascii() or not count.isdigit():
        raise argparse.ArgumentTypeError(f"fail-next must be COUNT[:ERRNO], got {text!r}")
    if not name:
        return int(count), errno.EIO
    if name.isascii() and name.isdigit() and 1 <= int(name) <= 4095:
        return int(count), int(name)
    number = getattr(errno, name, None) if name.isascii() and name.isupper() else None
    if not isinstance(number, int):
        raise argparse.ArgumentTypeError(f"fail-next: {name!r} is not an errno (a name such as EIO, or 1-4095)")
    return int(count), number


def add_arguments(sim: argparse.ArgumentParser, providers: list[str]) -> None:
    """Declare every option of ``simulate`` on ``sim``."""
    run = sim.add_argument_group("the run")
    run.add_argument("--provider", choices=providers, default="dummy", help="offload provider (default dummy)")
    run.add_argument(
        "--profile", choices=[p.value for p in Profile], default="strict", help="semantics profile (default strict)"
    )
    run.add_argument(
        "--duration", type=_seconds("duration"), default=600.0, metavar="S", help="virtual seconds (default 600)"
    )
    run.add_argument(
        "--conns", type=_int_at_least(1, "conns"), metavar="N", help="the most flows to open (default: no limit)"
    )
    run.add_argument(
        "--workers", type=_int_at_least(1, "workers"), default=4, metavar="K", help="worker threads (default 4)"
    )
    run.add_argument(
        "--sweep-interval",
        type=_int_at_least(1, "sweep-interval"),
        default=20_000,
        metavar="MS",
        help="the sweep period in ms (default 20000)",
    )
    run.add_argument("--no-batch", action="store_true", help="refresh with one single-op UPD per connection")
    run.add_argument(
        "--seed", type=_int_at_least(0, "seed"), default=0, metavar="N", help="seed of the traffic and faults"
    )
    traffic = sim.add_argument_group("the traffic (Poisson arrivals, exponential lifetimes)")
    traffic.add_argument(
        "--rate", type=_rate, default=10.0, metavar="R", help="flows arriving per virtual second (default 10)"
    )
    traffic.add_argument(
        "--lifetime",
        type=_seconds("lifetime", positive=False),
        metavar="S",
        help="mean seconds a flow sends (default 30)",
    )
    traffic.add_argument(
        "--long-share", type=_fraction("long-share"), metavar="F", help="share of long-lived flows (default 0.1)"
    )
    traffic.add_argument(
        "--long-lifetime",
        type=_seconds("long-lifetime", positive=False, allow_inf=True),
        metavar="S",
        help="mean seconds a long-lived flow sends, or inf for the whole run (default 120)",
    )
    traffic.add_argument(
        "--interval",
        type=_seconds("interval"),
        default=10.0,
        metavar="S",
        help="seconds between a flow's exchanges (default 10)",
    )
    traffic.add_argument(
        "--active",
        type=_fraction("active"),
        metavar="F",
        help="the first model: this share of flows sends for the whole run, the others only open "
        "(= --long-share F --long-lifetime inf --lifetime 0)",
    )
    faults = sim.add_argument_group("device faults (--provider switchdev; on top of `devlink dev fault`)")
    faults.add_argument(
        "--fail-rate", type=_fraction("fail-rate"), metavar="P", help="chance that a device op fails with EIO"
    )
    faults.add_argument("--fail-next", type=_fail_next, metavar="COUNT[:ERRNO]", help="the next COUNT device ops fail")
    faults.add_argument("--table-full", action="store_true", help="the device refuses every INSERT (ENOSPC)")
    faults.add_argument("--stuck-queue", action="store_true", help="the device never completes its queue")
    faults.add_argument(
        "--device-entries", type=_int_at_least(1, "device-entries"), metavar="N", help="size of /ct/entries"
    )
    output = sim.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the summary as one JSON document")
    output.add_argument("--timeline", type=Path, metavar="FILE.csv", help="write one CSV row per sweep")
    output.add_argument("--plot", type=Path, metavar="FILE.svg", help="draw the run (needs matplotlib)")
    shown = output.add_mutually_exclusive_group()
    shown.add_argument(
        "--quiet", action="store_true", help="no progress (default: progress on stderr when it is a terminal)"
    )
    shown.add_argument("--progress", action="store_true", help="progress on stderr even when it is not a terminal")


def traffic_of(args: argparse.Namespace) -> TrafficModel:
    """The traffic model the arguments ask for (ValueError naming a conflict)."""
    interval = max(1, round(args.interval * 1000))
    if args.active is not None:
        mixed = [name for name in ("lifetime", "long_share", "long_lifetime") if getattr(args, name) is not None]
        if mixed:
            raise ValueError(f"--active cannot be combined with --{mixed[0].replace('_', '-')}")
        return TrafficModel.always_on(args.active, rate=args.rate, interval=interval)
    defaults = TrafficModel()
    long_lifetime = defaults.long_lifetime
    if args.long_lifetime is not None:
        long_lifetime = None if math.isinf(args.long_lifetime) else round(args.long_lifetime * 1000)
    return TrafficModel(
        rate=args.rate,
        lifetime=defaults.lifetime if args.lifetime is None else round(args.lifetime * 1000),
        long_share=defaults.long_share if args.long_share is None else args.long_share,
        long_lifetime=long_lifetime,
        interval=interval,
    )


def faults_of(args: argparse.Namespace) -> dict[str, object]:
    """The ``SimDevice.set_faults`` knobs the arguments set (empty: none)."""
    faults: dict[str, object] = {}
    if args.fail_rate is not None:
        faults["fail_rate"] = args.fail_rate
    if args.fail_next is not None:
        faults["fail_next_count"], faults["fail_next_errno"] = args.fail_next
    if args.table_full:
        faults["force_full"] = True
    if args.stuck_queue:
        faults["stuck_queue"] = True
    return faults


def check_outputs(args: argparse.Namespace) -> str | None:
    """One line naming the first output file that cannot be written, or None."""
    for option, path in (("--timeline", args.timeline), ("--plot", args.plot)):
        if path is None:
            continue
        if path.is_dir():
            return f"{option} {path}: is a directory"
        folder = path.parent
        if not folder.is_dir():
            return f"{option} {path}: no such directory {folder}"
    if args.timeline is not None and args.timeline == args.plot:
        return f"--timeline and --plot both name {args.timeline}"
    return None
