"""Complete Karmarkar-Karp: an anytime, complete search for exact 1-D subset sum.

Korf's complete Karmarkar-Karp (CKK, Artificial Intelligence 106, 1998) explores, depth
first, the two ways of combining the two largest numbers of a partition problem: put them on
opposite sides (replace them by their difference; this first path is the Karmarkar-Karp
heuristic) or on the same side (their sum). A node whose largest number is at least the sum of
the rest is a leaf. The first leaves are already near-perfect when n is large compared with
the values' bit length, and a best difference equal to the exact lattice bound ends the search
with a proof; otherwise the exhausted tree is the proof.

Subset sum min |t - sum_S v| reduces to partition: flip the negative values (choosing
-|v| is not choosing |v|, shifting the target by |v|), drop zeros, and add one number
d = |total - 2t|; the partition difference is then exactly twice the subset-sum error, and the
subset is read from the side of d.

Before the tree search, a differencing-core phase looks for a partition that meets the bound
at once (:func:`differenced_core`): rounds of pairwise differencing shrink the numbers until
the 44 smallest are dense (44 >= their bit length + 3), then Karmarkar-Karp splits the rest
and an exact meet-in-the-middle over the dense core cancels the remainder. When n is large
against the bit length (n = 1000 values of 64 bits) the core has many exact solutions and
the lattice bound is met in milliseconds; its partition otherwise seeds the search's best.

int64 data run in the compiled kernel :func:`solvers.rss_kernels.ckk_run`; wider integers in
Python's exact integers (the same search, slower).

>>> complete_karmarkar_karp([8, 7, 6, 5, 4], 15)
([2, 3, 4], 0, True)
>>> complete_karmarkar_karp([3, -5, 9], 6)  # 3 - 5 + 9 = 7; no sum is 5 or 6
([0, 1, 2], 1, True)
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Sequence

import numpy as np

from solvers import rss_kernels as K
from solvers.numbers import INT64_SAFE

__all__ = ["complete_karmarkar_karp", "ckk_bytes", "differenced_core", "balanced_pairs"]

#: Nodes per compiled call between two checks of the deadline.
_NODES_PER_CALL = 1 << 15
#: Items of the exact core (two half-lists of 2^22 sums) and the density it needs.
CORE_SIZE = 44
CORE_MARGIN = 3


def ckk_bytes(n: int) -> int:
    """Memory of the compiled search on n values: one level of numbers per depth."""
    m = n + 1
    return m * m * 12 + m * 32


def complete_karmarkar_karp(values: Sequence[int], target: int, lower_bound: int = 0,
                            deadline: float | None = None, search: bool = True
                            ) -> tuple[list[int], int, bool]:
    """The best subset found and its error, and whether it is proven optimal.

    Parameters
    ----------
    values, target : exact integers.
    lower_bound : a proven lower bound on the error (e.g. the lattice bound); reaching it ends
        the search.
    deadline : a :func:`time.perf_counter` time; the search stops there with the best so far.
    search : False stops after the differencing core (O(n log n) time and O(n) memory, for n
        too large for the search's O(n^2) stack): proven only when it meets ``lower_bound``.
    """
    flip = [v < 0 for v in values]
    t = target + sum(-v for v in values if v < 0)
    keep = [i for i, v in enumerate(values) if v != 0]
    items = [abs(values[i]) for i in keep]
    gap = sum(items) - 2 * t
    if gap:
        items.append(abs(gap))
    best, colour, proven = _search(items, 2 * lower_bound, deadline, search)
    if gap > 0:
        side = {i for i, c in zip(keep, colour, strict=False) if c == colour[-1]}
    elif gap < 0:
        side = {i for i, c in zip(keep, colour, strict=False) if c != colour[-1]}
    else:
        side = {i for i, c in zip(keep, colour, strict=False) if c == 0}
    subset = [i for i in range(len(values)) if (i in side) != flip[i] and values[i] != 0]
    err = abs(target - sum(values[i] for i in subset))
    return subset, err, proven or err <= lower_bound


def balanced_pairs(values: Sequence[int], target: int, k: int, lower_bound: int,
                   deadline: float | None = None, search: bool = True
                   ) -> tuple[list[int], int, bool]:
    """A subset of exactly k values (|2k - n| <= 1) near ``target``, and whether it is optimal.

    The values are sorted and paired with their neighbours; the subset takes one value of
    each pair (the leftover of an odd n joins it when k = (n + 1) / 2). Taking the larger
    instead of the smaller adds their gap, so this is an unconstrained subset sum over the
    gaps, solved by :func:`complete_karmarkar_karp` (``search`` as there). It explores only
    these subsets, so
    optimality is claimed only when the error meets ``lower_bound`` (a proven bound for the
    cardinality problem, e.g. the lattice bound).

    >>> balanced_pairs([8, 7, 6, 5, 4, 3, 3, 2], 19, 4, 0)  # 7 + 5 + 4 + 3
    ([1, 3, 4, 5], 0, True)
    """
    n = len(values)
    order = sorted(range(n), key=values.__getitem__)
    left = order[:n % 2]
    pairs = list(zip(order[n % 2::2], order[n % 2 + 1::2], strict=True))
    base = sum(values[lo] for lo, _ in pairs) + (sum(values[i] for i in left) if 2 * k > n else 0)
    gaps = [values[hi] - values[lo] for lo, hi in pairs]
    take, _, _ = complete_karmarkar_karp(gaps, target - base, lower_bound, deadline, search)
    chosen = set(take)
    subset = sorted([hi if p in chosen else lo for p, (lo, hi) in enumerate(pairs)]
                    + (left if 2 * k > n else []))
    err = abs(target - sum(values[i] for i in subset))
    return subset, err, err <= lower_bound


def _search(items: list[int], lower_bound: int, deadline: float | None, search: bool = True
            ) -> tuple[int, list[int], bool]:
    """(best difference, colour of each item, proven) for the partition of ``items``."""
    if not items:
        return 0, [], True
    seed = differenced_core(items)
    if seed[0] <= lower_bound or not search:
        return seed[0], seed[1], seed[0] <= lower_bound
    if sum(items) < INT64_SAFE:
        return _search_compiled(items, lower_bound, deadline, seed)
    return _search_python(items, lower_bound, deadline, seed)


def differenced_core(items: Sequence[int]) -> tuple[int, list[int]]:
    """A near-perfect partition of non-negative integers: (difference, colour of each item).

    Karmarkar-Karp differencing (the two largest numbers on opposite sides, replaced by their
    difference) runs until ``CORE_SIZE`` numbers remain or all have at most
    ``CORE_SIZE - CORE_MARGIN`` bits. Then the c smallest form the core, for the least c whose
    numbers have at most c - ``CORE_MARGIN`` bits (else c = ``CORE_SIZE``): the
    others are differenced down to one number D, and the core subset whose sum is closest to
    (core total + D) / 2 joins the side opposite D (an exact meet-in-the-middle). A dense
    core has many subsets at every sum near its middle, so D is cancelled exactly.

    >>> differenced_core([10, 7, 6, 5, 4, 3, 3])
    (0, [0, 1, 1, 0, 0, 1, 1])
    """
    if not items:
        return 0, []
    heap = [(-v, i) for i, v in enumerate(items)]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []  # (kept, merged): merged goes opposite kept
    dense = 1 << (CORE_SIZE - CORE_MARGIN)
    while len(heap) > CORE_SIZE and -heap[0][0] > dense:
        _difference_top(heap, merges)
    ascending = sorted(heap, key=lambda e: -e[0])
    size = min(len(ascending), CORE_SIZE)  # the smallest dense core is the fastest
    size = next((c for c in range(CORE_MARGIN + 1, size)
                 if -ascending[c - 1][0] >> (c - CORE_MARGIN) == 0), size)
    core, rest = ascending[:size], ascending[size:]
    heapq.heapify(rest)
    while len(rest) > 1:
        _difference_top(rest, merges)
    heavy, root = (-rest[0][0], rest[0][1]) if rest else (0, -1)
    cvals = [-e[0] for e in core]
    side = [0] * len(items)
    if 2 * sum(cvals) < INT64_SAFE:
        h = len(core) // 2
        vals = np.array([2 * v for v in cvals], dtype=np.int64)
        A, Am = K.half_sums(vals[:h])
        B, Bm = K.half_sums(vals[h:])
        want = heavy + sum(cvals)  # core subset S opposite D: difference D + core - 2 S
        _, i, j = K.closest_pair(A, B, np.int64(min(want, 2 * sum(cvals))))
        chosen = int(Am[i]) | int(Bm[j]) << h
        for k, (_, item) in enumerate(core):
            side[item] = chosen >> k & 1
    else:  # too wide for the compiled core: finish the differencing
        heap = [*core, *([(-heavy, root)] if rest else [])]
        heapq.heapify(heap)
        while len(heap) > 1:
            _difference_top(heap, merges)
        side[heap[0][1]] = 0
        root = -1
    if root >= 0:
        side[root] = 0
    for kept, merged in reversed(merges):
        side[merged] = side[kept] ^ 1
    zero = sum(v for v, c in zip(items, side, strict=True) if c == 0)
    return abs(sum(items) - 2 * zero), side


def _difference_top(heap: list[tuple[int, int]], merges: list[tuple[int, int]]) -> None:
    a, ia = heapq.heappop(heap)
    b, ib = heapq.heappop(heap)
    merges.append((ia, ib))
    heapq.heappush(heap, (a - b, ia))


def _search_compiled(items: list[int], lower_bound: int, deadline: float | None,
                     seed: tuple[int, list[int]] | None) -> tuple[int, list[int], bool]:
    m = len(items)
    order = sorted(range(m), key=items.__getitem__)
    vals = np.zeros((m, m), dtype=np.int64)
    ids = np.zeros((m, m), dtype=np.int32)
    vals[0] = [items[i] for i in order]
    ids[0] = order
    sums = np.zeros(m, dtype=np.int64)
    sums[0] = sum(items)
    branch = np.zeros(m, dtype=np.int8)
    op_parent = np.zeros(m, dtype=np.int32)
    op_child = np.zeros(m, dtype=np.int32)
    op_flip = np.zeros(m, dtype=np.int8)
    colour = np.zeros(m, dtype=np.int8)
    best_colour = np.zeros(m, dtype=np.int8)
    state = np.array([0, INT64_SAFE if seed is None else seed[0], 0, 0], dtype=np.int64)
    if seed is not None:
        best_colour[:] = seed[1]
    while True:
        K.ckk_run(vals, ids, sums, branch, op_parent, op_child, op_flip, colour, best_colour,
                  state, lower_bound, _NODES_PER_CALL)
        if state[2] or (deadline is not None and time.perf_counter() > deadline
                        and state[1] < INT64_SAFE):
            break
    return int(state[1]), best_colour.tolist(), bool(state[2])


def _search_python(items: list[int], lower_bound: int, deadline: float | None,
                   seed: tuple[int, list[int]] | None) -> tuple[int, list[int], bool]:
    """The same search as :func:`solvers.rss_kernels.ckk_run` on Python integers."""
    m = len(items)
    stack = [sorted((v, i) for i, v in enumerate(items))]
    sums = [sum(items)]
    branch = [0]
    ops: list[tuple[int, int, int]] = []  # ops[L]: (kept item, merged item, opposite sides)
    best, best_colour = seed if seed is not None else (None, [])
    nodes = 0
    while stack:
        cur = stack[-1]
        if branch[-1] == 0:
            nodes += 1
            if nodes & 1023 == 0 and deadline is not None and best is not None \
                    and time.perf_counter() > deadline:
                return best, best_colour, False
            a, ia = cur[-1]
            rest = sums[-1] - a
            if len(cur) == 1 or a >= rest:
                if best is None or a - rest < best:
                    best = a - rest
                    colour = [0] * m
                    for _, i in cur[:-1]:
                        colour[i] = 1
                    for parent, child, opposite in reversed(ops):
                        colour[child] = colour[parent] ^ opposite
                    best_colour = colour
                    if best <= lower_bound:
                        return best, best_colour, True
                _pop(stack, sums, branch, ops)
                continue
            branch[-1] = 1
            _push(stack, sums, branch, ops, 1)
        elif branch[-1] == 1:
            branch[-1] = 2
            (a, _), (b, _) = cur[-1], cur[-2]
            if best is None or (a + b) - (sums[-1] - a - b) < best:
                _push(stack, sums, branch, ops, 0)
        else:
            _pop(stack, sums, branch, ops)
    assert best is not None
    return best, best_colour, True


def _push(stack: list, sums: list, branch: list, ops: list, opposite: int) -> None:
    cur = stack[-1]
    (a, ia), (b, ib) = cur[-1], cur[-2]
    x = a - b if opposite else a + b
    child = cur[:-2]
    bisect.insort(child, (x, ia))
    ops.append((ia, ib, opposite))
    stack.append(child)
    sums.append(sums[-1] - a - b + x)
    branch.append(0)


def _pop(stack: list, sums: list, branch: list, ops: list) -> None:
    stack.pop()
    sums.pop()
    branch.pop()
    if len(ops) >= len(stack) and ops:
        ops.pop()
