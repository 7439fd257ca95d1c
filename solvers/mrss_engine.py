"""The d-dimensional meet-in-the-middle sweep: half-lists of subset sums, sorted on the first
coordinate, swept with a window of the current best distance on exactly scaled integers.

The engine behind :mod:`solvers.mrss` and :mod:`solvers.mrss_cube`; the compiled loops are
``numba`` kernels. Both norms are at least the first-coordinate gap, so a pair whose first
coordinates differ by more than the best distance so far cannot improve it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numba import njit

from solvers.instances import MRSSInstance, norm_value
from solvers.numbers import (
    integer_scaling,
)
from solvers.results import Solution

__all__ = ["SweepEngine", "HalfLists", "subset_sums", "clamp_threshold", "mask_bits",
           "SWEEP_LIMIT"]

# int64 headroom of the sweep: every coordinate of every half-sum and query is at most
# limit / (2 d), so differences and 1-norm sums stay below 2^61 and best + q0 below 2^63.
SWEEP_LIMIT = 2**61
_BIG = 2**62
# Half-list sizes: the sorted list holds at most 2^_MAX_B_BITS sums (memory), the query list is
# generated in chunks of 2^_CHUNK_BITS and swept in slices of _SLICE rows (time-limit checks).
_MAX_B_BITS = 22
_CHUNK_BITS = 20
_SLICE = 1 << 16

# --- numba kernels ----------------------------------------------------------------------------


@njit(cache=True)
def _distance(Q, iq, B, j, first, norm1, limit):  # pragma: no cover
    """The distance of Q[iq] and B[j] (inf or 1 norm) given ``first`` = |coordinate 0
    difference|; stops adding coordinates once it exceeds ``limit``."""
    dist = first
    c = 1
    while c < Q.shape[1] and dist <= limit:
        t = abs(Q[iq, c] - B[j, c])
        if norm1:
            dist += t
        elif t > dist:
            dist = t
        c += 1
    return dist


@njit(cache=True)
def _sweep_min(Q, B, B0, b_lo, b_hi, best, norm1, stop):  # pragma: no cover - compiled
    """Smallest distance below ``best`` between a query row and a row of B[b_lo:b_hi].

    Q is sorted ascending on column 0, B on column 0 within [b_lo, b_hi) (B0 = that column).
    Returns (best, iq, ib) with iq = -1 when nothing beat the initial best; stops at ``stop``.
    """
    m = Q.shape[0]
    arg_q = -1
    arg_b = -1
    if m == 0 or b_lo >= b_hi:
        return best, arg_q, arg_b
    lo = b_lo + np.searchsorted(B0[b_lo:b_hi], Q[0, 0] - best, side="right")
    for iq in range(m):
        q0 = Q[iq, 0]
        while lo < b_hi and B0[lo] <= q0 - best:
            lo += 1
        j = lo
        while j < b_hi:
            diff = B0[j] - q0
            if diff >= best:
                break
            dist = _distance(Q, iq, B, j, abs(diff), norm1, best)
            if dist < best:
                best = dist
                arg_q = iq
                arg_b = j
                if best <= stop:
                    return best, arg_q, arg_b
            j += 1
    return best, arg_q, arg_b


@njit(cache=True)
def _sweep_collect(Q, B, B0, b_lo, b_hi, thr, norm1, iq0, j0, out):  # pragma: no cover
    """All pairs (iq, ib) with distance <= thr, written to ``out``; resumable when it fills.

    Returns (count, iq, j): when ``count == len(out)`` call again with (iq0, j0) = (iq, j).
    """
    m = Q.shape[0]
    cap = out.shape[0]
    count = 0
    if iq0 >= m or b_lo >= b_hi:
        return count, m, 0
    lo = b_lo + np.searchsorted(B0[b_lo:b_hi], Q[iq0, 0] - thr, side="left")
    for iq in range(iq0, m):
        q0 = Q[iq, 0]
        while lo < b_hi and B0[lo] < q0 - thr:
            lo += 1
        j = lo
        if iq == iq0 and j0 > j:
            j = j0
        while j < b_hi:
            diff = B0[j] - q0
            if diff > thr:
                break
            dist = _distance(Q, iq, B, j, abs(diff), norm1, thr)
            if dist <= thr:
                if count == cap:
                    return count, iq, j
                out[count, 0] = iq
                out[count, 1] = j
                count += 1
            j += 1
    return count, m, 0


def subset_sums(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All 2^m subset sums of the rows (row t = the subset of the set bits of t) and their sizes."""
    sums = np.zeros((1, rows.shape[1]), dtype=np.int64)
    sizes = np.zeros(1, dtype=np.int64)
    for r in rows:
        sums = np.concatenate([sums, sums + r])
        sizes = np.concatenate([sizes, sizes + 1])
    return sums, sizes


