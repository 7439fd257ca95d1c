"""A spectral (cut-norm) bound on the error of one-hidden-layer networks that nearly agree.

With ``relu(a) = (a + |a|) / 2`` the error of ``f = V relu(z) + c`` against
``g = V' relu(z') + c'`` (z, z' affine in the input, here split as ``y = (x^+, x^-, 1)``) is
an affine function ``l . y`` plus ``(1/2) sum_m (V_m |z_m| - V'_m |z'_m|)``, and with
``F = V' - V``

    s (V_m |z_m| - V'_m |z'_m|) <= |V_m| |z_m - z'_m| + max(-s F_m, 0) |z'_m|
                                <= |V'_m| |z_m - z'_m| + max(-s F_m, 0) |z_m|.

So the error is at most ``(1/2) sum_i |C_i y|`` over the rows ``2 l``, ``|V_m| (z_m - z'_m)``
and ``max(-s F_m, 0) z'_m``, that is ``max over tau in {-1, 1}^N of (1/2) tau . C y``: a
bilinear maximisation whose value (the cut norm of Frieze and Kannan 1999) is bounded, for
any positive diagonal scalings S and T, by ``||S 1|| ||T y|| sigma_max(S^-1 C T^-1)``. The best
scalings give the semidefinite relaxation of Nesterov (1998) and Grothendieck's inequality
(within a factor 1.783 of the true maximum); they are found from its primal, solved in low
rank (Burer and Monteiro 2003) by alternating maximisation, whose stationarity multipliers are
the optimal scalings. Per-neuron linear relaxations pay every neuron's slack separately; this
bound pays once for random-sign sums of many small gaps, the regime of the subset-sum
construction at scale.

Rigour: any scalings give a valid bound, so the float search only proposes them; sigma_max
is bounded above by a Cholesky factorisation of ``mu I - M M^T`` that must succeed with Rump's
(2006) shift, and every float step carries an error bound.

>>> from solvers.networks import Network
>>> from solvers.linear_bounds import align
>>> f = Network.create([[[1.0, 1.0]], [[1.0]]])
>>> g = Network.create([[[1.0, 0.75]], [[1.0]]])
>>> b = spectral_error_bound(*align(f, g), np.full(2, -1.0), np.ones(2))
>>> bool(0.25 <= b.per_output.max() <= 0.6)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from solvers.linear_bounds import SplitLayer

__all__ = ["spectral_error_bound", "SpectralBound", "sigma_max_upper", "cut_scalings",
           "cut_bound", "CutSolution"]

_U = 2.0**-53
_TINY = 1e-290
#: Relative margin over float sums of nonnegative terms (each within n u ~ 1e-12 of exact).
_REL = 1e-9
#: Rounds of alternating maximisation of the low-rank relaxation (it stops earlier once the
#: value gains less than ``CUT_TOL`` relative per round).
CUT_ROUNDS = 400
CUT_TOL = 1e-6
#: Largest rank of the relaxation's factors: at Pensia scale rank 32 instead of the 62 that
#: rule out spurious optima moves the bound by 1e-3 relative and takes a third of the time.
CUT_MAX_RANK = 32


def sigma_max_upper(M: np.ndarray, start: np.ndarray | None = None) -> float:
    """A rigorous upper bound of the largest singular value of the float matrix M.

    ``lambda_max(M M^T) <= mu`` holds when ``mu I - fl(M M^T)`` is positive definite, which
    the float Cholesky factorisation of it, shifted down by Rump's constant, proves; the
    rounding of ``fl(M M^T)`` adds at most ``gamma_k || |M| ||_F^2``. ``start``: columns
    (of M's row length) near the top left singular vectors, for the guess of mu.

    >>> s = sigma_max_upper(np.array([[3.0, 0.0], [0.0, 4.0]]))
    >>> 4.0 <= s < 4.0 + 1e-5
    True
    """
    if M.shape[0] > M.shape[1]:
        M = M.T
        start = None if start is None else M @ start
    n, k = M.shape
    if not np.any(M):
        return 0.0
    G = M @ M.T
    mu = _top_eigenvalue(G, start) * (1 + 1e-6) + 1e-300
    gam = 1.01 * (n + 1) * _U
    step = 1e-5
    for _ in range(60):
        A = mu * np.eye(n) - G
        # Rump's shift for a successful float Cholesky, taken 4x for the rounding of A itself
        c = 4 * (gam / (1 - 2 * gam) * float(np.trace(A)) + 4 * (2 * (n + 1) + mu) * 5e-324)
        try:
            np.linalg.cholesky(A - c * np.eye(n))
            break
        except np.linalg.LinAlgError:
            mu *= 1 + step
            step *= 2
    else:
        return math.inf
    gram_err = 1.01 * (k + 2) * _U * float(np.sum(M * M)) * (1 + _REL)
    return math.nextafter(math.sqrt(math.nextafter(mu + gram_err, math.inf)) * (1 + _REL),
                          math.inf)


def _top_eigenvalue(G: np.ndarray, start: np.ndarray | None) -> float:
    """A float estimate (from below) of the largest eigenvalue of the symmetric PSD G: block
    power iteration with Rayleigh-Ritz. At optimal scalings the top eigenvalue is multiple,
    where a single vector converges slowly; a few large products beat dense eigensolvers and
    Lanczos's many small ones on a machine shared with other jobs."""
    n = G.shape[0]
    if n <= 16:
        return max(float(np.linalg.eigvalsh(G)[-1]), 0.0)
    rounds = 30
    if start is None or start.shape[1] == 0:
        start = np.random.default_rng(0).standard_normal((n, 8))
    else:
        start = np.hstack([start, np.random.default_rng(0).standard_normal((n, 2))])
        rounds = 8
    Q = np.linalg.qr(start)[0]
    for _ in range(rounds):
        Q = np.linalg.qr(G @ Q)[0]
    return max(float(np.linalg.eigvalsh(Q.T @ G @ Q)[-1]), 0.0)


@dataclass
class CutSolution:
    """The low-rank relaxation of ``max tau . C y`` (tau in {-1, 1}^N, ``||y_group|| <= r``).

    ``value``: the relaxation's value at the unit row vectors and the column vectors ``W``
    (a lower bound of the semidefinite optimum, not of the cut norm; at the optimum the
    scalings ``s`` (rows) and ``t`` (groups) bound the cut at this value, and
    :func:`cut_bound` certifies what they give). ``W`` also proposes inputs: its rows
    rounded along a random direction are box points where ``tau . C y`` tends to be large.
    """

    value: float
    s: np.ndarray
    t: np.ndarray
    W: np.ndarray


def cut_scalings(C: np.ndarray, r: np.ndarray, *, rank: int | None = None,
                 deadline: float | None = None, seed: int = 0) -> CutSolution:
    """Diagonal scalings for the cut bound of C, from the low-rank semidefinite relaxation.

    The cut is ``max tau . C y`` over ``tau in {-1, 1}^N`` and ``|y_j| <= r_j`` (r > 0).
    Alternating maximisation of ``sum_ij C_ij <u_i, w_j>`` over unit ``u_i`` and
    ``||w_j|| <= r_j`` converges to the relaxation's optimum when the rank is about
    ``sqrt(2 (rows + columns))`` (default: that, at most :data:`CUT_MAX_RANK`); its
    multipliers ``alpha_i = ||(C W)_i|| / 2`` and
    ``beta_j = ||(C^T U)_j|| / (2 r_j)`` make ``[[diag alpha, -C/2], [-C^T/2, diag beta]]``
    nearly semidefinite, and ``s = sqrt(alpha)``, ``t = sqrt(beta)`` then bound the cut at
    nearly the relaxation's value.

    The cut of ``[[1, 1], [1, -1]]`` is 2, its relaxation 2 sqrt 2 (Tsirelson's bound: the
    gap Grothendieck's inequality allows):

    >>> C, r = np.array([[1.0, 1.0], [1.0, -1.0]]), np.ones(2)
    >>> sol = cut_scalings(C, r)
    >>> b = cut_bound(C, r, sol.s, sol.t)
    >>> bool(abs(sol.value - 2 * 2**0.5) < 1e-9), bool(2 * 2**0.5 <= b < 2 * 2**0.5 + 1e-5)
    (True, True)
    """
    n_rows, n_cols = C.shape
    if n_rows == 0 or not np.any(C):
        return CutSolution(0.0, np.ones(n_rows), np.ones(n_cols), np.zeros((n_cols, 1)))
    p = rank or min(n_rows + 1, CUT_MAX_RANK, math.ceil(math.sqrt(2 * (n_rows + n_cols))) + 1)
    U = np.random.default_rng(seed).standard_normal((n_rows, p))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    prev = -math.inf
    for _ in range(CUT_ROUNDS):
        H = C.T @ U
        hg = np.linalg.norm(H, axis=1)
        W = H * (r / np.maximum(hg, 1e-300))[:, None]
        K = C @ W
        kn = np.linalg.norm(K, axis=1)
        U = K / np.maximum(kn, 1e-300)[:, None]
        value = float(kn.sum())
        if value - prev <= CUT_TOL * value or (deadline is not None
                                               and time.perf_counter() > deadline):
            break
        prev = value
    # floors keep the scaled matrix finite; they add at most 1e-9 of the value
    alpha = np.maximum(kn, 1e-12 * kn.max()) / 2
    beta = np.maximum(hg, 1e-12 * hg.max()) / (2 * r)
    return CutSolution(value, np.sqrt(alpha), np.sqrt(beta), W)


def cut_bound(C: np.ndarray, r: np.ndarray, s: np.ndarray, t: np.ndarray,
              W: np.ndarray | None = None) -> float:
    """A rigorous upper bound of ``max tau . C y`` (``|y_j| <= r_j``):
    ``||s|| ||t r|| sigma_max(S^-1 C T^-1)`` for any positive s, t (Cauchy-Schwarz on
    ``(S tau) . (S^-1 C T^-1) (T y)``). ``W``: the relaxation's column vectors when the
    scalings come from :func:`cut_scalings` (then ``S^-1 C W`` spans the top singular
    vectors, a warm start for the float guess)."""
    if not np.any(C):
        return 0.0
    M = C / s[:, None] / t[None, :]
    if not np.all(np.isfinite(M)):
        return math.inf
    start = None if W is None else M @ (t[:, None] * W)
    # M is within 2u relative of the exact S^-1 C T^-1 (two roundings per entry)
    sig = sigma_max_upper(M, start) + 2.01 * _U * float(np.sqrt(np.sum(M * M)))
    norm_s = math.sqrt(float(np.sum(s * s)))
    norm_tr = math.sqrt(float(np.sum((t * r) ** 2)))
    return norm_s * norm_tr * sig * (1 + _REL) + _TINY


@dataclass
class _Folding:
    """Columns ``(x^+, x^-, 1)`` folded into ``(x, |x|, 1)``: an input of fixed sign keeps
    one column, an input whose range straddles 0 gets ``x`` and ``|x|`` (both at most
    ``R = max(|lo|, |hi|)``), as ``c^+ x^+ + c^- x^- = (c^+ + c^-)/2 x + (c^+ - c^-)/2 |x|``.
    A single row's bound ``R (|c^+ + c^-| + |c^+ - c^-|) / 2 = R max(|c^+|, |c^-|)`` is then
    exact (bounding ``(x^+, x^-)`` in one disc would pay up to sqrt 2)."""

    lo: np.ndarray
    hi: np.ndarray
    straddle: np.ndarray
    keep: np.ndarray
    R: np.ndarray
    r: np.ndarray

    @classmethod
    def create(cls, lo: np.ndarray, hi: np.ndarray) -> _Folding:
        R = np.maximum(np.abs(lo), np.abs(hi))
        straddle = (lo < 0) & (hi > 0)
        r = np.concatenate([R, R[straddle], [1.0]])
        return cls(lo, hi, straddle, r > 0, R, r[r > 0])

    def __call__(self, C: np.ndarray) -> tuple[np.ndarray, float]:
        """The folded C (zero-range columns dropped), and a bound of what its rounding adds
        to ``sum_i |C_i y|``."""
        d, st = len(self.lo), self.straddle
        P, N = C[:, :d], C[:, d:2 * d]
        first = np.where(st, (P + N) * 0.5, np.where(self.lo >= 0, P, N))
        folded = np.hstack([first, (P[:, st] - N[:, st]) * 0.5, C[:, 2 * d:]])[:, self.keep]
        # one rounding per folded entry (two per input), each at most u (|c^+| + |c^-|) / 2
        mags = np.abs(P[:, st]).sum(axis=0) + np.abs(N[:, st]).sum(axis=0)
        return folded, float(mags @ self.R[st]) * _U * (1 + _REL)

    def inputs(self, W: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
        """Box points from the relaxation's column vectors W (folded columns): the ``x``
        columns rounded along random directions, both signs (the relaxation is symmetric)."""
        d = len(self.lo)
        cols = np.flatnonzero(self.keep[:d])  # folded index of each kept x column
        G = np.random.default_rng(seed).standard_normal((W.shape[1], count))
        P = np.zeros((count, d))
        P[:, cols] = (W[:len(cols)] @ G).T
        X = np.where(P > 0, self.hi, self.lo)
        return np.vstack([X, np.where(P > 0, self.lo, self.hi)])


@dataclass
class _OneHidden:
    """Two aligned one-hidden-layer networks as arrays over ``y = (x^+, x^-, 1)``, with bounds
    of every rounding: the target's ``z = Tz y`` and output weights V, the other's ``Oz``,
    ``Vo``; radii of ``|z - z'|``, ``|z'|``, ``|z|`` and maxima of ``|z'|``, ``|z|``."""

    T1: SplitLayer
    T2: SplitLayer
    O1: SplitLayer
    O2: SplitLayer
    ymax: np.ndarray
    D1: np.ndarray
    Tz: np.ndarray
    Oz: np.ndarray
    absTz: np.ndarray
    absOz: np.ndarray
    rad_d: np.ndarray
    rad_o: np.ndarray
    rad_t: np.ndarray
    zmax_o: np.ndarray
    zmax_t: np.ndarray

    @classmethod
    def create(cls, target: list[SplitLayer], other: list[SplitLayer], lo: np.ndarray,
               hi: np.ndarray) -> _OneHidden:
        (T1, T2), (O1, O2) = target, other
        d = len(lo)
        ymax = np.concatenate([np.maximum(hi, 0.0), np.maximum(-lo, 0.0), [1.0]])
        RT = np.hstack([T1.rpos, T1.rneg, T1.rbias[:, None]])
        RO = np.hstack([O1.rpos, O1.rneg, O1.rbias[:, None]])
        Tz = np.hstack([T1.pos, T1.neg, T1.bias[:, None]])
        Oz = np.hstack([O1.pos, O1.neg, O1.bias[:, None]])
        absTz, absOz = np.abs(Tz) + RT, np.abs(Oz) + RO
        # |z - z'| and |z'|, |z| are within these of the float affine maps' values
        g = 4 * (d + 2) * _U
        return cls(T1, T2, O1, O2, ymax, Oz - Tz, Tz, Oz, absTz, absOz,
                   (absTz + absOz) @ ymax * g + (RT + RO) @ ymax, absOz @ ymax * g + RO @ ymax,
                   absTz @ ymax * g + RT @ ymax, absOz @ ymax * (1 + _REL),
                   absTz @ ymax * (1 + _REL))

    def row(self, kk: int, s: float) -> tuple[float, np.ndarray, list[tuple[np.ndarray, float]]]:
        """For ``s (f - g)_kk``: an upper bound of the constant part with every rounding and
        radius, the affine part's coefficients l over y, and the two options (C, slack) of
        the absolute parts: the error is at most ``const + max_y (l . y + (sum_i |C_i y|
        + slack) / 2)``."""
        T1, T2, O1, O2, ymax = self.T1, self.T2, self.O1, self.O2, self.ymax
        V, Vo = T2.pos[kk], O2.pos[kk]
        F = Vo - V
        lin = 0.5 * s * (V @ self.Tz - Vo @ self.Oz)
        lin_err = 0.5 * (np.abs(V) @ self.absTz + np.abs(Vo) @ self.absOz) * (4 * (len(V) + 2)
                                                                             * _U)
        lin_err += 0.5 * (np.abs(V) @ np.hstack([T1.rpos, T1.rneg, T1.rbias[:, None]])
                          + np.abs(Vo) @ np.hstack([O1.rpos, O1.rneg, O1.rbias[:, None]]))
        const = s * (T2.bias[kk] - O2.bias[kk])
        const += (abs(T2.bias[kk]) + abs(O2.bias[kk])) * 2 * _U + T2.rbias[kk] + O2.rbias[kk]
        # weights' radii in the second layer: |dV| relu(z) <= r zmax
        const += float(T2.rpos[kk] @ self.zmax_t + O2.rpos[kk] @ self.zmax_o)
        const += float(lin_err @ ymax) * (1 + _REL)
        options = []
        for a, zmax, Z, rad_z in ((np.abs(V), self.zmax_o, self.Oz, self.rad_o),
                                  (np.abs(Vo), self.zmax_t, self.Tz, self.rad_t)):
            a = a * (1 + 4 * _U)
            w = np.maximum(-s * F, 0.0) + 4 * _U * np.abs(F) + T2.rpos[kk] + O2.rpos[kk]
            slack = float(a @ self.rad_d + w @ rad_z) * (1 + _REL) + 4 * _U * float(
                a @ (np.abs(self.D1) @ ymax) + w @ zmax)
            C = np.vstack([a[:, None] * self.D1, w[:, None] * Z])
            options.append((C[np.any(C != 0, axis=1)], slack))  # rows of zeros add nothing
        return const, lin, options


@dataclass
class SpectralBound:
    """``per_output``: rigorous upper bounds of ``f_k - g_k`` then of ``g_k - f_k`` (inf where
    not applicable or not reached); ``inputs``: box points the relaxations propose, ``rows``
    the row of each (where that error tends to be large: starts for an attack)."""

    per_output: np.ndarray
    inputs: np.ndarray
    rows: np.ndarray


def spectral_error_bound(target: list[SplitLayer], other: list[SplitLayer], lo: np.ndarray,
                         hi: np.ndarray, deadline: float | None = None,
                         order: np.ndarray | None = None, points: int = 2) -> SpectralBound:
    """Upper bounds of ``f_k - g_k`` then of ``g_k - f_k`` over the box, for aligned
    one-hidden-layer networks (two split layers each), rigorous; inf where not applicable or
    not reached before ``deadline`` (a ``time.perf_counter()`` value). Rows are bounded in
    ``order`` (default 0, 1, ...): callers put the rows they most need first. Each bounded
    row proposes ``2 points`` inputs.
    """
    k = target[-1].pos.shape[0]
    out = np.full(2 * k, math.inf)
    found: list[np.ndarray] = []
    rows: list[int] = []
    if len(target) == 2:
        nets, fold = _OneHidden.create(target, other, lo, hi), _Folding.create(lo, hi)
        for row in (range(2 * k) if order is None else order):
            if deadline is not None and time.perf_counter() > deadline:
                break
            const, lin, options = nets.row(row % k, 1.0 if row < k else -1.0)
            # the cheaper option by the trivial bound sum_i |C_i| ymax
            C, slack = min(options, key=lambda o: float(np.abs(o[0]).sum(axis=0) @ nets.ymax)
                           + o[1])
            # the affine part joins the rows: l . y <= |2 l . y| / 2
            C, fold_slack = fold(np.vstack([2 * lin, C]))
            sol = cut_scalings(C, fold.r, deadline=deadline, seed=row)
            total = const + 0.5 * (cut_bound(C, fold.r, sol.s, sol.t, sol.W) + slack + fold_slack)
            out[row] = math.nextafter(total * (1 + _REL) + _TINY, math.inf) if total > 0 else \
                math.nextafter(total * (1 - _REL) + _TINY, math.inf)
            found.append(fold.inputs(sol.W, points, seed=row))
            rows += [row] * len(found[-1])
    return SpectralBound(out, np.vstack(found) if found else np.zeros((0, len(lo))),
                         np.array(rows, dtype=np.intp))
