"""Linear bound propagation through the difference of two ReLU networks, outward-rounded.

A certified upper bound of ``sup_{x in box} ||f(x) - g(x)||_inf`` in the style of CROWN
(Zhang et al. 2018) and DeepPoly (Singh et al. 2019): every output is back-substituted to the
input through per-neuron linear relaxations, then maximised over the box exactly. Two networks
that compute nearly the same function are bounded *differentially*, as in ReluDiff (Paulsen et
al. 2020): the back-substitution carries the target's pre-activations ``z`` and the gaps
``delta = z' - z`` of the other network, so that shared structure cancels instead of adding up.

The subset-sum construction is recognised and collapsed first (:func:`split_layers`): a random
layer whose neurons each read one input, followed by its right layer, computes exactly
``P x^+ + N x^- + c`` (``x^+ = max(x, 0)``, ``x^- = min(x, 0)``), the target's weights plus the
exact per-weight errors, split by the sign of the input. The pruned network is then layer by
layer a structured perturbation of the target.

Rigour: the propagation runs in float64, and every rounding is bounded (the standard
``gamma_n = n u / (1 - n u)`` bound for dot products, one ulp for the rest) and added to the
result, so the returned numbers are upper bounds in exact arithmetic of the networks' weights.

>>> from solvers.networks import Network
>>> f = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])          # |x|
>>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.75]]])         # relu(x) + 0.75 relu(-x)
>>> bounds = error_upper_bound(f, g, (-1.0, 1.0))
>>> bool(0.25 <= bounds.bound <= 0.25 + 1e-12), bounds.mode
(True, 'differential')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.networks import Network
from solvers.numbers import InputError
from solvers.piecewise_linear import check_comparable
from solvers.rounding import up_mul, up_rowsum

__all__ = [
    "box_arrays",
    "SplitLayer",
    "split_layers",
    "align",
    "LinearBound",
    "error_upper_bound",
    "forward_split",
]

_U = 2.0**-53
#: Added to every error bound: float64 results below 2^-1022 lose absolute, not relative, accuracy.
_TINY = 1e-290
#: Rows of one back-substitution batch times neurons: above this the rows go in chunks.
_CHUNK = 4_000_000


def _gamma(n: int) -> float:
    """An upper bound of gamma_n = n u / (1 - n u) (valid while n u < 1/100)."""
    return 1.01 * n * _U


@dataclass(frozen=True, eq=False)
class SplitLayer:
    """``z = pos @ x^+ + neg @ x^- + bias`` with coefficients known to within ``r*`` each.

    The exact coefficients (of the network the layer comes from) lie within ``rpos``, ``rneg``
    and ``rbias`` of the stored doubles. A plain layer has ``neg is pos`` and zero radii; after
    the first layer inputs are ReLU outputs >= 0 and only ``pos`` matters.
    """

    pos: np.ndarray
    neg: np.ndarray
    bias: np.ndarray
    rpos: np.ndarray
    rneg: np.ndarray
    rbias: np.ndarray

    @classmethod
    def plain(cls, W: np.ndarray, b: np.ndarray | None) -> SplitLayer:
        z = np.zeros_like(W)
        bias = np.zeros(W.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
        return cls(W, W, bias, z, z, np.zeros(W.shape[0]))

    @property
    def shape(self) -> tuple[int, int]:
        return self.pos.shape


def _group_sums(prod: np.ndarray, cols: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Column sums of ``prod`` (out, k) grouped by ``cols`` (k,), with a bound on their rounding."""
    out = np.zeros((prod.shape[0], n_cols))
    mag = np.zeros_like(out)
    if len(cols) == 0:
        return out, mag
    order = np.argsort(cols, kind="stable")
    c = cols[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    P = prod[:, order]
    out[:, c[starts]] = np.add.reduceat(P, starts, axis=1)
    mag[:, c[starts]] = np.add.reduceat(np.abs(P), starts, axis=1)
    longest = int(np.max(np.diff(np.r_[starts, len(c)])))
    # products rounded once (u) and sums of at most `longest` terms: gamma_{longest + 1}
    return out, np.nextafter(2 * _gamma(longest + 2) * mag + _TINY, np.inf)


def _collapse(A: np.ndarray, c: np.ndarray | None, B: np.ndarray, b: np.ndarray | None,
              signed_input: bool) -> SplitLayer | None:
    """``B relu(A x + c) + b`` as a :class:`SplitLayer` when every neuron of A reads one input
    (and then has no bias); None otherwise."""
    nz = A != 0
    count = nz.sum(axis=1)
    if count.max(initial=0) > 1:
        return None
    has_in = count == 1
    if c is not None and np.any(c[has_in] != 0):
        return None
    col = np.argmax(nz, axis=1)
    a = A[np.arange(A.shape[0]), col] * has_in
    used = np.any(B != 0, axis=0)
    d_in = A.shape[1]
    pos_sel = np.flatnonzero(used & (a > 0))
    pos, rpos = _group_sums(B[:, pos_sel] * a[pos_sel], col[pos_sel], d_in)
    if signed_input:
        neg_sel = np.flatnonzero(used & (a < 0))
        neg, rneg = _group_sums(B[:, neg_sel] * a[neg_sel], col[neg_sel], d_in)
    else:  # inputs are ReLU outputs >= 0: a neuron with a < 0 never fires
        neg, rneg = pos, rpos
    const_sel = np.flatnonzero(used & ~has_in & ((c if c is not None else 0) > 0))
    zero = np.zeros(len(const_sel), dtype=np.intp)
    cb, rcb = _group_sums(B[:, const_sel] * (c[const_sel] if c is not None else 0), zero, 1)
    bias = np.zeros(B.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
    tot = bias + cb[:, 0]
    rb = np.nextafter(rcb[:, 0] + _U * np.abs(tot) * 2 + _TINY, np.inf)
    return SplitLayer(pos, neg, tot, rpos, rneg, rb)


def split_layers(net: Network, collapse: bool = True) -> list[SplitLayer]:
    """The network as split-linear layers, collapsing one-input-per-neuron pairs when asked.

    >>> from solvers.networks import construction_network
    >>> t = Network.create([[[0.5, -0.25]], [[1.0]]])
    >>> rnd, _ = construction_network(t, 4, seed=1)
    >>> [lay.shape for lay in split_layers(rnd)], [lay.shape for lay in split_layers(rnd, False)]
    ([(8, 2), (1, 8), (1, 1)], [(8, 2), (1, 8), (4, 1), (1, 4)])

    The random network's first pair does not collapse (each neuron reads both inputs), its
    second does (one input there); the pruned network collapses fully.
    """
    layers, L = [], 0
    while L < net.n_layers:
        if collapse and L + 1 < net.n_layers:
            lay = _collapse(net.weights[L], net.biases[L], net.weights[L + 1],
                            net.biases[L + 1], signed_input=(L == 0))
            if lay is not None:
                layers.append(lay)
                L += 2
                continue
        layers.append(SplitLayer.plain(net.weights[L], net.biases[L]))
        L += 1
    return layers


def forward_split(layers: list[SplitLayer], X: np.ndarray) -> np.ndarray:
    """The float64 forward pass of split layers on a batch (m, d_0)."""
    H = np.maximum(X, 0.0) @ layers[0].pos.T + np.minimum(X, 0.0) @ layers[0].neg.T \
        + layers[0].bias
    for lay in layers[1:]:
        H = np.maximum(H, 0.0) @ lay.pos.T + lay.bias
    return H


def align(f: Network, g: Network) -> tuple[list[SplitLayer], list[SplitLayer]] | None:
    """Split layers of f and g with the same widths layer by layer, or None.

    The other network is collapsed first (the construction's pairs), then both, then neither.
    """
    check_comparable(f, g)
    for cf, cg in ((False, True), (True, True), (False, False), (True, False)):
        a, b = split_layers(f, cf), split_layers(g, cg)
        if [x.shape for x in a] == [y.shape for y in b]:
            return a, b
    return None


@dataclass(frozen=True, eq=False)
class _Diff:
    """One aligned layer pair: the target's T, the other's O and D = O - T, with radii."""

    tgt: SplitLayer
    oth: SplitLayer
    Dpos: np.ndarray
    Dneg: np.ndarray
    rDpos: np.ndarray
    rDneg: np.ndarray
    Db: np.ndarray
    rDb: np.ndarray

    @classmethod
    def create(cls, tgt: SplitLayer, oth: SplitLayer) -> _Diff:
        def diff(a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
            d = a - b
            return d, np.nextafter(ra + rb + 2 * _U * np.abs(d) + _TINY, np.inf)

        Dp, rDp = diff(oth.pos, tgt.pos, oth.rpos, tgt.rpos)
        if oth.neg is oth.pos and tgt.neg is tgt.pos:
            Dn, rDn = Dp, rDp
        else:
            Dn, rDn = diff(oth.neg, tgt.neg, oth.rneg, tgt.rneg)
        Db, rDb = diff(oth.bias, tgt.bias, oth.rbias, tgt.rbias)
        return cls(tgt, oth, Dp, Dn, rDp, rDn, Db, rDb)


@dataclass
class _Bounds:
    """Bounds of the target's pre-activations z and the gaps delta = z' - z of one layer."""

    zl: np.ndarray
    zu: np.ndarray
    dl: np.ndarray
    du: np.ndarray


def _upper_slope(zl: np.ndarray, zu: np.ndarray) -> np.ndarray:
    """Slope of the chord of relu over [zl, zu] (1 or 0 when stable)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(zu <= 0, 0.0, np.where(zl >= 0, 1.0, zu / (zu - zl)))


def _lower_slope(zl: np.ndarray, zu: np.ndarray, flip: bool = False) -> np.ndarray:
    """CROWN's adaptive lower slope of relu (1 when zu >= -zl), or the other one when flipped."""
    s = (zu >= -zl) != flip
    return np.where(zu <= 0, 0.0, np.where(zl >= 0, 1.0, s * 1.0))


def _relu_slope(coef: np.ndarray, zl: np.ndarray, zu: np.ndarray, flip: bool = False
                ) -> np.ndarray:
    """The slope bounding ``coef * relu(z)`` from above: the chord for coef >= 0."""
    return np.where(coef >= 0, _upper_slope(zl, zu), _lower_slope(zl, zu, flip))


def _vertices(b: _Bounds) -> tuple[np.ndarray, np.ndarray]:
    """Points (z, delta) of the box [zl, zu] x [dl, du] containing every vertex of its cells cut
    by the lines z = 0 and z + delta = 0 (clipped into the box; extra points are harmless)."""
    zl, zu, dl, du = b.zl, b.zu, b.dl, b.du
    zero = np.zeros_like(zl)
    zs = [zl, zl, zu, zu, zero, zero, zl, zu, -dl, -du, zero]
    ds = [dl, du, dl, du, dl, du, -zl, -zu, dl, du, zero]
    Z = np.clip(np.stack(zs, axis=-1), zl[:, None], zu[:, None])
    D = np.clip(np.stack(ds, axis=-1), dl[:, None], du[:, None])
    return Z, D


def _plane_offsets(P: np.ndarray, Q: np.ndarray, b: _Bounds, az: np.ndarray, ad: np.ndarray
                   ) -> np.ndarray:
    """beta, rounded up, with ``az z + ad delta + beta >= P relu(z) + Q (relu(z + delta) -
    relu(z))`` on the box of ``b`` (the difference is linear on each cell: its max is at one
    of :func:`_vertices`). Valid for any slopes."""
    Z, D = _vertices(b)
    A = P - Q
    val = (A[..., None] * np.maximum(Z, 0.0) + Q[..., None] * np.maximum(Z + D, 0.0)
           - az[..., None] * Z - ad[..., None] * D)
    aZ, aD = np.abs(Z), np.abs(D)
    # each value is a sum of four rounded products (and one rounded sum inside a relu)
    mag = ((np.abs(P) + np.abs(Q) + np.abs(az))[..., None] * aZ
           + (np.abs(Q)[..., None]) * (aZ + aD) + np.abs(ad)[..., None] * aD)
    return np.nextafter(np.max(val + 8 * _U * mag + _TINY, axis=-1), np.inf)


def _relax_upper(P: np.ndarray, Q: np.ndarray, b: _Bounds
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plane ``az z + ad delta + beta`` above ``P relu(z) + Q (relu(z + delta) - relu(z))``
    over the box of ``b``, per row and neuron. Of a few candidate slopes (each relu relaxed
    alone, or the gap relu(z + delta) - relu(z) relaxed in delta), the plane lowest at the
    box's centre is kept."""
    zl, zu, dl, du = b.zl, b.zu, b.dl, b.du
    lp, up = zl + dl, zu + du  # z + delta lies within (rounding only widens: slopes are heuristic)
    sd = _upper_slope(dl, du)
    ad_diff = Q * np.where(Q >= 0, sd, 1.0 - sd)
    A = P - Q
    zc, dc = (zl + zu) / 2, (dl + du) / 2
    best = None
    for flip in (False, True):
        sq = _relu_slope(Q, lp, up, flip)
        for az, ad in ((A * _relu_slope(A, zl, zu, flip) + Q * sq, Q * sq),
                       (P * _relu_slope(P, zl, zu, flip), ad_diff)):
            beta = _plane_offsets(P, Q, b, az, ad)
            score = beta + az * zc + ad * dc
            if best is None:
                best = [az, ad, beta, score]
            else:
                take = score < best[3]
                for i, arr in enumerate((az, ad, beta, score)):
                    best[i] = np.where(take, arr, best[i])
    assert best is not None
    return best[0], best[1], best[2]


def _first_layer(d: _Diff, Lam: np.ndarray, M: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients of x^+ and x^- and the constant of ``Lam z_1 + M delta_1`` (float)."""
    return (Lam @ d.tgt.pos + M @ d.Dpos, Lam @ d.tgt.neg + M @ d.Dneg,
            Lam @ d.tgt.bias + M @ d.Db)


def _maximise_split(p: np.ndarray, q: np.ndarray, lo: np.ndarray, hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Float max over the box of ``p x^+ + q x^-`` per row, and the maximiser."""
    cands = np.stack([lo, np.clip(0.0, lo, hi), hi])
    vals = np.stack([p * np.maximum(c, 0.0) + q * np.minimum(c, 0.0) for c in cands], axis=-1)
    pick = np.argmax(vals, axis=-1)
    xs = cands.T[np.arange(len(lo))[None, :], pick]
    return np.take_along_axis(vals, pick[..., None], axis=-1)[..., 0].sum(axis=1), xs


def _optimise_slopes(d: _Diff, P: np.ndarray, Q: np.ndarray, b: _Bounds, az: np.ndarray,
                     ad: np.ndarray, lo: np.ndarray, hi: np.ndarray, iterations: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Slopes of the last relaxation (the one next to the input) that lower the bound.

    With one relaxed layer the bound is a convex function of the slopes (a max over the box
    plus a max over each neuron's vertices; Lagrangian duality, as in alpha-CROWN of Xu et al.
    2021): Adam on its subgradient, keeping the best slopes seen. Only the choice is in float;
    the caller bounds rigorously with whatever slopes come back.
    """
    Z, D = _vertices(b)
    A = P - Q
    phi = A[..., None] * np.maximum(Z, 0.0) + Q[..., None] * np.maximum(Z + D, 0.0)
    scale = np.abs(P) + np.abs(Q) + 1e-300
    theta = np.stack([az, ad])
    m1, m2 = np.zeros_like(theta), np.zeros_like(theta)
    best_val, best = np.full(P.shape[0], np.inf), theta.copy()
    rows = np.arange(P.shape[0])[:, None]
    cols = np.arange(P.shape[1])[None, :]
    for t in range(1, iterations + 1):
        a_z, a_d = theta
        vals = phi - a_z[..., None] * Z - a_d[..., None] * D
        i_star = np.argmax(vals, axis=-1)
        beta = vals[rows, cols, i_star]
        p, q, c = _first_layer(d, a_z, a_d)
        conc, xs = _maximise_split(p, q, lo, hi)
        total = conc + c + beta.sum(axis=1)
        better = total < best_val
        best_val = np.where(better, total, best_val)
        best = np.where(better[None, :, None], theta, best)
        xp, xn = np.maximum(xs, 0.0), np.minimum(xs, 0.0)
        gz = xp @ d.tgt.pos.T + xn @ d.tgt.neg.T + d.tgt.bias - Z[cols, i_star]
        gd = xp @ d.Dpos.T + xn @ d.Dneg.T + d.Db - D[cols, i_star]
        grad = np.stack([gz, gd])
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad**2
        step = (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-12)
        theta = theta - 0.02 * scale * step * (1 - t / (iterations + 1))
    return best[0], best[1]


def _backsub(diffs: list[_Diff], bounds: list[_Bounds], top: int, Lam: np.ndarray,
             M: np.ndarray, lo: np.ndarray, hi: np.ndarray, iterations: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds of ``Lam z_top + M delta_top`` over the box, and the maximising inputs.

    ``top`` indexes ``diffs`` (layer ``top`` maps layer top-1's ReLU outputs to z_top);
    ``iterations`` of slope optimisation for the relaxation next to the input.
    """
    R = Lam.shape[0]
    const = np.zeros(R)
    err = np.zeros(R)
    for ell in range(top, 0, -1):
        d = diffs[ell]
        below = bounds[ell - 1]
        n = d.tgt.pos.shape[1]
        hub = np.maximum(below.zu, 0.0)
        dm = np.maximum(np.abs(below.dl), np.abs(below.du))
        aL, aM = np.abs(Lam), np.abs(M)
        const += Lam @ d.tgt.bias + M @ d.Db
        P = Lam @ d.tgt.pos + M @ d.Dpos
        Q = M @ d.oth.pos
        err += (_gamma(d.tgt.pos.shape[0] + 2) * (aL @ np.abs(d.tgt.bias) + aM @ np.abs(d.Db))
                + aL @ d.tgt.rbias + aM @ d.rDb
                + _gamma(2 * d.tgt.pos.shape[0] + 2) * (aL @ (np.abs(d.tgt.pos) @ hub)
                                                      + aM @ (np.abs(d.Dpos) @ hub))
                + _gamma(d.tgt.pos.shape[0] + 2) * (aM @ (np.abs(d.oth.pos) @ dm))
                + aL @ (d.tgt.rpos @ hub) + aM @ (d.rDpos @ hub) + aM @ (d.oth.rpos @ dm))
        az, ad, beta = _relax_upper(P, Q, below)
        if ell == 1 and iterations:
            az, ad = _optimise_slopes(diffs[0], P, Q, below, az, ad, lo, hi, iterations)
            beta = _plane_offsets(P, Q, below, az, ad)
        const += beta.sum(axis=1)
        err += _gamma(n + 2) * np.abs(beta).sum(axis=1) + _TINY
        Lam, M = az, ad
    d = diffs[0]
    xp, xn = np.maximum(hi, 0.0), np.maximum(-lo, 0.0)
    aL, aM = np.abs(Lam), np.abs(M)
    m = d.tgt.pos.shape[0]
    p, q, c = _first_layer(d, Lam, M)
    const += c
    g2 = _gamma(2 * m + 2)
    err += (_gamma(m + 2) * (aL @ np.abs(d.tgt.bias) + aM @ np.abs(d.Db))
            + aL @ d.tgt.rbias + aM @ d.rDb
            + g2 * (aL @ (np.abs(d.tgt.pos) @ xp) + aM @ (np.abs(d.Dpos) @ xp)
                    + aL @ (np.abs(d.tgt.neg) @ xn) + aM @ (np.abs(d.Dneg) @ xn))
            + aL @ (d.tgt.rpos @ xp) + aM @ (d.rDpos @ xp)
            + aL @ (d.tgt.rneg @ xn) + aM @ (d.rDneg @ xn))
    # maximise p x^+ + q x^- coordinate by coordinate over {lo, 0, hi} (piecewise linear in x_j)
    cands = np.stack([lo, np.clip(0.0, lo, hi), hi])  # (3, d)
    vals = np.stack([up_mul(p, np.maximum(c, 0.0)[None, :])
                     + up_mul(q, np.minimum(c, 0.0)[None, :]) for c in cands], axis=-1)
    vals = np.nextafter(vals, np.inf)  # the sum of the two products (one of them is 0)
    pick = np.argmax(vals, axis=-1)
    best = np.take_along_axis(vals, pick[..., None], axis=-1)[..., 0]
    xs = cands.T[np.arange(len(lo))[None, :], pick]
    total = up_rowsum(best)
    total = np.nextafter(total + const, np.inf)
    total = np.nextafter(total + np.nextafter(2 * err + _TINY, np.inf), np.inf)
    return total, xs


def _layer_bounds(diffs: list[_Diff], lo: np.ndarray, hi: np.ndarray) -> list[_Bounds]:
    """Bounds of z and delta of every hidden layer, each by back-substitution to the input."""
    bounds: list[_Bounds] = []
    for ell in range(len(diffs) - 1):
        n = diffs[ell].tgt.pos.shape[0]
        eye, zero = np.eye(n), np.zeros((n, n))
        rows = [(eye, zero), (-eye, zero), (zero, eye), (zero, -eye)]
        res = []
        for Lam, M in rows:
            res.append(_chunked(diffs, bounds, ell, Lam, M, lo, hi)[0])
        bounds.append(_Bounds(-res[1], res[0], -res[3], res[2]))
    return bounds


def _chunked(diffs: list[_Diff], bounds: list[_Bounds], top: int, Lam: np.ndarray,
             M: np.ndarray, lo: np.ndarray, hi: np.ndarray, iterations: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_backsub` in chunks of rows (the relaxation holds rows x neurons x 11 points)."""
    width = max(1, max(d.tgt.pos.shape[1] for d in diffs[: top + 1]))
    step = max(1, _CHUNK // (11 * width))
    outs = [_backsub(diffs, bounds, top, Lam[i:i + step], M[i:i + step], lo, hi, iterations)
            for i in range(0, Lam.shape[0], step)]
    return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])


@dataclass
class LinearBound:
    """A certified bound of ``sup_{x in box} ||f(x) - g(x)||_inf``.

    ``bound``: the certificate (an upper bound in exact arithmetic); ``per_output``: the upper
    bounds of ``f_k - g_k`` then of ``g_k - f_k``; ``inputs``: for each, the box point that
    maximises its linear bound (good places to look for large errors); ``mode``:
    ``"differential"`` (aligned layers) or ``"independent"`` (each network bounded alone).
    """

    bound: float
    per_output: np.ndarray
    inputs: np.ndarray
    mode: str


def box_arrays(d0: int, box: tuple[object, object] | None, lo: np.ndarray | None,
               hi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-input bounds: the given ``lo``, ``hi``, or ``box = (lo, hi)`` for every input."""
    if lo is not None and hi is not None:
        return lo, hi
    if box is None:
        raise InputError("give a box (lo, hi) or per-input arrays lo, hi")
    return np.full(d0, float(box[0])), np.full(d0, float(box[1]))  # type: ignore[arg-type]


def error_upper_bound(f: Network, g: Network, box: tuple[object, object] | None = None, *,
                      lo: np.ndarray | None = None, hi: np.ndarray | None = None,
                      aligned: tuple[list[SplitLayer], list[SplitLayer]] | None = None,
                      iterations: int = 0) -> LinearBound:
    """Certified upper bound of ``sup_{x in [lo, hi]} ||f(x) - g(x)||_inf``.

    Parameters
    ----------
    f, g : networks with the same input and output sizes.
    box : ``(lo, hi)`` doubles, the same for every input; or per-input arrays ``lo``, ``hi``.
    aligned : the result of :func:`align` when already computed (it is reused by callers that
        bound many sub-boxes).
    iterations : rounds of slope optimisation of the relaxation next to the input (0: the
        heuristic slopes only).

    Notes
    -----
    When the networks align (same widths after collapsing the construction's pairs) the bound
    is differential: relaxations of ``P relu(z) + Q (relu(z + delta) - relu(z))`` per neuron
    over the box of (z, delta). Otherwise f and g are bounded one by one and the bounds added
    (much looser: nothing cancels).

    >>> f = Network.create([[[2.0]]])
    >>> 0.5 <= error_upper_bound(f, Network.create([[[1.5]]]), (-1.0, 1.0)).bound < 0.5 + 1e-12
    True
    """
    d0 = f.sizes[0]
    lo, hi = box_arrays(d0, box, lo, hi)
    if aligned is None:
        aligned = align(f, g)
    k = f.sizes[-1]
    eye = np.eye(k)
    if aligned is not None:
        diffs = [_Diff.create(t, o) for t, o in zip(*aligned, strict=True)]
        bounds = _layer_bounds(diffs, lo, hi)
        zero = np.zeros((2 * k, k))
        ub, xs = _chunked(diffs, bounds, len(diffs) - 1, zero, np.vstack([-eye, eye]), lo, hi,
                          iterations)
        return LinearBound(float(ub.max()), ub, xs, "differential")
    return _independent(f, g, lo, hi)


def _independent(f: Network, g: Network, lo: np.ndarray, hi: np.ndarray) -> LinearBound:
    """Each network bounded alone by back-substitution (against itself: delta = 0); the bound
    of ``f_k - g_k`` is the upper bound of f_k plus that of -g_k."""
    k = f.sizes[-1]
    C = np.vstack([np.eye(k), -np.eye(k)])
    totals, inputs = [], None
    for net, sign in ((f, 1.0), (g, -1.0)):
        diffs = [_Diff.create(lay, lay) for lay in split_layers(net, collapse=True)]
        bounds = _layer_bounds(diffs, lo, hi)
        rows = sign * C
        ub, xs = _chunked(diffs, bounds, len(diffs) - 1, rows, np.zeros_like(rows), lo, hi)
        totals.append(ub)
        inputs = xs if inputs is None else inputs
    ub = np.nextafter(totals[0] + totals[1], np.inf)
    return LinearBound(float(ub.max()), ub, inputs, "independent")
