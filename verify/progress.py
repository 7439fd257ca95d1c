"""Progress on stderr for work that takes seconds: a bar fed with fractions, named stages.

Engines take a ``progress`` callback called with the fraction done (``Callable[[float],
None]``); :class:`ProgressBar` is that callback. On a terminal it redraws one line (at most
5 times a second); elsewhere (a log file, CI) it writes a line per 10 %. Named stages (the
first run's numba compilation, a phase of a workflow) are one line each. Work that cannot say
how far it is (a solve in a child process) gets :func:`elapsed`: after a couple of seconds, a
bar of the time used against its limit, or the seconds so far.

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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["ProgressBar", "stage", "elapsed", "COMPILE_NOTE", "QUIET_SECONDS"]

#: Work shorter than this shows no progress at all.
QUIET_SECONDS = 2.0

#: What a first run says before the compiled engines are built (numba caches them after).
COMPILE_NOTE = "compiling the exact engines (numba; first run only, cached afterwards)"


class ProgressBar:
    """A progress callback: ``bar(fraction)``; ``bar.close()`` ends the line. With ``delay``
    nothing is drawn before that many seconds have passed (quick work stays silent)."""

    def __init__(self, desc: str, *, enabled: bool = True, stream: TextIO | None = None,
                 tty: bool | None = None, delay: float = 0.0) -> None:
        self.desc, self.enabled = desc, enabled
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.last, self.next_decile, self.drawn = 0.0, 1, False
        self.quiet_until = time.perf_counter() + delay

    def __call__(self, frac: float, note: str = "") -> None:
        """Show ``frac`` done (0..1), with an optional ``note`` after the percentage."""
        if not self.enabled:
            return
        frac = min(max(float(frac), 0.0), 1.0)
        now = time.perf_counter()
        if now < self.quiet_until:
            return
        if self.tty:
            if now - self.last > 0.2 or frac >= 1:
                self.last, self.drawn = now, True
                self.stream.write("\r" + self._line(frac, note) + "\x1b[K")
                self.stream.flush()
        elif frac * 10 >= self.next_decile or frac >= 1:
            self.next_decile, self.drawn = int(frac * 10) + 1, True
            self.stream.write(self._line(frac, note) + "\n")
            self.stream.flush()

    def _line(self, frac: float, note: str = "") -> str:
        n = int(30 * frac)
        return f"{self.desc} [{'#' * n}{'.' * (30 - n)}] {frac:4.0%}" + (f" {note}" if note else "")

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


@contextmanager
def elapsed(desc: str, limit: float | None = None, *, enabled: bool = True,
            stream: TextIO | None = None, tty: bool | None = None,
            delay: float = QUIET_SECONDS, defer_to: ProgressBar | None = None
            ) -> Iterator[None]:
    """Show, while the block runs and once it has taken ``delay`` seconds, the time used: a bar
    against ``limit`` (seconds), or without a limit the seconds so far (on a terminal redrawn
    twice a second, elsewhere a line at 5, 10, 20, 40 ... s). From a background thread; it
    gives way for good once ``defer_to`` (an engine's own bar) has drawn.

    >>> import io
    >>> err = io.StringIO()
    >>> with elapsed("  n=40 mitm", 0.3, stream=err, tty=False, delay=0.05):
    ...     time.sleep(0.4)
    >>> err.getvalue().splitlines()[-1].startswith("  n=40 mitm [")
    True
    """
    if not enabled:
        yield
        return
    out = sys.stderr if stream is None else stream
    done = threading.Event()
    start = time.perf_counter()
    worker = threading.Thread(target=_tick, args=(desc, limit, out, tty, delay, start, done,
                                                  defer_to), daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()


def _tick(desc: str, limit: float | None, out: TextIO, tty: bool | None, delay: float,
          start: float, done: threading.Event, defer_to: ProgressBar | None) -> None:
    if done.wait(delay):
        return
    bar = ProgressBar(desc, stream=out, tty=tty)
    next_line = 5.0
    while defer_to is None or not defer_to.drawn:
        used = time.perf_counter() - start
        if limit is not None and limit > 0:
            bar(min(used / limit, 1.0), f"{used:.0f} s of at most {limit:g} s")
        elif bar.tty:
            bar.drawn = True
            out.write(f"\r{desc} ... {used:.0f} s\x1b[K")
            out.flush()
        elif used >= next_line:
            out.write(f"{desc} ... {used:.0f} s\n")
            out.flush()
            next_line *= 2
        if done.wait(0.5):
            break
    if bar.tty and bar.drawn:  # leave the line empty for what follows
        out.write("\r\x1b[K")
        out.flush()
