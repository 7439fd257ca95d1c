"""First and second moments of the number of subsets hitting a target (the MRSS 2nd-moment method).

Setting (slides, "MRSS in expectation" and "MRSS: current results"; Borst et al. 2022,
Becchetti et al. 2022): X_1..X_n i.i.d. N(0, I_d), a target z, eps > 0, and for |S| = k the
indicator Y_S = 1 iff ``||z - sum_{i in S} X_i||_inf <= eps``; Z_k = sum_{|S| = k} Y_S.

- ``E[Z_k] = C(n, k) prod_j P(|z_j - Y| <= eps)`` with Y ~ N(0, k): the sum over S is a
  Gaussian of variance k per coordinate, and the coordinates are independent.
- ``E[Z_k^2] = C(n, k) sum_i C(k, i) C(n - k, k - i) prod_j P(|z_j - U| <= eps, |z_j - V| <= eps)``
  where two subsets sharing i elements give per coordinate a bivariate normal (U, V), both of
  variance k and correlation i/k.
- ``P[Z_k >= 1] >= E[Z_k]^2 / E[Z_k^2]`` (Cauchy-Schwarz), for each k; the best k maximises it.

Everything is computed with mpmath at ``dps`` digits: the bivariate probability as a 1-D
integral over U of the conditional normal of V (smooth: its standard deviation is >= 1), so
mpmath's quadrature is accurate to the working precision. :func:`enumeration_moments` measures
the same quantities by exact enumeration over random samples, to check them.

>>> row = moments(6, ["0.5", "-0.5"], "1/4")[3]
>>> row.k, round(float(row.mean), 6), round(row.bound, 6)
(3, 0.242503, 0.179985)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import mpmath
import numpy as np

from solvers.mrss import count_subsets_within
from solvers.numbers import InputError, check_eps, to_fraction, to_fractions

__all__ = [
    "hit_probability",
    "pair_hit_probability",
    "first_moment",
    "second_moment",
    "MomentRow",
    "moments",
    "best_k",
    "counting_estimates",
    "EnumerationMoments",
    "enumeration_moments",
    "predicted_n",
]

DPS = 30


def _binomial(n: int, k: int) -> mpmath.mpf:
    """C(n, k) rounded once from the exact integer (mpmath's gamma route is 20x slower)."""
    return mpmath.mpf(math.comb(n, k))


def _mpf(x: Fraction) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator


def _check(n: int, target: object, eps: object) -> tuple[tuple[Fraction, ...], Fraction]:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n is {n!r}: expected a non-negative integer")
    z = tuple(to_fractions(target, "target"))
    if not z:
        raise InputError("target is empty: expected d >= 1 numbers")
    e = check_eps(eps, positive=True)
    return z, e


@cache
def _hit(k: int, z: Fraction, eps: Fraction, dps: int) -> mpmath.mpf:
    with mpmath.workdps(dps):
        if k == 0:
            return mpmath.mpf(1 if abs(z) <= eps else 0)
        sd = mpmath.sqrt(k)
        return mpmath.ncdf((_mpf(z) + _mpf(eps)) / sd) - mpmath.ncdf((_mpf(z) - _mpf(eps)) / sd)


@cache
def _pair(k: int, i: int, z: Fraction, eps: Fraction, dps: int) -> mpmath.mpf:
    if i == k:
        return _hit(k, z, eps, dps)
    if i == 0:
        return _hit(k, z, eps, dps) ** 2
    with mpmath.workdps(dps):
        zm, em = _mpf(z), _mpf(eps)
        rho = mpmath.mpf(i) / k
        sd = mpmath.sqrt(k)
        cond_sd = mpmath.sqrt(mpmath.mpf(k * k - i * i) / k)  # V | U = u ~ N(rho u, cond_sd^2)

        def integrand(u: mpmath.mpf) -> mpmath.mpf:
            return mpmath.npdf(u, 0, sd) * (
                mpmath.ncdf((zm + em - rho * u) / cond_sd)
                - mpmath.ncdf((zm - em - rho * u) / cond_sd)
            )

        return mpmath.quad(integrand, [zm - em, zm + em])


def hit_probability(k: int, z: object, eps: object, *, dps: int = DPS) -> mpmath.mpf:
    """P(|z - Y| <= eps) for Y ~ N(0, k): one coordinate of one subset of size k.

    >>> float(hit_probability(1, 0, 1))  # P(|N(0,1)| <= 1)
    0.6826894921370859
    """
    return _hit(int(k), to_fraction(z, "z"), to_fraction(eps, "eps"), dps)


def pair_hit_probability(k: int, i: int, z: object, eps: object, *, dps: int = DPS) -> mpmath.mpf:
    """P(|z - U| <= eps and |z - V| <= eps), (U, V) normal, variances k, covariance i.

    Two subsets of size k sharing i elements, one coordinate.

    >>> p, q = hit_probability(4, "0.1", "0.2"), pair_hit_probability(4, 2, "0.1", "0.2")
    >>> bool(p**2 < q < p)
    True
    """
    if not 0 <= int(i) <= int(k):
        raise InputError(f"i is {i!r}: the intersection size must be between 0 and k = {k}")
    return _pair(int(k), int(i), to_fraction(z, "z"), to_fraction(eps, "eps"), dps)


def first_moment(n: int, k: int, target: object, eps: object, *, dps: int = DPS) -> mpmath.mpf:
    """E[Z_k] = C(n, k) prod_j P(|z_j - Y| <= eps), Y ~ N(0, k).

    >>> round(float(first_moment(2, 1, [0], 1)), 12)  # 2 subsets of size 1, each hits w.p. 0.6827
    1.365378984274
    """
    z, e = _check(n, target, eps)
    with mpmath.workdps(dps):
        return _binomial(n, k) * mpmath.fprod(_hit(k, zj, e, dps) for zj in z)


def second_moment(n: int, k: int, target: object, eps: object, *, dps: int = DPS) -> mpmath.mpf:
    """E[Z_k^2], summed over pairs of subsets by their intersection size i.

    >>> float(second_moment(1, 1, [0], 1))  # Z_1 is an indicator: E[Z^2] = E[Z]
    0.6826894921370859
    """
    z, e = _check(n, target, eps)
    with mpmath.workdps(dps):
        total = mpmath.mpf(0)
        for i in range(max(0, 2 * k - n), k + 1):
            pairs = mpmath.mpf(math.comb(k, i) * math.comb(n - k, k - i))
            total += pairs * mpmath.fprod(_pair(k, i, zj, e, dps) for zj in z)
        return _binomial(n, k) * total


@dataclass(frozen=True)
class MomentRow:
    """The moments for one subset size k, and the slides' counting estimate beside them.

    ``bound`` = E[Z_k]^2 / E[Z_k^2] <= P[Z_k >= 1]; ``slides_mean`` = C(n, k) (eps/sqrt k)^d,
    the slides' "probability roughly (eps/sqrt k)^d to hit an eps-cube".
    """

    k: int
    mean: mpmath.mpf
    second: mpmath.mpf
    bound: float
    slides_mean: mpmath.mpf


def moments(
    n: int, target: object, eps: object, *, ks: Sequence[int] | None = None, dps: int = DPS
) -> list[MomentRow]:
    """One :class:`MomentRow` per subset size k (all of 0..n unless ``ks`` is given)."""
    z, e = _check(n, target, eps)
    rows = []
    with mpmath.workdps(dps):
        for k in range(n + 1) if ks is None else ks:
            mean = first_moment(n, k, z, e, dps=dps)
            second = second_moment(n, k, z, e, dps=dps)
            bound = float(mean**2 / second) if second > 0 else 0.0
            slides = _binomial(n, k) * (_mpf(e) / mpmath.sqrt(max(k, 1))) ** len(z)
            rows.append(MomentRow(int(k), mean, second, bound, slides))
    return rows


def best_k(n: int, target: object, eps: object, *, dps: int = DPS) -> MomentRow:
    """The size k whose second-moment bound on P[some subset hits] is largest.

    >>> best_k(12, ["0.5", "-0.5"], "1/4").k
    4
    """
    return max(moments(n, target, eps, dps=dps), key=lambda r: (r.bound, -r.k))


def counting_estimates(n: int, d: int, eps: object) -> dict[str, float]:
    """The slides' counting estimates (log2 of expected numbers of subsets hitting a cube).

    ``half_log2`` = n/2 - d log2(1/eps) - (d/2) log2(n/2): the slides' E[#] >= 2^(n/2)
    (eps / sqrt(n/2))^d for |S| = n/2, positive once n >= C d log(1/eps). ``all_log2`` =
    log2 sum_k (e n/k)^k (eps/sqrt k)^d: the slides' upper estimate over all sizes, below 0
    (E[#] < 1) when n <= c d log(1/eps). ``d_log`` = d log2(1/eps), the scale of both.

    >>> est = counting_estimates(40, 3, "0.01")
    >>> round(est["half_log2"], 3), round(est["d_log"], 3)
    (-6.414, 19.932)
    """
    e = check_eps(eps, positive=True)
    with mpmath.workdps(DPS):
        em = _mpf(e)
        half = n / 2 - d * mpmath.log(1 / em, 2) - d / 2 * mpmath.log(mpmath.mpf(n) / 2, 2)
        total = mpmath.fsum(
            (mpmath.e * n / k) ** k * (em / mpmath.sqrt(k)) ** d for k in range(1, n + 1)
        )
        return {
            "half_log2": float(half),
            "all_log2": float(mpmath.log(total, 2)),
            "d_log": float(d * mpmath.log(1 / em, 2)),
        }


@dataclass(frozen=True)
class EnumerationMoments:
    """Averages over random samples of the exact counts, with standard errors, per size k.

    Arrays indexed by k: ``mean``/``mean_se`` of Z_k, ``second``/``second_se`` of Z_k^2,
    ``hit``/``hit_se`` of the indicator Z_k >= 1; ``trials`` samples.
    """

    mean: np.ndarray
    mean_se: np.ndarray
    second: np.ndarray
    second_se: np.ndarray
    hit: np.ndarray
    hit_se: np.ndarray
    trials: int


def enumeration_moments(
    n: int, d: int, target: object, eps: object, *, trials: int = 1000, seed: int | None = None
) -> EnumerationMoments:
    """Sample X ~ N(0, I_d) (doubles, used exactly) and count exactly, by enumeration (n <= 22).

    >>> em = enumeration_moments(6, 2, ["0.5", "-0.5"], "1/4", trials=400, seed=0)
    >>> em.mean.shape, float(em.mean[3])  # E[Z_3] = 0.2425 (see the module example)
    ((7,), 0.255)
    """
    z, e = _check(n, target, eps)
    if len(z) != d:
        raise InputError(f"target has {len(z)} coordinates: expected d = {d}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 2:
        raise InputError(f"trials is {trials!r}: expected an integer >= 2")
    rng = np.random.default_rng(seed)
    counts = np.array(
        [count_subsets_within(rng.standard_normal((n, d)), z, e) for _ in range(trials)],
        dtype=np.float64,
    )

    def avg(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a.mean(axis=0), a.std(axis=0, ddof=1) / np.sqrt(trials)

    (m, ms), (s, ss), (h, hs) = avg(counts), avg(counts**2), avg((counts >= 1).astype(float))
    return EnumerationMoments(m, ms, s, ss, h, hs, int(trials))


def predicted_n(
    target: object, eps: object, delta: float, *, n_max: int = 200, dps: int = 20
) -> int | None:
    """The smallest n whose best second-moment bound reaches 1 - delta (None if n > n_max).

    Pair probabilities are cached across n, so a scan over n costs about one scan at n_max.

    >>> predicted_n(["0.5", "-0.5"], "0.1", 0.5)
    13
    """
    z, _ = _check(0, target, eps)
    if not 0 < delta < 1:
        raise InputError(f"delta is {delta!r}: expected a number in (0, 1)")
    for n in range(1, n_max + 1):
        if max(r.bound for r in moments(n, z, eps, dps=dps)) >= 1 - delta:
            return n
    return None
