"""Covering a whole interval with subset sums: exact verdict, covering radius, Lueker process.

For values x_1..x_n let P be the set of the 2^n subset sums. The toolkit answers, exactly:

- :func:`is_covered`: does every z in [a, b] have a subset sum within eps (``|z - s| <= eps``)?
  If not, an uncovered witness z and its exact distance to P;
- :func:`covering_radius`: sup over z in [a, b] of the distance from z to P, the point that
  attains it and the subsets on either side of it;
- :func:`lueker_process`: the process of the RSS proof (Lueker 1998; da Cunha et al. 2023, the
  slides' last part), its exact conditional expectation, and the true covered fraction;
- :func:`check_lueker_inequality`: E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4) on random
  prefixes.

Algorithm (interval-union recursion). U_0 = [-eps, eps] and U_{t+1} = U_t union (U_t + x_{t+1});
U_n is the eps-neighbourhood of P. Each U_t is kept as a sorted list of disjoint
intervals [L - eps, R + eps] whose ends L, R are subset sums, so after the exact scaling of the
values to integers (their common denominator V) every comparison is an integer comparison:
two intervals join when L' - R <= floor(2 eps V). An interval is dropped as soon as no sum of
the values still to come can move it into [a, b] (it misses [a - P_t, b - N_t], with P_t and
N_t the sums of the positive and negative values left), and the run stops as soon as one
interval covers [a, b] (the U_t only grow). The peak number of intervals is at most
min(2^t, window / (2 eps)); the order in which the values are processed changes it (``order``,
see :data:`ORDERS`), and ``max_intervals`` bounds the memory (:data:`MAX_INTERVALS`).

Exactness: on int64 data (V * sum |x_i| <= 2^61; the usual float generators give multiples of
2^-52) the loop is compiled with numba; otherwise the same loop runs on Python integers (exact,
slower). Witnesses, distances and radii are Fractions.

Examples
--------
>>> is_covered([0.5, 0.25, -0.5], "1/8", interval=(-0.5, 0.75)).covered
True
>>> res = is_covered([0.5, 0.25], "1/16", interval=(0, 1))
>>> res.covered, res.witness, res.distance
(False, Fraction(1, 1), Fraction(1, 4))
>>> r = covering_radius([0.5, 0.25], interval=(0, 1))
>>> r.radius, r.point, r.below, r.above
(Fraction(1, 4), Fraction(1, 1), (0, 1), None)
"""

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numba import njit

from solvers.memory import INTERVAL_BYTES, format_bytes
from solvers.numbers import (
    InputError,
    check_eps,
    common_scale,
    fraction_str,
    nearest_float,
    scale_to_int,
    to_fraction,
    to_fractions,
)

__all__ = [
    "ORDERS",
    "MAX_INTERVALS",
    "IntervalLimitExceeded",
    "Coverage",
    "CoveringRadius",
    "LuekerTrace",
    "LuekerCheck",
    "is_covered",
    "covering_radius",
    "lueker_process",
    "check_lueker_inequality",
    "enumerated_cover",
    "ENUMERATION_MAX_N",
    "ESTIMATE_SLACK",
    "LUEKER_MAX_WORK",
    "CHECK_MAX_PREFIXES",
    "CHECK_MAX_T",
    "estimated_intervals",
    "check_coverage_size",
    "check_radius_size",
    "estimated_radius",
]

#: Processing orders of the values: by |x| ascending, descending, or as given. Measured on
#: uniform values (``slth bench cover``): ascending keeps the fewest intervals when the interval
#: ends up covered (n = 60, eps = 1e-7: 3 s against 12 s), descending when it does not and for
#: the radius (n = 30: 1.1 s against 1.9 s median); these are the defaults.
ORDERS = ("asc", "desc", "given")

#: Default bound on the number of intervals the recursion may hold (about 48 bytes each at the
#: peak of a step, twice that when subsets are tracked): about 2.4 GB.
MAX_INTERVALS = 50_000_000

#: A run is refused before it starts (InputError) when the intervals it would hold, estimated
#: for values in general position (:func:`estimated_intervals`), exceed ``max_intervals`` this
#: many times over: measured peaks of uniform values lie within a factor 3 of the estimate.
ESTIMATE_SLACK = 4

# Magnitude bound of the int64 path: sums and differences of two sums stay below 2^62.
_INT64_SUMS = 2**61
_CLAMP = 2**62


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The verdict of :func:`is_covered`.

    Attributes
    ----------
    covered : whether every z in ``interval`` has a subset sum within ``eps``.
    eps, interval : the question asked (exact).
    witness : an uncovered point of the interval (the deepest the run certifies), or None.
    distance : the exact distance from ``witness`` to the nearest subset sum (> eps), or None.
    stats : engine details (``peak_intervals``, ``steps``, ``arithmetic``, ``order``, ``seconds``).
    """

    covered: bool
    eps: Fraction
    interval: tuple[Fraction, Fraction]
    witness: Fraction | None = None
    distance: Fraction | None = None
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form: numbers as "p/q" strings."""
        return {
            "covered": self.covered,
            "eps": fraction_str(self.eps),
            "interval": [fraction_str(x) for x in self.interval],
            "witness": None if self.witness is None else fraction_str(self.witness),
            "distance": None if self.distance is None else fraction_str(self.distance),
            "stats": self.stats,
        }


