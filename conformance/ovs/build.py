"""Building the C harness (``c/test-ct-offload-scenarios.c``) for an Open vSwitch tree given by path.

Purpose: ``python -m conformance ovs build --tree TREE --out BIN``. The default build compiles the
tree's ``lib/ct-offload.c`` and ``lib/ct-offload-dummy.c`` (when present) with the kit's stand-in
headers (``c/include``) and links them with the harness and ``c/standins.c``: it needs a C compiler
and those files, nothing else of the tree, and takes about a second. ``ovs_build`` (``--ovs-build
DIR``) links the harness against a configured and built tree's static ``libopenvswitch.a`` instead;
that mode is NOT exercised by this project's tests (no configured OVS tree here) and says so.
``sanitize`` (``--sanitize``) builds either way with AddressSanitizer and UndefinedBehaviorSanitizer.

Promises: ``build`` writes the program to ``out`` or raises ``BuildError`` with a message whose
first line says what is wrong (no C compiler: ``$CC`` or ``cc``/``gcc``/``clang`` on PATH; no tree;
no ``lib/ct-offload.c``; a compiler error, followed by the compiler's output). Our own C is
compiled with ``-Wall -Wextra -Werror``; the tree's files with the warnings OVS itself enables
(reported, never fatal: they are not ours). Intermediate files live in a temporary directory that
is removed, and ``out`` is replaced atomically, so a failed build leaves no file behind.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

C_DIR = Path(__file__).resolve().parent / "c"
HARNESS = C_DIR / "test-ct-offload-scenarios.c"
STANDINS = C_DIR / "standins.c"
WRAP_TIME = C_DIR / "wrap-time.c"
STANDIN_INCLUDE = C_DIR / "include"
OVSTEST_INCLUDE = C_DIR / "ovstest"
COMPILERS = ("cc", "gcc", "clang")

#: Flags for the kit's own C.
OURS = ("-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror")
#: Flags for the tree's C: the warnings OVS's configure enables, never fatal here.
THEIRS = ("-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Wno-sign-compare", "-Wno-unused-parameter")
#: What the harness needs of the build: its clock (time_msec() answers the step's time).
DEFINES = ("-DCT_HARNESS_TIME",)
#: ``sanitize``: AddressSanitizer and UndefinedBehaviorSanitizer, stopping at the first report, so
#: that a memory error of the code under test is a crash the harness reports, never silent.
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")


class BuildError(Exception):
    """The harness cannot be built; the first line of the message says why."""


@dataclass(frozen=True, slots=True)
class Built:
    """A built harness: where it is, and what the compiler said about the tree's files."""

    binary: Path
    tree_warnings: str


def find_compiler(env: Mapping[str, str] | None = None) -> list[str]:
    """The C compiler's command: ``$CC`` when set, else the first of cc, gcc, clang on PATH."""
    environ = os.environ if env is None else env
    chosen = environ.get("CC", "").strip()
    if chosen:
        argv = shlex.split(chosen)
        if shutil.which(argv[0], path=environ.get("PATH")) is None:
            raise BuildError(f"no C compiler: $CC is {chosen!r}, which is not a program on PATH")
        return argv
    for name in COMPILERS:
        found = shutil.which(name, path=environ.get("PATH"))
        if found is not None:
            return [found]
    raise BuildError("no C compiler: set $CC or install cc, gcc or clang")


def tree_file(tree: Path, name: str) -> Path:
    """``tree/lib/name``, which must exist."""
    if not tree.is_dir():
        raise BuildError(f"no Open vSwitch tree at {tree} (not a directory)")
    path = tree / "lib" / name
    if not path.is_file():
        raise BuildError(f"no lib/{name} in {tree} (is the ct-offload series applied to this tree?)")
    return path