@njit(cache=True)
def _sorted_subset_sums(rows):  # pragma: no cover - compiled
    """All 2^m subset sums ascending on column 0, with their masks, by merging (no sort).

    Step i merges the sorted list L with L + rows[i] (still sorted), as in the 1-D engine.
    """
    m, d = rows.shape
    size = 1 << m
    sums = np.zeros((size, d), dtype=np.int64)
    masks = np.zeros(size, dtype=np.int64)
    tmp = np.zeros((size, d), dtype=np.int64)
    tmp_masks = np.zeros(size, dtype=np.int64)
    length = 1
    for i in range(m):
        x0 = rows[i, 0]
        a, b = 0, 0
        for k in range(2 * length):
            if b >= length or (a < length and sums[a, 0] <= sums[b, 0] + x0):
                tmp[k] = sums[a]
                tmp_masks[k] = masks[a]
                a += 1
            else:
                for c in range(d):
                    tmp[k, c] = sums[b, c] + rows[i, c]
                tmp_masks[k] = masks[b] | (1 << i)
                b += 1
        sums, tmp = tmp, sums
        masks, tmp_masks = tmp_masks, masks
        length *= 2
    return sums, masks


def _half_list(rows: np.ndarray, descending: bool, by_size: bool):
    """Sorted subset sums of ``rows`` (on coordinate 0; by size first when ``by_size``).

    Returns (sums, column 0, masks, offsets): the sums of size g are rows offsets[g]:offsets[g+1].
    """
    sums, masks = _sorted_subset_sums(np.ascontiguousarray(rows))
    if descending:
        sums, masks = sums[::-1], masks[::-1]
    sizes = np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)
    if by_size:
        order = np.argsort(sizes, kind="stable")
        sums, masks, sizes = sums[order], masks[order], sizes[order]
        offsets = np.searchsorted(sizes, np.arange(len(rows) + 2))
    else:
        offsets = np.array([0, len(masks)])
    sums = np.ascontiguousarray(sums)
    return sums, np.ascontiguousarray(sums[:, 0]), np.ascontiguousarray(masks), offsets


def mask_bits(mask: int, offset: int) -> list[int]:
    return [offset + i for i in range(mask.bit_length()) if mask >> i & 1]


