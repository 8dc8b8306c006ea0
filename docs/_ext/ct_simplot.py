"""Sphinx extension of the ct-offload docs: the plot of a tracker simulation run, drawn during the build.

Purpose: ``.. ct-sim-plot:: ARGS`` runs ``python -m impl simulate ARGS --quiet --plot FILE.svg``
(matplotlib draws it, ``impl.sim_plot``) in a subprocess whose simulated-device state file is a
fresh one in a temporary folder, and puts the SVG inline in the HTML page, with the command line
as its caption. The switchdev guide shows with it the run its doctests describe.

Promises: the picture is of this checkout's code, drawn at every HTML build (a run is
deterministic, so the same arguments draw the same picture); other builders (doctest, text) get
the command line only, without running anything; a run that fails, or a missing matplotlib, is a
Sphinx warning located at the directive (so a ``-W`` build fails); the temporary folder is removed.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ct_common import CtDirective
from docutils import nodes
from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parents[2]


def _inline(svg: str) -> str:
    """The SVG document as an inline HTML element (no XML declaration, no DOCTYPE)."""
    return svg[svg.index("<svg") :]


class CtSimPlot(CtDirective):
    """``.. ct-sim-plot:: ARGS``: the plot of ``python -m impl simulate ARGS``."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        """The inline SVG (HTML) or the command line (other builders)."""
        args = shlex.split(self.arguments[0] if self.arguments else "")
        command = "python -m impl simulate " + " ".join([*args, "--plot", "p.svg"])
        caption = nodes.paragraph("", "", nodes.literal(command, command), classes=["ct-sim-plot-caption"])
        if self.env.app.builder.format != "html":
            return [caption]
        with tempfile.TemporaryDirectory(prefix="ct-sim-plot-") as scratch:
            plot = Path(scratch) / "p.svg"
            env = {**os.environ, "CT_OFFLOAD_SIM_STATE": str(Path(scratch) / "sim-device.json")}
            done = subprocess.run(
                [sys.executable, "-m", "impl", "simulate", *args, "--quiet", "--plot", str(plot)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not plot.exists():
                self.complain(f"{command} failed ({done.returncode}): {done.stderr.strip()}")
                return [caption]
            svg = plot.read_text(encoding="utf-8")
        figure = nodes.raw("", f'<div class="ct-sim-plot">{_inline(svg)}</div>', format="html")
        return [figure, caption]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("ct-sim-plot", CtSimPlot)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
