"""Memory estimated before allocating: refuse a request that cannot fit, with one clear line.

The exact engines hold lists of subset sums whose length is known from n before anything is
allocated: a meet-in-the-middle 2 x 2^(n/2) sums, the bounded engine 4 x 2^(n/4) plus a heap,
the interval-union recursion a few int64 arrays per interval, a network its parameters. Each
estimate here is compared with the memory available to this process (``MemAvailable``, at
most :data:`MEMORY_FRACTION` of it) and the request is refused as bad input when it is larger.

>>> subset_search_bytes(40) < subset_search_bytes(44)
True
>>> check_memory(subset_search_bytes(200), "an exact search over n = 200 values")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
solvers.numbers.InputError: an exact search over n = 200 values needs about 1.1e+05 TB of memory (available: ...)
"""

from __future__ import annotations

import math
import os

from solvers.numbers import InputError

__all__ = [
    "MEMORY_FRACTION",
    "INTERVAL_BYTES",
    "available_bytes",
    "check_memory",
    "format_bytes",
    "subset_search_bytes",
    "check_subset_memory",
    "network_bytes",
    "max_intervals_for_memory",
]

#: The share of the available memory one request may plan to use.
MEMORY_FRACTION = 0.8
#: Bytes per interval of the interval-union recursion (ends, masks and their merge buffers as
#: int64), with both buffers of a step alive at once.
INTERVAL_BYTES = 128


def available_bytes() -> int:
    """The memory this process may plan to use: MemAvailable times :data:`MEMORY_FRACTION`."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(int(line.split()[1]) * 1024 * MEMORY_FRACTION)
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**34
    return int(pages * MEMORY_FRACTION)


def format_bytes(n: float) -> str:
    """``1.5 GB``-style text for a number of bytes.

    >>> format_bytes(3 * 2**30), format_bytes(512)
    ('about 3.2 GB', '512 B')
    """
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"about {n / size:.2g} {unit}"
    return f"{int(n)} B"


def check_memory(nbytes: float, what: str, fix: str = "") -> None:
    """Raise one InputError when ``what`` needs more than the memory available."""
    avail = available_bytes()
    if nbytes > avail:
        need = format_bytes(nbytes) if math.isfinite(nbytes) else "more than any machine has"
        raise InputError(f"{what} needs {need} of memory (available: {format_bytes(avail)})"
                         f"{': ' + fix if fix else ''}")


def subset_search_bytes(n: int, d: int = 1, *, bounded: bool | None = None) -> float:
    """Bytes an exact subset search over n values in R^d holds at its peak.

    A meet-in-the-middle keeps two half-lists of 2^ceil(n/2) sums (d int64 coordinates and a
    subset mask each) and a merge buffer; the bounded engine (1-D, ``bounded``; by default when
    n > 44, as ``auto`` chooses) four quarter-lists of 2^ceil(n/4) and a heap as long.
    """
    if bounded is None:
        bounded = d == 1 and n > 44
    half = -(-n // 4) if bounded else -(-n // 2)
    if half > 1000:  # beyond any memory, and beyond a double
        return math.inf
    return 6 * 2.0**half * 16 if bounded else 3 * 2.0**half * (8 * d + 8)


def check_subset_memory(n: int, d: int = 1, method: str = "auto", what: str = "",
                        fix: str = "use fewer values (or a MIP or CP-SAT method with a time "
                                   "limit for a bound)") -> None:
    """Refuse an exact subset search (``auto``, ``mitm``, ``bounded``) that cannot fit in memory.

    >>> check_subset_memory(30, 3)
    >>> check_subset_memory(120, method="cpsat")  # a model, not lists of sums
    """
    if method not in ("auto", "mitm", "bounded"):
        return
    need = subset_search_bytes(n, d, bounded=None if method == "auto" else method == "bounded")
    dim = "" if d == 1 else f" in R^{d}"
    check_memory(need, what or f"an exact search over n = {n} values{dim}", fix)


def network_bytes(n_params: int) -> float:
    """Bytes a network of ``n_params`` float64 parameters takes with its mask and pruned copy."""
    return 4.0 * n_params * 8


def max_intervals_for_memory(limit: int) -> int:
    """The largest interval count the recursion may reach: ``limit`` or what memory allows."""
    return max(1, min(limit, available_bytes() // INTERVAL_BYTES))
