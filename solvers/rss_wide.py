"""Meet-in-the-middle on wide integers: every sum in two 62-bit limbs, compiled (numba).

An exactly scaled instance whose sums exceed int64 (values of 64, 80 or 100 bits, near-ties
2^64 + small) is solved here without Python integer objects. A sum s is held as the pair
(hi, lo) with s = hi * 2^62 + lo and 0 <= lo < 2^62, so the pairs are canonical: comparing
(hi, lo) lexicographically compares the integers, and adding or subtracting two of them
carries one bit from lo into hi. With |target| + sum |values| < 2^WIDE_BITS every partial sum
and every difference target - a - b keeps hi within int64: the engine is exact there.

The half-lists of subset sums are generated sorted by merging (one item at a time, so the
time limit is checked between items), then scanned by two pointers in chunks of
``SCAN_CHUNK`` steps between which the deadline is checked.

>>> vals = [2**80 + 3, 2**80 + 5, 2**80 + 9, 7]
>>> found = wide_closest(vals, 2 * 2**80 + 16, None, None)  # 3 + 5 + 7 = 15
>>> found.subset, found.finished, found.error
([0, 1, 3], True, 1)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from solvers.rss_kernels import size_splits

__all__ = [
    "LIMB_BITS",
    "WIDE_BITS",
    "SCAN_CHUNK",
    "fits_wide",
    "wide_bytes",
    "to_limbs",
    "WideAnswer",
    "wide_closest",
    "wide_merge",
    "wide_scan",
]

#: Bits of the low limb.
LIMB_BITS = 62
#: |target| + sum |values| below 2^WIDE_BITS: hi stays below 2^60 in every sum and difference.
WIDE_BITS = 122
#: Two-pointer steps between two checks of the deadline (a few milliseconds).
SCAN_CHUNK = 1 << 20

_MASK = (1 << LIMB_BITS) - 1


def fits_wide(values: Sequence[int], target: int) -> bool:
    """Whether the two-limb engine is exact on these integers.

    >>> fits_wide([2**100, -2**100], 5), fits_wide([2**121], 2**121)
    (True, False)
    """
    return sum(abs(v) for v in values) + abs(target) < 1 << WIDE_BITS


def wide_bytes(n: int) -> float:
    """Memory of the two half-lists: (hi, lo, mask) per sum, each with a merge buffer."""
    return 2 * 2 * 3 * 8 * 2.0 ** min(n - n // 2, 1000)


def to_limbs(ints: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) int64 arrays with ints[k] == hi[k] * 2^62 + lo[k] and 0 <= lo[k] < 2^62.

    >>> hi, lo = to_limbs([-1, 2**62 + 5])
    >>> hi.tolist(), lo.tolist() == [2**62 - 1, 5]
    ([-1, 1], True)
    """
    return (np.array([v >> LIMB_BITS for v in ints], dtype=np.int64),
            np.array([v & _MASK for v in ints], dtype=np.int64))


@njit(cache=True, inline="always")
def _add(ah, al, bh, bl):
    low = al + bl  # < 2^63: no overflow
    return ah + bh + (low >> 62), low & 0x3FFFFFFFFFFFFFFF


@njit(cache=True, inline="always")
def _sub(ah, al, bh, bl):
    low = al - bl  # in (-2^62, 2^62): the arithmetic shift gives the borrow
    return ah - bh + (low >> 62), low & 0x3FFFFFFFFFFFFFFF


@njit(cache=True, inline="always")
def _less(ah, al, bh, bl):
    return ah < bh or (ah == bh and al < bl)


@njit(cache=True)
def wide_merge(sh, sl, sm, length, vh, vl, bit, th, tl, tm):
    """Write the sorted union of sums[:length] and sums[:length] + v into t*[:2 * length].

    Both inputs are sorted (the second is the first shifted by the item's value), so one
    linear merge keeps the list of subset sums sorted; the item's bit marks the shifted ones.
    """
    a = 0
    b = 0
    k = 0
    while a < length and b < length:
        yh, yl = _add(sh[b], sl[b], vh, vl)
        if _less(yh, yl, sh[a], sl[a]):
            th[k] = yh
            tl[k] = yl
            tm[k] = sm[b] | bit
            b += 1
        else:
            th[k] = sh[a]
            tl[k] = sl[a]
            tm[k] = sm[a]
            a += 1
        k += 1
    while a < length:
        th[k] = sh[a]
        tl[k] = sl[a]
        tm[k] = sm[a]
        a += 1
        k += 1
    while b < length:
        yh, yl = _add(sh[b], sl[b], vh, vl)
        th[k] = yh
        tl[k] = yl
        tm[k] = sm[b] | bit
        b += 1
        k += 1


