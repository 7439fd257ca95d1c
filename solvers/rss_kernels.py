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
    "popcounts",
    "size_splits",
    "half_sums",
    "half_sums_into",
    "merge_shifted_masks",
    "sorted_subset_sums",
    "merge_shifted",
    "closest_pair",
    "closest_pair_steps",
    "collect_candidates",
    "popcount",
    "closest_pair_by_size",
    "range_sums",
    "batch_closest",
    "batch_sparsest",
    "dp_extend",
    "nearest_set_bits",
    "ckk_run",
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
    sums[0] = 0
    masks[0] = 0
    length = 1
    for i in range(vals.shape[0]):
        merge_shifted_masks(sums, masks, length, vals[i], np.uint64(1) << np.uint64(i),
                            tmp_s, tmp_m)
        length *= 2
        sums, tmp_s = tmp_s, sums
        masks, tmp_m = tmp_m, masks
    return sums[:length], masks[:length]


@njit(cache=True)
def merge_shifted_masks(sums, masks, length, v, bit, tmp_s, tmp_m):
    """One step of :func:`half_sums_into`: tmp[:2 * length] = the sorted union of
    sums[:length] and sums[:length] + v, the shifted sums' masks with ``bit`` set."""
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


@njit(cache=True)
def sorted_subset_sums(vals):
    """:func:`half_sums` without the masks: half the memory traffic, about twice as fast.

    The subset behind one sum is recovered afterwards (see ``solvers.rss``).
    """
    size = 1 << vals.shape[0]
    sums = np.empty(size, dtype=vals.dtype)
    tmp = np.empty(size, dtype=vals.dtype)
    sums[0] = 0
    for i in range(vals.shape[0]):
        merge_shifted(sums, 1 << i, vals[i], tmp)
        sums, tmp = tmp, sums
    return sums


@njit(cache=True)
def merge_shifted(sums, length, v, out):
    """out[:2 * length] = the sorted union of sums[:length] and sums[:length] + v.

    One step of :func:`sorted_subset_sums` (a caller looping over the items can check a
    deadline between steps). The merge is written without a data-dependent branch on the
    stored value, which the compiler turns into conditional moves.
    """
    a = 0
    b = 0
    k = 0
    while a < length and b < length:
        x = sums[a]
        y = sums[b] + v
        take = x <= y
        out[k] = x if take else y
        a += take
        b += 1 - take
        k += 1
    while a < length:
        out[k] = sums[a]
        a += 1
        k += 1
    while b < length:
        out[k] = sums[b] + v
        b += 1
        k += 1


@njit(cache=True)
def closest_pair(A, B, t):
    """min |t - (A[i] + B[j])| over all pairs of two ascending lists, by a linear two-pointer scan.

    Returns (error, i, j); (-1, -1, -1) errors are impossible as both lists are non-empty.
    """
    state = np.array([0, B.shape[0] - 1, 0, B.shape[0] - 1, 0], dtype=np.int64)
    closest_pair_steps(A, B, t, state, -1)
    return abs(t - (A[state[2]] + B[state[3]])), state[2], state[3]


@njit(cache=True)
def closest_pair_steps(A, B, t, state, budget):
    """Resume :func:`closest_pair`'s scan for at most ``budget`` steps (all when negative).

    ``state`` is [i, j, best i, best j, done], starting at [0, len(B) - 1, 0, len(B) - 1, 0];
    ``done`` becomes 1 when the scan is complete or met an exact hit.
    """
    i = state[0]
    j = state[1]
    best = abs(t - (A[state[2]] + B[state[3]]))
    steps = 0
    while i < A.shape[0] and j >= 0:
        if steps == budget:
            state[0] = i
            state[1] = j
            return
        steps += 1
        s = A[i] + B[j]
        e = abs(t - s)
        if e < best:
            best = e
            state[2] = i
            state[3] = j
            if e == 0:
                break
        if s < t:
            i += 1
        else:
            j -= 1
    state[0] = i
    state[1] = j
    state[4] = 1


