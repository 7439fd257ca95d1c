"""A spectral (cut-norm) bound on the error of one-hidden-layer networks that nearly agree.

With ``relu(a) = (a + |a|) / 2`` the error of ``f = V relu(z) + c`` against
``g = V' relu(z') + c'`` (z, z' affine in the input, here split as ``y = (x^+, x^-)``) is an
affine function plus ``(1/2) sum_m (V_m |z_m| - V'_m |z'_m|)``, and with ``F = V' - V``

    s (V_m |z_m| - V'_m |z'_m|) <= |V_m| |z_m - z'_m| + max(-s F_m, 0) |z'_m|
                                <= |V'_m| |z_m - z'_m| + max(-s F_m, 0) |z_m|.
 The sum of absolute values of affine
functions is ``max over tau in {-1, 1}^N of tau . (C y + c0)``: a bilinear maximisation whose
value (the cut norm of Frieze and Kannan 1999) is bounded, for any positive diagonal scalings
S and T, by ``||S 1|| ||T y|| sigma_max(S^-1 C T^-1)``; the best scalings give the
semidefinite relaxation of Nesterov and Grothendieck's inequality (within a factor 1.783 of
the true maximum). Per-neuron linear relaxations pay every neuron's slack separately; this
bound pays once for random-sign sums of many small gaps, the regime of the subset-sum
construction at scale.

Rigour: sigma_max is bounded above by a Cholesky factorisation of ``mu I - M M^T`` that must
succeed with Rump's (2006) shift, and every float step carries an error bound.

>>> from solvers.networks import Network
>>> from solvers.linear_bounds import align
>>> f = Network.create([[[1.0, 1.0]], [[1.0]]])
>>> g = Network.create([[[1.0, 0.75]], [[1.0]]])
>>> b = spectral_error_bound(*align(f, g), np.full(2, -1.0), np.ones(2))
>>> bool(0.25 <= b.max() <= 0.6)
True
"""

from __future__ import annotations

import math
import time

import numpy as np

from solvers.linear_bounds import SplitLayer
from solvers.rounding import up_mul, up_rowsum

__all__ = ["spectral_error_bound", "sigma_max_upper"]

_U = 2.0**-53
_TINY = 1e-290
#: Relative margin over float sums of nonnegative terms (each within n u ~ 1e-12 of exact).
_REL = 1e-9
#: Rounds of the diagonal-scaling iteration (each a few power iterations).
SCALING_ROUNDS = 25


def sigma_max_upper(M: np.ndarray) -> float:
    """A rigorous upper bound of the largest singular value of the float matrix M.

    ``lambda_max(M M^T) <= mu`` holds when ``mu I - fl(M M^T)`` is positive definite, which
    the float Cholesky factorisation of it, shifted down by Rump's constant, proves; the
    rounding of ``fl(M M^T)`` adds at most ``gamma_k || |M| ||_F^2``.

    >>> s = sigma_max_upper(np.array([[3.0, 0.0], [0.0, 4.0]]))
    >>> 4.0 <= s < 4.0 + 1e-5
    True
    """
    if M.shape[0] > M.shape[1]:
        M = M.T
    n, k = M.shape
    if not np.any(M):
        return 0.0
    G = M @ M.T
    v = np.random.default_rng(0).standard_normal(n)
    for _ in range(50):  # power iteration: mu only needs to be a good guess
        v = G @ v
        v /= np.linalg.norm(v)
    lam = float(v @ G @ v)
    mu = max(lam, 0.0) * (1 + 1e-6) + 1e-300
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


