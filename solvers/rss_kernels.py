"""Compiled inner loops of the 1-D engines (numba): half-list generation, scans, heaps, batches.

Every kernel is generic in the number type: on int64 data (after an exact integer scaling)
its results are exact; on float64 data the caller supplies a rigorous error bound and re-checks
candidates exactly (see :mod:`solvers.rss`). Masks are uint64 bitsets over the item indices.

>>> import numpy as np
>>> sums, masks = half_sums(np.array([3, -1], dtype=np.int64))
>>> sums.tolist(), masks.tolist()
([-1, 0, 2, 3], [2, 0, 3, 1])
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "half_sums",
    "half_sums_into",
    "closest_pair",
    "collect_candidates",
    "popcount",
    "closest_pair_by_size",
    "range_sums",
    "batch_closest",
    "batch_sparsest",
]


@njit(cache=True)
def popcount(x):
    """Number of set bits of a uint64."""
    x = np.uint64(x)
    c = 0
    while x:
        x &= x - np.uint64(1)
        c += 1
    return c


@njit(cache=True)
def half_sums(vals):
    """All 2^h subset sums of ``vals`` in ascending order, with their masks, by merging.

    Adding item i doubles the list: the old list and the old list shifted by vals[i] are both
    sorted, so one linear merge keeps the whole list sorted (no re-sort).
    """
    size = 1 << vals.shape[0]
    return half_sums_into(
        vals,
        np.empty(size, dtype=vals.dtype),
        np.empty(size, dtype=np.uint64),
        np.empty(size, dtype=vals.dtype),
        np.empty(size, dtype=np.uint64),
    )


@njit(cache=True)
def half_sums_into(vals, sums, masks, tmp_s, tmp_m):
    """:func:`half_sums` in caller-owned buffers of length >= 2^h (returns views of two)."""
    h = vals.shape[0]
    sums[0] = 0
    masks[0] = 0
    length = 1
    for i in range(h):
        v = vals[i]
        bit = np.uint64(1) << np.uint64(i)
        a = 0
        b = 0
        k = 0
        while a < length and b < length:
            shifted = sums[b] + v
            if sums[a] <= shifted:
                tmp_s[k] = sums[a]
                tmp_m[k] = masks[a]
                a += 1
            else:
                tmp_s[k] = shifted
                tmp_m[k] = masks[b] | bit
                b += 1
            k += 1
        while a < length:
            tmp_s[k] = sums[a]
            tmp_m[k] = masks[a]
            a += 1
            k += 1
        while b < length:
            tmp_s[k] = sums[b] + v
            tmp_m[k] = masks[b] | bit
            b += 1
            k += 1
        length *= 2
        sums, tmp_s = tmp_s, sums
        masks, tmp_m = tmp_m, masks
    return sums[:length], masks[:length]


@njit(cache=True)
def closest_pair(A, B, t):
    """min |t - (A[i] + B[j])| over all pairs of two ascending lists, by a linear two-pointer scan.

    Returns (error, i, j); (-1, -1, -1) errors are impossible as both lists are non-empty.
    """
    i = 0
    j = B.shape[0] - 1
    best = abs(t - (A[0] + B[j]))
    bi = 0
    bj = j
    while i < A.shape[0] and j >= 0:
        s = A[i] + B[j]
        e = abs(t - s)
        if e < best:
            best = e
            bi = i
            bj = j
            if e == 0:
                break
        if s < t:
            i += 1
        else:
            j -= 1
    return best, bi, bj


@njit(cache=True)
def collect_candidates(A, B, t, thresh, cap, out_i, out_j):
    """Every pair with |t - (A[i] + B[j])| <= thresh (as computed), up to ``cap`` of them.

    Returns the number of such pairs (which may exceed ``cap``; then only the first ``cap``
    are stored in out_i / out_j).
    """
    count = 0
    nb = B.shape[0]
    # A ascending makes q = t - A[i] non-increasing, so both window ends only move down
    lo = nb
    hi = nb
    for i in range(A.shape[0]):
        q = t - A[i]
        slack = 2 * thresh + abs(q) * 1e-12
        while hi > 0 and B[hi - 1] > q + slack:
            hi -= 1
        if lo > hi:
            lo = hi
        while lo > 0 and B[lo - 1] >= q - slack:
            lo -= 1
        for j in range(lo, hi):
            if abs(t - (A[i] + B[j])) <= thresh:
                if count < cap:
                    out_i[count] = i
                    out_j[count] = j
                count += 1
    return count


@njit(cache=True)
def closest_pair_by_size(A, Am, B, Bm, t, k, at_most):
    """Closest pair whose masks together have exactly k (or at most k) items.

    A, B ascending with masks Am, Bm. Filtering a sorted list by popcount keeps it sorted, so
    each size split (c, k - c) is one linear scan. Returns (found, error, i, j).
    """
    ca = np.empty(A.shape[0], dtype=np.int64)
    cb = np.empty(B.shape[0], dtype=np.int64)
    for i in range(A.shape[0]):
        ca[i] = popcount(Am[i])
    for j in range(B.shape[0]):
        cb[j] = popcount(Bm[j])
    found = False
    best = A[0] - A[0]
    bi = -1
    bj = -1
    for c in range(k + 1):
        ia = np.nonzero(ca == c)[0]
        if ia.shape[0] == 0:
            continue
        if at_most:
            ib = np.nonzero(cb <= k - c)[0]
        else:
            ib = np.nonzero(cb == k - c)[0]
        if ib.shape[0] == 0:
            continue
        e, i, j = closest_pair(A[ia], B[ib], t)
        if not found or e < best:
            found = True
            best = e
            bi = ia[i]
            bj = ib[j]
    return found, best, bi, bj


# --- Schroeppel-Shamir, windowed: the sums of two quarter-lists within a value window ------


@njit(cache=True)
def range_sums(P, Q, jlo, jhi, out):
    """Write P[i] + Q[j] for every i and jlo[i] <= j < jhi[i] into ``out``; return the count."""
    k = 0
    for i in range(P.shape[0]):
        p = P[i]
        for j in range(jlo[i], jhi[i]):
            out[k] = p + Q[j]
            k += 1
    return k


# --- Batches: many independent small instances, one row each ---------------------------------


@njit(cache=True)
def batch_closest(V, T, bound, out_mask, out_err, out_ncand):
    """Per row: the closest subset sum to T[r] by meet-in-the-middle.

    ``bound[r]`` is a rigorous bound on the rounding error of any computed error in row r (0 on
    exact int64 data). out_ncand[r] counts the subsets whose computed error is within
    2 * bound[r] of the best: when it is 1 (or the data are exact) the row is proven optimal.
    """
    m, n = V.shape
    h = n // 2
    size = 1 << (n - h)
    bufs_a = (np.empty(size, V.dtype), np.empty(size, np.uint64), np.empty(size, V.dtype),
              np.empty(size, np.uint64))
    bufs_b = (np.empty(size, V.dtype), np.empty(size, np.uint64), np.empty(size, V.dtype),
              np.empty(size, np.uint64))
    for r in range(m):
        A, Am = half_sums_into(V[r, :h], bufs_a[0], bufs_a[1], bufs_a[2], bufs_a[3])
        B, Bm = half_sums_into(V[r, h:], bufs_b[0], bufs_b[1], bufs_b[2], bufs_b[3])
        e, i, j = closest_pair(A, B, T[r])
        out_mask[r] = Am[i] | (Bm[j] << np.uint64(h))
        out_err[r] = e
        if bound[r] > 0:
            ci = np.empty(2, dtype=np.int64)
            cj = np.empty(2, dtype=np.int64)
            out_ncand[r] = collect_candidates(A, B, T[r], e + 2 * bound[r], 2, ci, cj)
        else:
            out_ncand[r] = 1


@njit(cache=True)
def batch_sparsest(V, T, eps, bound, out_mask, out_err, out_size, out_flag):
    """Per row: the fewest values whose sum is within eps[r] of T[r], the smallest error of those.

    Sizes are tried in increasing order; the first size whose best error is <= eps wins, so
    smaller sizes are proven to miss eps. Where no size reaches eps the overall closest subset is
    returned with out_size = -1. out_flag[r] = 1 when rounding (bound[r] > 0) leaves a decision
    within the bound: the caller re-solves that row exactly.
    """
    m, n = V.shape
    h = n // 2
    size = 1 << (n - h)
    bufs_a = (np.empty(size, V.dtype), np.empty(size, np.uint64), np.empty(size, V.dtype),
              np.empty(size, np.uint64))
    bufs_b = (np.empty(size, V.dtype), np.empty(size, np.uint64), np.empty(size, V.dtype),
              np.empty(size, np.uint64))
    for r in range(m):
        A, Am = half_sums_into(V[r, :h], bufs_a[0], bufs_a[1], bufs_a[2], bufs_a[3])
        B, Bm = half_sums_into(V[r, h:], bufs_b[0], bufs_b[1], bufs_b[2], bufs_b[3])
        bnd = bound[r]
        out_flag[r] = 0
        out_size[r] = -1
        done = False
        for k in range(n + 1):
            found, e, i, j = closest_pair_by_size(A, Am, B, Bm, T[r], k, False)
            if not found:
                continue
            if bnd > 0 and abs(e - eps[r]) <= bnd:
                out_flag[r] = 1
            if e <= eps[r]:
                out_mask[r] = Am[i] | (Bm[j] << np.uint64(h))
                out_err[r] = e
                out_size[r] = k
                done = True
                break
        if not done:
            e, i, j = closest_pair(A, B, T[r])
            out_mask[r] = Am[i] | (Bm[j] << np.uint64(h))
            out_err[r] = e
        if bnd > 0 and out_flag[r] == 0:
            ci = np.empty(2, dtype=np.int64)
            cj = np.empty(2, dtype=np.int64)
            if done:
                k = out_size[r]
                # ties within the bound at the chosen size need an exact decision
                _, e2, _, _ = closest_pair_by_size(A, Am, B, Bm, T[r], k, False)
                cnt = _count_size_candidates(A, Am, B, Bm, T[r], k, e2 + 2 * bnd)
            else:
                cnt = collect_candidates(A, B, T[r], out_err[r] + 2 * bnd, 2, ci, cj)
            if cnt > 1:
                out_flag[r] = 1


@njit(cache=True)
def _count_size_candidates(A, Am, B, Bm, t, k, thresh):
    # pairs of total size k whose computed error is <= thresh, counted per size split
    ca = np.empty(A.shape[0], dtype=np.int64)
    cb = np.empty(B.shape[0], dtype=np.int64)
    for i in range(A.shape[0]):
        ca[i] = popcount(Am[i])
    for j in range(B.shape[0]):
        cb[j] = popcount(Bm[j])
    ci = np.empty(2, dtype=np.int64)
    cj = np.empty(2, dtype=np.int64)
    count = 0
    for c in range(k + 1):
        ia = np.nonzero(ca == c)[0]
        ib = np.nonzero(cb == k - c)[0]
        if ia.shape[0] and ib.shape[0]:
            count += collect_candidates(A[ia], B[ib], t, thresh, 2, ci, cj)
    return count
