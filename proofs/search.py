"""The counterexample search: corners, special values, grids, random points, local ascent.

The search evaluates a claim in float64 over many points at once (:func:`compile_vector`) and
ranks them by :func:`violation`, ``(lhs - rhs) / (1 + max(|lhs|, |rhs|))`` (sign-adjusted to
the relation; ``|lhs - rhs| / ...`` for ``==``). It samples, in order: the domain's corners; each
variable's special values (its bounds, bound +- 1, the midpoint, 0, +-1, 1/2, 2); a grid; random
points (uniform, log-spread towards each bound and towards 0); then it runs a pattern search
that climbs the violation from the best points found (steps halved down to 1e-17 relative, so a
violation of 1e-13, or one confined to an interval of width 1e-6, is found). Integer variables
are searched over integers only. Floats only *rank*: every candidate is handed, as exact
rationals (a simple nearby fraction first, then the exact double), to
:func:`proofs.check.check_point`, and only a rigorously confirmed violation is returned.

>>> from proofs.claims import Claim
>>> c = Claim.create("narrow", "Abs(x - 1/3) >= 1/2000000", {"x": {"min": 0, "max": 1}})
>>> out = search_counterexample(c, Budget(points=2000), seed=0)
>>> out.counterexample
{'x': Fraction(1, 3)}
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from proofs.check import check_point
from proofs.claims import Claim
from proofs.evaluate import (
    Inconclusive,
    TooLarge,
    Undefined,
    compile_vector,
    evaluate,
    to_mpf,
)
from proofs.grammar import Relation

__all__ = [
    "Budget",
    "SearchOutcome",
    "search_counterexample",
    "shrink",
    "violation",
    "UNBOUNDED",
]

#: How far an unbounded side of a domain is searched.
UNBOUNDED = 1e12
_CANDIDATE = -5e-10  # points whose violation() is above this are re-checked exactly
_NICE_DENOMINATORS = (1, 12, 1000, 10**6)
# Points whose floats overflow (or are undefined) are re-scored with 53-bit intervals (a few
# milliseconds each), few enough that an unloaded search finishes them within its time share:
_FALLBACK_BATCH = 100  # at most this many per batch
_FALLBACK_SHARE = 20  # and one point in this many of the search's budget, at most 400
_FALLBACK_TOTAL = 400


@dataclass
class Budget:
    """How much work the search and the proof attempts may do on one claim."""

    points: int = 20_000
    descent_starts: int = 12
    descent_iterations: int = 150
    confirmations: int = 48
    exhaustive: int = 3000
    boxes: int = 2500


@dataclass
class SearchOutcome:
    """What the search found: a confirmed counterexample (or None) and what it cost."""

    counterexample: dict[str, Fraction] | None = None
    values: tuple[str, str] | None = None
    points: int = 0
    usable: int = 0
    rechecked: int = 0
    phases: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stopped: str = ""

    def stop(self, what: str) -> None:
        """Record that the time limit cut ``what`` (the counts above then depend on the
        machine's speed, and the description says so)."""
        if what not in self.stopped:
            self.stopped = "; ".join(filter(None, [self.stopped, what]))

    def describe(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in self.phases.items() if v)
        text = f"{self.points} point{'s' * (self.points != 1)} ({parts}); "
        text += f"{self.rechecked} re-checked exactly"
        if self.usable < self.points:
            text += f"; {self.points - self.usable} undefined or outside the premises"
        return text + (f"; {self.stopped}" if self.stopped else "")


def violation(op: str, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """How much ``lhs op rhs`` fails, as ``v / (1 + max(|lhs|, |rhs|))``: > 0 (or, if strict,
    >= 0) means it fails. Relative for large sides, absolute for small ones, so the ascent can
    climb towards a violation of 1e-13 near 1 and towards a tight point where both sides vanish.

    >>> violation("<=", np.array([3.0, 1.0]), np.array([1.0, 3.0]))
    array([ 0.5, -0.5])
    """
    with np.errstate(all="ignore"):
        if op in ("<=", "<"):
            v = lhs - rhs
        elif op in (">=", ">"):
            v = rhs - lhs
        else:
            v = np.abs(lhs - rhs)
        return v / (1.0 + np.maximum(np.abs(lhs), np.abs(rhs)))


class _Compiled:
    """A claim's sides, premises and bounds as vectorised float functions."""

    def __init__(self, claim: Claim):
        self.claim = claim
        self.lhs = compile_vector(claim.relation.lhs)
        self.rhs = compile_vector(claim.relation.rhs)
        self.premises = [
            (r.op, compile_vector(r.lhs), compile_vector(r.rhs)) for r in claim.assumptions
        ]
        self.bounds = [
            (
                v,
                compile_vector(v.lower) if v.lower is not None else None,
                compile_vector(v.upper) if v.upper is not None else None,
            )
            for v in claim.variables
        ]

    def score(self, pts: Mapping[str, np.ndarray], m: int) -> np.ndarray:
        """:func:`violation` per point; -inf outside the premises; nan where undefined."""
        if not self.claim.variables:
            pts = {}
        lhs, rhs = _full(self.lhs(pts), m), _full(self.rhs(pts), m)
        score = violation(self.claim.relation.op, lhs, rhs)
        score[~(np.isfinite(lhs) & np.isfinite(rhs))] = np.nan
        for op, fl, fr in self.premises:
            pv = violation(op, _full(fl(pts), m), _full(fr(pts), m))
            score = np.where(pv > 1e-12, -np.inf, score)
            score = np.where(np.isnan(pv), np.nan, score)
        return score

    def bounds_at(
        self, index: int, pts: Mapping[str, np.ndarray], m: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Search bounds of variable ``index`` given the earlier variables (nan: no valid value).

        An absent bound is searched :data:`UNBOUNDED` far; integer bounds are rounded inwards.
        """
        var, flo, fhi = self.bounds[index]
        lo = _full(flo(pts), m) if flo is not None else None
        hi = _full(fhi(pts), m) if fhi is not None else None
        bad = np.zeros(m, dtype=bool)
        if lo is not None:
            bad |= np.isnan(lo)
            lo = np.clip(lo, -1e308, 1e308)
        if hi is not None:
            bad |= np.isnan(hi)
            hi = np.clip(hi, -1e308, 1e308)
        if lo is None:
            lo = (np.minimum(hi, 0) if hi is not None else np.zeros(m)) - UNBOUNDED
        if hi is None:
            hi = np.maximum(lo, 0) + UNBOUNDED
        if var.integer:
            lo, hi = np.ceil(lo - 1e-9 * np.abs(lo)), np.floor(hi + 1e-9 * np.abs(hi))
        bad |= ~(lo <= hi)
        return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _full(x: np.ndarray, m: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.array(np.broadcast_to(x, (m,)), dtype=float) if x.shape != (m,) else x


def _specials(lo: np.ndarray, hi: np.ndarray, integer: bool) -> np.ndarray:
    one = np.ones_like(lo)
    cols = [lo, hi, lo + 1, hi - 1, (lo + hi) / 2, 0 * one, one, -one, one / 2, 2 * one, -one / 2]
    s = np.stack(cols, axis=1)
    if integer:
        s = np.round(s)
    inside = (s >= lo[:, None]) & (s <= hi[:, None])
    return np.where(inside, s, lo[:, None])


def _draw(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, integer: bool, mode: str
) -> np.ndarray:
    """Values in [lo, hi] per point for one sampling mode (or a random mix: "random")."""
    m = len(lo)
    width = hi - lo
    u = rng.random(m)
    if mode == "random":
        kinds = rng.integers(0, 6, m)
    else:
        kinds = np.full(m, {"uniform": 0, "low": 1, "high": 2, "special": 5}[mode])
    spread = 10.0 ** (-17 * u)
    with np.errstate(all="ignore"):
        logu = np.exp(
            np.log(np.maximum(lo, 1e-300))
            + u * (np.log(np.maximum(hi, 1e-300)) - np.log(np.maximum(lo, 1e-300)))
        )
        zero = np.where(rng.random(m) < 0.5, -1, 1) * spread * np.minimum(np.abs(lo), np.abs(hi))
        specials = _specials(lo, hi, integer)
        pick = specials[np.arange(m), rng.integers(0, specials.shape[1], m)]
        x = np.select(
            [kinds == 0, kinds == 1, kinds == 2, kinds == 3, kinds == 4],
            [
                lo + u * width,
                lo + width * spread,
                hi - width * spread,
                np.where(lo > 0, logu, lo + u * width),
                np.where((lo < 0) & (hi > 0), zero, lo + u * width),
            ],
            pick,
        )
    if integer:
        x = np.round(x)
    return np.clip(x, lo, hi)


class _Search:
    def __init__(self, claim: Claim, budget: Budget, rng: np.random.Generator, deadline: float):
        self.claim, self.budget, self.rng, self.deadline = claim, budget, rng, deadline
        self.c = _Compiled(claim)
        self.names = [v.name for v in claim.variables]
        self.out = SearchOutcome()
        self.tried: set[tuple[Fraction, ...]] = set()
        self.best: list[tuple[float, np.ndarray]] = []  # (score, coordinates) for the ascent
        self.fallback_left = min(_FALLBACK_TOTAL, budget.points // _FALLBACK_SHARE)
        # re-scoring overflowing points with intervals may use at most 30% of the time
        self.fallback_until = time.monotonic() + 0.3 * max(deadline - time.monotonic(), 0.0)

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    # -- building points: variables in dependency order, each within bounds set by the earlier
    def build(
        self, m: int, choose: Callable[[int, np.ndarray, np.ndarray], np.ndarray]
    ) -> dict[str, np.ndarray]:
        pts: dict[str, np.ndarray] = {}
        for i, name in enumerate(self.names):
            lo, hi = self.c.bounds_at(i, pts, m)
            pts[name] = choose(i, lo, hi)
        return pts

    def evaluate(self, pts: dict[str, np.ndarray], m: int, phase: str) -> bool:
        """Score a batch, keep the best for the ascent, re-check candidates; True if refuted."""
        valid = np.ones(m, dtype=bool)
        for name in self.names:
            valid &= np.isfinite(pts[name])
        score = np.full(m, np.nan)
        if valid.any():
            sub = {k: v[valid] for k, v in pts.items()}
            score[valid] = self.c.score(sub, int(valid.sum()))
        self._fallback(pts, score, valid)
        self.out.points += m
        self.out.phases[phase] = self.out.phases.get(phase, 0) + m
        self.out.usable += int(np.isfinite(score).sum())
        order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
        coords = np.stack([pts[n] for n in self.names], axis=1) if self.names else np.zeros((m, 0))
        for j in order[: self.budget.descent_starts]:
            if np.isfinite(score[j]):
                self.best.append((float(score[j]), coords[j].copy()))
        self.best.sort(key=lambda t: -t[0])
        del self.best[4 * self.budget.descent_starts :]
        for j in order[:8]:
            if not np.isfinite(score[j]) or score[j] < _CANDIDATE:
                break
            if self.confirm(coords[j]):
                return True
        return False

    def _fallback(self, pts: dict[str, np.ndarray], score: np.ndarray, valid: np.ndarray) -> None:
        """Re-score points whose floats overflowed, with low-precision intervals (bounded count)."""
        todo = np.flatnonzero(valid & np.isnan(score))
        take = min(len(todo), _FALLBACK_BATCH, self.fallback_left)
        if take < len(todo):  # spread evenly, without drawing from the search's random stream
            todo = todo[np.linspace(0, len(todo) - 1, take).astype(int)]
        self.fallback_left -= take
        for j in todo:
            if time.monotonic() > self.fallback_until:
                self.fallback_left = 0
                self.out.stop("interval re-scoring of overflowing points stopped by the time limit")
                return
            point = {n: Fraction(float(pts[n][j])) for n in self.names}
            score[j] = _interval_score(self.claim, point)

    def confirm(self, x: np.ndarray) -> bool:
        """Re-check a float point exactly: simple fractions nearby first, then the exact doubles."""
        for den in (*_NICE_DENOMINATORS, None):
            if self.out.rechecked >= self.budget.confirmations:
                return False
            if self.expired():
                self.out.stop("exact re-checks stopped by the time limit")
                return False
            point = {}
            for v, xi in zip(self.claim.variables, x, strict=True):
                f = Fraction(float(xi))
                if v.integer:
                    f = Fraction(round(f))
                elif den is not None:
                    f = f.limit_denominator(den)
                point[v.name] = f
            key = tuple(point.values())
            if key in self.tried:
                continue
            self.tried.add(key)
            self.out.rechecked += 1
            result = check_point(self.claim, point)
            if result.status == "violated":
                point, values = shrink(self.claim, point, (result.lhs, result.rhs), self.deadline)
                if self.expired():
                    self.out.stop("shrinking the counterexample stopped by the time limit")
                self.out.counterexample, self.out.values = point, values
                return True
        return False

    # -- phases
    def corners(self) -> bool:
        d = len(self.names)
        if d == 0:
            return self.evaluate({}, 1, "constant")
        combos = 1 << d if d <= 12 else 4096
        bits = (
            np.arange(combos)[:, None] >> np.arange(d)[None, :] & 1
            if d <= 12
            else self.rng.integers(0, 2, (combos, d))
        )
        pts = self.build(combos, lambda i, lo, hi: np.where(bits[:, i] == 1, hi, lo))
        return self.evaluate(pts, combos, "corners")

    def specials(self, m: int) -> bool:
        pts = self.build(
            m, lambda i, lo, hi: _draw(self.rng, lo, hi, self.claim.variables[i].integer, "special")
        )
        return self.evaluate(pts, m, "special values")

    def grid(self, m: int) -> bool:
        d = len(self.names)
        g = max(2, int(m ** (1 / d)))
        t = np.linspace(0.0, 1.0, g)
        mesh = np.stack(np.meshgrid(*([t] * d), indexing="ij"), axis=-1).reshape(-1, d)

        def choose(i: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
            x = lo + mesh[:, i] * (hi - lo)
            return np.round(x) if self.claim.variables[i].integer else x

        pts = self.build(len(mesh), choose)
        return self.evaluate(pts, len(mesh), "grid")

    def random(self, m: int) -> bool:
        pts = self.build(
            m, lambda i, lo, hi: _draw(self.rng, lo, hi, self.claim.variables[i].integer, "random")
        )
        return self.evaluate(pts, m, "random")

    def ascent(self) -> bool:
        """Pattern search from the best points: climb the relative violation, halving steps."""
        starts, seen = [], set()
        for _score, x in self.best:
            key = tuple(x)
            if key not in seen:
                seen.add(key)
                starts.append(x)
            if len(starts) == self.budget.descent_starts:
                break
        if not starts or not self.names:
            return False
        d, k = len(self.names), len(starts)
        x = np.array(starts)
        integer = np.array([v.integer for v in self.claim.variables])
        m0 = k
        lo0, hi0 = np.zeros((k, d)), np.zeros((k, d))
        pts = {n: x[:, i] for i, n in enumerate(self.names)}
        for i in range(d):
            lo0[:, i], hi0[:, i] = self.c.bounds_at(i, pts, m0)
        step = np.nan_to_num((hi0 - lo0) / 8, nan=1.0)
        step = np.where(integer, np.maximum(np.round(step), 1), np.maximum(step, 1e-300))
        cur = self._score_coords(x)
        for _ in range(self.budget.descent_iterations):
            if self.expired():
                self.out.stop("the ascent stopped by the time limit")
                break
            trial = np.repeat(x[None], 2 * d, axis=0)  # (2d, k, d)
            for i in range(d):
                trial[2 * i, :, i] += step[:, i]
                trial[2 * i + 1, :, i] -= step[:, i]
            flat = trial.reshape(-1, d)
            flat = self._clip(flat)
            s = self._score_coords(flat).reshape(2 * d, k)
            self.out.points += flat.shape[0]
            self.out.usable += int(np.isfinite(s).sum())
            self.out.phases["ascent"] = self.out.phases.get("ascent", 0) + flat.shape[0]
            best = np.nanargmax(np.where(np.isnan(s), -np.inf, s), axis=0)
            best_s = s[best, np.arange(k)]
            better = best_s > np.where(np.isnan(cur), -np.inf, cur)
            x = np.where(better[:, None], flat.reshape(2 * d, k, d)[best, np.arange(k)], x)
            cur = np.where(better, best_s, cur)
            shrink = np.where(integer, np.maximum(np.floor(step / 2), 1), step / 2)
            step = np.where(better[:, None], step, shrink)
            done = (
                np.all(
                    np.where(integer, step <= 1, step <= 1e-17 * np.maximum(np.abs(x), 1e-300)),
                    axis=1,
                )
                & ~better
            )
            if done.all():
                break
        order = np.argsort(-np.nan_to_num(cur, nan=-np.inf))
        for j in order:
            if np.isfinite(cur[j]) and cur[j] >= _CANDIDATE and self.confirm(x[j]):
                return True
        return False

    def _clip(self, flat: np.ndarray) -> np.ndarray:
        m = flat.shape[0]
        pts: dict[str, np.ndarray] = {}
        for i, name in enumerate(self.names):
            lo, hi = self.c.bounds_at(i, pts, m)
            col = np.clip(flat[:, i], lo, hi)
            if self.claim.variables[i].integer:
                col = np.round(col)
            flat[:, i] = col
            pts[name] = col
        return flat

    def _score_coords(self, coords: np.ndarray) -> np.ndarray:
        m = coords.shape[0]
        pts = {n: coords[:, i].copy() for i, n in enumerate(self.names)}
        score = self.c.score(pts, m)
        self._fallback(pts, score, np.all(np.isfinite(coords), axis=1))
        return score


def _simpler(x: Fraction, integer: bool) -> list[Fraction]:
    """Values simpler than x (smaller in size or denominator), simplest first."""
    out = [Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(1, 2)]
    if not integer:
        out += [x.limit_denominator(d) for d in (2, 4, 10, 100)]
    y = x
    while abs(y) > 1 and len(out) < 40:  # halve towards 0: 200 -> 100 -> 50 -> ...
        y = Fraction(int(y / 2)) if integer else y / 2
        out.append(y)
    out += [x - 1, x + 1] if integer else []
    key = lambda v: (abs(v.numerator) + v.denominator, abs(v))  # noqa: E731
    return [v for v in sorted(set(out), key=key) if key(v) < key(x)]


def shrink(
    claim: Claim,
    point: dict[str, Fraction],
    values: tuple[str, str],
    deadline: float = math.inf,
    budget: int = 60,
) -> tuple[dict[str, Fraction], tuple[str, str]]:
    """Simplify a confirmed counterexample one variable at a time, keeping it rigorously
    confirmed (like hypothesis' shrinking): n = 50, k = 26 becomes n = 3, k = 2."""
    improved = True
    while improved and budget > 0 and time.monotonic() < deadline:
        improved = False
        for var in claim.variables:
            for candidate in _simpler(point[var.name], var.integer):
                if budget <= 0 or time.monotonic() > deadline:
                    break
                budget -= 1
                trial = {**point, var.name: candidate}
                result = check_point(claim, trial)
                if result.status == "violated":
                    point, values, improved = trial, (result.lhs, result.rhs), True
                    break
    return point, values


def _interval_score(claim: Claim, point: Mapping[str, Fraction]) -> float:
    """:func:`violation` at one point from 53-bit intervals (midpoints): for overflowing floats."""
    try:
        for premise in claim.assumptions:
            if _interval_relative(premise, point) > 1e-12:
                return -math.inf
        return _interval_relative(claim.relation, point)
    except (Undefined, TooLarge, Inconclusive):
        return math.nan


def _interval_relative(rel: Relation, point: Mapping[str, Fraction]) -> float:
    lhs, rhs = to_mpf(evaluate(rel.lhs, point, 53)), to_mpf(evaluate(rel.rhs, point, 53))
    v = {"<=": lhs - rhs, "<": lhs - rhs, ">=": rhs - lhs, ">": rhs - lhs}.get(
        rel.op, abs(lhs - rhs)
    )
    return float(v / (1 + max(abs(lhs), abs(rhs))))


def search_counterexample(
    claim: Claim, budget: Budget | None = None, seed: int = 0, time_limit: float = 10.0
) -> SearchOutcome:
    """Search ``claim`` for a rigorously confirmed counterexample (see the module docstring)."""
    budget = budget or Budget()
    t0 = time.monotonic()
    s = _Search(claim, budget, np.random.default_rng(seed), t0 + time_limit)
    quarter = max(budget.points // 4, 16)
    phases: list[Callable[[], bool]] = [s.corners]
    if claim.variables:
        phases += [lambda: s.specials(min(quarter, 2048)), lambda: s.grid(quarter)]
        remaining = budget.points - min(quarter, 2048) - quarter
        while remaining > 0:
            size = min(4096, remaining)
            phases.append(lambda size=size: s.random(size))
            remaining -= size
        phases.append(s.ascent)
    for phase in phases:
        if s.expired():
            s.out.stop("sampling stopped by the time limit")
            break
        if phase():
            break
    s.out.seconds = time.monotonic() - t0
    return s.out
