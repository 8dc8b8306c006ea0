"""What the external checker compares and prints: agreement, the differing fields, the summary lines.

Purpose: one place for the checker's judgement of two answers and for every line it writes, so
that the wording of a report is read (and tested) in one sitting.

Promises:
- ``agree`` compares as JSON, not as Python: ``1`` and ``true``, ``1`` and ``1.0`` differ; the
  ``id`` is not compared (the program's id is checked on every answer by ``process``); when the
  model refuses a scenario (``error``), any error answer agrees;
- ``differing_fields`` names every top-level field that differs, with the first differing step
  for list fields;
- ``program_failed`` is one line saying what the program did, then the tail of its stderr;
- nothing here runs a program or the model.
"""

from __future__ import annotations

import json
from typing import Any

JSON = Any
_STDERR_LINES = 20


def canonical(value: JSON) -> str:
    """``value`` as canonical JSON text (sorted keys, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _same(a: JSON, b: JSON) -> bool:
    return canonical(a) == canonical(b)


def agree(expected: dict[str, JSON], got: dict[str, JSON]) -> bool:
    """Whether the program's answer ``got`` agrees with the model's ``expected``."""
    if "error" in expected:
        return "error" in got
    if expected.keys() | {"id"} != got.keys() | {"id"}:
        return False
    return all(_same(value, got[key]) for key, value in expected.items() if key != "id")


def differing_fields(expected: dict[str, JSON], got: dict[str, JSON]) -> list[str]:
    """The top-level result fields that differ, with per-step detail for list fields."""
    out = []
    for key in sorted(set(expected) | set(got)):
        if key == "id":
            continue
        want, have = expected.get(key), got.get(key)
        if key in expected and key in got and _same(want, have):
            continue
        if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
            for i, (w, h) in enumerate(zip(want, have, strict=True)):
                if not _same(w, h):
                    out.append(f"{key}[{i}]: model {json.dumps(w)}, external {json.dumps(h)}")
                    break
        else:
            model = json.dumps(want) if key in expected else "nothing"
            external = json.dumps(have) if key in got else "nothing"
            out.append(f"{key}: model {model}, external {external}")
    return out


def program_failed(command: str, what: str, stderr: str, during: str) -> list[str]:
    """The lines reporting a broken program: what it did (one line), then its stderr's tail."""
    lines = [f"error: the program {command!r} {what}, {during}"]
    tail = stderr.rstrip("\n").splitlines()[-_STDERR_LINES:]
    if tail:
        lines.append("  its stderr ends with:")
        lines += ["    " + line for line in tail]
    else:
        lines.append("  (it wrote nothing on stderr)")
    return lines


def counted(n: int, word: str) -> str:
    """``n`` and ``word``, in the plural when ``n`` is not 1."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