def _run(argv: Sequence[str], what: str) -> str:
    """Run a compiler command; its diagnostics, or BuildError naming ``what`` failed."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BuildError(f"cannot run the C compiler {argv[0]!r}: {exc.strerror}") from exc
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise BuildError(f"{what} failed (exit status {done.returncode}):\n{output}\ncommand: {shlex.join(argv)}")
    return output


def _located_copy(source: Path, scratch: Path) -> Path:
    """A copy of the tree's ``source`` in ``scratch`` whose diagnostics name ``source``.

    Why a copy: ``#include "x.h"`` looks first in the directory of the including file, so compiled
    where it lies, ``lib/ct-offload.c`` would take the tree's own ``lib/conntrack.h``,
    ``lib/util.h`` and so on (which need a configured tree) before any stand-in. The copy lives in a
    temporary directory and starts with a ``#line`` directive, so every warning and error points at
    the tree's file.
    """
    copy = scratch / source.name
    quoted = str(source).replace("\\", "\\\\").replace('"', '\\"')
    copy.write_text(f'#line 1 "{quoted}"\n' + source.read_text(errors="surrogateescape"), errors="surrogateescape")
    return copy


def _libtool_libs(la_file: Path) -> list[str]:
    """The link flags a libtool ``.la`` file says its library needs (``dependency_libs``)."""
    flags: list[str] = []
    for line in la_file.read_text(errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("inherited_linker_flags", "dependency_libs"):
            for word in shlex.split(value.strip().strip("'")):
                if word.endswith(".la"):  # another libtool library: link it by name from its directory
                    path = Path(word)
                    flags += [f"-L{path.parent}", f"-l{path.stem.removeprefix('lib')}"]
                else:
                    flags.append(word)
    return flags


def _link(compiler: list[str], objects: Sequence[Path], extra: Sequence[str], out: Path) -> None:
    """Link ``objects`` into ``out``, replacing it atomically."""
    out = out.resolve()
    staging = out.parent / f".{out.name}.{os.getpid()}.tmp"
    try:
        _run([*compiler, "-o", str(staging), *map(str, objects), *extra, "-lpthread"], "linking the harness")
        os.replace(staging, out)
    finally:
        staging.unlink(missing_ok=True)


def build(
    tree: Path,
    out: Path,
    *,
    ovs_build: Path | None = None,
    sanitize: bool = False,
    env: Mapping[str, str] | None = None,
) -> Built:
    """Build the harness for ``tree`` into ``out`` (see the module docstring for the two modes);
    ``sanitize`` adds the compiler's address and undefined-behaviour sanitizers (``SANITIZE``)."""
    tree = tree.resolve()
    core = tree_file(tree, "ct-offload.c")
    tree_file(tree, "ct-offload.h")
    if not out.resolve().parent.is_dir():
        raise BuildError(f"cannot write {out}: no directory {out.resolve().parent}")
    compiler = find_compiler(env) + (list(SANITIZE) if sanitize else [])
    if ovs_build is not None:
        return _build_against_ovs(tree, ovs_build.resolve(), out, compiler)
    dummy = tree / "lib" / "ct-offload-dummy.c"
    theirs = [core] + ([dummy] if dummy.is_file() else [])
    includes = [f"-I{STANDIN_INCLUDE}", f"-I{tree / 'lib'}"]
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ct-offload-harness-") as tmp:
        scratch = Path(tmp)
        objects: list[Path] = []
        for source in theirs:
            obj = scratch / f"{source.stem}.o"
            said = _run(
                [*compiler, *THEIRS, *includes, "-c", str(_located_copy(source, scratch)), "-o", str(obj)],
                f"compiling {source}",
            )
            if said:
                warnings.append(said)
            objects.append(obj)
        for source in (HARNESS, STANDINS):
            obj = scratch / f"{source.stem}.o"
            # The tree's headers as system headers: -Werror is for our code, not for theirs.
            ours = [f"-I{OVSTEST_INCLUDE}", f"-I{STANDIN_INCLUDE}", f"-isystem{tree / 'lib'}"]
            _run([*compiler, *OURS, *DEFINES, *ours, "-c", str(source), "-o", str(obj)], f"compiling {source}")
            objects.append(obj)
        _link(compiler, objects, [], out)
    return Built(binary=out.resolve(), tree_warnings="\n".join(warnings))


def _build_against_ovs(tree: Path, build_dir: Path, out: Path, compiler: list[str]) -> Built:
    """UNTESTED here: link the harness against ``build_dir``'s ``lib/.libs/libopenvswitch.a``.

    The tree's ``lib/ct-offload.c`` is then whatever that library was built from (run ``make`` in
    ``build_dir`` first). The dummy's ``time_msec()`` is redirected to the harness's clock with
    ``-Wl,--wrap=time_msec``, which works for a static archive with GNU ld or lld.
    """
    archive = build_dir / "lib" / ".libs" / "libopenvswitch.a"
    if not (build_dir / "config.h").is_file():
        raise BuildError(f"no config.h in {build_dir} (not a configured Open vSwitch build directory)")
    if not archive.is_file():
        raise BuildError(f"no {archive.relative_to(build_dir)} in {build_dir} (run make there first)")
    la_file = build_dir / "lib" / "libopenvswitch.la"
    libs = _libtool_libs(la_file) if la_file.is_file() else []
    includes = [
        f"-I{OVSTEST_INCLUDE}",
        f"-I{tree / 'include'}",
        f"-I{tree / 'lib'}",
        f"-I{build_dir / 'include'}",
        f"-I{build_dir / 'lib'}",
        f"-I{build_dir}",
        f"-I{tree}",
    ]
    with tempfile.TemporaryDirectory(prefix="ct-offload-harness-") as tmp:
        scratch = Path(tmp)
        objects = []
        for source in (HARNESS, WRAP_TIME):
            obj = scratch / f"{source.stem}.o"
            _run([*compiler, *OURS, *DEFINES, *includes, "-c", str(source), "-o", str(obj)], f"compiling {source}")
            objects.append(obj)
        _link(compiler, objects, [str(archive), *libs, "-Wl,--wrap=time_msec", "-lm", "-lrt"], out)
    return Built(binary=out.resolve(), tree_warnings="")


__all__ = ["C_DIR", "HARNESS", "BuildError", "Built", "build", "find_compiler", "tree_file"]
