"""Checking that docs/ and the model say the same thing (``python -m conformance docs-check``).

Purpose: a reviewer cites a rule id or a model function from docs/; this check makes sure
each cited name exists, each rule the model declares ("Rule ID" in a docstring) has an anchor in a
page of docs/, each erratum the model cites exists in ``conformance.errata`` (and each erratum is cited by
a model rule), and docs/errata.rst is exactly what ``conformance.errata_page.render`` produces.

Promises: ``problems()`` lists every mismatch found (empty when the docs are in step).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import model
from conformance.checkout import needs_checkout, source_root
from conformance.errata import ALL_ERRATA
from conformance.errata_page import render

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_RULE = re.compile(r"\bRule ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\b")
_ERRATUM = re.compile(r"\bE-[A-Z]+(?:-[A-Z]+)*\b")
_ANCHOR = re.compile(r"^\.\. _rule-([A-Z0-9-]+):", re.MULTILINE)
_CITED = re.compile(r"\b((?:model|impl|conformance)\.[a-z_]+(?:\.[A-Za-z_]+)*)")


def model_texts() -> dict[str, str]:
    """Every docstring of the model: module, class and function docstrings, by qualified name."""
    texts: dict[str, str] = {}
    for info in pkgutil.iter_modules(model.__path__):
        module = importlib.import_module(f"model.{info.name}")
        texts[module.__name__] = module.__doc__ or ""
        for name, obj in inspect.getmembers(module, lambda o: inspect.isfunction(o) or inspect.isclass(o)):
            if obj.__module__ == module.__name__:
                texts[f"{module.__name__}.{name}"] = obj.__doc__ or ""
    return texts


def model_rules() -> dict[str, str]:
    """Rule id -> where the model declares it."""
    return {rule: where for where, text in model_texts().items() for rule in _RULE.findall(text)}


def resolves(dotted: str) -> bool:
    """Whether ``model.x.y`` names a module or a member of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def problems() -> list[str]:
    """Every way docs/ and the model disagree."""
    found: list[str] = []
    rules = model_rules()
    anchors = {rule for page in sorted(DOCS.glob("*.rst")) for rule in _ANCHOR.findall(page.read_text())}
    found += [
        f"rule {r} (declared in {w}) has no anchor '.. _rule-{r}:' in a page of docs/"
        for r, w in sorted(rules.items())
        if r not in anchors
    ]
    found += [f"docs/ anchors rule {r}, which no model docstring declares" for r in sorted(anchors - set(rules))]
    for page in sorted(DOCS.glob("*.rst")):
        for dotted in sorted(set(_CITED.findall(page.read_text()))):
            if not resolves(dotted):
                found.append(f"{page.name} cites {dotted}, which does not exist")
    cited = {e for text in model_texts().values() for e in _ERRATUM.findall(text)}
    known = {e.id for e in ALL_ERRATA}
    found += [f"the model cites erratum {e}, which conformance/errata.py does not list" for e in sorted(cited - known)]
    found += [f"erratum {e} is cited by no model rule" for e in sorted(known - cited)]
    errata_page = DOCS / "errata.rst"
    if not errata_page.exists() or errata_page.read_text() != render():
        found.append("docs/errata.rst is not what 'python -m conformance errata' renders (regenerate it)")
    return found


def main() -> int:
    """Print the problems; exit status 1 if there are any, 2 outside a source checkout."""
    if source_root() is None:
        print(needs_checkout("docs-check"))
        return 2
    found = problems()
    for problem in found:
        print(problem)
    print(f"docs check: {len(found)} problem(s)")
    return 1 if found else 0
