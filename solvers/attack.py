"""Inputs where two networks differ most: exact error evaluation and an ascent attack.

The attained side of an error bracket: any input x of the box gives the exact rational
``||f(x) - g(x)||_inf``, a true lower bound of ``sup_{x in box} ||f(x) - g(x)||_inf``.
:func:`error_attack` looks for large errors by projected gradient ascent from many starts
(Madry et al. 2018), jumps to the box vertex that maximises the current linear piece
(f - g is piecewise linear, so its maximum over a box is at a vertex of a linear region),
and a last local search over single coordinates moved to lo, 0 or hi; the float search only
proposes inputs, :class:`ExactEvaluator` decides in integers.

>>> from solvers.networks import Network
>>> f = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])        # |x|
>>> g = Network.create([[[1.0]], [[0.5]]])                     # relu(x) / 2
>>> res = error_attack(f, g, (-1.0, 1.0), seed=0)
>>> res.error, res.input.tolist()
(Fraction(1, 1), [-1.0])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from solvers.linear_bounds import SplitLayer, box_arrays, forward_split, split_layers
from solvers.networks import Network
from solvers.numbers import InputError

__all__ = ["ExactEvaluator", "exact_error", "AttackResult", "error_attack", "TABU_TENURE",
           "POLISH_SHARE"]

#: Rounds a coordinate the tabu search just moved stays put (unless moving it sets a record).
TABU_TENURE = 20
#: The tabu search starts from the inputs whose error is at least this share of the largest.
POLISH_SHARE = 0.8


def _scaled_ints(a: np.ndarray) -> tuple[np.ndarray, int]:
    """Python integers ``m`` (object array) and a shift ``s`` with ``a = m * 2^-s`` exactly."""
    a = np.asarray(a, dtype=np.float64)
    mant, exp = np.frexp(a)
    ints = (mant * 2.0**53).astype(np.int64)  # exact: 53-bit significands
    nz = ints != 0
    if not nz.any():
        return np.zeros(a.shape, dtype=object), 0
    shift = int(np.max(53 - exp[nz]))
    up = (shift - (53 - exp)).astype(np.int64)
    out = np.array([int(m) << int(k) if m else 0 for m, k in zip(ints.ravel().tolist(),
                                                                  up.ravel().tolist(),
                                                                  strict=True)],
                   dtype=object).reshape(a.shape)
    return out, shift


class ExactEvaluator:
    """The exact forward pass of one network on double inputs, in integers.

    Each layer's nonzero weights are held as integers with one power-of-two scale, so a
    forward pass is integer sums over the nonzeros only (pruned networks are sparse).

    >>> net = Network.create([[[0.5, -0.25]], [[3.0]]], [[0.1], None])
    >>> ExactEvaluator(net)([1.0, 1.0]) == net.forward_exact([1.0, 1.0])
    True
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self.layers = []
        for W, b in zip(net.weights, net.biases, strict=True):
            rows, cols = np.nonzero(W)
            vals, sw = _scaled_ints(W[rows, cols])
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else rows
            bias = None if b is None else _scaled_ints(b)
            self.layers.append((W.shape[0], rows, cols, vals, sw, starts, bias))

    def __call__(self, x: object) -> list[Fraction]:
        """Exact outputs at the double input x."""
        xa = np.asarray(x, dtype=np.float64)
        if xa.shape != (self.net.sizes[0],) or not np.all(np.isfinite(xa)):
            raise InputError(f"x has shape {xa.shape}: expected {self.net.sizes[0]} finite "
                             "numbers")
        h, sh = _scaled_ints(xa)
        last = len(self.layers) - 1
        for L, (n_out, rows, cols, vals, sw, starts, bias) in enumerate(self.layers):
            z = np.zeros(n_out, dtype=object)
            if len(rows):
                prod = vals * h[cols]
                z[rows[starts]] = np.add.reduceat(prod, starts)
            s = sw + sh
            if bias is not None:
                bv, sb = bias
                if sb > s:
                    z = z * (1 << (sb - s))
                    s = sb
                z = z + bv * (1 << (s - sb))
            h, sh = (z, s) if L == last else (np.where(z > 0, z, 0), s)
        den = 1 << sh
        return [Fraction(int(v), den) for v in h]


