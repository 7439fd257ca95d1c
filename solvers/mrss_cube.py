"""Covering the cube [-1, 1]^d with subset sums of d-dimensional vectors: an estimate of the
covered fraction from exactly decided random targets, and an exact verdict for d = 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numba import njit

from solvers.instances import MRSSInstance, check_vectors
from solvers.mrss import solve_instance
from solvers.mrss_engine import HalfLists, SweepEngine
from solvers.numbers import (
    InputError,
    IntegerScaling,
    check_eps,
    integer_scaling,
)

__all__ = ["CubeCoverage", "cube_coverage", "CubeVerdict", "cube_covered_2d"]


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
    engine = SweepEngine(inst, [inst.target, *inst.targets])
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
    halves = HalfLists(sc.rounded, False)
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
