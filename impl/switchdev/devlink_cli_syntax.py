"""How ``impl.switchdev.devlink_cli`` reads a command line, the way iproute2's ``devlink`` does.

Purpose: the words of a devlink command line, apart from what the commands do: the options before
the object (``parse_options``: ``-j``, ``-p``, ``-V``, ``-h``, combined as ``-jp``, and the long
``--json``, ``--pretty``, ``--version``, ``--help``, each long one also by an unambiguous prefix);
the command words, each by an unambiguous prefix as iproute2's ``matches`` takes them (``dev sh``,
``d s``; ``resolve``); keywords by prefix too (``keyword``); and ``help`` at every level, which
lists the syntax of the commands under the words typed so far (``usage``).

Promises:

- ``resolve`` returns the command's full words, the words typed, and the arguments left, or
  raises ``Help`` (``help`` was typed: the words before it) or ``UsageError`` with one line: an
  unknown word names it and the choices, an ambiguous prefix names every command it matches;
- a bare object (or sub-object) means its ``show`` when it has one (``devlink dev`` is ``dev
  show``), as in iproute2; ``help`` is taken only in full, so it never makes a prefix ambiguous
  (``h`` is ``health``);
- ``Call`` is a parsed command (its devices, keywords, and the JSON document and text lines it
  fills) and ``Spec`` a command's definition; nothing here prints or touches a port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from impl.switchdev.ports import DevHandle, DevlinkPort

__all__ = ["Call", "Help", "Options", "Refusal", "Spec", "UsageError", "keyword", "parse_options", "resolve", "usage"]


class UsageError(Exception):
    """The command line is wrong (exit status 2); the message is one line. ``where`` is the words
    typed up to the wrong one, when ``resolve`` found it."""

    where: tuple[str, ...] | None = None


class Help(Exception):
    """``help`` was typed after ``words``."""

    def __init__(self, words: tuple[str, ...]) -> None:
        """Help for the commands under ``words``."""
        super().__init__(" ".join(words))
        self.words = words


class Refusal(Exception):
    """The command names something that does not exist (exit status 1)."""


@dataclass
class Call:
    """A parsed command: the devices it covers, its keyword values, and what it prints."""

    port: DevlinkPort
    devs: list[DevHandle]
    keys: dict[str, str]
    port_index: int | None = None
    out: dict[str, Any] = field(default_factory=dict)  # the JSON document, filled per device
    text: list[str] = field(default_factory=list)

    @property
    def dev(self) -> DevHandle:
        return self.devs[0]


@dataclass(frozen=True)
class Spec:
    """A command: its keywords (required ones first: ``required`` of them), whether a show, and
    its syntax line for ``help``."""

    run: Callable[[Call], None]
    syntax: str
    keys: tuple[str, ...] = ()
    required: int = 0
    show: str = ""  # a show: its JSON key; without DEV it covers every device (unless narrowed)


class Options:
    """The options before the object."""

    def __init__(self) -> None:
        """No option given."""
        self.json = False
        self.pretty = False
        self.version = False
        self.help = False


_SHORT = {"j": "json", "p": "pretty", "V": "version", "h": "help"}
_LONG = ("json", "pretty", "version", "help")


def _one_of(word: str, choices: Iterable[str], what: str) -> str:
    """The choice ``word`` names exactly or is the only prefix of; UsageError otherwise."""
    choices = tuple(choices)
    if word in choices:
        return word
    found = [choice for choice in choices if word and choice.startswith(word)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"ambiguous {what} {word!r}: it may be {', '.join(found)}")
    raise UsageError(f"unknown {what} {word!r} (one of: {', '.join(choices)})")


def parse_options(args: list[str]) -> tuple[Options, list[str]]:
    """The options at the front of ``args``, and the words after them (``--`` ends the options)."""
    options = Options()
    rest = list(args)
    while rest and rest[0].startswith("-") and rest[0] != "-":
        arg = rest.pop(0)
        if arg == "--":
            break
        if arg.startswith("--"):
            try:
                name = _one_of(arg[2:], _LONG, "option")
            except UsageError:
                raise UsageError(f"unknown option {arg!r}") from None
            setattr(options, name, True)
            continue
        for letter in arg[1:]:
            if letter not in _SHORT:
                raise UsageError(f"unknown option {'-' + letter!r}" if len(arg) > 2 else f"unknown option {arg!r}")
            setattr(options, _SHORT[letter], True)
    return options, rest


def _children(commands: Iterable[tuple[str, ...]], prefix: tuple[str, ...]) -> list[str]:
    """The words that may follow ``prefix``, in the order the commands are listed."""
    seen: dict[str, None] = {}
    for words in commands:
        if len(words) > len(prefix) and words[: len(prefix)] == prefix:
            seen[words[len(prefix)]] = None
    return list(seen)


def resolve(
    args: Sequence[str], commands: Sequence[tuple[str, ...]]
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """The command ``args`` start with: its words, the words as typed, and the arguments left."""
    full: tuple[str, ...] = ()
    typed: tuple[str, ...] = ()
    rest = list(args)
    while full not in commands:
        children = _children(commands, full)
        if not rest:
            if "show" in children and (*full, "show") in commands:
                return (*full, "show"), typed, []
            raise UsageError(f"{' '.join(full) or 'an object'} needs a command (one of: {', '.join(children)})")
        word = rest.pop(0)
        if word == "help":
            raise Help(full)
        try:
            chosen = _one_of(word, children, "command")
        except UsageError as exc:
            exc.where = (*typed, word)
            raise
        full, typed = (*full, chosen), (*typed, word)
    if rest and rest[0] == "help":
        raise Help(full)
    return full, typed, rest


def keyword(word: str, keys: Sequence[str]) -> str:
    """The keyword of ``keys`` that ``word`` names or is the only prefix of (UsageError otherwise)."""
    if not keys:
        raise UsageError(f"unknown keyword {word!r} (expected nothing)")
    try:
        return _one_of(word, keys, "keyword")
    except UsageError as exc:
        raise UsageError(f"{exc} (expected {' | '.join(keys)})") from None


def usage(syntax: Iterable[tuple[tuple[str, ...], str]], words: tuple[str, ...]) -> str:
    """``Usage:`` lines of every command under ``words`` (``syntax``: command words -> their line)."""
    lines = [line for command, line in syntax if command[: len(words)] == words]
    if not lines:
        return ""
    head, *tail = lines
    return "\n".join([f"Usage: devlink {head}", *(f"       devlink {line}" for line in tail)]) + "\n"