class HalfLists:
    """The sorted half-lists of rounded subset sums, shared by every target (stateful).

    Elements [0, c) form the query list ``A_lo`` (sorted descending on coordinate 0 within each
    size, so ``z - A_lo`` is ascending), [c, n_a) are enumerated chunk by chunk (``A_hi``), and
    [n_a, n) form the sorted list ``B``.
    """

    def __init__(self, rounded: np.ndarray, by_size: bool) -> None:
        n, d = rounded.shape
        self.n, self.d, self.by_size = n, d, by_size
        max_b = min(_MAX_B_BITS, max(1, int(math.log2(2**28 / (8 * d + 16)))))
        self.n_b = min((n + 1) // 2, max_b)
        self.n_a = n - self.n_b
        self.c = min(self.n_a, _CHUNK_BITS)
        self.B, self.B0, self.b_mask, self.b_off = _half_list(rounded[self.n_a:], False, by_size)
        self.A_lo, _, self.a_mask, self.a_off = _half_list(rounded[: self.c], True, by_size)
        self.A_hi, self.hi_sizes = subset_sums(rounded[self.c: self.n_a])

    def chunks(self, zr: np.ndarray, sizes: tuple[int, int]) -> Iterator[tuple]:
        """Per chunk h: the ascending queries ``zr - A_hi[h] - A_lo`` and the group pairs to sweep."""
        lo_k, hi_k = sizes
        for h in range(len(self.A_hi)):
            Q = (zr - self.A_hi[h])[None, :] - self.A_lo
            if not self.by_size:
                yield h, Q, [(0, len(self.A_lo), 0, len(self.B))]
                continue
            hs = int(self.hi_sizes[h])
            pairs = []
            for ga in range(self.c + 1):
                for gb in range(self.n_b + 1):
                    a0, a1 = self.a_off[ga], self.a_off[ga + 1]
                    b0, b1 = self.b_off[gb], self.b_off[gb + 1]
                    if lo_k <= hs + ga + gb <= hi_k and a1 > a0 and b1 > b0:
                        pairs.append((a0, a1, b0, b1))
            yield h, Q, pairs

    def subset(self, h: int, iq: int, ib: int) -> tuple[int, ...]:
        return tuple(
            mask_bits(int(self.a_mask[iq]), 0)
            + mask_bits(h, self.c)
            + mask_bits(int(self.b_mask[ib]), self.n_a)
        )


class SweepEngine:
    """Meet-in-the-middle on one instance and any number of targets."""

    def __init__(
        self, inst: MRSSInstance, targets: Sequence[Sequence[Fraction]], by_size: bool = False
    ) -> None:
        self.inst = inst
        self.scaling = integer_scaling(inst.vectors, targets, inst.norm)
        # the admissible sizes; sparsest_subset changes them between sweeps
        self.sizes = inst.size_range()
        self.halves = HalfLists(self.scaling.rounded, by_size or self.sizes != (0, inst.n))
        self.norm1 = inst.norm == "1"

    def exact_distance(self, subset: Sequence[int], t: int) -> int:
        """The exact distance in units of 1/scale (a Python int)."""
        z, X = self.scaling.exact_targets[t], self.scaling.exact
        r = [z[j] - sum(X[i][j] for i in subset) for j in range(self.inst.d)]
        return norm_value(r, self.inst.norm)

    def minimise(self, t: int, best: int, stop: int, deadline: float | None):
        """Sweep every chunk; returns (best, (h, iq, ib) or None, finished)."""
        hv, arg = self.halves, None
        for h, Q, pairs in hv.chunks(self.scaling.rounded_targets[t], self.sizes):
            for a0, a1, b0, b1 in pairs:
                for s0 in range(a0, a1, _SLICE):
                    s1 = min(a1, s0 + _SLICE)
                    val, iq, ib = _sweep_min(Q[s0:s1], hv.B, hv.B0, b0, b1, best, self.norm1,
                                             stop)
                    if iq >= 0:
                        best, arg = int(val), (h, s0 + int(iq), int(ib))
                    if best <= stop:
                        return best, arg, True
                    if deadline is not None and time.perf_counter() > deadline:
                        return best, arg, False
        return best, arg, True

    def candidates(self, t: int, thr: int) -> Iterator[tuple[int, ...]]:
        """Every subset whose rounded distance is <= thr, in bounded-memory batches."""
        hv = self.halves
        out = np.empty((4096, 2), dtype=np.int64)
        for h, Q, pairs in hv.chunks(self.scaling.rounded_targets[t], self.sizes):
            for a0, a1, b0, b1 in pairs:
                iq, j = 0, 0
                Qg = Q[a0:a1]
                while iq < len(Qg):
                    count, iq, j = _sweep_collect(Qg, hv.B, hv.B0, b0, b1, thr, self.norm1,
                                                  iq, j, out)
                    for q, b in out[:count]:
                        yield hv.subset(h, a0 + int(q), int(b))

    def solve(self, t: int, time_limit: float | None, start: float) -> Solution:
        """The exact optimum for target t (``instance_hash`` is left to the caller)."""
        sc = self.scaling
        deadline = None if time_limit is None else start + time_limit
        best, arg, finished = self.minimise(t, _BIG, 0, deadline)
        stats: dict[str, Any] = {"shift": sc.shift, "half_bits": [self.halves.n_a,
                                                                  self.halves.n_b]}
        if arg is None:
            return Solution("unknown", method="mitm", proof="time limit before any pair",
                            seconds=time.perf_counter() - start, stats=stats)
        subset = self.halves.subset(*arg)
        if not finished:
            return self._solution("feasible", subset, t, start, stats,
                                  "time limit: best subset found by the sweep so far")
        halves = f"2^{self.halves.n_a} x 2^{self.halves.n_b} half-sums"
        if sc.slack == 0:
            return self._solution("optimal", subset, t, start, stats,
                                  f"meet-in-the-middle over {halves}, exact int64 at scale "
                                  f"{_scale_str(sc.scale)}")
        best_exact, count = None, 0
        for cand in self.candidates(t, best + 2 * sc.slack):
            count += 1
            dist = self.exact_distance(cand, t)
            if best_exact is None or dist < best_exact:
                best_exact, subset = dist, cand
        stats["rechecked"] = count
        return self._solution("optimal", subset, t, start, stats,
                              f"meet-in-the-middle over {halves} rounded to 2^{sc.shift} units; "
                              f"all {count} pairs within the rounding bound re-checked exactly")

    def _target(self, t: int) -> tuple[Fraction, ...]:
        return self.inst.target if t == 0 else self.inst.targets[t - 1]

    def _solution(self, status: str, subset: tuple[int, ...], t: int, start: float,
                  stats: dict[str, Any], proof: str) -> Solution:
        err = self.inst.error(subset, self._target(t))
        return Solution(status, subset=subset, error=err,
                        lower_bound=err if status == "optimal" else None, method="mitm",
                        proof=proof, seconds=time.perf_counter() - start, stats=stats)

    def within(self, t: int, eps: Fraction) -> tuple[int, ...] | None:
        """A subset within eps of target t (exact decision), or None when there is none."""
        sc = self.scaling
        e_units = math.floor(eps / sc.unit)
        # a subset within eps has rounded distance < eps/unit + slack, so <= floor(eps/unit) + slack
        thr = clamp_threshold(e_units + sc.slack)
        best, arg, _ = self.minimise(t, thr + 1, clamp_threshold(e_units - sc.slack), None)
        if arg is None:
            return None
        eps_int = eps * sc.scale
        subset = self.halves.subset(*arg)
        if self.exact_distance(subset, t) <= eps_int:
            return subset
        for cand in self.candidates(t, thr):
            if self.exact_distance(cand, t) <= eps_int:
                return cand
        return None


def clamp_threshold(threshold: int) -> int:
    """A distance threshold within int64: rounded distances all lie in [0, SWEEP_LIMIT]."""
    return max(-1, min(threshold, _BIG - 1))


def _scale_str(scale: int) -> str:
    return f"2^{scale.bit_length() - 1}" if scale & (scale - 1) == 0 else str(scale)