def _scalings(C: np.ndarray, r: np.ndarray, pairs: np.ndarray
              ) -> tuple[float, np.ndarray, np.ndarray]:
    """Diagonal scalings for the cut bound of C (rows tau in {-1,1}^N, columns |y_j| <= r_j,
    grouped in ``pairs`` of which at most one is nonzero), and the float estimate of the bound
    ``||s|| ||t r|| sigma_max(S^-1 C T^-1)`` they give (power iteration; not rigorous)."""
    n_groups = int(pairs.max()) + 1
    if C.shape[0] == 0:
        return 0.0, np.ones(0), np.ones(n_groups)
    r_group = np.zeros(n_groups)
    np.maximum.at(r_group, pairs, r)
    s = np.sqrt(np.sum(C * C, axis=1))
    s = np.maximum(s, 1e-9 * s.max() + 1e-150)
    t = np.ones(n_groups)
    best, best_st = math.inf, (s, t)
    v = np.ones(C.shape[1])
    for _ in range(SCALING_ROUNDS):
        M = C / s[:, None] / t[pairs][None, :]
        for _ in range(8):  # power iteration, warm started
            u = M @ v
            u /= np.linalg.norm(u) + 1e-300
            v = M.T @ u
            sig = np.linalg.norm(v)
            v /= sig + 1e-300
        est = np.linalg.norm(s) * np.linalg.norm(t * r_group) * sig
        if est < best:
            best, best_st = est, (s.copy(), t.copy())
        # optimality of the scalings: s_i / ||s|| = |u_i|, t_j r_j / ||t r|| = |v_j| (pairs summed)
        vg = np.zeros(n_groups)
        np.add.at(vg, pairs, v * v)
        s = np.sqrt(s * np.maximum(np.abs(u), 1e-9) * np.linalg.norm(s))
        tr = np.linalg.norm(t * r_group)
        t_new = np.sqrt(vg) * tr / np.maximum(r_group, 1e-300)
        t = np.sqrt(t * np.maximum(t_new, 1e-9 * t_new.max() + 1e-150))
        s = np.maximum(s, 1e-9 * s.max() + 1e-150)
    return best, *best_st


def _cut_bound(C: np.ndarray, r: np.ndarray, pairs: np.ndarray, s: np.ndarray, t: np.ndarray
               ) -> float:
    """The rigorous cut bound of C with the scalings s, t (see :func:`_scalings`)."""
    if not np.any(C):
        return 0.0
    n_groups = int(pairs.max()) + 1
    r_group = np.zeros(n_groups)
    np.maximum.at(r_group, pairs, r)
    M = C / s[:, None] / t[pairs][None, :]
    if not np.all(np.isfinite(M)):
        return math.inf
    # M is within 2u relative of the exact S^-1 C T^-1 (two roundings per entry)
    sig = sigma_max_upper(M) + 2.01 * _U * float(np.sqrt(np.sum(M * M)))
    norm_s = math.sqrt(float(np.sum(s * s)))
    norm_tr = math.sqrt(float(np.sum((t * r_group) ** 2)))
    return norm_s * norm_tr * sig * (1 + _REL) + _TINY