def exact_error(f: Network | ExactEvaluator, g: Network | ExactEvaluator, x: object) -> Fraction:
    """The exact ``||f(x) - g(x)||_inf`` at one double input.

    >>> exact_error(Network.create([[[2.0]]]), Network.create([[[1.5]]]), [-1.0])
    Fraction(1, 2)
    """
    ef = f if isinstance(f, ExactEvaluator) else ExactEvaluator(f)
    eg = g if isinstance(g, ExactEvaluator) else ExactEvaluator(g)
    return max(abs(a - b) for a, b in zip(ef(x), eg(x), strict=True))


def _forward_cache(layers: list[SplitLayer], X: np.ndarray) -> list[np.ndarray]:
    """Pre-activations of every split layer on a batch."""
    zs = [np.maximum(X, 0.0) @ layers[0].pos.T + np.minimum(X, 0.0) @ layers[0].neg.T
          + layers[0].bias]
    for lay in layers[1:]:
        zs.append(np.maximum(zs[-1], 0.0) @ lay.pos.T + lay.bias)
    return zs


def _input_grads(layers: list[SplitLayer], zs: list[np.ndarray], C: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``C . output`` with respect to x^+ and x^- (batch rows)."""
    G = C
    for L in range(len(layers) - 1, 0, -1):
        G = (G @ layers[L].pos) * (zs[L - 1] > 0)
    return G @ layers[0].pos, G @ layers[0].neg


def _single_moves(layers: list[SplitLayer], x: np.ndarray, levels: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Every input that differs from x in one coordinate, moved to one of ``levels`` (3, d),
    and the network's outputs there; the first layer is updated column by column."""
    d = len(x)
    C = np.repeat(x[None, :], 3 * d, axis=0)
    j = np.tile(np.arange(d), 3)
    C[np.arange(3 * d), j] = levels.ravel()
    first = layers[0]
    z = np.maximum(x, 0.0) @ first.pos.T + np.minimum(x, 0.0) @ first.neg.T + first.bias
    new = levels.ravel()
    dp = np.maximum(new, 0.0) - np.maximum(x[j], 0.0)
    dn = np.minimum(new, 0.0) - np.minimum(x[j], 0.0)
    H = z[None, :] + first.pos.T[j] * dp[:, None] + first.neg.T[j] * dn[:, None]
    for lay in layers[1:]:
        H = np.maximum(H, 0.0) @ lay.pos.T + lay.bias
    return C, H


@dataclass
class AttackResult:
    """The largest exact error found: ``error`` (a Fraction) at ``input``, output ``output``;
    ``float_error`` the float estimate that proposed it; ``evaluated`` inputs tried in float."""

    error: Fraction
    input: np.ndarray
    output: int
    float_error: float
    evaluated: int
    seconds: float


class _Objective:
    """``s_r (f - g)_{k_r}`` for a batch of rows r: values and one-sided gradients in x."""

    def __init__(self, f: list[SplitLayer], g: list[SplitLayer], k: np.ndarray,
                 sign: np.ndarray) -> None:
        self.f, self.g, self.k, self.sign = f, g, k, sign
        self.n_out = f[-1].pos.shape[0]

    def values(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        k = self.k if rows is None else self.k[rows]
        s = self.sign if rows is None else self.sign[rows]
        diff = forward_split(self.f, X) - forward_split(self.g, X)
        return s * diff[np.arange(len(X)), k]

    def all_errors(self, X: np.ndarray) -> np.ndarray:
        return np.max(np.abs(forward_split(self.f, X) - forward_split(self.g, X)), axis=1)

    def ascent_vertex(self, X: np.ndarray, lo: np.ndarray, hi: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The gradient's sign step direction and the box point maximising the linear piece."""
        C = np.zeros((len(X), self.n_out))
        C[np.arange(len(X)), self.k] = self.sign
        gp_f, gn_f = _input_grads(self.f, _forward_cache(self.f, X), C)
        gp_g, gn_g = _input_grads(self.g, _forward_cache(self.g, X), C)
        gp, gn = gp_f - gp_g, gn_f - gn_g
        grad = np.where(X > 0, gp, np.where(X < 0, gn, np.where(gp > 0, gp, np.minimum(gn, 0))))
        cands = np.stack([np.broadcast_to(lo, X.shape), np.clip(0.0, lo, hi)
                          * np.ones_like(X), np.broadcast_to(hi, X.shape)])
        vals = gp * np.maximum(cands, 0.0) + gn * np.minimum(cands, 0.0)
        V = np.take_along_axis(cands, np.argmax(vals, axis=0)[None], axis=0)[0]
        return grad, V


def error_attack(f: Network, g: Network, box: tuple[object, object] | None = None, *,
                 lo: np.ndarray | None = None, hi: np.ndarray | None = None,
                 starts: int = 8, iterations: int = 60, polish: int = 2000,
                 extra_starts: np.ndarray | None = None,
                 targeted_starts: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0,
                 time_limit: float | None = None,
                 exact: tuple[ExactEvaluator, ExactEvaluator] | None = None) -> AttackResult:
    """An input of the box with a large ``||f(x) - g(x)||_inf``, its error exact.

    Parameters
    ----------
    box : ``(lo, hi)`` for every input, or per-input arrays ``lo``, ``hi`` (doubles).
    starts : starting points per output and sign (random vertices, random points, the centre).
    iterations : ascent rounds (each: a sign-gradient step and a line search towards the
        vertex maximising the current linear piece; kept only where the error grows).
    polish : rounds of tabu search over single-coordinate moves (to lo, 0 or hi) from the
        best input per output and sign.
    extra_starts : more starting points (m, d_0) for every output and sign, e.g. the
        maximisers of linear bounds.
    targeted_starts : ``(X, rows)``: more starting points, each for one objective only: row
        ``r < k`` is ``f_r - g_r``, row ``k + r`` is ``g_r - f_r`` (e.g. the points a
        relaxation of that error proposes).
    time_limit : seconds for the float search (the exact evaluation of the best inputs
        follows it).
    exact : exact evaluators of f and g when the caller already holds them.

    Returns
    -------
    AttackResult: the exact error is a proven lower bound of the sup over the box.
    """
    start = time.perf_counter()
    d0 = f.sizes[0]
    lo, hi = box_arrays(d0, box, lo, hi)
    deadline = None if time_limit is None else start + time_limit
    rng = np.random.default_rng(seed)
    fl, gl = split_layers(f), split_layers(g)
    objs = [(k, s) for k in range(f.sizes[-1]) for s in (1.0, -1.0)]
    X, k_idx, s_idx = _starting_points(objs, lo, hi, starts, extra_starts, rng)
    if targeted_starts is not None and len(targeted_starts[0]):
        TX, rows = targeted_starts
        n_out = f.sizes[-1]
        X = np.vstack([X, np.clip(np.asarray(TX, dtype=np.float64), lo, hi)])
        k_idx = np.concatenate([k_idx, np.asarray(rows) % n_out])
        s_idx = np.concatenate([s_idx, np.where(np.asarray(rows) < n_out, 1.0, -1.0)])
    obj = _Objective(fl, gl, k_idx, s_idx)
    X, val, evaluated = _ascend(obj, X, lo, hi, iterations, deadline)
    # the best row per objective, then single-coordinate moves to lo, 0 or hi
    best_rows = []
    for k, s in objs:
        sel = np.flatnonzero((k_idx == k) & (s_idx == s))
        best_rows.append(sel[np.argmax(val[sel])])
    B, moves = _polish(fl, gl, X[best_rows], k_idx[best_rows], s_idx[best_rows], lo, hi, polish,
                       deadline)
    evaluated += moves
    X = np.vstack([X, B])
    errs = obj.all_errors(X) if len(X) else np.zeros(0)
    ef, eg = exact if exact is not None else (ExactEvaluator(f), ExactEvaluator(g))
    best: tuple[Fraction, np.ndarray, float] | None = None
    for i in np.argsort(-errs)[:4]:
        e = exact_error(ef, eg, X[i])
        if best is None or e > best[0]:
            best = (e, X[i].copy(), float(errs[i]))
    assert best is not None
    outs = np.abs(forward_split(fl, best[1][None]) - forward_split(gl, best[1][None]))[0]
    return AttackResult(best[0], best[1], int(np.argmax(outs)), best[2], evaluated,
                        time.perf_counter() - start)


def _starting_points(objs: list[tuple[int, float]], lo: np.ndarray, hi: np.ndarray, starts: int,
                     extra_starts: np.ndarray | None, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starting inputs (random vertices, random points, the centre, the extra starts) for each
    objective (output k, sign s), with the objective of each row."""
    d0 = len(lo)
    X0 = []
    for _ in objs:
        pts = [np.where(rng.random((max(starts // 2, 1), d0)) < 0.5, lo, hi),
               rng.uniform(lo, hi, size=(max(starts - starts // 2 - 1, 0), d0)),
               ((lo + hi) / 2)[None, :]]
        X0.append(np.vstack(pts))
    k_idx = np.concatenate([np.full(len(x), k) for (k, _), x in zip(objs, X0, strict=True)])
    s_idx = np.concatenate([np.full(len(x), s) for (_, s), x in zip(objs, X0, strict=True)])
    X = np.vstack(X0)
    if extra_starts is not None and len(extra_starts):
        E = np.clip(np.asarray(extra_starts, dtype=np.float64), lo, hi)
        X = np.vstack([X, np.repeat(E, len(objs), axis=0)])
        k_idx = np.concatenate([k_idx, np.tile([k for k, _ in objs], len(E))])
        s_idx = np.concatenate([s_idx, np.tile([s for _, s in objs], len(E))])
    return X, k_idx, s_idx


def _ascend(obj: _Objective, X: np.ndarray, lo: np.ndarray, hi: np.ndarray, iterations: int,
            deadline: float | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Sign-gradient steps and line searches towards the vertex maximising the current linear
    piece, each kept only where the objective grows; the inputs, values and evaluations."""
    val = obj.values(X)
    evaluated = len(X)
    ts = 0.5 ** np.arange(7)
    step = (hi - lo) / 4
    for _ in range(iterations):
        if deadline is not None and time.perf_counter() > deadline:
            break
        grad, V = obj.ascent_vertex(X, lo, hi)
        trials = [np.clip(X + step * np.sign(grad), lo, hi)]
        trials += [np.clip(X + t * (V - X), lo, hi) for t in ts]  # rounding may step out
        improved = False
        for T in trials:
            v = obj.values(T)
            evaluated += len(T)
            better = v > val
            if better.any():
                improved = True
                X = np.where(better[:, None], T, X)
                val = np.where(better, v, val)
        step = step * 0.7
        if not improved and np.all(step < (hi - lo) * 1e-6):
            break
    return X, val, evaluated


def _polish(fl: list, gl: list, B: np.ndarray, bk: np.ndarray, bs: np.ndarray, lo: np.ndarray,
            hi: np.ndarray, polish: int, deadline: float | None) -> tuple[np.ndarray, int]:
    """Tabu search over single-coordinate moves (to lo, 0 or hi) from each best input.

    Each round takes the best move of each input even when it lowers the error, so that the
    search walks out of local maxima; a coordinate just moved stays put for ``TABU_TENURE``
    rounds (fewer with few inputs) unless moving it beats the best error. Only inputs within
    ``POLISH_SHARE`` of the largest error are searched (the sup is the largest error), each
    until it has not improved for ``2 tenure + 10`` rounds. Returns the best input met per row
    and the number of evaluations."""
    d = B.shape[1]
    bval = _Objective(fl, gl, bk, bs).values(B)
    cur, best = B.copy(), B.copy()
    levels = np.stack([lo, np.clip(0.0, lo, hi), hi])  # (3, d0)
    cols = np.tile(np.arange(d), 3)
    tenure = max(1, min(TABU_TENURE, d // 4))
    free_at = np.zeros((len(B), d), dtype=np.int64)  # the round a coordinate may move again
    active = bval >= POLISH_SHARE * max(float(bval.max(initial=0.0)), 0.0)
    stale = np.zeros(len(B), dtype=np.int64)
    evaluated = 0
    for it in range(polish):
        if not active.any() or (deadline is not None and time.perf_counter() > deadline):
            break
        for r in np.flatnonzero(active):
            C, out = _single_moves(fl, cur[r], levels)
            v = bs[r] * (out - _single_moves(gl, cur[r], levels)[1])[:, bk[r]]
            evaluated += len(C)
            allowed = (levels.ravel() != cur[r][cols]) & ((free_at[r, cols] <= it) | (v > bval[r]))
            i = int(np.argmax(np.where(allowed, v, -np.inf)))
            if allowed[i]:
                cur[r] = C[i]
                free_at[r, cols[i]] = it + 1 + tenure
            stale[r] += 1
            if allowed[i] and v[i] > bval[r]:
                best[r], bval[r], stale[r] = C[i], v[i], 0
            active[r] = stale[r] <= 2 * tenure + 10
    return best, evaluated
