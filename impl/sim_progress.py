"""Progress of a tracker simulation on a terminal: where the run is, how fast it goes, what is left.

Purpose: ``ProgressPrinter`` is the simulation's ``progress`` callback for ``python -m impl
simulate``: about once a wall second it shows the virtual time reached (and the share of the run),
the table size, the connections offloaded and their rate per virtual second, how many virtual
seconds pass per wall second, and the wall time left at that pace. On a terminal it rewrites one
line in place (carriage return) and ends it when the run ends; elsewhere (``--progress`` to a
file or pipe) it prints one line per report.

Promises: it writes only to the stream it was given, never to stdout; a run short enough to end
before the first report prints nothing at all; a run without an end (no duration) shows no share
and no time left.
"""

from __future__ import annotations

from typing import TextIO

from impl.sim import SimProgress

__all__ = ["ProgressPrinter"]


def _clock(seconds: float) -> str:
    """``42 s``, ``3 min 05 s`` or ``2 h 07 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class ProgressPrinter:
    """Progress lines on ``stream``; ``in_place`` rewrites one line (a terminal)."""

    def __init__(self, stream: TextIO, *, in_place: bool) -> None:
        """A printer that has printed nothing yet."""
        self._stream = stream
        self._in_place = in_place
        self.printed = False

    def line(self, p: SimProgress) -> str:
        """The progress text of ``p``."""
        elapsed = (p.now - p.start) / 1000
        pace = elapsed / p.wall if p.wall > 0 else 0.0
        offloaded_rate = p.stats.offloaded / elapsed if elapsed > 0 else 0.0
        text = f"[simulate] t={elapsed:.0f}"
        if p.end is not None:
            total = (p.end - p.start) / 1000
            share = elapsed / total if total > 0 else 1.0
            text += f"/{total:.0f} s virtual ({share:.0%})"
        else:
            text += " s virtual"
        text += (
            f", table={p.table_size}, created={p.stats.created}, offloaded={p.stats.offloaded} "
            f"({offloaded_rate:.1f}/s), cleaned={p.stats.cleaned_total}, packets={p.packets}, "
            f"{pace:.0f} virtual s per wall s"
        )
        if p.end is not None and not p.final and pace > 0:
            text += f", about {_clock((p.end - p.now) / 1000 / pace)} left"
        if p.final:
            text += f", done in {p.wall:.1f} s"
        return text

    def __call__(self, p: SimProgress) -> None:
        """Show ``p`` (the final report only if an earlier one was shown)."""
        if p.final and not self.printed:
            return
        self.printed = True
        if self._in_place:
            self._stream.write("\r\x1b[K" + self.line(p) + ("\n" if p.final else ""))
        else:
            self._stream.write(self.line(p) + "\n")
        self._stream.flush()

    def interrupted(self) -> None:
        """End an in-place line that the run's end will not end (Ctrl-C)."""
        if self._in_place and self.printed:
            self._stream.write("\n")
            self._stream.flush()
