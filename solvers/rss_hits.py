"""Exact hits: a subset whose sum is exactly a given integer, by modular meet-in-the-middle.

Near and beyond the phase transition of subset sum (n close to or above the values' bit
length) a subset summing exactly to the target, or to the target moved by the exact lattice
lower bound (:mod:`solvers.rss_bounds`), usually exists: about 2^n g / (sqrt(2 pi) sigma) of
them, with sigma^2 = sum v_i^2 / 4 and g the gcd of the values. Finding one proves
optimality, since no subset can do better than the bound. The exhaustive engines cannot end
there (2^(n/2) is out of reach at n = 100) and differencing rarely lands on one.

Schroeppel and Shamir's four lists with the modular split of Howgrave-Graham and Joux
(EUROCRYPT 2010) find them. Cut the items into quarters with subset-sum lists Q1..Q4 of
2^(n/4) sums each. For a residue r modulo a prime M, a solution with
sum(Q1 part) + sum(Q2 part) = r (mod M) is found by pairing only the sums a + b = r (mod M)
of Q1, Q2 (about |Q1| |Q2| / M pairs, read from Q2 sorted by residue) with the sums
c + d = T - r (mod M) of Q3, Q4, then matching the two lists exactly on their quotients by
M: one residue costs O(2^(n/4) + 2^(n/2) / M) and finds about (number of solutions) / M of
them. Residues are tried in a pseudo-random order until a hit or the deadline; all M
residues together are an exhaustive search (a proof that no subset hits T). A prime
modulus spreads the sums evenly over the residues even when the values share low bits.

Everything is exact in int64: a sum s is held as its quotient s // M and residue s mod M,
which fit when sum |v| < 2^59 M (the values are divided by their gcd first). Past
``4 * QUARTER_MAX`` items the two largest are differenced (Karmarkar-Karp) until that many
remain; then a hit is still an exact subset, but exhausting the residues no longer proves
that none exists.

>>> vals = [8, 7, 6, 5, 4, 3, 3, 1]
>>> found = exact_hit(vals, [19], None)
>>> found.target, sum(vals[i] for i in found.subset)
(19, 19)
>>> exact_hit([2, 4, 6], [5], None).exhausted  # every residue tried: no subset sums to 5
True
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = [
    "QUARTER_MAX",
    "LIST_BITS",
    "HitSearch",
    "exact_hit",
    "expected_hits_log2",
    "hit_bytes",
]

#: Items per quarter list at most (2^22 sums of 24 bytes each).
QUARTER_MAX = 22
#: log2 of the planned length of the paired lists per residue.
LIST_BITS = 22
#: Moduli up to 2^TABLE_BITS index a table of bucket starts; larger ones binary-search.
TABLE_BITS = 24
#: Largest modulus 2^62: residues and their pairwise sums stay within int64.
MODULUS_MAX_BITS = 62


@dataclass
class HitSearch:
    """The subset found (indices into the values) and the target it hits, or None; whether
    every residue was tried on the original items (a proof that no subset hits any target);
    the residues tried and the modulus M."""

    subset: list[int] | None
    target: int | None
    exhausted: bool
    residues: int
    modulus: int


def expected_hits_log2(values: Sequence[int], target: int) -> float:
    """log2 of the expected number of subsets summing exactly to ``target`` (integers).

    The normal approximation of a random subset's sum (mean sum v / 2, variance
    sum v^2 / 4) on the lattice of the values' gcd; it steers ``auto``, it proves nothing.

    >>> round(expected_hits_log2([3] * 20, 30), 1)  # C(20, 10) = 184756: about 2^17.5
    17.5
    >>> round(expected_hits_log2([2**3000 + 1, 2**3000 + 3], 2**3001 + 4))  # no overflow
    -3000
    """
    nz = [abs(v) for v in values if v]
    if not nz:
        return 0.0 if target == 0 else -math.inf
    g = math.gcd(*nz)
    if target % g:
        return -math.inf
    # logarithms of exact integers: no float overflow however wide the values
    log2_var = math.log2(sum((v // g) ** 2 for v in nz)) - 2
    twice_gap = abs(2 * target - sum(values)) // g  # 2 |target - mean| / g
    z2 = 0.0
    if twice_gap:
        z2_log2 = 2 * math.log2(twice_gap) - 3 - log2_var  # z^2 = gap^2 / (2 var)
        z2 = 2.0**z2_log2 if z2_log2 < 60 else math.inf
    return len(nz) - 0.5 * (math.log2(2 * math.pi) + log2_var) - z2 / math.log(2)


def hit_bytes(n: int) -> float:
    """Memory of the search on n items: the quarter lists (24 bytes a sum) while they are
    sorted by residue, the bucket bounds, and the paired lists with their sorted copies
    (twice the planned length, as residues are not all equally full)."""
    q = min(-(-n // 4), QUARTER_MAX)
    return 2 * 2 * 24 * 2.0**q + 2 * 8 * 2.0**q + 2 * 8 * 2.0 ** min(
        max(2 * q - LIST_BITS, 0), TABLE_BITS) + 2 * 2 * 24 * 2.0**LIST_BITS


@njit(cache=True)
def _quarter_sums(kv, rv, M):
    """All subset sums of one quarter as (quotient, residue mod M, mask), unsorted."""
    size = 1 << kv.shape[0]
    ks = np.zeros(size, dtype=np.int64)
    rs = np.zeros(size, dtype=np.int64)
    ms = np.zeros(size, dtype=np.uint64)
    length = 1
    for i in range(kv.shape[0]):
        bit = np.uint64(1) << np.uint64(i)
        for j in range(length):
            r = rs[j] + rv[i]
            carry = r >= M
            ks[length + j] = ks[j] + kv[i] + carry
            rs[length + j] = r - M * carry
            ms[length + j] = ms[j] | bit
        length *= 2
    return ks, rs, ms


@njit(cache=True)
def _residue_pairs(k1, r1, m1, k2, r2, m2, lo, hi, M, shift, out_k, out_m):
    """Every pair a + b = r (mod M) of Q1 and Q2, where Q2 (sorted by residue) has the
    residue r - a at positions lo[a]..hi[a] - 1: the quotient of a + b by M and the pair's
    mask; returns the count."""
    c = 0
    for a in range(k1.shape[0]):
        for j in range(lo[a], hi[a]):
            out_k[c] = k1[a] + k2[j] + (r1[a] + r2[j] >= M)
            out_m[c] = m1[a] | (m2[j] << np.uint64(shift))
            c += 1
    return c


@njit(cache=True)
def _two_sum(A, B, want):
    """Indices (i, j) with A[i] + B[j] == want in two ascending lists, else (-1, -1)."""
    i = 0
    j = B.shape[0] - 1
    while i < A.shape[0] and j >= 0:
        s = A[i] + B[j]
        if s == want:
            return i, j
        if s < want:
            i += 1
        else:
            j -= 1
    return -1, -1


@njit(cache=True)
def _bucket_bounds(r1, offsets, r, M):
    """For each a of Q1, the positions of residue r - a in Q2 (bucket starts ``offsets``)."""
    lo = np.empty(r1.shape[0], dtype=np.int64)
    hi = np.empty(r1.shape[0], dtype=np.int64)
    for a in range(r1.shape[0]):
        need = r - r1[a]
        if need < 0:
            need += M
        lo[a] = offsets[need]
        hi[a] = offsets[need + 1]
    return lo, hi


def _by_residue(quarter: tuple, M: int) -> tuple[tuple, np.ndarray | None]:
    """A quarter list sorted by residue, and its bucket starts when M fits a table."""
    if M > 1 << TABLE_BITS:
        order = np.argsort(quarter[1])
        return tuple(a[order] for a in quarter), None
    offsets = np.zeros(M + 1, dtype=np.int64)
    np.cumsum(np.bincount(quarter[1], minlength=M), out=offsets[1:])
    return _counting_sort(*quarter, offsets), offsets


@njit(cache=True)
def _counting_sort(ks, rs, ms, offsets):
    """The quarter list ordered by residue, placed by the bucket starts (linear time)."""
    nxt = offsets[:-1].copy()
    ko, ro, mo = np.empty_like(ks), np.empty_like(rs), np.empty_like(ms)
    for i in range(ks.shape[0]):
        p = nxt[rs[i]]
        nxt[rs[i]] += 1
        ko[p] = ks[i]
        ro[p] = rs[i]
        mo[p] = ms[i]
    return ko, ro, mo


class _Pairing:
    """Two quarter lists prepared for pairing by residue (both sorted by residue, so that the
    lookups of one residue sweep the second list in two monotone runs)."""

    def __init__(self, first: tuple, second: tuple, M: int, shift: int) -> None:
        self.k1, self.r1, self.m1 = _by_residue(first, M)[0]
        (self.k2, self.r2, self.m2), self.offsets = _by_residue(second, M)
        self.M, self.shift = M, shift

    def pairs(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        if self.offsets is not None:
            lo, hi = _bucket_bounds(self.r1, self.offsets, r, self.M)
        else:
            need = (np.int64(r) - self.r1) % np.int64(self.M)
            lo, hi = np.searchsorted(self.r2, need), np.searchsorted(self.r2, need, "right")
        count = int(np.sum(hi - lo))
        out_k, out_m = np.empty(count, np.int64), np.empty(count, np.uint64)
        _residue_pairs(self.k1, self.r1, self.m1, self.k2, self.r2, self.m2, lo, hi,
                       self.M, self.shift, out_k, out_m)
        return out_k, out_m


def _difference_down(items: list[int], keep: int) -> tuple[list[int], list[int], list, int]:
    """Karmarkar-Karp differencing of the two largest until ``keep`` numbers remain.

    Node ids: items are 0..n-1, a merge of (a, b) into a - b is a new node; choosing it means
    choosing a and not b, leaving it means b and not a, so the target drops by b.
    Returns (remaining values, their node ids, merges [(node, a, b)], target offset).
    """
    heap = [(-v, i) for i, v in enumerate(items)]
    heapq.heapify(heap)
    merges = []
    offset = 0
    node = len(items)
    while len(heap) > keep:
        a, ia = heapq.heappop(heap)
        b, ib = heapq.heappop(heap)
        merges.append((node, ia, ib))
        offset += b  # b is the negated value of the smaller number
        heapq.heappush(heap, (a - b, node))
        node += 1
    return [-v for v, _ in heap], [i for _, i in heap], merges, offset


def _chosen_items(chosen_nodes: set[int], n: int, merges: list) -> list[int]:
    """Resolve the merges (newest first) into the chosen original items."""
    decided = set(chosen_nodes)
    for node, a, b in reversed(merges):
        decided.add(a if node in decided else b)
    return [i for i in range(n) if i in decided]


def exact_hit(values: Sequence[int], targets: Sequence[int], deadline: float | None,
              seed: int = 0) -> HitSearch:
    """A subset of ``values`` summing exactly to one of ``targets`` (integers), or None.

    Parameters
    ----------
    values, targets : exact integers (an instance after its exact scaling).
    deadline : a ``time.perf_counter()`` instant, checked between residues.
    seed : the residues' order.

    Returns
    -------
    HitSearch. ``exhausted`` is a proof that no subset hits any target (only when no item
    was differenced away: at most ``4 * QUARTER_MAX`` non-zero values).
    """
    flip = [v < 0 for v in values]
    nz = [i for i, v in enumerate(values) if v]
    g = math.gcd(*values) or 1  # every sum is a multiple of g: search the quotients
    items = [abs(values[i]) // g for i in nz]
    shift = sum(-v for v in values if v < 0)
    vals, nodes, merges, offset = _difference_down(items, 4 * QUARTER_MAX)
    goals = [(t + shift) // g + offset for t in targets if (t + shift) % g == 0]
    goals = sorted({t for t in goals if 0 <= t <= sum(vals)})
    if not goals:
        return HitSearch(None, None, not merges, 0, 0)
    found, exhausted, tried, M = _search(vals, goals, deadline, seed)
    if found is None:
        return HitSearch(None, None, exhausted and not merges, tried, M)
    chosen = _chosen_items({nodes[k] for k in range(len(vals)) if found >> k & 1},
                           len(items), merges)
    picked = {nz[k] for k in chosen}
    subset = [i for i in range(len(values)) if (i in picked) != flip[i] and values[i]]
    return HitSearch(subset, sum(values[i] for i in subset), False, tried, M)


def _modulus(bits: int) -> int:
    """The largest prime below 2^bits (2^bits itself when bits <= 1): residues modulo a prime
    spread evenly even when the values share low bits."""
    if bits <= 1:
        return 1 << bits
    from sympy import prevprime  # only here: importing sympy takes a noticeable moment

    return int(prevprime(1 << bits))


def _residues(left: _Pairing, M: int, seed: int) -> tuple[Iterable[int], int] | None:
    """The residues r to try, in a pseudo-random order that visits each once, and their count.

    All M of them while there are at least as many first-half sums as residues; otherwise
    (a modulus forced up by wide values) only those that the pairs a + b take, when there
    are few enough to list (else None: the search does not apply).
    """
    pairs = len(left.k1) * len(left.k2)
    if M <= pairs:
        rng = np.random.default_rng(seed)
        # a prime M: every step in 1..M-1 visits each residue once
        step, start = int(rng.integers(1, max(M, 2))), int(rng.integers(0, M))
        return ((start + step * k) % M for k in range(M)), M
    if pairs > 1 << (LIST_BITS + 2):
        return None
    taken = np.unique((left.r1[:, None] + left.r2[None, :]) % np.int64(M))
    return np.random.default_rng(seed).permutation(taken).tolist(), len(taken)


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _search(vals: list[int], goals: list[int], deadline: float | None, seed: int
            ) -> tuple[int | None, bool, int, int]:
    """The four-list residue search: (mask over vals or None, exhausted, residues tried,
    modulus)."""
    n = len(vals)
    cuts = [n * k // 4 for k in range(5)]
    q12, q34 = cuts[2], n - cuts[2]
    # quotients by M stay below 2^60 (int64 with room for the carries)
    bits = max(0, max(q12, q34) - LIST_BITS, sum(vals).bit_length() - 59)
    if bits > MODULUS_MAX_BITS:
        return None, False, 0, 0
    M = _modulus(bits)
    kv = np.array([v // M for v in vals], dtype=np.int64)
    rv = np.array([v % M for v in vals], dtype=np.int64)
    quarters = []
    for k in range(4):  # each step well under a second: the deadline is checked between
        if _expired(deadline):
            return None, False, 0, M
        quarters.append(_quarter_sums(kv[cuts[k]:cuts[k + 1]], rv[cuts[k]:cuts[k + 1]], M))
    left = _Pairing(quarters[0], quarters[1], M, cuts[1] - cuts[0])
    quarters[:2] = [None, None]  # the sorted copies replace them
    if _expired(deadline):
        return None, False, 0, M
    right = _Pairing(quarters[2], quarters[3], M, cuts[3] - cuts[2])
    del quarters
    plan = _residues(left, M, seed)
    if plan is None:
        return None, False, 0, M
    residues, count = plan
    for tried, r in enumerate(residues):
        if _expired(deadline):
            return None, False, tried, M
        k12, m12 = left.pairs(r)
        k12s = np.sort(k12)
        for goal in goals:
            if _expired(deadline):
                return None, False, tried, M
            r2 = (goal - r) % M
            k34, m34 = right.pairs(r2)
            want = (goal - r - r2) // M
            i, _ = _two_sum(k12s, np.sort(k34), want)
            if i >= 0:  # the masks of the matched quotients, found by a linear scan
                a = int(np.nonzero(k12 == k12s[i])[0][0])
                b = int(np.nonzero(k34 == want - k12s[i])[0][0])
                return int(m12[a]) | int(m34[b]) << q12, False, tried + 1, M
    return None, True, count, M
