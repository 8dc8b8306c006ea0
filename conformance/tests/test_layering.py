"""The layering of docs/conformance.rst ('The layering'), checked on the source of every module.

- ``model`` imports only the standard library, ``immutables`` and itself;
- ``impl`` imports from ``model`` only its vocabulary (``model.vocab``, ``model.conn``, ``model.ops``),
  and otherwise only the standard library, itself and its declared third-party libraries;
- nothing outside ``conformance`` imports ``conformance``.

An allowlist, not a denylist: a new semantic module of the model is forbidden to impl by default.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL_VOCABULARY = {"model", "model.vocab", "model.conn", "model.ops"}
# matplotlib is the optional "plot" extra: only ``simulate --plot`` (impl.sim_plot) imports it.
THIRD_PARTY = {"model": {"immutables"}, "impl": {"immutables", "pyroute2", "matplotlib"}}


def _is_project_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports; ``from pkg import sub`` counts ``pkg.sub`` when it is a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None, f"{path}: relative import"
            names.add(node.module)
            names.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if _is_project_module(f"{node.module}.{alias.name}")
            )
    return names


def allowed(package: str, name: str) -> bool:
    """Whether a module of ``package`` may import ``name``."""
    top = name.split(".", maxsplit=1)[0]
    if top in sys.stdlib_module_names or top == "__future__" or top in THIRD_PARTY[package] or top == package:
        return True
    return package == "impl" and name in MODEL_VOCABULARY


def violations(package: str, paths: list[Path]) -> list[str]:
    """``path imports name`` for every import the layering forbids."""
    return [f"{p.name} imports {name}" for p in paths for name in sorted(imports_of(p)) if not allowed(package, name)]


@pytest.mark.parametrize("package", ["model", "impl"])
def test_layering(package: str) -> None:
    assert violations(package, sorted((ROOT / package).rglob("*.py"))) == []


def test_the_checker_catches_forbidden_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from model import rfc\nfrom model.vocab import Mark\nimport conformance.cli\nimport hypothesis\n")
    assert violations("impl", [probe]) == [
        "probe.py imports conformance.cli",
        "probe.py imports hypothesis",
        "probe.py imports model.rfc",
    ]
    assert violations("model", [probe]) == ["probe.py imports conformance.cli", "probe.py imports hypothesis"]
