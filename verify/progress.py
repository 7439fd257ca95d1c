"""Progress on stderr for work that takes seconds: a bar fed with fractions, named stages.

Engines take a ``progress`` callback called with the fraction done (``Callable[[float],
None]``); :class:`ProgressBar` is that callback. On a terminal it redraws one line (at most
5 times a second); elsewhere (a log file, CI) it writes a line per 10 %. Named stages (the
first run's numba compilation, a phase of a workflow) are one line each.

>>> import io
>>> err = io.StringIO()
>>> bar = ProgressBar("per-weight problems", stream=err, tty=False)
>>> for f in (0.05, 0.1, 0.5, 1.0):
...     bar(f)
>>> bar.close()
>>> print(err.getvalue().strip())
per-weight problems [###.........................]  10%
per-weight problems [###############.............]  50%
per-weight problems [##############################] 100%
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar", "stage", "COMPILE_NOTE"]

#: What a first run says before the compiled engines are built (numba caches them after).
COMPILE_NOTE = "compiling the exact engines (numba; first run only, cached afterwards)"


class ProgressBar:
    """A progress callback: ``bar(fraction)``; ``bar.close()`` ends the line."""

    def __init__(self, desc: str, *, enabled: bool = True, stream: TextIO | None = None,
                 tty: bool | None = None) -> None:
        self.desc, self.enabled = desc, enabled
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.last, self.next_decile, self.drawn = 0.0, 1, False

    def __call__(self, frac: float) -> None:
        if not self.enabled:
            return
        frac = min(max(float(frac), 0.0), 1.0)
        now = time.perf_counter()
        if self.tty:
            if now - self.last > 0.2 or frac >= 1:
                self.last, self.drawn = now, True
                self.stream.write("\r" + self._line(frac))
                self.stream.flush()
        elif frac * 10 >= self.next_decile or frac >= 1:
            self.next_decile = int(frac * 10) + 1
            self.stream.write(self._line(frac) + "\n")
            self.stream.flush()

    def _line(self, frac: float) -> str:
        n = int(30 * frac)
        return f"{self.desc} [{'#' * n}{'.' * (30 - n)}] {frac:4.0%}"

    def close(self) -> None:
        if self.enabled and self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def stage(text: str, *, enabled: bool = True, stream: TextIO | None = None) -> None:
    """One line naming a step of a long run (``slth demo [2/5] coverage ...``)."""
    if enabled:
        out = sys.stderr if stream is None else stream
        out.write(text + "\n")
        out.flush()
