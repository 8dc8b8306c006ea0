"""Sphinx configuration of the ct-offload documentation site (built by ``nox -s docs``).

Purpose: turn docs/ into a site: the specification with each rule beside the model function that
states it (autodoc), the generated errata, the implementation and switchdev pages and the guides,
with tables computed from the model by the project's own extension (``docs/_ext/ct_tables.py``)
and code examples that ``sphinx-build -b doctest`` executes.

Promises: only Sphinx and its bundled extensions (autodoc, doctest) plus ``docs/_ext``; nothing is
fetched from the network (no intersphinx); the project's packages are imported from this checkout;
the version is read from pyproject.toml (its single source), and every page's footer shows it with
the commit and the build date (``SOURCE_DATE_EPOCH`` when set, for reproducible builds);
the doctests see ``DOCS_DIR``, ``HARNESS`` and ``BUGGY`` (paths of docs/ and its two example
programs) and ``CTNETLINK`` (whether the kernel engine can run here, for ``:skipif:``), and run
Hypothesis under a derandomised profile (``docs``), so their output is the same on every build;
with ``-W`` the build has no warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]


def _commit() -> str:
    """The checkout's commit (with ``-dirty`` when it has uncommitted changes), or why there is none."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return done.stdout.strip()


def _build_date() -> str:
    stamp = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(stamp), UTC) if stamp else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


project = "ct-offload"
author = "the ct-offload authors"
copyright = "2026, the ct-offload authors"
release = version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
commit = _commit()
build_date = _build_date()

extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "ct_tables", "ct_simplot"]
root_doc = "index"
exclude_patterns = ["_build", "examples"]
templates_path = ["_templates"]
# Literal blocks (``::``) are text (JSON, diagrams, output); Python is marked as such where it is.
highlight_language = "text"
# The footer of every page (docs/_templates/layout.html) and the "cite as" line of the index.
html_context = {"commit": commit, "build_date": build_date}
rst_epilog = f"""
.. |version_line| replace:: ct-offload {release}, commit ``{commit}``, built {build_date}
.. |commit| replace:: ``{commit}``
"""

html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["ct.css"]
html_theme_options = {"page_width": "1240px", "sidebar_width": "220px", "fixed_sidebar": True}
html_title = "ct-offload"

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
python_maximum_signature_line_length = 90

doctest_global_setup = f"""
import os
from pathlib import Path

DOCS_DIR = Path({str(DOCS)!r})
HARNESS = str(DOCS_DIR / "examples" / "minimal_harness.py")
BUGGY = str(DOCS_DIR / "examples" / "buggy_external.py")
os.environ.setdefault("PYTHONPATH", {str(ROOT)!r})

from hypothesis import settings as _settings

# Every Hypothesis run of the examples (the checks, the external checker's search) is derandomised,
# so the examples give the same output on every build.
_settings.register_profile("docs", derandomize=True, database=None, deadline=None, print_blob=False)
_settings.load_profile("docs")

from impl.switchdev.ctnetlink import probe as _probe

CTNETLINK, CTNETLINK_WHY = _probe()
"""
