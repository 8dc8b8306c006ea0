"""Shared helpers of the ct-offload docs extension (``ct_tables``): naming, RST building, the directive base.

Purpose: what every part of the extension uses -- ``resolve`` (the object a dotted name names),
``literal``, ``rule_of`` and ``rule_ref`` (a docstring's ``Rule X`` and a link to its anchor),
``list_table`` (the RST of a list-table, an empty cell shown as ``NONE_CELL``), and ``CtDirective``,
the base of the extension's directives (parsing generated RST in place, warnings at the directive,
``KEY: text`` descriptions from the directive's content).

Promises: nothing here knows a table or the model's vocabulary; ``CtDirective.complain`` is a
Sphinx warning located at the directive, so a ``-W`` build fails on it, and so does a description
``CtDirective.descriptions`` finds missing, unknown or given twice.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable, Sequence

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

NONE_CELL = "--"
_RULE = re.compile(r"\bRule ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\b")


# Small helpers.


def resolve(dotted: str) -> object:
    """The module, or the member of a module, that ``dotted`` names (ImportError/AttributeError if none)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"nothing is called {dotted!r}")


def literal(value: object) -> str:
    """``value`` as an RST inline literal."""
    return f"``{value}``"


def rule_of(dotted: str) -> str | None:
    """The first rule id (``Rule X``) the docstring of ``dotted`` declares, if any."""
    found = _RULE.search(inspect.getdoc(resolve(dotted)) or "")
    return found.group(1) if found else None


def rule_ref(rule: str) -> str:
    """A link to the anchor of ``rule``."""
    return f":ref:`{rule} <rule-{rule}>`"


def list_table(header: Sequence[str], rows: Iterable[Sequence[str]], *, widths: str = "auto") -> list[str]:
    """The RST lines of a list-table with one header row."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        for column, cell in enumerate(row):
            text = cell if cell.strip() else NONE_CELL
            first, *rest = text.split("\n")
            lines.append(f"   {'*' if column == 0 else ' '} - {first}")
            lines.extend(f"       {line}" for line in rest)
    return [*lines, ""]


# The directives' base.


class CtDirective(SphinxDirective):
    """What the directives share: parsing generated RST in place, and warnings at the directive."""

    def parse(self, lines: Sequence[str], classes: Sequence[str]) -> list[nodes.Node]:
        """Parse ``lines`` of RST into a container with ``classes``."""
        container = nodes.container(classes=list(classes))
        source = f"<{self.name} in {self.env.docname}>"
        content = StringList()
        for offset, line in enumerate(lines):
            content.append(line, source, offset)
        self.state.nested_parse(content, self.content_offset, container)
        return [container]

    def complain(self, message: str) -> None:
        """A warning located at this directive (``-W`` turns it into a failure)."""
        logger.warning(f"{self.name}: {message}", location=self.get_location())

    def described(self) -> dict[str, str]:
        """The directive's content as ``KEY: text`` entries (indented lines continue an entry)."""
        entries: dict[str, str] = {}
        key = None
        for line in self.content:
            if not line.strip():
                continue
            if not line[0].isspace():
                key, _, text = line.partition(": ")
                if key in entries:
                    self.complain(f"{key!r} is described twice")
                entries[key] = text.strip()
            elif key is None:
                self.complain(f"an indented line before any 'KEY: text' entry: {line.strip()!r}")
            else:
                entries[key] += " " + line.strip()
        return entries

    def descriptions(self, keys: Sequence[str]) -> dict[str, str]:
        """The descriptions of exactly ``keys``: a warning for each key missing or unknown."""
        entries = self.described()
        for key in keys:
            if key not in entries:
                self.complain(f"{key!r} has no description (add '{key}: ...' to the directive's content)")
        for key in entries:
            if key not in keys:
                self.complain(f"{key!r} is described but the code has no such key (known: {', '.join(keys)})")
        return entries