def spectral_error_bound(target: list[SplitLayer], other: list[SplitLayer], lo: np.ndarray,
                         hi: np.ndarray, deadline: float | None = None,
                         order: np.ndarray | None = None) -> np.ndarray:
    """Upper bounds of ``f_k - g_k`` then of ``g_k - f_k`` over the box, for aligned
    one-hidden-layer networks (two split layers each), rigorous; inf where not applicable or
    not reached before ``deadline`` (a ``time.perf_counter()`` value). Rows are bounded in
    ``order`` (default 0, 1, ...): callers put the rows they most need first."""
    k = target[-1].pos.shape[0]
    if len(target) != 2:
        return np.full(2 * k, math.inf)
    T1, T2 = target
    O1, O2 = other
    d = len(lo)
    xp, xn = np.maximum(hi, 0.0), np.maximum(-lo, 0.0)
    ymax = np.concatenate([xp, xn, [1.0]])
    r = np.concatenate([xp, xn, [1.0]])
    pairs = np.concatenate([np.arange(d), np.arange(d), [d]])
    V, Vo = T2.pos, O2.pos
    F = Vo - V
    D1 = np.hstack([O1.pos - T1.pos, O1.neg - T1.neg, (O1.bias - T1.bias)[:, None]])
    Tz = np.hstack([T1.pos, T1.neg, T1.bias[:, None]])
    Oz = np.hstack([O1.pos, O1.neg, O1.bias[:, None]])
    absTz = np.abs(Tz) + np.hstack([T1.rpos, T1.rneg, T1.rbias[:, None]])
    absOz = np.abs(Oz) + np.hstack([O1.rpos, O1.rneg, O1.rbias[:, None]])
    # |z - z'| and |z'|, |z| are within these of the float affine maps' values (radii, rounding)
    rad_d = (absTz + absOz) @ ymax * (4 * (d + 2) * _U) \
        + np.hstack([T1.rpos + O1.rpos, T1.rneg + O1.rneg, (T1.rbias + O1.rbias)[:, None]]) @ ymax
    rad_o = absOz @ ymax * (4 * (d + 2) * _U) \
        + np.hstack([O1.rpos, O1.rneg, O1.rbias[:, None]]) @ ymax
    rad_t = absTz @ ymax * (4 * (d + 2) * _U) \
        + np.hstack([T1.rpos, T1.rneg, T1.rbias[:, None]]) @ ymax
    zmax_o = absOz @ ymax * (1 + _REL)
    zmax_t = absTz @ ymax * (1 + _REL)
    out = np.full(2 * k, math.inf)
    for row in (range(2 * k) if order is None else order):
        if deadline is not None and time.perf_counter() > deadline:
            break
        kk, s = row % k, (1.0 if row < k else -1.0)
        # the affine part: s (c - c') + (s/2)(V z - V' z'), maximised over the box exactly
        lin = 0.5 * s * (V[kk] @ Tz - Vo[kk] @ Oz)
        lin_err = 0.5 * (np.abs(V[kk]) @ absTz + np.abs(Vo[kk]) @ absOz) * (4 * (len(V[kk]) + 2)
                                                                             * _U)
        lin_err += 0.5 * (np.abs(V[kk]) @ np.hstack([T1.rpos, T1.rneg, T1.rbias[:, None]])
                          + np.abs(Vo[kk]) @ np.hstack([O1.rpos, O1.rneg, O1.rbias[:, None]]))
        cands = np.stack([lo, np.clip(0.0, lo, hi), hi])
        vals = np.stack([up_mul(lin[:d], np.maximum(c, 0.0)) + up_mul(lin[d:2 * d],
                                                                         np.minimum(c, 0.0))
                         for c in cands])
        lin_max = float(up_rowsum(np.nextafter(vals.max(axis=0), np.inf)[None, :])[0])
        lin_max = lin_max + lin[-1] + float(lin_err @ ymax) * (1 + _REL)
        const = s * (T2.bias[kk] - O2.bias[kk])
        const_err = (abs(T2.bias[kk]) + abs(O2.bias[kk])) * 2 * _U + T2.rbias[kk] + O2.rbias[kk]
        # weights' radii in the second layer: |dV| relu(z) <= r zmax
        r2 = float(T2.rpos[kk] @ zmax_t + O2.rpos[kk] @ zmax_o)
        options = []
        for a, zmax, Z, rad_z in ((np.abs(V[kk]), zmax_o, Oz, rad_o),
                                  (np.abs(Vo[kk]), zmax_t, Tz, rad_t)):
            a = a * (1 + 4 * _U)
            w = np.maximum(-s * F[kk], 0.0) + 4 * _U * np.abs(F[kk]) + T2.rpos[kk] + O2.rpos[kk]
            slack = float(a @ rad_d + w @ rad_z) * (1 + _REL) + 4 * _U * float(
                a @ (np.abs(D1) @ ymax) + w @ zmax)
            C = np.vstack([a[:, None] * D1, w[:, None] * Z])
            C = C[np.any(C != 0, axis=1)]  # rows of zeros add nothing
            est, sc, tc = _scalings(C, r, pairs)
            options.append((est + slack, C, sc, tc, slack))
            if deadline is not None and time.perf_counter() > deadline:
                break
        _, C, sc, tc, slack = min(options, key=lambda o: o[0])
        best = _cut_bound(C, r, pairs, sc, tc) + slack
        total = const + const_err + lin_max + 0.5 * best + r2
        out[row] = math.nextafter(total * (1 + _REL) + _TINY, math.inf) if total > 0 else \
            math.nextafter(total * (1 - _REL) + _TINY, math.inf)
    return out
