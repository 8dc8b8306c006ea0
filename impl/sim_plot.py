"""The picture of a tracker simulation (``--plot FILE.svg``), drawn with matplotlib.

Purpose: one SVG of a run's timeline (``impl.sim_timeline``), three panels over virtual time: the
connections (the tracker's table, the offloaded ones, the device's occupancy, the active flows,
and the idle ones kept past every timeout); what each sweep cleaned, stacked by reason; and what
each sweep asked and got (UPD ops, refreshes, UPD errors).

Promises:

- matplotlib is needed only here, imported on first use: ``missing()`` says, in one line, how to
  install it when it is absent (``pip install 'ct-offload[plot]'``), and nothing else imports it;
- drawing uses a ``Figure`` with the SVG canvas, never pyplot or an interactive backend, so it
  works without a display and from any thread, and leaves matplotlib's global state alone;
- the SVG is the same for the same rows (fixed hash salt, no date in its metadata), so the docs
  can show it and a test can compare it.
"""

from __future__ import annotations

import io
from pathlib import Path

from impl.sim_timeline import SweepRow, columns

__all__ = ["INSTALL_HINT", "missing", "plot_svg", "write_plot"]

INSTALL_HINT = "--plot needs matplotlib: pip install 'ct-offload[plot]' (or: pip install matplotlib)"

#: Colours of the clean reasons (errnos get the rest of the cycle).
_REASON_COLOURS = {"expired": "#8c8c8c", "stale": "#1f77b4", "forced": "#9467bd"}
_ERRNO_COLOURS = ("#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22")


def missing() -> str | None:
    """None when matplotlib can be imported, else one line saying how to install it."""
    try:
        import matplotlib  # noqa: F401, PLC0415 (the optional dependency, imported on demand)
    except ImportError:
        return INSTALL_HINT
    return None


def plot_svg(rows: list[SweepRow], *, title: str) -> str:
    """The SVG text of ``rows``' picture (see the module docstring)."""
    import matplotlib  # noqa: PLC0415 (the optional dependency, imported on demand)
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    with matplotlib.rc_context({"svg.hashsalt": "ct-offload", "svg.fonttype": "none", "font.size": 9}):
        figure = Figure(figsize=(9.0, 7.5), layout="constrained")
        FigureCanvasSVG(figure)
        sizes, cleaned, asked = figure.subplots(3, 1, sharex=True, height_ratios=(3, 2, 2))
        times = [row.time / 1000 for row in rows]
        sizes.set_title(title, loc="left")
        for label, values, style in (
            ("table size", [row.table for row in rows], "-"),
            ("offloaded", [row.offloaded for row in rows], "--"),
            ("on the device (occupancy)", [row.occupancy for row in rows], ":"),
            ("active flows", [row.active_flows for row in rows], "-."),
        ):
            sizes.plot(times, values, style, label=label, linewidth=1.5)
        if any(row.idle_kept for row in rows):
            sizes.plot(times, [row.idle_kept for row in rows], "-", color="#d62728", label="idle, kept for ever")
        sizes.set_ylabel("connections")
        sizes.legend(loc="upper left", fontsize=8, ncols=2)
        sizes.grid(alpha=0.3)
        _, reasons, errnos = columns(rows)
        width = 0.8 * (times[1] - times[0]) if len(times) > 1 else 1.0
        bottom = [0] * len(rows)
        extra = iter(_ERRNO_COLOURS * 4)
        for reason in reasons:
            values = [row.cleaned.get(reason, 0) for row in rows]
            if not any(values) and reason not in ("expired", "stale"):
                continue
            colour = _REASON_COLOURS.get(reason) or next(extra)
            cleaned.bar(times, values, width, bottom=bottom, label=reason, color=colour)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        cleaned.set_ylabel("cleaned per sweep")
        cleaned.legend(loc="upper left", fontsize=8, ncols=4, title="by reason", title_fontsize=8)
        cleaned.grid(alpha=0.3, axis="y")
        asked.plot(times, [row.upd_ops for row in rows], "-", label="UPD ops asked")
        asked.plot(times, [row.refreshed for row in rows], "--", label="refreshed")
        for name in errnos:
            asked.plot(times, [row.errors.get(name, 0) for row in rows], ":", label=f"UPD answered {name}")
        asked.set_ylabel("per sweep")
        asked.set_xlabel("virtual time (s)")
        asked.legend(loc="upper left", fontsize=8, ncols=3)
        asked.grid(alpha=0.3)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def write_plot(rows: list[SweepRow], path: Path, *, title: str) -> None:
    """Write the picture of ``rows`` to ``path`` (OSError if it cannot be written)."""
    path.write_text(plot_svg(rows, title=title), encoding="utf-8")
