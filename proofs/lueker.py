"""The slides' RSS proof (Lueker 1998; da Cunha et al. 2023): the process f_t and its recursion.

The slides define f_t(x) = 1 iff x in [-1, 1] and some S of the first t samples has
|x - sum_S X_i| < 2 eps, and state f_{t+1}(z) = f_t(z) + (1 - f_t(z)) f_t(z - X_{t+1}).
With that definition the recursion is *not* an identity: a sum whose partial sums leave
[-1, 1] covers z on the left but not on the right (:func:`recursion_counterexample` finds an
exact instance). What holds is the inequality ``>=`` for z in [-1, 1]: the recursion counts
only sums reached through partial sums inside [-1, 1], so it under-counts the coverage, which
is all the proof needs. The key inequality E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4)
is checked on real prefixes by :func:`solvers.coverage.check_lueker_inequality`.

>>> xs, eps, z = recursion_counterexample()
>>> f(xs, eps, z), recursion_rhs(xs[:-1], xs[-1], eps, z)
(1, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from solvers.numbers import common_scale, scale_to_int

__all__ = ["f", "recursion_rhs", "recursion_counterexample", "recursion_lower_bound_check"]

_GRID = [Fraction(k, 100) for k in range(-100, 101)]


def _subset_sums(xs: Sequence[Fraction]) -> list[Fraction]:
    sums = [Fraction(0)]
    for x in xs:
        sums += [s + x for s in sums]
    return sums


def _f(sums: Sequence[Fraction], eps: Fraction, x: Fraction) -> int:
    return int(-1 <= x <= 1 and any(abs(x - s) < 2 * eps for s in sums))


def f(xs: Sequence[Fraction], eps: Fraction, x: Fraction) -> int:
    """The slides' f_t(x) for t = len(xs): 1 iff x in [-1, 1] and some subset sum is within 2 eps.

    >>> f([Fraction(1, 2)], Fraction(1, 10), Fraction(2, 5))
    1
    """
    return _f(_subset_sums(xs), eps, x)


def recursion_rhs(xs: Sequence[Fraction], x_next: Fraction, eps: Fraction, z: Fraction) -> int:
    """The slides' right-hand side f_t(z) + (1 - f_t(z)) f_t(z - X_{t+1}) (t = len(xs))."""
    sums = _subset_sums(xs)
    here = _f(sums, eps, z)
    return here + (1 - here) * _f(sums, eps, z - x_next)


def _both_sides(xs: Sequence[Fraction], eps: Fraction) -> list[tuple[Fraction, int, int]]:
    """(z, f_{t+1}(z), the slides' recursion at z) for z on the grid k/100 of [-1, 1].

    Computed on integers after the exact common scaling W (every value a multiple of 1/W).
    """
    w = common_scale([*xs, eps, Fraction(1, 100)])
    ints = scale_to_int(list(xs), w)
    reach, one = int(2 * eps * w), w

    def covered(sums: list[int], x: int) -> int:
        return int(-one <= x <= one and any(abs(x - s) < reach for s in sums))

    before = [0]
    for x in ints[:-1]:
        before += [s + x for s in before]
    after = before + [s + ints[-1] for s in before]
    out = []
    for k in range(-100, 101):
        z = k * w // 100
        here = covered(before, z)
        rhs = here + (1 - here) * covered(before, z - ints[-1])
        out.append((Fraction(k, 100), covered(after, z), rhs))
    return out


def _instances(seed: int, count: int) -> list[tuple[list[Fraction], Fraction]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        t = int(rng.integers(1, 4))
        xs = [Fraction(int(k), 20) for k in rng.integers(-20, 21, t + 1)]
        out.append((xs, Fraction(1, int(rng.choice([20, 50, 100])))))
    return out


def recursion_counterexample(
    seed: int = 0, count: int = 2000
) -> tuple[list[Fraction], Fraction, Fraction]:
    """An exact (X_1..X_{t+1}, eps, z) with f_{t+1}(z) != the slides' recursion, by search.

    Samples are multiples of 1/20 in [-1, 1], t <= 3, eps in {1/20, 1/50, 1/100}, z on the
    grid k/100; raises LookupError if none of ``count`` random instances shows a difference.
    """
    for xs, eps in _instances(seed, count):
        for z, lhs, rhs in _both_sides(xs, eps):
            if lhs != rhs:
                return xs, eps, z
    raise LookupError(f"no counterexample in {count} instances")


def recursion_lower_bound_check(seed: int = 0, count: int = 1000) -> tuple[int, int]:
    """Check f_{t+1}(z) >= f_t(z) + (1 - f_t(z)) f_t(z - X_{t+1}) for z on the grid of [-1, 1].

    Returns (instances, points) checked; raises AssertionError with the exact instance if it
    fails anywhere.
    """
    points = 0
    for xs, eps in _instances(seed + 1, count):
        for z, lhs, rhs in _both_sides(xs, eps):
            if lhs < rhs:
                raise AssertionError(f"fails at X = {xs}, eps = {eps}, z = {z}")
            points += 1
    return count, points
