"""Sphinx configuration of the ct-offload documentation site (built by ``nox -s docs``).

Purpose: turn docs/ into a site: the specification with each rule beside the model function that
states it (autodoc), the generated errata, the implementation and switchdev pages and the guides,
with tables computed from the model by the project's own extension (``docs/_ext/ct_tables.py``)
and code examples that ``sphinx-build -b doctest`` executes.

Promises: only Sphinx and its bundled extensions (autodoc, doctest) plus ``docs/_ext``; nothing is
fetched from the network (no intersphinx); the project's packages are imported from this checkout;
the doctests see ``DOCS_DIR``, ``HARNESS`` and ``BUGGY`` (paths of docs/ and its two example
programs) and ``CTNETLINK`` (whether the kernel engine can run here, for ``:skipif:``), and run
Hypothesis under a derandomised profile (``docs``), so their output is the same on every build;
with ``-W`` the build has no warning.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

project = "ct-offload"
author = "the ct-offload authors"
copyright = "2026, the ct-offload authors"
release = version = "0.1.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "ct_tables"]
root_doc = "index"
exclude_patterns = ["_build", "examples"]
templates_path: list[str] = []

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