@njit(cache=True)
def wide_scan(Ah, Al, Bh, Bl, th, tl, state, best, budget):
    """Resume the two-pointer scan for min |t - (A[i] + B[j])| for at most ``budget`` steps.

    ``state`` is [i, j, best i, best j, done] (i = 0, j = len(B) - 1 to start; best i = -1
    when there is no best yet, -2 to improve only on the ``best`` error (hi, lo) carried in). ``done`` becomes 1 when the scan is complete
    (or met an exact hit): every pair that can be closest has been compared exactly.
    """
    i = state[0]
    j = state[1]
    steps = 0
    while i < Ah.shape[0] and j >= 0:
        if steps == budget:
            state[0] = i
            state[1] = j
            return
        steps += 1
        sh, sl = _add(Ah[i], Al[i], Bh[j], Bl[j])
        dh, dl = _sub(th, tl, sh, sl)
        below = dh >= 0  # the sum is at most t
        if not below:
            dh, dl = _sub(0, 0, dh, dl)
        if state[2] == -1 or _less(dh, dl, best[0], best[1]):
            best[0] = dh
            best[1] = dl
            state[2] = i
            state[3] = j
            if dh == 0 and dl == 0:
                break
        if below:
            i += 1
        else:
            j -= 1
    state[0] = i
    state[1] = j
    state[4] = 1


@dataclass
class WideAnswer:
    """The best subset found (None when none was compared or none is admissible), its exact
    integer error, and whether every admissible pair was compared (a proof of optimality)."""

    subset: list[int] | None
    error: int | None
    finished: bool


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _half_list(vals: Sequence[int], deadline: float | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """All subset sums of ``vals`` sorted, as (hi, lo, mask); None if the deadline passed."""
    size = 1 << len(vals)
    sh, sl, sm = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.uint64)
    th, tl, tm = np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.uint64)
    sh[0], sl[0], sm[0] = 0, 0, 0  # the empty subset; the merges fill the rest
    vh, vl = to_limbs(vals)
    for k in range(len(vals)):
        if _expired(deadline):
            return None
        wide_merge(sh, sl, sm, 1 << k, vh[k], vl[k], np.uint64(1) << np.uint64(k), th, tl, tm)
        sh, th, sl, tl, sm, tm = th, sh, tl, sl, tm, sm
    return sh, sl, sm


def wide_closest(values: Sequence[int], target: int, rule: tuple[int, bool] | None,
                 deadline: float | None) -> WideAnswer:
    """Exact meet-in-the-middle on integers within :data:`WIDE_BITS` (see the module).

    Parameters
    ----------
    values, target : Python integers with ``fits_wide(values, target)``.
    rule : None, or (k, at_most): subsets of exactly k (or at most k) items.
    deadline : a ``time.perf_counter()`` instant, checked between items and scan chunks.

    Returns
    -------
    WideAnswer: ``finished`` is a proof that ``subset`` is optimal (with ``subset`` None: no
    subset satisfies the rule); unfinished, the best subset compared before the deadline.
    """
    h = len(values) // 2
    halves = _half_list(values[:h], deadline), _half_list(values[h:], deadline)
    if halves[0] is None or halves[1] is None:
        return WideAnswer(None, None, False)
    (Ah, Al, Am), (Bh, Bl, Bm) = halves
    th, tl = target >> LIMB_BITS, target & _MASK
    best = np.zeros(2, dtype=np.int64)
    found: tuple[int, int] | None = None
    for ia, ib in size_splits(Am, Bm, rule):
        P = (Ah, Al, Am) if ia is None else (Ah[ia], Al[ia], Am[ia])
        Q = (Bh, Bl, Bm) if ib is None else (Bh[ib], Bl[ib], Bm[ib])
        state = np.array([0, len(Q[0]) - 1, -1 if found is None else -2, 0, 0], dtype=np.int64)
        while not state[4]:
            if _expired(deadline):
                return _answer(found, values, target, h, False)
            wide_scan(P[0], P[1], Q[0], Q[1], th, tl, state, best, SCAN_CHUNK)
        if state[2] >= 0:
            found = int(P[2][state[2]]), int(Q[2][state[3]])
            if best[0] == 0 and best[1] == 0:
                break
    return _answer(found, values, target, h, True)


def _answer(found: tuple[int, int] | None, values: Sequence[int], target: int, h: int,
            finished: bool) -> WideAnswer:
    if found is None:
        return WideAnswer(None, None, finished)
    subset = ([i for i in range(h) if found[0] >> i & 1]
              + [h + i for i in range(len(values) - h) if found[1] >> i & 1])
    return WideAnswer(subset, abs(target - sum(values[i] for i in subset)), finished)
