"""Exact lower bounds for 1-D subset sum from the lattice the values generate.

For integer values v_1..v_n, every subset of size c has a sum in the coset
``c * v_1 + g Z`` with ``g = gcd(v_i - v_1)``, and between the sum of the c smallest and the
c largest values. So the optimum error is at least the target's distance to the union, over
the admissible sizes c, of those cosets cut to their intervals. It contains the gcd bound
(all sums lie in ``gcd(v) Z``) and the parity bound of number partitioning (an odd total
cannot be split into two equal halves), and for near-ties (values 2^62 + small) it is the
sharp bound ``|target - c * v_1|`` restricted to the residues the small parts can reach.

>>> lattice_lower_bound([2, 4, 6], 5)  # even sums only
1
>>> lattice_lower_bound([3, 5, 7], 11)  # pairs are even, singles at most 7, the triple 15
1
>>> lattice_lower_bound([10, 12, 14], 13, cardinality=(2, False))  # pairs: 22, 24, 26
9
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["lattice_lower_bound", "admissible_sizes"]


def admissible_sizes(n: int, cardinality: tuple[int, bool] | None) -> range:
    """The subset sizes a rule allows: all, exactly k, or at most k ((k, at_most) or None).

    >>> list(admissible_sizes(3, (2, True))), list(admissible_sizes(3, (2, False)))
    ([0, 1, 2], [2])
    """
    if cardinality is None:
        return range(n + 1)
    k, at_most = cardinality
    return range(k + 1) if at_most else range(k, k + 1)


def lattice_lower_bound(values: Sequence[int], target: int,
                        cardinality: tuple[int, bool] | None = None) -> int:
    """A proven lower bound on min |target - sum_{i in S} values[i]| over admissible S (integers).

    Parameters
    ----------
    values, target : exact integers (an instance after its exact scaling).
    cardinality : None, or (k, at_most): |S| = k, or |S| <= k when ``at_most``.

    Returns
    -------
    The minimum over admissible sizes c of the distance from ``target`` to the sums a size-c
    subset could have: the coset ``c * values[0] + g Z`` between the c smallest and the c
    largest values' totals. An exact hit of this bound proves optimality.
    """
    n = len(values)
    if n == 0:
        return abs(target)
    asc = sorted(values)
    v0 = values[0]
    g = 0
    for v in values:
        g = math.gcd(g, v - v0)
    low = [0]  # low[c]: the sum of the c smallest values; high[c]: of the c largest
    high = [0]
    for c in range(n):
        low.append(low[-1] + asc[c])
        high.append(high[-1] + asc[n - 1 - c])
    best = None
    for c in admissible_sizes(n, cardinality):
        if target <= low[c]:
            d = low[c] - target
        elif target >= high[c]:
            d = target - high[c]
        else:  # lo < target < hi implies g > 0; both neighbouring coset points lie inside
            r = (target - c * v0) % g
            d = min(r, g - r)
        if best is None or d < best:
            best = d
            if d == 0:
                break
    return best