@njit(cache=True)
def collect_candidates(A, B, t, thresh, cap, out_i, out_j):
    """Every pair with |t - (A[i] + B[j])| <= thresh (as computed), up to ``cap`` of them.

    Returns the number of such pairs, or cap + 1 as soon as there are more than ``cap`` (then
    only the first ``cap`` are stored in out_i / out_j).
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
                if count == cap:
                    return cap + 1
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


# --- Pseudo-polynomial dynamic programming: bitsets of reachable sums --------------------------

_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_TABLE = np.array([
    0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
    45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
    11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)


@njit(cache=True)
def _lowest_bit(x):
    """Index of the lowest set bit of a non-zero uint64 (de Bruijn multiplication)."""
    low = x & (~x + np.uint64(1))
    return _DEBRUIJN_TABLE[(low * _DEBRUIJN) >> np.uint64(58)]


@njit(cache=True)
def _or_word(dst, first, w, x, item):
    """dst[w] |= x; every bit this sets gets ``first[bit] = item``."""
    new = x & ~dst[w]
    if new != np.uint64(0):
        dst[w] |= new
        while new != np.uint64(0):
            first[w * 64 + _lowest_bit(new)] = item
            new &= new - np.uint64(1)


@njit(cache=True)
def _shift_or(src, dst, first, d, item):
    """dst |= src shifted by d bits; every bit this sets gets ``first[bit] = item``."""
    W = src.shape[0]
    zero = np.uint64(0)
    if d >= 0:
        q = d >> 6
        r = np.uint64(d & 63)
        back = np.uint64(64) - r
        for w in range(q, W):
            x = src[w - q] << r
            if r != zero and w - q - 1 >= 0:
                x |= src[w - q - 1] >> back
            _or_word(dst, first, w, x, item)
    else:
        q = (-d) >> 6
        r = np.uint64((-d) & 63)
        back = np.uint64(64) - r
        for w in range(0, W - q):
            x = src[w + q] >> r
            if r != zero and w + q + 1 < W:
                x |= src[w + q + 1] << back
            _or_word(dst, first, w, x, item)


@njit(cache=True)
def dp_extend(reach, first, shifts, start, stop, by_size, need, tmp):
    """Add items start..stop-1 to the reachable-sum bitsets ``reach`` (layers x words).

    Without ``by_size``, bit j of ``reach[0]`` says some subset of the items so far sums to the
    j-th sum of the range; ``by_size``, ``reach[c]`` holds the sums of subsets of exactly
    c items. ``first[c, j]`` records the item that first reached (c, j): its predecessor
    (c - 1, j - shifts[item]) was reached by an earlier item, which is what makes the subset
    recoverable by walking back. ``tmp`` is one layer of scratch (0/1 knapsack: an item is
    added to the sums as they were before it). With ``need`` = k > 0 only size k is wanted,
    so sizes that the remaining items can no longer lift to k are skipped.
    """
    L = reach.shape[0]
    n = shifts.shape[0]
    for i in range(start, stop):
        d = shifts[i]
        if not by_size:
            tmp[:] = reach[0]
            _shift_or(tmp, reach[0], first[0], d, i)
        else:
            for c in range(min(i + 1, L - 1), max(0, need - (n - i)), -1):
                _shift_or(reach[c - 1], reach[c], first[c], d, i)


@njit(cache=True)
def nearest_set_bits(row, idx, nbits):
    """(largest set bit <= idx, smallest set bit >= idx) of a bitset, -1 where there is none."""
    W = row.shape[0]
    below = -1
    above = -1
    start = min(idx, nbits - 1)
    if start >= 0:
        w = start >> 6
        word = row[w]
        keep = start & 63
        if keep < 63:
            word &= (np.uint64(1) << np.uint64(keep + 1)) - np.uint64(1)
        while True:
            if word != np.uint64(0):
                b = 63
                while (word >> np.uint64(b)) & np.uint64(1) == np.uint64(0):
                    b -= 1
                below = w * 64 + b
                break
            w -= 1
            if w < 0:
                break
            word = row[w]
    start = max(idx, 0)
    if start < nbits:
        w = start >> 6
        word = row[w] >> np.uint64(start & 63) << np.uint64(start & 63)
        while True:
            if word != np.uint64(0):
                above = w * 64 + _lowest_bit(word)
                break
            w += 1
            if w >= W:
                break
            word = row[w]
    if above >= nbits:
        above = -1
    return below, above


# --- Complete Karmarkar-Karp: depth-first over differencing / summing the two largest -------


@njit(cache=True)
def ckk_run(vals, ids, sums, branch, op_parent, op_child, op_flip, color, best_color, state,
            lower_bound, budget):
    """Resume Korf's complete Karmarkar-Karp search for at most ``budget`` nodes.

    Level L of the stack holds the m - L current numbers, ascending, in ``vals[L]`` (their
    representative item in ``ids[L]``, their total in ``sums[L]``). A node replaces its two
    largest numbers a >= b by a - b (opposite sides, tried first: Karmarkar-Karp) or a + b (the
    same side); once a >= the sum of the rest, the best completion puts all the rest opposite
    a, with difference a - rest. ``op_*[L]`` record the merge made at level L, so a leaf's
    2-colouring of the items is rebuilt by walking the merges back. ``state`` is
    [level, best difference, status, nodes]; status 1 means the tree is exhausted (the best is
    optimal), 2 that the best reached ``lower_bound``.
    """
    m = vals.shape[0]
    level = state[0]
    best = state[1]
    nodes = 0
    while nodes < budget:
        if level < 0:
            state[2] = 1
            break
        size = m - level
        if branch[level] == 0:
            nodes += 1
            a = vals[level, size - 1]
            rest = sums[level] - a
            if size == 1 or a >= rest:
                if a - rest < best:
                    best = a - rest
                    for p in range(size - 1):
                        color[ids[level, p]] = 1
                    color[ids[level, size - 1]] = 0
                    for k in range(level - 1, -1, -1):
                        color[op_child[k]] = color[op_parent[k]] ^ op_flip[k]
                    best_color[:] = color
                    if best <= lower_bound:
                        state[2] = 2
                        break
                level -= 1
                continue
            branch[level] = 1
            _ckk_child(vals, ids, sums, branch, op_parent, op_child, op_flip, level, size, 1)
            level += 1
        elif branch[level] == 1:
            branch[level] = 2
            a = vals[level, size - 1]
            b = vals[level, size - 2]
            if (a + b) - (sums[level] - a - b) >= best:
                continue  # the summing child cannot end below the best difference
            _ckk_child(vals, ids, sums, branch, op_parent, op_child, op_flip, level, size, 0)
            level += 1
        else:
            level -= 1
    state[0] = level
    state[1] = best
    state[3] += nodes


@njit(cache=True)
def _ckk_child(vals, ids, sums, branch, op_parent, op_child, op_flip, level, size, flip):
    a = vals[level, size - 1]
    b = vals[level, size - 2]
    x = a - b if flip else a + b
    op_parent[level] = ids[level, size - 1]
    op_child[level] = ids[level, size - 2]
    op_flip[level] = flip
    src = vals[level]
    dst = vals[level + 1]
    lo = 0
    hi = size - 2
    while lo < hi:  # insertion point of x among the size - 2 smaller numbers
        mid = (lo + hi) // 2
        if src[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    dst[:lo] = src[:lo]
    ids[level + 1, :lo] = ids[level, :lo]
    dst[lo] = x
    ids[level + 1, lo] = ids[level, size - 1]
    dst[lo + 1:size - 1] = src[lo:size - 2]
    ids[level + 1, lo + 1:size - 1] = ids[level, lo:size - 2]
    sums[level + 1] = sums[level] - a - b + x
    branch[level + 1] = 0


@njit(cache=True)
def popcounts(masks):
    """Number of set bits of each uint64 in ``masks``."""
    out = np.empty(masks.shape[0], dtype=np.int64)
    for k in range(masks.shape[0]):
        out[k] = popcount(masks[k])
    return out


def size_splits(Am: np.ndarray, Bm: np.ndarray, rule: tuple[int, bool] | None):
    """Index arrays (ia, ib) of the half-lists to pair, one pair per size split of a
    cardinality ``rule`` (k, at_most); a single (None, None), every pair, without a rule."""
    if rule is None:
        yield None, None
        return
    ca, cb = popcounts(Am), popcounts(Bm)
    k, at_most = rule
    for c in range(k + 1):
        ia = np.nonzero(ca == c)[0]
        ib = np.nonzero(cb <= k - c if at_most else cb == k - c)[0]
        if len(ia) and len(ib):
            yield ia, ib
