"""Reading protocol lines and writing one answer per line (the ``scenarios`` and ``tracker`` streams).

Purpose: the stdin/stdout side of both line protocols, shared by every target. ``serve`` is the
stream itself: the command line runs it on stdin and stdout, the tests on byte buffers.

Promises:

- ``serve`` answers every line of its input that holds anything but JSON whitespace (space, tab,
  CR, LF) with exactly one JSON line, in order, flushed per line, whatever the bytes; it returns
  at the end of the input. A line ends at LF; a last line without one is a line too;
- a line that cannot be read as a JSON value gets ``{"id": null, "error": "..."}``: not UTF-8
  (decoded here, strictly, line by line, so one bad byte costs one line), not JSON, a constant
  ``NaN``/``Infinity`` (not standard JSON), a number beyond a double, an integer of more than
  ``MAX_DIGITS`` digits, an object with a key twice, nesting deeper than ``MAX_DEPTH`` (a
  scenario needs six levels), a line longer than ``MAX_LINE`` bytes;
- a value that is not a valid scenario gets ``{"id": ..., "error": "..."}`` (``id`` its ``id``,
  null when it has none), the message naming what is wrong;
- a target failing on a well-formed scenario answers ``{"id": ..., "error": "internal error:
  ..."}`` and the stream goes on;
- everything written is standard JSON (no NaN or Infinity; ASCII), so an echoed ``id`` is too;
- ``serve_stdio`` (the command line) exits quietly when the reader goes away (status 1, as
  Python does for a broken pipe) or at Ctrl-C (status 130).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TextIO

from conformance.outcome import Outcome, encode
from conformance.scenario import Scenario, ScenarioError, parse_scenario, scenario_id
from model.vocab import Profile

JSON = Any
Target = Callable[[Scenario, Profile], Outcome]
Handle = Callable[[JSON], dict[str, JSON]]

#: The deepest nesting of arrays and objects a line may have.
MAX_DEPTH = 100
#: The most digits an integer may have (CPython's default limit of int/str conversion).
MAX_DIGITS = 4300
#: The longest line read, in bytes (without its LF).
MAX_LINE = 1 << 26
#: The most characters of an exception's text an internal error quotes.
_SHOW = 200
_BLANK = b" \t\r\n"
#: A run of more than 20 digits: only such a number can need ``_integer``'s check (MAX_DIGITS).
_LONG_INTEGER = re.compile(r"[0-9]{21}")


class LineError(ValueError):
    """A line that is not a JSON value this protocol reads; the message says why."""


def _constant(word: str) -> JSON:
    raise LineError(f"not JSON: {word} is not a standard JSON number (use a number or null)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LineError(f"not JSON: the number {text[:40]}{'...' if len(text) > 40 else ''} is beyond a double")
    return value


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_DIGITS:
        raise LineError(f"not JSON: an integer of {digits} digits (at most {MAX_DIGITS})")
    try:
        return int(text)
    except ValueError as exc:  # the interpreter's own limit is lower (PYTHONINTMAXSTRDIGITS)
        raise LineError(f"not JSON: an integer of {digits} digits ({exc})") from None


def _object(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        shown = repr(twice) if len(twice) <= 40 else repr(twice[:37] + "...")
        raise LineError(f"not JSON: key {shown} appears twice in one object")
    return obj


def _too_deep(value: JSON) -> bool:
    """Whether ``value`` nests arrays and objects more than ``MAX_DEPTH`` deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def read_value(line: bytes | str) -> JSON:
    """The JSON value of one line (bytes are decoded as UTF-8 here); LineError saying why not."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start]
            raise LineError(f"not UTF-8: byte {exc.start + 1} of the line (0x{bad:02x}): {exc.reason}") from None
    # Speed (issue 16: the model runner reads every scenario here): integers are left to the C
    # scanner unless the line holds one longer than any C long long (20 characters), and the
    # nesting is walked only when the line has more opening brackets than MAX_DEPTH allows levels.
    # The decoders are built once (``json.loads`` with hooks builds one per call); the BOM test is
    # the one ``json.loads`` makes before decoding.
    decoder = _DECODER_LONG if _LONG_INTEGER.search(line) is not None else _DECODER
    try:
        if line.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
        value = decoder.decode(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        value = None
        too_deep = True
    else:
        deep = line.count("[") + line.count("{") > MAX_DEPTH
        too_deep = deep and isinstance(value, dict | list) and _too_deep(value)
    if too_deep:
        raise LineError(f"not JSON this protocol reads: nested deeper than {MAX_DEPTH} levels")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, object_pairs_hook=_object)
_DECODER_LONG = json.JSONDecoder(
    parse_constant=_constant, parse_float=_float, parse_int=_integer, object_pairs_hook=_object
)


#: ``json.dumps(..., allow_nan=False)`` builds an encoder per call; this one is built once.
_ENCODER = json.JSONEncoder(allow_nan=False)


def _internal(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return "internal error: " + (text if len(text) <= _SHOW else text[: _SHOW - 3] + "...")


def answer_with(line: bytes | str, handle: Handle) -> dict[str, JSON]:
    """The answer to one input line: ``handle(value)``, or the error object when the line is not
    a JSON value, ``handle`` finds the scenario malformed (ScenarioError) or fails itself."""
    try:
        obj = read_value(line)
    except LineError as exc:
        return {"id": None, "error": str(exc)}
    try:
        return handle(obj)
    except ScenarioError as exc:
        return {"id": scenario_id(obj), "error": str(exc)}
    except Exception as exc:  # a target's own failure on a well-formed scenario: say so, go on
        return {"id": scenario_id(obj), "error": _internal(exc)}


def answer(line: bytes | str, target: Target, profile: Profile) -> dict[str, JSON]:
    """The answer to one line of the scenario protocol."""
    return answer_with(line, lambda obj: encode(target(parse_scenario(obj), profile)))


def run_object(obj: dict[str, JSON], target: Target, profile: Profile) -> dict[str, JSON]:
    """The result object for a scenario given as a Python object, through its JSON text."""
    return json.loads(json.dumps(answer(json.dumps(obj), target, profile)))  # type: ignore[no-any-return]


def is_blank(line: bytes | str) -> bool:
    """Whether a line holds only JSON whitespace (such a line gets no answer)."""
    if isinstance(line, bytes):
        return not line.strip(_BLANK)
    return not line.strip(_BLANK.decode())


def to_line(answer_obj: dict[str, JSON]) -> str:
    """One answer as a line of standard JSON (an answer that cannot be, as an internal error)."""
    try:
        return _ENCODER.encode(answer_obj) + "\n"
    except (TypeError, ValueError, RecursionError) as exc:
        try:
            ident = json.dumps(answer_obj.get("id"), allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            ident = "null"
        return f'{{"id": {ident}, "error": {json.dumps(_internal(exc))}}}\n'


def lines_of(source: BinaryIO, max_line: int = MAX_LINE) -> Iterator[bytes | None]:
    """The lines of ``source`` without their LF; None for a line longer than ``max_line`` bytes
    (read to its end and dropped)."""
    while True:
        line = source.readline(max_line + 1)
        if not line:
            return
        if line.endswith(b"\n"):
            yield line[:-1]
        elif len(line) <= max_line:  # the last line, without LF
            yield line
        else:
            while line and not line.endswith(b"\n"):
                line = source.readline(max_line + 1)
            yield None


def serve(source: BinaryIO, sink: TextIO, handle: Handle, *, max_line: int = MAX_LINE) -> None:
    """Answer every non-blank line of ``source`` on ``sink`` (see the module's promises)."""
    for line in lines_of(source, max_line):
        if line is None:
            result: dict[str, JSON] = {"id": None, "error": f"a line longer than {max_line} bytes"}
        elif is_blank(line):
            continue
        else:
            result = answer_with(line, handle)
        sink.write(to_line(result))
        sink.flush()


def serve_stdio(handle: Handle) -> int:
    """``serve`` on stdin and stdout; the exit status (0 at the end of the input)."""
    try:
        serve(sys.stdin.buffer, sys.stdout, handle)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # Python flushes stdout at exit: let it
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