@dataclass(frozen=True)
class CoveringRadius:
    """The result of :func:`covering_radius`.

    ``radius = min(point - below_sum, above_sum - point)``: ``below`` and ``above`` are the
    subsets (0-based indices) whose sums are the nearest on either side of ``point``. A side is
    None (and counts as infinitely far) when no subset sum on it is within the radius of
    ``point``: then ``point`` is an end of the interval.
    """

    radius: Fraction
    point: Fraction
    below: tuple[int, ...] | None
    above: tuple[int, ...] | None
    below_sum: Fraction | None
    above_sum: Fraction | None
    interval: tuple[Fraction, Fraction]
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form: numbers as "p/q" strings."""

        def opt(x: Fraction | None) -> str | None:
            return None if x is None else fraction_str(x)

        return {
            "radius": fraction_str(self.radius),
            "point": fraction_str(self.point),
            "below": None if self.below is None else list(self.below),
            "above": None if self.above is None else list(self.above),
            "below_sum": opt(self.below_sum),
            "above_sum": opt(self.above_sum),
            "interval": [fraction_str(x) for x in self.interval],
            "stats": self.stats,
        }


class IntervalLimitExceeded(RuntimeError):
    """The recursion needs more intervals than ``max_intervals``: the question is undecided."""


# --- validation --------------------------------------------------------------------------------


def _check_values(values: object) -> list[Fraction]:
    vals = to_fractions(values, "values")
    if not vals:
        raise InputError("values is empty: give at least one number")
    return vals


def _check_interval(interval: object) -> tuple[Fraction, Fraction]:
    if isinstance(interval, (str, bytes)) or not isinstance(interval, Sequence) or len(
        interval
    ) != 2:
        raise InputError(f"interval is {interval!r}: expected two numbers (A, B) with A < B")
    a = to_fraction(interval[0], "interval[0]")
    b = to_fraction(interval[1], "interval[1]")
    if not a < b:
        raise InputError(
            f"interval is [{fraction_str(a)}, {fraction_str(b)}]: expected A < B "
            "(an empty or reversed interval covers nothing)"
        )
    return a, b


def _check_order(order: str | None, default: str) -> str:
    if order is None:
        return default
    if order not in ORDERS:
        raise InputError(f"order is {order!r}: expected one of {', '.join(ORDERS)}")
    return order


# --- memory estimates, before anything is allocated ---------------------------------------------


def _magnitude(x: Fraction) -> str:
    """A short text for a positive number, also beyond the doubles ("about 1e-4000")."""
    f = nearest_float(x)
    if f != 0 and math.isfinite(f):
        return f"{f:.3g}"
    return f"about 1e{round((x.numerator.bit_length() - x.denominator.bit_length()) * 0.30103)}"


def _distinct_sums(vals: Sequence[Fraction]) -> int:
    """An upper bound on the number of distinct subset sums: a value repeated k times adds only
    k + 1 choices, and n values give at most 2^n sums."""
    bound = 1
    for count in Counter(vals).values():
        bound *= count + 1
        if bound.bit_length() > 2 * len(vals) + 64:  # beyond any use: stop multiplying
            break
    return min(bound, 2 ** len(vals))


def estimated_intervals(values: Sequence[object], eps: object,
                        interval: Sequence[object] = (-1, 1)) -> int:
    """The intervals a run of :func:`is_covered` holds at its peak, estimated before it starts.

    Kept intervals are disjoint, more than 2 eps apart, and their ends are distinct subset sums;
    after the last value they lie in the interval widened by 2 eps (and in [sum of the negative
    values, sum of the positive ones]): at most min(distinct sums, width / (2 eps) + 1). Earlier
    steps keep a wider window, so this is an estimate of the peak, not a bound: measured peaks
    of uniform values lie between 0.3 and 1.4 times it.

    >>> estimated_intervals([1, 2, 4], "1/2", (0, 8))
    8
    >>> estimated_intervals([0.1] * 60, "1e-15")  # 61 distinct sums, however small eps is
    61
    >>> estimated_intervals([0.3, -0.7, 0.9] * 20, "1e-15")  # 21^3 sums
    9261
    >>> estimated_intervals([0.5**k for k in range(60)], "1e-15")  # sums in [0, 2]: 2 / (2 eps)
    1000000000000000
    """
    vals = _check_values(values)
    e = check_eps(eps, positive=True)
    a, b = _check_interval(interval)
    lo, hi = sum(v for v in vals if v < 0), sum(v for v in vals if v > 0)
    width = min(b - a + 4 * e, hi - lo)
    return min(_distinct_sums(vals), math.floor(width / (2 * e)) + 1)


def check_coverage_size(n: int, eps: object, interval: Sequence[object] = (-1, 1),
                        max_intervals: int = MAX_INTERVALS) -> None:
    """Refuse (InputError) deciding coverage of n values in general position at ``eps`` when
    the run cannot fit in ``max_intervals``: for plans made before the values are drawn
    (sweeps). The estimate is min(2^n, width / (2 eps) + 1), as in :func:`estimated_intervals`.

    >>> check_coverage_size(60, "1e-4")
    >>> check_coverage_size(60, "1e-12")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: deciding coverage of n = 60 values at eps = 1e-12 would hold ...
    """
    a, b = _check_interval(interval)
    e = check_eps(eps, positive=True)
    estimate = min(2**n, math.floor((b - a + 4 * e) / (2 * e)) + 1)
    _refuse_beyond(estimate, max_intervals,
                   f"deciding coverage of n = {n} values at eps = {_magnitude(e)}",
                   "use a larger eps, fewer values or a shorter interval")


def estimated_radius(values: Sequence[object], interval: Sequence[object] = (-1, 1)) -> float:
    """A generous estimate of the covering radius of values in general position (a float).

    The 2^n subset sums are spread like a normal law (mean sum/2, variance sum x^2/4): near the
    end of [A, B] where they are sparsest, N sums in the interval leave gaps of about
    ln(N) / (2^n density) (the largest of N spacings). Never below the distance from [A, B] to
    the range of the sums. :func:`covering_radius` uses it to refuse runs that cannot fit.

    >>> r = estimated_radius([0.9, -0.35, 0.6, 0.12, -0.05, 0.3, 0.77, -0.61, 0.2, 0.44])
    >>> 0.035 <= r < 0.3  # the exact radius is 0.035 (10 values are few for the normal law)
    True
    >>> estimated_radius([0.001] * 5, (0, 1))  # the sums stop at 0.005
    0.995
    """
    vals = _check_values(values)
    a, b = (nearest_float(x) for x in _check_interval(interval))
    lo = nearest_float(sum(v for v in vals if v < 0))
    hi = nearest_float(sum(v for v in vals if v > 0))
    mean = nearest_float(sum(vals)) / 2
    sd = math.sqrt(sum(min(abs(nearest_float(v)), 1e150) ** 2 for v in vals)) / 2
    whole = (b - a) / 2
    if not all(map(math.isfinite, (a, b, lo, hi, mean, sd, whole))):
        return math.inf  # beyond the doubles: no estimate (and nothing to refuse)
    outside = max(lo - a, b - hi, whole if hi < a or lo > b else 0.0)
    if sd == 0:
        return outside
    za, zb = max(a, lo), min(b, hi)
    inside = 0.5 * (math.erf((zb - mean) / (sd * math.sqrt(2)))
                    - math.erf((za - mean) / (sd * math.sqrt(2))))
    sparsest = max(abs(za - mean), abs(zb - mean)) / sd
    log_density = -sparsest**2 / 2 - math.log(sd * math.sqrt(2 * math.pi))  # per unit length
    log_n = len(vals) * math.log(2)
    if inside <= 0 or log_n + math.log(inside) < 1:
        return max(outside, whole)
    log_gap = math.log(log_n + math.log(inside)) - log_n - log_density
    return max(outside, min(math.exp(min(log_gap, 700.0)) / 2, whole))


#: The Lueker process runs on Python lists of exact intervals: it is refused when it could hold
#: more than this many intervals times 64-bit words per end (about 10 s and 0.5 GB per million).
LUEKER_MAX_WORK = 2_000_000


def _check_lueker_size(n: int, sums: int, e: Fraction, scale_bits: int) -> None:
    """Refuse a Lueker process that cannot finish: its disjoint intervals, each at least 4 eps
    wide inside [-1, 1], number at most min(``sums``, 1 / (2 eps) + 3), and each end is an
    integer of ``scale_bits`` bits (the common denominator's)."""
    bound = min(sums, math.floor(1 / (2 * e)) + 3)
    words = scale_bits // 64 + 1
    if bound * words > LUEKER_MAX_WORK:
        size = f" of {64 * words} bits" if words > 1 else ""
        raise InputError(
            f"the Lueker process of n = {n} values at eps = {_magnitude(e)} could "
            f"hold {bound:.2g} intervals{size} in exact arithmetic, beyond its limit of "
            f"{LUEKER_MAX_WORK:.0e} interval-words (about 10 s each million): use a larger eps "
            "or fewer values")


def check_radius_size(values: Sequence[object], interval: Sequence[object] = (-1, 1),
                      max_intervals: int = MAX_INTERVALS) -> None:
    """Refuse (InputError) a :func:`covering_radius` run that cannot fit in ``max_intervals``:
    its last run, at eps near half the radius (:func:`estimated_radius`), is the largest.

    >>> check_radius_size(np.random.default_rng(0).uniform(-1, 1, 20))
    >>> check_radius_size(np.random.default_rng(0).uniform(-1, 1, 40))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: the covering radius of n = 40 values (about 1.3e-10) would hold ...
    """
    vals = _check_values(values)
    a, b = _check_interval(interval)
    guess = estimated_radius(vals, (a, b))
    if 0 < guess < math.inf:
        _refuse_beyond(estimated_intervals(vals, Fraction(guess / 2), (a, b)), max_intervals,
                       f"the covering radius of n = {len(vals)} values (about {guess:.2g})",
                       "use fewer values or a shorter interval")


def _refuse_beyond(estimate: float, limit: int, what: str, fix: str) -> None:
    """InputError when a run's estimated intervals exceed :data:`ESTIMATE_SLACK` x ``limit``."""
    if estimate > ESTIMATE_SLACK * limit:
        need = format_bytes(estimate * INTERVAL_BYTES)
        raise InputError(f"{what} would hold about {estimate:.2g} intervals ({need}), beyond "
                         f"{ESTIMATE_SLACK} x max_intervals = {limit}: {fix}")


# --- the interval-union engine -----------------------------------------------------------------


@njit(cache=True)
def _merge_shift(L, R, ML, MR, x, bit, T, lo, hi, cov_lo, cov_hi, track, oL, oR, oML, oMR):
    """One step U + (U + x): merge the two sorted lists, join, drop, and test the cover.

    Intervals are [L - e, R + e] with e the (implicit) scaled eps; two join when the next L is
    within T = floor(2e) of the current R. An interval is kept when R >= lo and L <= hi; the
    flag says whether a kept interval has L <= cov_lo and R >= cov_hi. With ``track`` the masks
    of the two end sums are carried (``bit`` marks the shifted copy). Returns (count, flag).
    Written without numba-only features: ``_merge_shift.py_func`` runs it on Python integers.
    """
    m = L.shape[0]
    cap = oL.shape[0]
    i = 0
    j = 0
    k = 0
    covers = False
    started = False
    cl = L[0]
    cr = R[0]
    cml = ML[0]
    cmr = MR[0]
    while i < m or j < m:
        if j >= m or (i < m and L[i] <= L[j] + x):
            nl = L[i]
            nr = R[i]
            src = i
            shifted = False
            i += 1
        else:
            nl = L[j] + x
            nr = R[j] + x
            src = j
            shifted = True
            j += 1
        if started and nl - cr <= T:
            if nr > cr:
                cr = nr
                if track:
                    cmr = (MR[src] | bit) if shifted else MR[src]
            continue
        if started and cr >= lo and cl <= hi:
            if k >= cap:
                raise ValueError("interval buffer overflow")
            oL[k] = cl
            oR[k] = cr
            if track:
                oML[k] = cml
                oMR[k] = cmr
            if cl <= cov_lo and cr >= cov_hi:
                covers = True
            k += 1
        cl = nl
        cr = nr
        if track:
            cml = (ML[src] | bit) if shifted else ML[src]
            cmr = (MR[src] | bit) if shifted else MR[src]
        started = True
    if cr >= lo and cl <= hi:
        if k >= cap:
            raise ValueError("interval buffer overflow")
        oL[k] = cl
        oR[k] = cr
        if track:
            oML[k] = cml
            oMR[k] = cmr
        if cl <= cov_lo and cr >= cov_hi:
            covers = True
        k += 1
    return k, covers


def _bound(v: int) -> int:
    """Clamp a threshold into int64: every sum (and sum of two sums) lies well inside."""
    return max(-_CLAMP, min(_CLAMP, v))


@dataclass
class _Scaled:
    """Values times their common denominator ``scale`` (exact ints) and the processing order."""

    scale: int
    ints: list[int]
    order: list[int]

    @classmethod
    def of(cls, vals: Sequence[Fraction], order: str) -> _Scaled:
        scale = common_scale(vals)
        ints = scale_to_int(vals, scale)
        idx = list(range(len(ints)))
        if order == "desc":
            idx.sort(key=lambda i: -abs(ints[i]))
        elif order == "asc":
            idx.sort(key=lambda i: abs(ints[i]))
        return cls(scale, ints, idx)

    @property
    def smin(self) -> int:
        return sum(v for v in self.ints if v < 0)

    @property
    def smax(self) -> int:
        return sum(v for v in self.ints if v > 0)

    @property
    def fits_int64(self) -> bool:
        return self.smax - self.smin <= _INT64_SUMS


@dataclass
class _State:
    """The kept intervals [L - e, R + e] after ``t`` values, with the masks of L and R."""

    t: int
    L: np.ndarray
    R: np.ndarray
    ML: np.ndarray
    MR: np.ndarray
    covers: bool


def _union_steps(
    sc: _Scaled, e: Fraction, window: tuple[Fraction, Fraction],
    cover: tuple[Fraction, Fraction] | None, track: bool, stats: dict[str, Any],
    limit: int = MAX_INTERVALS,
) -> Iterator[_State]:
    """Run the recursion on the scaled values; yield the state after 0, 1, ... values.

    ``e`` is eps times the scale; intervals that cannot reach ``window`` (scaled) are dropped;
    a state with ``covers`` set has one interval containing ``cover`` (scaled) and ends the run,
    as does an empty state. ``stats`` receives ``peak_intervals``, ``steps``, ``arithmetic``.
    More than ``limit`` intervals raise :class:`IntervalLimitExceeded` before the allocation.
    """
    fast = sc.fits_int64 and (not track or len(sc.ints) <= 64)
    dtype = np.int64 if fast else object
    mdtype = np.uint64 if fast else object
    kernel = _merge_shift if fast else _merge_shift.py_func

    clamp = _bound if fast else int
    T = clamp(math.floor(2 * e))
    lo_base = math.ceil(window[0] - e)
    hi_base = math.floor(window[1] + e)
    if cover is None:
        cov_lo, cov_hi = sc.smin - 1, sc.smax + 1  # no interval reaches both: the flag stays off
    else:
        cov_lo, cov_hi = clamp(math.floor(cover[0] + e)), clamp(math.ceil(cover[1] - e))
    rest_pos = sc.smax
    rest_neg = sc.smin
    L = np.zeros(1, dtype=dtype)
    R = np.zeros(1, dtype=dtype)
    ML = np.zeros(1, dtype=mdtype)
    MR = np.zeros(1, dtype=mdtype)
    covers = cover is not None and 0 <= cov_lo and 0 >= cov_hi
    stats.update(arithmetic="int64" if fast else "python-int", peak_intervals=1, steps=0)
    yield _State(0, L, R, ML, MR, covers)
    for t, idx in enumerate(sc.order, start=1):
        if covers or len(L) == 0:
            return
        x = sc.ints[idx]
        if x > 0:
            rest_pos -= x
        else:
            rest_neg -= x
        lo = clamp(lo_base - rest_pos)
        hi = clamp(hi_base - rest_neg)
        m = len(L)
        if m > limit:
            raise IntervalLimitExceeded(
                f"the interval-union recursion holds {m} intervals after {t - 1} of "
                f"{len(sc.ints)} values, beyond max_intervals = {limit} (eps is small for this "
                "n): raise max_intervals if the memory allows")
        span = (hi - lo) // (T + 1) + 1 if hi >= lo else 1
        cap = max(1, min(2 * m, span))
        oL = np.empty(cap, dtype=dtype)
        oR = np.empty(cap, dtype=dtype)
        mcap = cap if track else 1
        oML = np.zeros(mcap, dtype=mdtype)
        oMR = np.zeros(mcap, dtype=mdtype)
        bit = np.uint64(1) << np.uint64(idx) if fast else 1 << idx
        k, covers = kernel(L, R, ML, MR, dtype(x) if fast else x, bit, T, lo, hi,
                           cov_lo, cov_hi, track, oL, oR, oML, oMR)
        covers = bool(covers)
        trim = k < cap // 2  # release the unused part of a mostly empty buffer
        L = oL[:k].copy() if trim else oL[:k]
        R = oR[:k].copy() if trim else oR[:k]
        if track:
            ML = oML[:k].copy() if trim else oML[:k]
            MR = oMR[:k].copy() if trim else oMR[:k]
        else:
            ML, MR = oML, oMR
        stats["peak_intervals"] = max(stats["peak_intervals"], k)
        stats["steps"] = t
        yield _State(t, L, R, ML, MR, covers)


def _final(sc: _Scaled, e: Fraction, window: tuple[Fraction, Fraction],
           cover: tuple[Fraction, Fraction], track: bool, stats: dict[str, Any],
           limit: int, progress: Callable[[float], None] | None = None) -> _State:
    """The last state of :func:`_union_steps` (all values processed, or covered early);
    ``progress`` gets the fraction of the values processed after each step, 1 at the end."""
    steps = _union_steps(sc, e, window, cover, track, stats, limit)
    if progress is None:
        return deque(steps, maxlen=1)[0]
    for state in steps:
        progress(state.t / max(len(sc.ints), 1))
    progress(1.0)  # covered early, or every value done: the run is over
    return state


@dataclass(frozen=True)
class _Gap:
    """The deepest point of [A, B] between two consecutive subset sums (all scaled).

    ``below``/``above`` are (sum, mask) or None when no sum lies on that side. An unresolved
    gap has a side pruned away: ``dist`` is then a certified distance at ``point``, not the sup.
    """

    dist: Fraction
    point: Fraction
    below: tuple[int, int] | None
    above: tuple[int, int] | None
    resolved: bool = True


def _tent(lo: tuple[int, int] | None, hi: tuple[int, int] | None, A: Fraction,
          B: Fraction) -> _Gap:
    """Sup over z in [A, B] of min(z - lo, hi - z): at the midpoint clamped to [A, B]."""
    if lo is None:
        z = A
    elif hi is None:
        z = B
    else:
        z = min(max(Fraction(lo[0] + hi[0], 2), A), B)
    d = min(z - lo[0] if lo else math.inf, hi[0] - z if hi else math.inf)
    return _Gap(d, z, lo, hi)


def _gaps(state: _State, sc: _Scaled, e: Fraction, A: Fraction, B: Fraction,
          D: Fraction) -> list[_Gap]:
    """Candidate deepest points of [A, B] after a full run on the window [A - D, B + D].

    Between two kept intervals the end sums are consecutive subset sums (every sum whose
    interval meets the window is kept). Among gaps whose midpoint lies in [A, B] the widest
    is the deepest; a gap with its midpoint left of A is deepest at A, and the last such gap
    is the best of them (symmetrically right of B). Before the first kept interval the
    previous sum is either absent (the first L is the least subset sum) or pruned, hence
    below A - D - e: the depth at A is then known when L - A <= D + e, and otherwise the point
    L - D - e is certified at distance exactly D + e (unresolved).
    """
    L, R, ML, MR = state.L, state.R, state.ML, state.MR
    m = len(L)
    if m == 0:
        return []
    track = len(ML) == m

    def end(k: int, left: bool) -> tuple[int, int]:
        s = int(L[k]) if left else int(R[k])
        mask = (int(ML[k]) if left else int(MR[k])) if track else 0
        return s, mask

    out: list[_Gap] = []
    if m > 1:
        mid2 = R[:-1] + L[1:]
        clamp = int if L.dtype == object else _bound
        lo2, hi2 = clamp(math.ceil(2 * A)), clamp(math.floor(2 * B))
        idx = np.nonzero((mid2 >= lo2) & (mid2 <= hi2))[0]
        if len(idx):
            k = int(idx[np.argmax(L[1:][idx] - R[:-1][idx])])
            out.append(_tent(end(k, False), end(k + 1, True), A, B))
        left = np.nonzero(mid2 < lo2)[0]
        if len(left):
            k = int(left[-1])
            out.append(_tent(end(k, False), end(k + 1, True), A, B))
        right = np.nonzero(mid2 > hi2)[0]
        if len(right):
            k = int(right[0])
            out.append(_tent(end(k, False), end(k + 1, True), A, B))
    first, last = end(0, True), end(m - 1, False)
    if first[0] == sc.smin or first[0] - A <= D + e:
        out.append(_tent(None, first, A, B))
    else:
        out.append(_Gap(D + e, first[0] - D - e, None, first, resolved=False))
    if last[0] == sc.smax or B - last[0] <= D + e:
        out.append(_tent(last, None, A, B))
    else:
        out.append(_Gap(D + e, last[0] + D + e, last, None, resolved=False))
    return [g for g in out if g.dist > e]


def _bits(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


# --- public solvers ----------------------------------------------------------------------------


def is_covered(values: Sequence[object], eps: object, interval: Sequence[object] = (-1, 1), *,
               order: str | None = None, max_intervals: int = MAX_INTERVALS,
               progress: Callable[[float], None] | None = None) -> Coverage:
    """Whether every z in ``interval`` has a subset sum within ``eps`` (``|z - s| <= eps``), exactly.

    Parameters
    ----------
    values : the numbers x_1..x_n (exact rationals: floats, ints, "p/q" or decimal strings).
    eps : the tolerance, > 0.
    interval : (A, B) with A < B; default [-1, 1].
    order : processing order of the values, one of :data:`ORDERS` (speed only; default
        ``"asc"``).
    max_intervals : memory bound; beyond it :class:`IntervalLimitExceeded` is raised, and a
        run estimated (:func:`estimated_intervals`) beyond :data:`ESTIMATE_SLACK` times it is
        refused before it starts (InputError).
    progress : called with the fraction of the values processed (the later steps cost more).

    Returns
    -------
    Coverage
        ``covered``; if False, an uncovered ``witness`` and its exact ``distance`` to the
        nearest subset sum. The witness is the deepest point found: the midpoint of the widest
        gap of subset sums inside the interval, or a point at distance 2 eps from the first sum
        beyond a gap that reaches an end of the interval.

    Examples
    --------
    >>> is_covered([1, 2, 4], "1/2", interval=(0, 7)).covered
    True
    >>> res = is_covered([1, 2, 4], "1/2", interval=(0, 8))
    >>> res.covered, res.witness, res.distance
    (False, Fraction(8, 1), Fraction(1, 1))
    >>> is_covered([1, 2], 0)
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: eps is 0: expected a number > 0
    """
    start = time.perf_counter()
    vals = _check_values(values)
    e = check_eps(eps, positive=True)
    a, b = _check_interval(interval)
    order = _check_order(order, "asc")
    _refuse_beyond(estimated_intervals(vals, e, (a, b)), max_intervals,
                   f"deciding coverage of n = {len(vals)} values at eps = {_magnitude(e)}",
                   "use a larger eps, fewer values or a shorter interval")
    sc = _Scaled.of(vals, order)
    V = sc.scale
    E, A, B = e * V, a * V, b * V
    D = E  # the window's margin: makes every witness certifiable (module docstring)
    runs = 0
    while True:
        runs += 1
        stats: dict[str, Any] = {"order": order}
        state = _final(sc, E, (A - D, B + D), (A, B), False, stats, max_intervals, progress)
        if state.covers:
            return Coverage(True, e, (a, b), stats=_done(stats, start, runs))
        gaps = _gaps(state, sc, E, A, B, D)
        if gaps:
            g = max(gaps, key=lambda g: g.dist)
            return Coverage(False, e, (a, b), g.point / V, g.dist / V, _done(stats, start, runs))
        D *= 4  # no subset sum within reach of the interval: look further out


def _done(stats: dict[str, Any], start: float, runs: int) -> dict[str, Any]:
    stats.update(runs=runs, seconds=round(time.perf_counter() - start, 6))
    return stats


def covering_radius(values: Sequence[object], interval: Sequence[object] = (-1, 1), *,
                    order: str | None = None, max_intervals: int = MAX_INTERVALS,
                    progress: Callable[[float], None] | None = None) -> CoveringRadius:
    """The exact covering radius sup_{z in [A, B]} min_S |z - sum_{i in S} x_i|.

    The radius is the least eps for which :func:`is_covered` holds. It is found from above:
    the recursion runs at eps = R/2, R/4, ... (R = max(|A|, |B|) bounds the radius, as 0 is
    the empty subset's sum) until a run leaves a gap; that run knows every gap wider than
    2 eps, hence the widest, exactly (its window margin eps resolves the gaps at the ends, as
    the radius is below 2 eps). Halving balances the covered runs against the last one, whose
    cost grows as its eps shrinks.

    Parameters
    ----------
    values, interval, max_intervals : as in :func:`is_covered` (the estimate before the start
        is that of the last run, at eps near half the :func:`estimated_radius`).
    order : as in :func:`is_covered`; default ``"desc"``.
    progress : called with the fraction done, counted in runs (about log2 of the interval
        over the estimated radius) and values within a run.

    Returns
    -------
    CoveringRadius
        ``radius``, the ``point`` attaining it, and the subsets ``below`` / ``above`` whose
        sums are the nearest on either side of that point.

    Examples
    --------
    >>> r = covering_radius([1, 2, 4], interval=(0, 8))
    >>> r.radius, r.point, r.below, r.above
    (Fraction(1, 1), Fraction(8, 1), (0, 1, 2), None)
    >>> covering_radius(["1/3", "1/3"], interval=(0, 1)).radius
    Fraction(1, 3)
    """
    start = time.perf_counter()
    vals = _check_values(values)
    a, b = _check_interval(interval)
    order = _check_order(order, "desc")
    check_radius_size(vals, (a, b), max_intervals)
    sc = _Scaled.of(vals, order)
    V = sc.scale
    A, B = a * V, b * V
    E = max(abs(A), abs(B))
    runs, peak = 0, 0
    D = Fraction(0)
    guess = estimated_radius(vals, (a, b))
    top = nearest_float(max(abs(a), abs(b)))
    planned = max(1, math.ceil(math.log2(top / guess))) + 1 if 0 < guess < top < math.inf else 1
    while True:
        E, D = (E / 2, E / 2) if D == 0 else (E, 2 * D)
        runs += 1
        stats: dict[str, Any] = {"order": order}
        step = None if progress is None else (
            lambda f, r=runs: progress(min((r - 1 + f) / max(planned, r), 0.99)))
        state = _final(sc, E, (A - D, B + D), (A, B), True, stats, max_intervals, step)
        peak = max(peak, stats["peak_intervals"])
        if state.covers:
            D = Fraction(0)
            continue
        gaps = _gaps(state, sc, E, A, B, D)
        if not gaps or not all(g.resolved for g in gaps):
            continue  # a gap at an end of the interval reaches beyond the window: widen it
        g = max(gaps, key=lambda g: g.dist)
        stats["peak_intervals"] = peak
        if progress is not None:
            progress(1.0)
        return CoveringRadius(
            g.dist / V, g.point / V,
            None if g.below is None else _bits(g.below[1]),
            None if g.above is None else _bits(g.above[1]),
            None if g.below is None else Fraction(g.below[0], V),
            None if g.above is None else Fraction(g.above[0], V),
            (a, b), _done(stats, start, runs),
        )


# --- the Lueker process --------------------------------------------------------------------------


@dataclass(frozen=True)
class LuekerTrace:
    """The slides' process and the true coverage, step by step (t = 0..n), exactly.

    Attributes
    ----------
    values, eps : the samples X_1..X_n and the error parameter.
    v : v_t = (1/2) |C_t|, where C_0 = (-2 eps, 2 eps) within [-1, 1] and
        C_{t+1} = C_t union ((C_t + X_{t+1}) within [-1, 1]), i.e. f_{t+1}(z) = f_t(z) +
        (1 - f_t(z)) f_t(z - X_{t+1}): only sums whose partial sums stay in [-1, 1] count.
    covered : the true covered fraction (1/2) |{z in [-1, 1] : some |z - sum_S X_i| < 2 eps}|.
    expected : E[v_{t+1} | X_1..X_t] for X_{t+1} uniform on [-1, 1].
    """

    values: tuple[Fraction, ...]
    eps: Fraction
    v: tuple[Fraction, ...]
    covered: tuple[Fraction, ...]
    expected: tuple[Fraction, ...]

    def bound(self, t: int) -> Fraction:
        """The slides' lower bound v_t (1 + (1 - v_t)/4) on E[v_{t+1} | X_1..X_t]."""
        v = self.v[t]
        return v * (1 + (1 - v) / 4)

    def slack(self, t: int) -> Fraction:
        """E[v_{t+1} | X_1..X_t] minus the bound: >= 0 whenever the inequality holds."""
        return self.expected[t] - self.bound(t)

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form, one row per t."""
        rows = []
        for t in range(len(self.v)):
            rows.append({
                "t": t,
                "x": None if t == 0 else fraction_str(self.values[t - 1]),
                "v": fraction_str(self.v[t]),
                "covered": fraction_str(self.covered[t]),
                "expected_next": fraction_str(self.expected[t]),
                "bound": fraction_str(self.bound(t)),
                "slack": fraction_str(self.slack(t)),
            })
        return {"eps": fraction_str(self.eps), "values": [fraction_str(x) for x in self.values],
                "trace": rows}


def _union(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of two sorted lists of disjoint intervals (ends are exact integers)."""
    out: list[tuple[int, int]] = []
    for lo, hi in heapq.merge(a, b):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _kernel_sum(ends_c: list[tuple[int, int]], ends_g: list[tuple[int, int]], W: int) -> int:
    """Sum over signed end pairs of K(g - c), K(w) = w^2 if |w| <= W else 2 W |w| - W^2.

    K is 2 W^2 times the second antiderivative of the indicator of [-1, 1] (at scale W), so
    this sum is 2 W^2 times integral_{-1}^{1} |(C + x) intersect G| dx when the ends are those
    of C (left +1, right -1) and of G (left -1, right +1). Prefix sums over the sorted ends of
    C make it O(k log k).
    """
    ends_c = sorted(ends_c)
    cs = [c for c, _ in ends_c]
    p0, p1, p2 = [0], [0], [0]
    for c, s in ends_c:
        p0.append(p0[-1] + s)
        p1.append(p1[-1] + s * c)
        p2.append(p2[-1] + s * c * c)
    total = 0
    for g, s in ends_g:
        i1 = bisect.bisect_left(cs, g - W)
        i2 = bisect.bisect_right(cs, g + W)
        far_left = (2 * W * g - W * W) * p0[i1] - 2 * W * p1[i1]
        near = (g * g * (p0[i2] - p0[i1]) - 2 * g * (p1[i2] - p1[i1]) + (p2[i2] - p2[i1]))
        far_right = ((-2 * W * g - W * W) * (p0[-1] - p0[i2]) + 2 * W * (p1[-1] - p1[i2]))
        total += s * (far_left + near + far_right)
    return total


def _expected_next(C: list[tuple[int, int]], W: int) -> Fraction:
    """E[v_{t+1} | C_t = C] for X uniform on [-1, 1] (ends of C at scale W, [-1, 1] = [-W, W]).

    v_{t+1} = v_t + |(C + X) intersect G| / 2 with G = [-1, 1] minus C, and the expectation of
    the second term is (1/4) integral_{-1}^{1} |(C + x) intersect G| dx: the integrand is
    piecewise linear in x, and its integral is the exact sum of :func:`_kernel_sum`.
    """
    G, prev = [], -W
    for lo, hi in C:
        if lo > prev:
            G.append((prev, lo))
        prev = hi
    if prev < W:
        G.append((prev, W))
    ends_c = [(lo, 1) for lo, _ in C] + [(hi, -1) for _, hi in C]
    ends_g = [(lo, -1) for lo, _ in G] + [(hi, 1) for _, hi in G]
    size = sum(hi - lo for lo, hi in C)
    return Fraction(size, 2 * W) + Fraction(_kernel_sum(ends_c, ends_g, W), 8 * W * W)


def _process(vals: Sequence[Fraction], e: Fraction) -> tuple[list[Fraction], list[Fraction]]:
    """v_t and E[v_{t+1} | X_1..X_t] for t = 0..n (see :class:`LuekerTrace`)."""
    rho = 2 * e
    W = common_scale([*vals, rho])
    xs = scale_to_int(vals, W)
    r = min(scale_to_int([rho], W)[0], W)
    C = [(-r, r)]
    v, expected = [], []
    for t in range(len(xs) + 1):
        v.append(Fraction(sum(hi - lo for lo, hi in C), 2 * W))
        expected.append(_expected_next(C, W))
        if t < len(xs):
            x = xs[t]
            moved = [(max(lo + x, -W), min(hi + x, W)) for lo, hi in C if lo + x < W and
                     hi + x > -W]
            C = _union(C, moved)
    return v, expected


def _true_fractions(vals: Sequence[Fraction], e: Fraction) -> list[Fraction]:
    """(1/2) |[-1, 1] within 2 eps of some subset sum of X_1..X_t|, t = 0..n, by the engine."""
    sc = _Scaled.of(vals, "given")
    V = sc.scale
    E = 2 * e * V
    out: list[Fraction] = []
    inner_lo, inner_hi = math.ceil(-V + E), math.floor(V - E)
    out_lo, out_hi = math.floor(-V - E), math.ceil(V + E)
    for state in _union_steps(sc, E, (Fraction(-V), Fraction(V)), (Fraction(-V), Fraction(V)),
                              False, {}):
        L, R = state.L, state.R
        clamp = int if L.dtype == object else _bound
        inner = (L >= clamp(inner_lo)) & (R <= clamp(inner_hi))
        size = Fraction(int((R[inner] - L[inner]).sum())) + 2 * E * int(inner.sum())
        edge = ~inner & (R > clamp(out_lo)) & (L < clamp(out_hi))
        for k in np.nonzero(edge)[0]:
            size += max(Fraction(0), min(R[k] + E, V) - max(L[k] - E, -V))
        out.append(size / (2 * V))
    out += [Fraction(1)] * (len(vals) + 1 - len(out))  # the run stopped once [-1, 1] was covered
    return out


def lueker_process(values: Sequence[object], eps: object) -> LuekerTrace:
    """The slides' process v_t, the true covered fraction and E[v_{t+1} | X_1..X_t], exactly.

    Lueker (1998), da Cunha et al. (2023): f_t(x) = 1 iff x in [-1, 1] and some S of the first
    t samples has |x - sum_S X_i| < 2 eps; v_t = (1/2) integral_{-1}^{1} f_t;
    f_{t+1}(z) = f_t(z) + (1 - f_t(z)) f_t(z - X_{t+1}); the proof rests on
    E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4). The process only counts sums reached
    through partial sums inside [-1, 1], so v_t <= the true covered fraction.

    Examples
    --------
    >>> tr = lueker_process([0.5], "1/8")
    >>> tr.v, tr.covered
    ((Fraction(1, 4), Fraction(1, 2)), (Fraction(1, 4), Fraction(1, 2)))
    >>> tr.expected[0], tr.bound(0)
    (Fraction(27, 64), Fraction(19, 64))
    """
    vals = to_fractions(values, "values")
    e = check_eps(eps, positive=True)
    _check_lueker_size(len(vals), _distinct_sums(vals), e,
                       common_scale([*vals, e]).bit_length())
    v, expected = _process(vals, e)
    return LuekerTrace(tuple(vals), e, tuple(v), tuple(_true_fractions(vals, e)), tuple(expected))


@dataclass(frozen=True)
class LuekerCheck:
    """The outcome of :func:`check_lueker_inequality`.

    ``min_slack`` is the least E[v_{t+1} | prefix] - v_t (1 + (1 - v_t)/4) seen (0 once v_t
    reaches 1); ``min_ratio`` the least (E[v_{t+1} | prefix] - v_t) / (v_t (1 - v_t) / 4) over
    prefixes with 0 < v_t < 1 (the inequality says >= 1). ``violations`` holds every
    (eps, prefix, slack) with a negative slack, exactly.
    """

    n_checked: int
    min_slack: Fraction
    min_slack_eps: Fraction
    min_slack_prefix: tuple[Fraction, ...]
    min_ratio: Fraction | None
    min_ratio_eps: Fraction | None
    min_ratio_prefix: tuple[Fraction, ...] | None
    violations: tuple[tuple[Fraction, tuple[Fraction, ...], Fraction], ...]

    @property
    def holds(self) -> bool:
        """True when no prefix violated the inequality."""
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        """Exact JSON form."""

        def fs(xs: Sequence[Fraction] | None) -> list[str] | None:
            return None if xs is None else [fraction_str(x) for x in xs]

        return {
            "holds": self.holds,
            "n_checked": self.n_checked,
            "min_slack": fraction_str(self.min_slack),
            "min_slack_eps": fraction_str(self.min_slack_eps),
            "min_slack_prefix": fs(self.min_slack_prefix),
            "min_ratio": None if self.min_ratio is None else fraction_str(self.min_ratio),
            "min_ratio_eps": None if self.min_ratio_eps is None else fraction_str(
                self.min_ratio_eps),
            "min_ratio_prefix": fs(self.min_ratio_prefix),
            "violations": [{"eps": fraction_str(e), "prefix": fs(p), "slack": fraction_str(s)}
                           for e, p, s in self.violations],
        }


#: Bounds of :func:`check_lueker_inequality`'s sample (each prefix costs milliseconds).
CHECK_MAX_PREFIXES = 10**6
CHECK_MAX_T = 1000


def check_lueker_inequality(n_prefixes: int = 1000, *,
                            eps: Sequence[object] = ("1/10", "1/30", "1/100", "1/1000"),
                            t_max: int = 20, seed: int = 0,
                            progress: Callable[[float], None] | None = None) -> LuekerCheck:
    """Check E[v_{t+1} | X_1..X_t] >= v_t (1 + (1 - v_t)/4) exactly on random prefixes.

    Sample paths X_1..X_{t_max} are drawn uniform on [-1, 1] (``numpy.random.default_rng(seed)``;
    the doubles are taken exactly), the eps values are used in turn, one per path, and every
    prefix X_1..X_t (t = 0..t_max) of a path is one checked prefix, until ``n_prefixes``.

    Parameters
    ----------
    n_prefixes : number of prefixes to check (>= 1).
    eps : the error parameters, used in turn (each > 0).
    t_max : the length of a sample path (>= 0).
    seed : the random seed.
    progress : called with the fraction of the prefixes checked, after each path.

    Returns
    -------
    LuekerCheck
        The smallest slack and ratio with their exact prefixes, and every violation.

    Examples
    --------
    >>> chk = check_lueker_inequality(30, eps=["1/10"], t_max=9, seed=1)
    >>> chk.n_checked, chk.holds, chk.min_ratio >= 1
    (30, True, True)
    """
    if isinstance(n_prefixes, bool) or not isinstance(n_prefixes, int) or n_prefixes < 1:
        raise InputError(f"n_prefixes is {n_prefixes!r}: expected an integer >= 1")
    if isinstance(t_max, bool) or not isinstance(t_max, int) or t_max < 0:
        raise InputError(f"t_max is {t_max!r}: expected an integer >= 0")
    eps_list = [check_eps(x, positive=True) for x in eps]
    if not eps_list:
        raise InputError("eps is empty: give at least one error parameter")
    for name, value, most in (("n_prefixes", n_prefixes, CHECK_MAX_PREFIXES),
                              ("t_max", t_max, CHECK_MAX_T)):
        if value > most:
            raise InputError(f"{name} is {value}: expected at most {most}")
    for e in eps_list:  # the doubles drawn have denominators of at most 2^64 in practice
        _check_lueker_size(t_max, 2 ** min(t_max, 64), e, e.denominator.bit_length() + 64)
    rng = np.random.default_rng(seed)
    checked = 0
    best_slack: tuple[Fraction, Fraction, tuple[Fraction, ...]] | None = None
    best_ratio: tuple[Fraction, Fraction, tuple[Fraction, ...]] | None = None
    violations = []
    path = 0
    while checked < n_prefixes:
        e = eps_list[path % len(eps_list)]
        xs = [Fraction(float(x)) for x in rng.uniform(-1.0, 1.0, t_max)]
        v, expected = _process(xs, e)
        for t in range(min(t_max + 1, n_prefixes - checked)):
            gain = expected[t] - v[t]
            slack = gain - v[t] * (1 - v[t]) / 4
            prefix = tuple(xs[:t])
            if best_slack is None or slack < best_slack[0]:
                best_slack = (slack, e, prefix)
            if 0 < v[t] < 1:
                ratio = gain / (v[t] * (1 - v[t]) / 4)
                if best_ratio is None or ratio < best_ratio[0]:
                    best_ratio = (ratio, e, prefix)
            if slack < 0:
                violations.append((e, prefix, slack))
            checked += 1
        path += 1
        if progress is not None:
            progress(checked / n_prefixes)
    assert best_slack is not None
    ratio, r_eps, r_prefix = best_ratio if best_ratio else (None, None, None)
    return LuekerCheck(checked, *best_slack, ratio, r_eps, r_prefix, tuple(violations))


#: Coverage verdicts are cross-checked against all 2^n subset sums up to this n.
ENUMERATION_MAX_N = 18


def enumerated_cover(values: Sequence[Fraction], eps: Fraction,
                      interval: tuple[Fraction, Fraction]) -> tuple[bool, Fraction]:
    """(covered, covering radius) from all 2^n subset sums, sorted, in exact integers.

    >>> enumerated_cover([Fraction(1), Fraction(2)], Fraction(1, 2), (Fraction(0), Fraction(4)))
    (False, Fraction(1, 1))
    """
    a, b = interval
    scale = common_scale([*values, eps, a, b])
    ints = scale_to_int(values, scale)
    sums = [0]
    for v in ints:
        sums += [s + v for s in sums]
    sums.sort()
    A, B = a * scale, b * scale
    # the radius is attained at an end of [A, B] or at the midpoint of a gap inside it
    radius = max(min(abs(A - s) for s in sums), min(abs(B - s) for s in sums))
    for lo, hi in zip(sums, sums[1:], strict=False):
        mid = Fraction(lo + hi, 2)
        if A <= mid <= B:
            radius = max(radius, mid - lo)
    return radius <= eps * scale, radius / scale
