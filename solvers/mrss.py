"""Multidimensional random subset sum (MRSS): exact meet-in-the-middle, variants, cube coverage.

Given vectors X_1..X_n in Q^d and a target z, minimise ``||z - sum_{i in S} X_i||`` over subsets
S, in the infinity norm (the slides' MRSS) or the 1-norm, optionally with ``|S| = k`` (the
second-moment method restricts to subsets of size alpha n) or ``|S| <= k``.

The engine (``method="mitm"``) splits the vectors in two halves, lists the 2^(n/2) subset sums
of each half, sorts one list on the first coordinate and sweeps the other against it with a
window of the current best distance (both norms are at least the first-coordinate gap). All of
it runs on int64 after an exact common scaling. When the exact integers do not fit (Gaussian
doubles have denominators up to 2^70), they are floored to multiples of 2^shift: every computed
distance is then within ``slack`` units of the exact one, and every pair whose computed distance
is within ``2 * slack`` of the computed optimum is re-checked with exact integers. The final
decision is therefore always exact.

Examples
--------
>>> sol = solve_mrss([[1, 0], [0, 1], [1, 1]], ["1/2", 2])
>>> sol.status, sol.subset, sol.error
('optimal', (1, 2), Fraction(1, 2))
>>> solve_mrss([[1, 0], [0, 1], [1, 1]], ["1/2", 2], norm="1").error
Fraction(1, 2)
>>> MRSSInstance.from_json({"values": [[1, 2], [3]], "target": [0, 0]})
Traceback (most recent call last):
...
solvers.numbers.InputError: values[1] has 1 coordinates: every vector must have d = 2 coordinates like values[0]
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numba import njit

from solvers.deprecation import moved_names
from solvers.instances import MRSSInstance, check_vectors, norm_value
from solvers.numbers import (
    InputError,
    IntegerScaling,
    check_eps,
    check_time_limit,
    integer_scaling,
)
from solvers.results import Solution

__all__ = [
    "METHODS",
    "mrss_error",
    "solve_mrss",
    "solve_instance",
    "solve_many_targets",
    "sparsest_subset",
    "brute_force",
    "count_subsets_within",
    "CubeCoverage",
    "cube_coverage",
    "CubeVerdict",
    "cube_covered_2d",
]

#: ``--method`` names of ``slth solve`` for d-dimensional instances.
METHODS = ("auto", "mitm", "cpsat", "mip", "mip-scip", "mip-highs", "brute")

# int64 headroom of the sweep: every coordinate of every half-sum and query is at most
# limit / (2 d), so differences and 1-norm sums stay below 2^61 and best + q0 below 2^63.
_SWEEP_LIMIT = 2**61
_BIG = 2**62
# Half-list sizes: the sorted list holds at most 2^_MAX_B_BITS sums (memory), the query list is
# generated in chunks of 2^_CHUNK_BITS and swept in slices of _SLICE rows (time-limit checks).
_MAX_B_BITS = 22
_CHUNK_BITS = 20
_SLICE = 1 << 16
_BRUTE_MAX_N = 20
_COUNT_MAX_N = 22


def mrss_error(vectors: object, target: object, subset: object, *, norm: str = "inf") -> Fraction:
    """The exact error of ``subset``: the checker paired with :func:`solve_mrss`.

    >>> mrss_error([[1, 0], [0, 1]], [1, 1], [0])
    Fraction(1, 1)
    """
    return MRSSInstance.create(vectors, target, norm=norm).error(subset)


# ----------------------------------------------------------------------------- numba kernels


@njit(cache=True)
def _sweep_min(Q, B, B0, b_lo, b_hi, best, norm1, stop):  # pragma: no cover - compiled
    """Smallest distance below ``best`` between a query row and a row of B[b_lo:b_hi].

    Q is sorted ascending on column 0, B on column 0 within [b_lo, b_hi) (B0 = that column).
    Returns (best, iq, ib) with iq = -1 when nothing beat the initial best; stops at ``stop``.
    """
    m, d = Q.shape
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
            dist = abs(diff)
            c = 1
            while c < d and dist < best:
                t = abs(Q[iq, c] - B[j, c])
                if norm1:
                    dist += t
                elif t > dist:
                    dist = t
                c += 1
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
    m, d = Q.shape
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
            dist = abs(diff)
            c = 1
            while c < d and dist <= thr:
                t = abs(Q[iq, c] - B[j, c])
                if norm1:
                    dist += t
                elif t > dist:
                    dist = t
                c += 1
            if dist <= thr:
                if count == cap:
                    return count, iq, j
                out[count, 0] = iq
                out[count, 1] = j
                count += 1
            j += 1
    return count, m, 0


def _subset_sums(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _bits(mask: int, offset: int) -> list[int]:
    return [offset + i for i in range(mask.bit_length()) if mask >> i & 1]


class _HalfLists:
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
        self.A_hi, self.hi_sizes = _subset_sums(rounded[self.c: self.n_a])

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
            _bits(int(self.a_mask[iq]), 0)
            + _bits(h, self.c)
            + _bits(int(self.b_mask[ib]), self.n_a)
        )


class _Engine:
    """Meet-in-the-middle on one instance and any number of targets."""

    def __init__(
        self, inst: MRSSInstance, targets: Sequence[Sequence[Fraction]], by_size: bool = False
    ) -> None:
        self.inst = inst
        self.scaling = integer_scaling(inst.vectors, targets, inst.norm)
        # the admissible sizes; sparsest_subset changes them between sweeps
        self.sizes = inst.size_range()
        self.halves = _HalfLists(self.scaling.rounded, by_size or self.sizes != (0, inst.n))
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
        thr = _clamp(e_units + sc.slack)
        best, arg, _ = self.minimise(t, thr + 1, _clamp(e_units - sc.slack), None)
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


def _clamp(threshold: int) -> int:
    """A distance threshold within int64: rounded distances all lie in [0, _SWEEP_LIMIT]."""
    return max(-1, min(threshold, _BIG - 1))


def _scale_str(scale: int) -> str:
    return f"2^{scale.bit_length() - 1}" if scale & (scale - 1) == 0 else str(scale)


# ----------------------------------------------------------------------------- public solvers


def solve_instance(
    inst: MRSSInstance, *, method: str = "auto", time_limit: float | None = None
) -> Solution:
    """Solve a validated instance (its main target) with the given method.

    Methods: ``auto`` and ``mitm`` (the exact meet-in-the-middle sweep), ``cpsat`` (CP-SAT on the
    exact integer scaling: a proof when the scaling fits), ``mip`` = ``mip-scip`` and
    ``mip-highs`` (SCIP / HiGHS through MathOpt, re-checked exactly, never labelled
    ``optimal``), ``brute`` (n <= 20).

    >>> inst = MRSSInstance.create([[1, 2], [2, -1], [-1, 1]], [3, 1], cardinality=2)
    >>> sol = solve_instance(inst)
    >>> sol.subset, sol.error, sol.status
    ((0, 1), Fraction(0, 1), 'optimal')
    """
    limit = check_time_limit(time_limit)
    if method not in METHODS:
        raise InputError(f"method is {method!r}: expected one of {', '.join(METHODS)}")
    if method == "brute":
        return brute_force(inst)
    # formulations imported on use: loading OR-Tools costs a second the exact engines never need
    if method == "cpsat":
        from solvers.formulations.mrss_cpsat import solve_mrss_cpsat

        return solve_mrss_cpsat(inst, time_limit=limit)
    if method.startswith("mip"):
        from solvers.formulations.mrss_mip import solve_mrss_mip

        return solve_mrss_mip(inst, solver="highs" if method == "mip-highs" else "scip",
                              time_limit=limit)
    start = time.perf_counter()
    return _Engine(inst, [inst.target]).solve(0, limit, start).replace(instance_hash=inst.hash())


def solve_mrss(
    vectors: object,
    target: object,
    *,
    norm: str = "inf",
    cardinality: int | None = None,
    max_cardinality: int | None = None,
    method: str = "auto",
    time_limit: float | None = None,
) -> Solution:
    """The exact optimum of ``min_S ||target - sum_{i in S} vectors[i]||`` (see the module doc).

    Parameters
    ----------
    vectors : n vectors of d exact numbers (floats are the doubles they denote; strings exact).
    target : d numbers.
    norm : ``"inf"`` or ``"1"``.
    cardinality : k for ``|S| = k``, or None for any subset.
    max_cardinality : k for ``|S| <= k`` (give at most one of the two).
    method : one of :data:`METHODS`.
    time_limit : seconds; when it runs out the best subset so far is returned as ``feasible``.

    Examples
    --------
    >>> solve_mrss([[3, 1], [1, 3], [2, 2]], [4, 4], cardinality=1).error
    Fraction(2, 1)
    """
    inst = MRSSInstance.create(vectors, target, norm=norm, cardinality=cardinality,
                               max_cardinality=max_cardinality)
    return solve_instance(inst, method=method, time_limit=time_limit)


def solve_many_targets(
    vectors: object,
    targets: object,
    *,
    norm: str = "inf",
    cardinality: int | None = None,
    max_cardinality: int | None = None,
    time_limit: float | None = None,
) -> list[Solution]:
    """Solve many targets against the same vectors: the half-lists are built and sorted once.

    ``time_limit`` applies to each target.

    >>> [s.error for s in solve_many_targets([[1, 0], [0, 1]], [[1, 1], [0, 2]])]
    [Fraction(0, 1), Fraction(1, 1)]
    """
    if isinstance(targets, (str, bytes, dict)) or not isinstance(targets, (Sequence, np.ndarray)):
        raise InputError(f"targets is {targets!r:.60}: expected a list of vectors")
    if len(targets) == 0:
        raise InputError("targets is empty: give at least one target vector")
    inst = MRSSInstance.create(vectors, targets[0], norm=norm, cardinality=cardinality,
                               max_cardinality=max_cardinality, targets=targets[1:])
    limit = check_time_limit(time_limit)
    start = time.perf_counter()
    engine = _Engine(inst, [inst.target, *inst.targets])
    out = []
    for t in range(len(inst.targets) + 1):
        sol = engine.solve(t, limit, start if t == 0 else time.perf_counter())
        single = dataclasses.replace(inst, target=engine._target(t), targets=())
        out.append(sol.replace(instance_hash=single.hash()))
    return out


def sparsest_subset(
    vectors: object, target: object, eps: object, *, norm: str = "inf"
) -> Solution:
    """The smallest subset within ``eps`` of the target (the smallest ticket), exactly.

    Decides the sizes 0, 1, 2, ... in turn (exact sweeps with the window eps); at the first size
    k that has a subset within eps, returns the best subset of size k. ``infeasible`` if none.

    >>> sol = sparsest_subset([[1, 1], [2, 2], [3, 3]], [3, 3], "1/2")
    >>> sol.subset, sol.error, sol.stats["size"]
    ((2,), Fraction(0, 1), 1)
    """
    inst = MRSSInstance.create(vectors, target, norm=norm)
    e = check_eps(eps)
    start = time.perf_counter()
    engine = _Engine(inst, [inst.target], by_size=True)
    for k in range(inst.n + 1):
        engine.sizes = (k, k)
        engine.inst = MRSSInstance(inst.vectors, inst.target, inst.norm, cardinality=k)
        if engine.within(0, e) is not None:
            sol = engine.solve(0, None, start)
            return sol.replace(
                proof=f"no subset of size < {k} is within eps (exact sweeps); {sol.proof}",
                instance_hash=inst.hash(), stats={**sol.stats, "size": k},
            )
    return Solution("infeasible", method="mitm", proof=f"no subset is within eps = {e}",
                    seconds=time.perf_counter() - start, instance_hash=inst.hash())


# ----------------------------------------------------------------------------- enumeration


def _exact_sums(inst: MRSSInstance) -> tuple[IntegerScaling, list[tuple[int, ...]]]:
    sc = integer_scaling(inst.vectors, [inst.target], inst.norm)
    sums: list[tuple[int, ...]] = [(0,) * inst.d]
    for v in sc.exact:
        sums += [tuple(a + b for a, b in zip(s, v, strict=True)) for s in sums]
    return sc, sums


def brute_force(inst: MRSSInstance) -> Solution:
    """The reference: every one of the 2^n subsets evaluated with exact integers (n <= 20).

    >>> brute_force(MRSSInstance.create([[1, 0], [0, 1], [1, 1]], ["1/2", 2])).error
    Fraction(1, 2)
    """
    if inst.n > _BRUTE_MAX_N:
        raise InputError(f"n is {inst.n}: brute force enumerates 2^n subsets, n <= {_BRUTE_MAX_N}")
    start = time.perf_counter()
    sc, sums = _exact_sums(inst)
    z = sc.exact_targets[0]
    best, arg = None, None
    for mask, s in enumerate(sums):
        if inst.admits(mask.bit_count()):
            dist = norm_value([a - b for a, b in zip(z, s, strict=True)], inst.norm)
            if best is None or dist < best:
                best, arg = dist, mask
    if arg is None:
        return Solution("infeasible", method="brute", proof="no subset admits the cardinality",
                        seconds=time.perf_counter() - start, instance_hash=inst.hash())
    subset = _bits(arg, 0)
    err = inst.error(subset)
    return Solution("optimal", subset=tuple(subset), error=err, lower_bound=err, method="brute",
                    proof=f"enumerated all {len(sums)} subsets in exact integers",
                    seconds=time.perf_counter() - start, instance_hash=inst.hash())


def count_subsets_within(
    vectors: object, target: object, eps: object, *, norm: str = "inf"
) -> np.ndarray:
    """Exact counts, by size k, of the subsets S with ``||target - sum_S X|| <= eps`` (n <= 22).

    All 2^n sums on the rounded integers; every sum the rounding bound leaves undecided is
    re-checked with exact integers. Entry k of the result counts the subsets of size k.

    >>> count_subsets_within([[1, 0], [0, 1], [1, 1]], [1, 1], 0).tolist()
    [0, 1, 1, 0]
    """
    inst = MRSSInstance.create(vectors, target, norm=norm)
    e = check_eps(eps)
    if inst.n > _COUNT_MAX_N:
        raise InputError(f"n is {inst.n}: counting enumerates 2^n subsets, n <= {_COUNT_MAX_N}")
    sc = integer_scaling(inst.vectors, [inst.target], inst.norm)
    sums, sizes = _subset_sums(sc.rounded)
    r = np.abs(sc.rounded_targets[0][None, :] - sums)
    dist = r.sum(axis=1) if inst.norm == "1" else r.max(axis=1)
    e_units = math.floor(e / sc.unit)
    inside = dist <= _clamp(e_units - sc.slack)
    unsure = np.flatnonzero((dist <= _clamp(e_units + sc.slack)) & ~inside)
    z, X, e_int = sc.exact_targets[0], sc.exact, e * sc.scale
    for mask in unsure.tolist():
        idx = _bits(mask, 0)
        res = [z[j] - sum(X[i][j] for i in idx) for j in range(inst.d)]
        inside[mask] = norm_value(res, inst.norm) <= e_int
    return np.bincount(sizes[inside], minlength=inst.n + 1)


# ----------------------------------------------------------------------------- cube coverage


@dataclass(frozen=True)
class CubeCoverage:
    """Estimated fraction of [-1, 1]^d within eps of a subset sum, from exactly decided targets.

    ``low``/``high``: the Clopper-Pearson interval at ``confidence``; ``uncovered``: one target
    no subset reaches (exact), or None.
    """

    fraction: float
    low: float
    high: float
    covered: int
    trials: int
    confidence: float
    uncovered: tuple[Fraction, ...] | None


def cube_coverage(
    vectors: object,
    eps: object,
    *,
    trials: int = 1000,
    seed: int | None = None,
    norm: str = "inf",
    confidence: float = 0.95,
) -> CubeCoverage:
    """The fraction of the cube [-1, 1]^d within eps of a subset sum, estimated.

    Targets are drawn uniformly from the cube (as doubles, used exactly) and each is decided
    exactly with the meet-in-the-middle sweep; the sorted half-list is shared by all of them.

    >>> cov = cube_coverage([[1, 0], [0, 1], [-1, -1]], "0.5", trials=200, seed=1)
    >>> 0 < cov.fraction < 1, cov.low <= cov.fraction <= cov.high
    (True, True)
    """
    from scipy.stats import beta

    e = check_eps(eps, positive=True)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InputError(f"trials is {trials!r}: expected a positive integer")
    if not 0 < confidence < 1:
        raise InputError(f"confidence is {confidence!r}: expected a number in (0, 1)")
    vecs = check_vectors(vectors)
    rng = np.random.default_rng(seed)
    targets = rng.uniform(-1.0, 1.0, size=(int(trials), len(vecs[0])))
    inst = MRSSInstance.create(vecs, targets[0], norm=norm, targets=targets[1:])
    engine = _Engine(inst, [inst.target, *inst.targets])
    hits, uncovered = 0, None
    for t in range(int(trials)):
        if engine.within(t, e) is not None:
            hits += 1
        elif uncovered is None:
            uncovered = engine._target(t)
    alpha = 1 - confidence
    low = 0.0 if hits == 0 else float(beta.ppf(alpha / 2, hits, trials - hits + 1))
    high = 1.0 if hits == trials else float(beta.ppf(1 - alpha / 2, hits + 1, trials - hits))
    return CubeCoverage(hits / trials, low, high, hits, int(trials), confidence, uncovered)


@dataclass(frozen=True)
class CubeVerdict:
    """Whether every point of [-1, 1]^2 is within eps (inf-norm) of a subset sum.

    ``covered`` is True or False (exact), or None when the rounding margin left it undecided;
    ``witness`` is an exact uncovered point when ``covered`` is False, ``distance`` its exact
    distance to the nearest subset sum; ``squares`` the number of subset sums near the cube.
    """

    covered: bool | None
    witness: tuple[Fraction, Fraction] | None
    distance: Fraction | None
    squares: int


@njit(cache=True)
def _first_cell_index(ky, kx, ty, tx):  # pragma: no cover - compiled
    """The first position whose cell key (ky, kx) is >= (ty, tx) (keys sorted)."""
    lo, hi = 0, len(ky)
    while lo < hi:
        mid = (lo + hi) // 2
        if ky[mid] < ty or (ky[mid] == ty and kx[mid] < tx):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _cell_gap(xl, xr, yl, yr, m, cx0, cx1, cy0, cy1):  # pragma: no cover - compiled
    """An open point of the cell [cx0, cx1] x [cy0, cy1] outside the m closed rectangles.

    The rectangles' x-edges cut the cell into open slabs; in each, the rectangles spanning the
    slab give closed y-intervals, merged in order: a gap is an open uncovered region. Lines
    between slabs are covered whenever both slabs are (closed rectangles). Returns (found,
    2 x, 2 y) of a witness (doubled to stay integral).
    """
    xs = np.empty(2 * m + 2, dtype=np.int64)
    xs[0], xs[1] = cx0, cx1
    xs[2: m + 2] = xl[:m]
    xs[m + 2:] = xr[:m]
    xs = np.unique(xs)
    lo = np.empty(m, dtype=np.int64)
    hi = np.empty(m, dtype=np.int64)
    for s in range(len(xs) - 1):
        x0, x1 = xs[s], xs[s + 1]
        c = 0
        for i in range(m):
            if xl[i] <= x0 and xr[i] >= x1:
                lo[c], hi[c] = yl[i], yr[i]
                c += 1
        order = np.argsort(lo[:c])
        reach = cy0
        for t in range(c):
            i = order[t]
            if lo[i] > reach:
                return True, x0 + x1, reach + lo[i]
            reach = max(reach, hi[i])
        if reach < cy1:
            return True, x0 + x1, reach + cy1
    return False, 0, 0


@njit(cache=True)
def _grid_uncovered(px, py, ky, kx, half, box):  # pragma: no cover - compiled
    """Is [-box, box]^2 inside the union of the closed squares of half-side ``half`` at (px, py)?

    Cells of side ``half``: a cell holding a centre lies inside that centre's square; an empty
    cell can only meet squares centred in its 8 neighbours, and is checked exactly with
    :func:`_cell_gap`. Points are sorted by their cell keys (ky, kx). Returns (found, 2x, 2y).
    """
    g = half
    nc = (2 * box + g - 1) // g
    n = len(px)
    xl = np.empty(n, dtype=np.int64)
    xr = np.empty(n, dtype=np.int64)
    yl = np.empty(n, dtype=np.int64)
    yr = np.empty(n, dtype=np.int64)
    for b in range(nc):
        cy0 = -box + b * g
        cy1 = min(cy0 + g, box)
        for a in range(nc):
            cx0 = -box + a * g
            cx1 = min(cx0 + g, box)
            i = _first_cell_index(ky, kx, b, a)
            if i < n and ky[i] == b and kx[i] == a:
                continue
            m = 0
            for dy in range(-1, 2):
                for dx in range(-1, 2):
                    j = _first_cell_index(ky, kx, b + dy, a + dx)
                    while j < n and ky[j] == b + dy and kx[j] == a + dx:
                        x0, x1 = max(px[j] - g, cx0), min(px[j] + g, cx1)
                        y0, y1 = max(py[j] - g, cy0), min(py[j] + g, cy1)
                        if x0 < x1 and y0 < y1:
                            xl[m], xr[m], yl[m], yr[m] = x0, x1, y0, y1
                            m += 1
                        j += 1
            found, wx, wy = _cell_gap(xl, xr, yl, yr, m, cx0, cx1, cy0, cy1)
            if found:
                return True, wx, wy
    return False, 0, 0


@njit(cache=True)
def _box_sums(A, B, B0, lo, hi, out):  # pragma: no cover - compiled
    """Write every a + b with both coordinates in [lo, hi] to ``out``; returns how many.

    With ``len(out) == 0`` it only counts (the first of the two passes).
    """
    count = 0
    for ia in range(A.shape[0]):
        j = np.searchsorted(B0, lo - A[ia, 0], side="left")
        while j < B0.shape[0] and B0[j] + A[ia, 0] <= hi:
            y = A[ia, 1] + B[j, 1]
            if lo <= y <= hi:
                if out.shape[0] > 0:
                    out[count, 0] = A[ia, 0] + B0[j]
                    out[count, 1] = y
                count += 1
            j += 1
    return count


def _near_sums(sc: IntegerScaling, reach: int, box: int, max_points: int) -> np.ndarray:
    """Every rounded 2-D subset sum with both coordinates in [-box - reach, box + reach]."""
    halves = _HalfLists(sc.rounded, False)
    lo, hi = -box - reach, box + reach
    parts, total = [], 0
    for _, Q, _pairs in halves.chunks(np.zeros(2, dtype=np.int64), (0, halves.n)):
        A = np.ascontiguousarray(-Q)  # the A-sums of this chunk
        count = _box_sums(A, halves.B, halves.B0, lo, hi, np.zeros((0, 2), dtype=np.int64))
        total += count
        if total > max_points:
            raise InputError(
                f"more than max_points={max_points} subset sums lie near the cube: "
                "raise max_points or lower n"
            )
        out = np.empty((count, 2), dtype=np.int64)
        _box_sums(A, halves.B, halves.B0, lo, hi, out)
        parts.append(out)
    return np.concatenate(parts)


def cube_covered_2d(vectors: object, eps: object, *, max_points: int = 20_000_000) -> CubeVerdict:
    """The exact verdict: is every z in [-1, 1]^2 within eps (inf-norm) of a subset sum?

    Algorithm: the closed squares of half-side eps around the subset sums near the cube, and a
    grid of cells of side eps. A cell holding a subset sum lies inside its square; an empty
    cell meets only the squares centred in its 8 neighbours and is checked exactly (its open
    slabs between square edges, each a merge of closed y-intervals: a gap is an uncovered open
    set, and a point on a boundary is covered whenever an adjacent open piece is, because the
    squares are closed). Exact on the integer scaling. When that scaling must be rounded (shift > 0), squares shrunk by the
    rounding bound deciding "covered" and squares grown by it deciding "not covered" keep it
    sound, and a point in between is reported as undecided (``covered=None``).

    Limits: d = 2 and the inf norm only; it lists every subset sum near the cube (about
    2^n * 4 / (pi n) of them for Gaussian vectors), so n <= ~28; ``max_points`` caps memory.

    >>> cube_covered_2d([[1, 0], [0, 1], [-1, 0], [0, -1]], "0.5").covered
    True
    >>> v = cube_covered_2d([[1, 0], [0, 1], [-1, 0], [0, -1]], "0.4")
    >>> v.covered, v.witness, v.distance
    (False, (Fraction(-1, 2), Fraction(-4, 5)), Fraction(1, 2))
    """
    e = check_eps(eps, positive=True)
    vecs = check_vectors(vectors)
    if len(vecs[0]) != 2:
        raise InputError(f"vectors have d = {len(vecs[0])}: the exact cube verdict needs d = 2")
    inst = MRSSInstance.create(vecs, [0, 0])
    # eps and the cube's side join the scaling so that, when it is exact, both are integers
    sc = integer_scaling(inst.vectors, [(e, Fraction(1))], "inf")
    unit = sc.unit
    box = math.floor(1 / unit)  # the box [-1, 1] in rounded units, inner side
    box_out = math.ceil(1 / unit)
    slack = sc.slack
    pts = _near_sums(sc, math.ceil(e / unit) + slack + 1, box_out, max_points)
    if slack == 0:  # exact integers: eps / unit is an integer and the box is [-box, box]
        cell = _cover_cell(pts, int(e / unit), box)
        if cell is None:
            return CubeVerdict(True, None, None, len(pts))
    else:
        # squares shrunk by the rounding bound cover the outer box: covered
        shrunk = math.floor(e / unit) - slack
        if shrunk > 0 and _cover_cell(pts, shrunk, box_out) is None:
            return CubeVerdict(True, None, None, len(pts))
        # squares grown by it miss an open cell of the inner box: not covered
        cell = _cover_cell(pts, math.ceil(e / unit) + slack, box)
        if cell is None:
            return CubeVerdict(None, None, None, len(pts))
    witness = (cell[0] * unit, cell[1] * unit)
    dist = solve_instance(MRSSInstance(inst.vectors, witness)).error
    if dist <= e:  # pragma: no cover - the grown squares make this impossible
        raise AssertionError(f"witness {witness} is within eps: the cover sweep is unsound")
    return CubeVerdict(False, witness, dist, len(pts))


def _cover_cell(pts: np.ndarray, half: int, box: int) -> tuple[Fraction, Fraction] | None:
    """A point (rounded units) of [-box, box]^2 outside every square of half-side ``half``."""
    kx, ky = (pts[:, 0] + box) // half, (pts[:, 1] + box) // half
    order = np.lexsort((kx, ky))
    found, wx, wy = _grid_uncovered(pts[order, 0], pts[order, 1], ky[order], kx[order], half,
                                    box)
    return (Fraction(int(wx), 2), Fraction(int(wy), 2)) if found else None


__getattr__ = moved_names(__name__, {
    "solve_mrss_instance": "solvers.mrss.solve_instance",
    "solve_mrss_targets": "solvers.mrss.solve_many_targets",
    "sparsest_mrss": "solvers.mrss.sparsest_subset",
    "MRSSInstance": "solvers.instances.MRSSInstance",
    "NORMS": "solvers.instances.NORMS",
    "IntegerScaling": "solvers.numbers.IntegerScaling",
    "integer_scaling": "solvers.numbers.integer_scaling",
})
