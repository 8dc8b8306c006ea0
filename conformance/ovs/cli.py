"""The ``ovs`` command of ``python -m conformance``: build the C harness for a tree, replay the vectors.

Purpose: ``python -m conformance ovs build --tree TREE --out BIN [--ovs-build DIR] [--sanitize]`` and
``python -m conformance ovs replay --bin BIN --profile rfc-v1|rfc-v2|strict``. ``conformance.cli``
only adds this parser (``add_parser``) and hands the parsed arguments to ``main``.

Promises: ``main`` returns the exit status: 0 on success, 1 when vectors disagree, 2 with one line
``error: ...`` naming the problem when the harness cannot be built (no C compiler, no tree, no
``lib/ct-offload.c``) or run; a compiler error is followed by the compiler's output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.ovs import build, replay
from model.vocab import Profile


def _profile(text: str) -> Profile:
    try:
        return Profile.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ovs build`` and ``ovs replay`` to the commands of ``python -m conformance``."""
    ovs = commands.add_parser("ovs", help="the C conformance kit: build the harness for an OVS tree, replay vectors")
    steps = ovs.add_subparsers(dest="ovs_command", required=True)
    make = steps.add_parser("build", help="build the C harness for an Open vSwitch tree")
    make.add_argument("--tree", required=True, type=Path, help="the Open vSwitch tree (its lib/ct-offload.c)")
    make.add_argument("--out", required=True, type=Path, help="where to write the harness program")
    make.add_argument(
        "--ovs-build",
        type=Path,
        help="link against this configured and built tree's libopenvswitch.a instead (untested by the kit)",
    )
    make.add_argument(
        "--sanitize", action="store_true", help="with the address and undefined-behaviour sanitizers (slower)"
    )
    again = steps.add_parser("replay", help="replay the committed layer vectors against a built harness")
    again.add_argument("--bin", required=True, type=Path, help="the harness program (from ovs build)")
    again.add_argument("--profile", required=True, type=_profile, help="rfc-v1, rfc-v2 or strict")
    again.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer (default 30)")


def main(args: argparse.Namespace) -> int:
    """Run ``ovs build`` or ``ovs replay``; the exit status."""
    if args.ovs_command == "build":
        try:
            built = build.build(args.tree, args.out, ovs_build=args.ovs_build, sanitize=args.sanitize)
        except build.BuildError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if built.tree_warnings:
            print(f"note: the compiler warned about the tree's files:\n{built.tree_warnings}", file=sys.stderr)
        mode = "against the configured build (untested mode)" if args.ovs_build else "with the kit's stand-in headers"
        print(f"built {built.binary} from {args.tree.resolve() / 'lib/ct-offload.c'} {mode}")
        return 0
    return replay.main(args.bin, args.profile, timeout=args.timeout)
