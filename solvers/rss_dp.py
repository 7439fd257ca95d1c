"""Pseudo-polynomial dynamic programming for exact 1-D subset sum over integer sums.

Bellman's subset-sum recursion on bitsets: bit j of a row says that some subset of the items
so far sums to the j-th integer of the range, and adding an item ORs the row with itself
shifted by the item's value (64 sums per machine word, compiled in
:func:`solvers.rss_kernels.dp_extend`). Every sum records the item that first reached it, so
the optimal subset is recovered by walking back. Time O(n * range / 64), memory O(range).

Two layouts, chosen by :func:`dp_plan` for the smaller cost:

- ``sums``: one row over the range of sums of the values divided by their gcd;
- ``count x sums``: one row per subset size c over the sums of ``(v_i - base) / g`` with
  ``g = gcd(v_i - base)``; a size-c subset sums to ``c * base + g * s``. Near-ties such as
  2^62 + U(0, 1000) become a small range, and the cardinality rules come for free.

Everything is exact: the values are Python integers (an instance after its exact scaling),
the bitset holds every reachable sum, and candidates are compared in Python integers.

>>> plan = dp_plan([3, 5, 9], None)
>>> plan.layers, plan.bits
(1, 18)
>>> solve_dp(plan, 13)[0]
[0, 2]
>>> near = [2**62 + x for x in (7, 1, 4, 9)]
>>> dp_plan(near, None).layers  # residuals 0..8 by size beat sums up to 2^64
5
>>> solve_dp(dp_plan(near, None), 2**63 + 5)[0]
[1, 2]
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers import rss_kernels as K
from solvers.rss_bounds import admissible_sizes

__all__ = ["DPPlan", "dp_plan", "solve_dp", "DP_WORD_OPS_PER_SECOND"]

#: Word operations per second of the bitset kernel on one core (measured; used for planning).
DP_WORD_OPS_PER_SECOND = 5e8
#: Bitset work handed to one compiled call between two checks of the time limit.
_CHUNK_OPS = 2e7


@dataclass(frozen=True)
class DPPlan:
    """The layout of one dynamic program over an instance's integer values.

    ``shifts[i] = (values[i] - base) / step``; a subset of size c sums to
    ``c * base + step * s`` where s is its sum of shifts, held at bit ``s - low`` of layer c
    when ``by_size`` (else of the single layer, and ``base == 0``).
    """

    values: tuple[int, ...]
    cardinality: tuple[int, bool] | None
    base: int
    step: int
    shifts: tuple[int, ...]
    by_size: bool
    layers: int
    low: int
    bits: int

    @property
    def words(self) -> int:
        return (self.bits + 63) // 64

    @property
    def nbytes(self) -> int:
        """Bytes of the bitsets, the first-reach table and the scratch row."""
        return self.layers * (self.words * 8 + self.bits * _index_bytes(len(self.values))) \
            + self.words * 8

    @property
    def word_ops(self) -> int:
        return len(self.values) * self.layers * self.words + self.layers * self.bits

    @property
    def seconds(self) -> float:
        """Planned compute time on one core (an estimate: it steers ``auto``, it proves nothing)."""
        return float(min(self.word_ops, 10**300)) / DP_WORD_OPS_PER_SECOND


def _index_bytes(n: int) -> int:
    return 2 if n < 2**15 else 4


def _layout(values: Sequence[int], cardinality: tuple[int, bool] | None, base: int,
            by_size: bool) -> DPPlan:
    step = 0
    for v in values:
        step = math.gcd(step, v - base)
    step = step or 1
    shifts = tuple((v - base) // step for v in values)
    low = sum(s for s in shifts if s < 0)
    bits = sum(abs(s) for s in shifts) + 1
    sizes = admissible_sizes(len(values), cardinality)
    layers = sizes.stop if by_size else 1
    return DPPlan(tuple(values), cardinality, base, step, shifts, by_size, layers, low, bits)


def dp_plan(values: Sequence[int], cardinality: tuple[int, bool] | None) -> DPPlan:
    """The cheaper of the two layouts (see the module docstring) for these integer values.

    Parameters
    ----------
    values : exact integers.
    cardinality : None, or (k, at_most) for |S| = k or |S| <= k.
    """
    n = len(values)
    plans = [_layout(values, cardinality, 0, cardinality is not None)]
    if n:
        median = sorted(values)[n // 2]
        plans.append(_layout(values, cardinality, median, True))
    return min(plans, key=lambda p: (p.word_ops, p.layers))


def solve_dp(plan: DPPlan, target: int, deadline: float | None = None
             ) -> tuple[list[int], int] | None:
    """The admissible subset closest to ``target`` and its error, or None at the deadline.

    ``deadline`` is a :func:`time.perf_counter` time, checked between compiled chunks; the
    caller estimates memory (``plan.nbytes``) before calling.
    """
    n = len(plan.values)
    index = np.int16 if _index_bytes(n) == 2 else np.int32
    reach = np.zeros((plan.layers, plan.words), dtype=np.uint64)
    first = np.full((plan.layers, plan.bits), -1, dtype=index)
    tmp = np.empty(plan.words, dtype=np.uint64)
    reach[0, (-plan.low) >> 6] = np.uint64(1) << np.uint64((-plan.low) & 63)
    shifts = np.array(plan.shifts, dtype=np.int64)
    rule = plan.cardinality
    need = rule[0] if rule is not None and not rule[1] else 0
    per_item = max(plan.layers * plan.words, 1)
    chunk = max(1, int(_CHUNK_OPS // per_item))
    for start in range(0, n, chunk):
        if deadline is not None and time.perf_counter() > deadline:
            return None
        K.dp_extend(reach, first, shifts, start, min(start + chunk, n), plan.by_size, need, tmp)
    best: tuple[int, int, int] | None = None  # (error, layer, bit)
    layers = admissible_sizes(n, plan.cardinality) if plan.by_size else [0]
    for c in layers:
        rest = target - c * plan.base
        below = rest // plan.step - plan.low  # the nearest sums at or below rest / step
        above = -(-rest // plan.step) - plan.low  # and at or above it
        pair = (K.nearest_set_bits(reach[c], min(max(below, -1), plan.bits), plan.bits)[0],
                K.nearest_set_bits(reach[c], min(max(above, -1), plan.bits), plan.bits)[1])
        for j in pair:
            if j < 0:
                continue
            err = abs(rest - plan.step * (j + plan.low))
            if best is None or err < best[0]:
                best = (err, c, int(j))
    if best is None:
        return None
    err, c, j = best
    subset = []
    while first[c, j] >= 0:
        i = int(first[c, j])
        subset.append(i)
        j -= plan.shifts[i]
        c = c - 1 if plan.by_size else 0
    return sorted(subset), err
