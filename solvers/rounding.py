"""Outward-rounded float arithmetic: doubles that are rigorous upper bounds of exact results.

Every function returns a double >= the exact value of the operation on its (exact) double
inputs, so sums and products of bounds stay bounds (the interval and linear bounds of
:mod:`solvers.construction`, :mod:`solvers.linear_bounds` and :mod:`solvers.spectral_bounds`).

>>> float(up_sum(np.array([0.1, 0.2]))) >= 0.30000000000000004
True
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["up_fractions", "up_mul", "up_sum", "up_rowsum", "two_product_error"]


def up_fractions(qs: list[Fraction]) -> np.ndarray:
    """Doubles >= each exact q (float() of a Fraction is correctly rounded: one ulp up is safe)."""
    f = np.array([float(q) for q in qs])
    up = np.nextafter(f, np.inf)
    zero = np.nonzero(f == 0)[0]
    up[zero] = [0.0 if qs[i] == 0 else 5e-324 for i in zero]
    return up


def up_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise upper bounds of a * b: fl(a*b), one ulp up where it rounded down (or where
    the error term itself overflowed, beyond 2^996: then up, to stay on the safe side)."""
    p = a * b
    with np.errstate(over="ignore", invalid="ignore"):
        exact_or_below = two_product_error(a, b) <= 0
    return np.where(exact_or_below, p, np.nextafter(p, np.inf))


def up_sum(r: np.ndarray) -> float:
    """An upper bound of the exact sum: math.fsum rounds correctly, and the sign of the exact
    residual (fsum again) says whether it rounded down."""
    s = math.fsum(r)
    return math.nextafter(s, math.inf) if math.fsum([*r, -s]) > 0 else s


def up_rowsum(M: np.ndarray) -> np.ndarray:
    """Upper bounds of the exact row sums."""
    return np.array([up_sum(r) for r in M])


def two_product_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """e with a*b = fl(a*b) + e exactly (Dekker's TwoProduct; no overflow in our ranges)."""
    p = a * b
    split = 134217729.0  # 2^27 + 1

    def halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = split * x
        hi = c - (c - x)
        return hi, x - hi

    ah, al = halves(a)
    bh, bl = halves(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl
