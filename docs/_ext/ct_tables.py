"""Sphinx extension of the ct-offload docs: rule blocks, tables and a diagram computed from the model.

Purpose: the docs must not retype what the model knows. This module is the extension's entry point
(``conf.py`` loads it as ``ct_tables``); it adds three directives:

- ``.. ct-rule:: TITLE`` with ``:model: NAME ...``: the rule's prose (the directive's content) beside
  the model functions, classes or modules that state it, rendered from their docstrings (autodoc for
  functions and classes, the docstring itself for a module; a name already rendered beside an
  earlier rule of the page becomes a link to it);
- ``.. ct-table:: NAME``: a table built at build time by calling the model (and, where said, impl
  and conformance): ``op-types``, ``errnos``, ``mark-transitions``, ``profile-differences``,
  ``devlink-params``, ``device-config``, ``timeout-policy``, ``tracker-config``, ``scenario-keys`` and
  ``scenario-steps`` (the last three take
  their descriptions from the directive's content, one ``KEY: text`` entry per key);
- ``.. ct-mark-diagram::``: the mark state diagram of each profile, from the same computed
  transitions, as a text diagram (every builder) and an inline SVG (HTML).

It also shows the CrossHair contracts of a docstring rendered by autodoc (its ``pre:`` and
``post:`` lines) as a literal block.

The tables are built by its sibling modules (``docs/_ext`` is on ``sys.path``): ``ct_common`` (the
helpers and the directives' base), ``ct_marks`` (mark transitions and diagrams), ``ct_profiles``
(profile differences), ``ct_data`` (op types, errnos, the device, the scenario protocol) and
``ct_tracker`` (the timeout policy and the tracker's knobs);
``TABLES`` maps each ``ct-table`` name to its builder.

Promises: every value shown in a generated table or diagram comes from running or reading the
model (or impl and conformance where a column says so) during the build, never from these modules;
every cross-check that fails -- the transitions observed by running the model against
``model.laws.mark_after``, the model's device defaults against impl's, the documented scenario keys
against the ones ``conformance.scenario`` accepts -- is a Sphinx warning, so a ``-W`` build fails.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar

from ct_common import CtDirective, resolve
from ct_data import (
    table_device_config,
    table_devlink_params,
    table_errnos,
    table_op_types,
    table_scenario_keys,
    table_scenario_steps,
)
from ct_marks import diagram_edges, svg_diagram, table_mark_transitions, text_diagram, transition_groups
from ct_profiles import table_profile_differences
from ct_tracker import table_timeout_policy, table_tracker_config
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docstrings import prepare_docstring

# The directives.


class CtRule(CtDirective):
    """``.. ct-rule:: TITLE``: a rule's prose beside the model code that states it."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"model": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        """The rule block: a text column and a model column."""
        names = self.options.get("model", "").split()
        if not names:
            self.complain("needs ':model:' naming at least one model function, class or module")
        content = StringList()
        source = f"<ct-rule in {self.env.docname}>"

        def add(line: str) -> None:
            content.append(line, source, 0)

        for line in (".. container:: ct-rule", "", "   .. container:: ct-rule-text", ""):
            add(line)
        for line in ("      .. rst-class:: ct-rule-title", "", f"      {self.arguments[0]}", ""):
            add(line)
        for (item_source, offset), line in zip(self.content.items, self.content, strict=True):
            content.append(f"      {line}" if line.strip() else "", item_source, offset)
        add("")
        add("   .. container:: ct-rule-model")
        add("")
        shown: set[str] = self.env.temp_data.setdefault("ct_rule_shown", set())  # type: ignore[assignment]
        for name in names:
            try:
                obj = resolve(name)
            except (ImportError, AttributeError) as exc:
                self.complain(f"{name!r} does not resolve: {exc}")
                continue
            if name in shown:  # rendered beside an earlier rule of this page: link to it
                role = "py:mod" if inspect.ismodule(obj) else "py:class" if inspect.isclass(obj) else "py:func"
                add(f"      :{role}:`{name}` (shown above)")
            elif inspect.ismodule(obj):
                add("      .. rst-class:: ct-module-doc")
                add("")
                add(f"      Module ``{name}``:")
                add("")
                for line in prepare_docstring(obj.__doc__ or ""):
                    add(f"         {line}" if line.strip() else "")
            elif inspect.isclass(obj):
                add(f"      .. autoclass:: {name}")
            else:
                add(f"      .. autofunction:: {name}")
            shown.add(name)
            add("")
        container = nodes.container()
        self.state.nested_parse(content, self.content_offset, container)
        return list(container.children)


class CtTable(CtDirective):
    """``.. ct-table:: NAME``: a table computed from the model."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        """The named table."""
        name = self.arguments[0]
        builder = TABLES.get(name)
        if builder is None:
            self.complain(f"unknown table {name!r} (known: {', '.join(sorted(TABLES))})")
            return []
        return self.parse(builder(self), ["ct-table", f"ct-table-{name}"])


class CtMarkDiagram(CtDirective):
    """``.. ct-mark-diagram::``: the mark state diagram of each profile, computed from the model."""

    def run(self) -> list[nodes.Node]:
        """A text diagram per profile group, and an SVG of each for HTML."""
        result: list[nodes.Node] = []
        for profiles, table in transition_groups(self):
            label = ", ".join(p.value for p in profiles)
            edges, kept = diagram_edges(table)
            result.append(nodes.rubric(text=f"Marks under {label}"))
            result.append(nodes.raw("", svg_diagram(edges, label), format="html"))
            text = text_diagram(edges, kept)
            result.append(nodes.literal_block(text, text, classes=["ct-mark-diagram"]))
        return result


# What each ct-table name builds, and the autodoc hook.


TABLES: dict[str, Callable[[CtDirective], list[str]]] = {
    "op-types": table_op_types,
    "errnos": table_errnos,
    "mark-transitions": table_mark_transitions,
    "profile-differences": table_profile_differences,
    "devlink-params": table_devlink_params,
    "device-config": table_device_config,
    "scenario-keys": table_scenario_keys,
    "scenario-steps": table_scenario_steps,
    "timeout-policy": table_timeout_policy,
    "tracker-config": table_tracker_config,
}


_CONTRACT = re.compile(r"^(pre|post): ")


def contracts_as_code(  # noqa: PLR0917 (the signature autodoc-process-docstring calls)
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """autodoc: show a docstring's CrossHair contracts (its ``pre:`` and ``post:`` lines) as a
    literal block, one condition per line, instead of a paragraph run together."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if not _CONTRACT.match(lines[index]):
            out.append(lines[index])
            index += 1
            continue
        block = []
        while index < len(lines) and _CONTRACT.match(lines[index]):
            block.append(lines[index])
            index += 1
        out += ["", "Contracts (checked by CrossHair)::", "", *(f"   {line}" for line in block), ""]
    lines[:] = out


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the contracts formatting."""
    app.connect("autodoc-process-docstring", contracts_as_code)
    app.add_directive("ct-rule", CtRule)
    app.add_directive("ct-table", CtTable)
    app.add_directive("ct-mark-diagram", CtMarkDiagram)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
