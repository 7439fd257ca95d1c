"""A computation in a child process under a time limit: the one way every engine and workflow
stops a computation that cannot stop itself (an exact sweep, a sympy call, a benchmark row).

:func:`call_in_child` runs ``fn()`` in a child process and hands back a :class:`ChildOutcome`:
what it returned or raised, or that it overran its time limit (the child is then killed) or
died (out of memory, killed). The child dies with its parent (``PR_SET_PDEATHSIG`` on Linux),
so killing a run never leaves an orphan computing. :func:`die_with_parent` does the same for
any worker process, and :func:`peak_memory` measures the resident memory a block of code adds.

>>> call_in_child(lambda: 6 * 7, time_limit=30).value
42
>>> call_in_child(lambda: 1 // 0, time_limit=30).status
'raised'
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ChildOutcome", "call_in_child", "die_with_parent", "peak_memory", "PeakMemory"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass
class ChildOutcome:
    """What became of a computation run by :func:`call_in_child`.

    ``status`` is ``returned`` (``value`` is what ``fn`` returned), ``raised`` (``value`` is the
    exception), ``timeout`` (killed at its time limit plus grace) or ``died`` (the process ended
    without an answer; ``exitcode`` says how). ``seconds`` is the wall time in the parent.
    """

    status: str
    value: Any = None
    seconds: float = 0.0
    exitcode: int | None = None


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux; elsewhere
    a no-op). Call it first thing in a child or worker process."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def _cap_address_space(extra: int) -> None:
    """Limit this process's address space to what it maps now plus ``extra`` bytes."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = mapped + extra if hard == resource.RLIM_INFINITY else min(mapped + extra, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _child_main(fn: Callable[[], Any], send: Any, parent: int, memory_limit: int | None) -> None:
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_limit is not None:
        _cap_address_space(memory_limit)
    try:
        out: tuple[str, Any] = ("returned", fn())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent
        out = ("raised", exc)
    try:
        send.send(out)
    except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
        send.send(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
    send.close()
    os._exit(0)  # a forked child must not run the parent's exit handlers


def call_in_child(fn: Callable[[], Any], time_limit: float | None, *, grace: float = 0.0,
                  start: str = "fork", memory_limit: int | None = None) -> ChildOutcome:
    """Run ``fn()`` in a child process killed after ``time_limit + grace`` seconds.

    Parameters
    ----------
    fn : the computation; with ``start="spawn"`` it must pickle (a module-level function or a
        ``functools.partial`` of one).
    time_limit : seconds, or None for no limit.
    grace : extra seconds for a computation that honours the limit itself and returns its best.
    start : ``"fork"`` (cheap, inherits loaded modules) or ``"spawn"`` (a fresh interpreter:
        benchmark rows measure their own memory).
    memory_limit : bytes the child may map beyond what it starts with (None: no cap).
    """
    ctx = multiprocessing.get_context(start)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(fn, send, os.getpid(), memory_limit),
                       daemon=True)
    t0 = time.monotonic()
    proc.start()
    send.close()
    try:
        wait = None if time_limit is None else time_limit + grace
        if not recv.poll(wait):
            return ChildOutcome("timeout", seconds=time.monotonic() - t0)
        status, value = recv.recv()
        return ChildOutcome(status, value, time.monotonic() - t0)
    except (EOFError, OSError):
        proc.join(1)
        return ChildOutcome("died", seconds=time.monotonic() - t0, exitcode=proc.exitcode)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()


@dataclass
class PeakMemory:
    """Resident memory (MB) a block added at its peak; ``exact`` is False when only the
    process's lifetime peak was available (the figure is then a lower bound)."""

    mb: float = 0.0
    exact: bool = True


def _status_kb(field: str) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    return None


@contextlib.contextmanager
def peak_memory() -> Iterator[PeakMemory]:
    """Measure the peak resident memory the block adds to this process.

    On Linux the process's high-water mark is reset first (``/proc/self/clear_refs``), so the
    figure is the block's own peak minus the memory resident before it; elsewhere the growth of
    the lifetime peak (``ru_maxrss``) is reported, a lower bound.

    >>> import numpy as np
    >>> with peak_memory() as m:
    ...     a = np.ones(10_000_000); del a
    >>> m.mb > 50 or not m.exact
    True
    """
    out = PeakMemory()
    reset = False
    with contextlib.suppress(OSError):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    before = _status_kb("VmRSS:") if reset else None
    if before is None:
        import resource

        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        yield out
    finally:
        peak = _status_kb("VmHWM:") if before is not None else None
        if before is not None and peak is not None:
            out.mb = max(0, peak - before) / 1024
        else:
            import resource

            out.mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
            out.exact = False
