"""The subset-sum construction of the SLTH proofs: one exact RSS per weight half, and a rigorous
bound on the pruned network's error.

For each target weight W_kj two RSS instances, values ``b_ki * a_i`` over the neurons of block j
with a_i > 0 (they serve x_j > 0) and with a_i < 0 (x_j < 0), target W_kj (Pensia et al. 2020;
the slides' "putting everything together"); every one solved exactly by the batch engine
:func:`solvers.rss.solve_rss_batch`. :func:`subset_sum_construction` returns the mask, the
exact per-weight errors and a rigorous bound on ``sup_{x in box} ||f(x) - g(x)||_inf``
propagated layer by layer (:func:`construction_error_bound`).

>>> from solvers.networks import Network, construction_network
>>> target = Network.create([[[0.5, -0.25]]])
>>> rnd, layout = construction_network(target, 12, seed=0)
>>> res = subset_sum_construction(target, rnd, layout)
>>> res.status, res.n_problems
('optimal', 4)
>>> sup_error_sampled(target, res.pruned, 2000) <= res.error_bound
True
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from solvers.networks import ConstructionLayout, Network, NetworkMask
from solvers.numbers import InputError, check_eps, fraction_str
from solvers.rounding import two_product_error, up_fractions, up_mul, up_rowsum
from solvers.rss import BATCH_MAX_N, solve_rss, solve_rss_batch, sparsest_subset

__all__ = [
    "ConstructionResult",
    "subset_sum_construction",
    "construction_error_bound",
    "sup_error_sampled",
    "check_box",
]



# --- the subset-sum construction ----------------------------------------------------------------


@dataclass
class ConstructionResult:
    """The pruned construction: mask, exact per-weight errors, a rigorous network error bound.

    ``errors[L]`` holds upper bounds (doubles rounded up from the exact rationals) of the
    per-weight errors of target layer L: arrays ``pos`` and ``neg`` (d_out, d_in) for the
    x_j > 0 and x_j < 0 halves (0 where the half is not needed) and ``bias`` (d_out,).
    ``error_bound`` bounds ``sup_{x in box} ||f(x) - g_mask(x)||_inf`` in exact arithmetic.
    """

    target: Network
    random: Network
    layout: ConstructionLayout
    mask: NetworkMask
    status: str
    proof: str
    eps: Fraction | None
    box: tuple[float, float]
    error_bound: float
    layer_bounds: list[float]
    max_weight_error: Fraction
    n_problems: int
    n_unreached: int
    errors: list[dict[str, np.ndarray]]
    per_layer: list[dict[str, Any]]
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def pruned(self) -> Network:
        """The random network with every pruned weight and bias set to 0."""
        return self.random.masked(self.mask)

    @property
    def kept_ratio(self) -> float:
        """Kept parameters over the random network's parameters."""
        return self.mask.kept / self.random.n_params

    @property
    def kept_vs_target(self) -> float:
        """Kept parameters over the target's parameters (Pensia et al. report 9.39)."""
        return self.mask.kept / self.target.n_params

    def to_json(self) -> dict[str, Any]:
        """The report: status, error bound, kept ratio, per-layer figures."""
        return {
            "construction": "subset-sum",
            "status": self.status,
            "proof": self.proof,
            "error_bound": self.error_bound,
            "error_bound_kind": "rigorous upper bound on sup over the box of ||f - g||_inf",
            "layer_bounds": self.layer_bounds,
            "box": list(self.box),
            "eps": None if self.eps is None else fraction_str(self.eps),
            "max_weight_error": fraction_str(self.max_weight_error),
            "max_weight_error_float": float(self.max_weight_error),
            "n_problems": self.n_problems,
            "n_unreached": self.n_unreached,
            "width": self.layout.width,
            "kept": self.mask.kept,
            "random_params": self.random.n_params,
            "target_params": self.target.n_params,
            "kept_ratio": self.kept_ratio,
            "kept_vs_target": self.kept_vs_target,
            "per_layer": self.per_layer,
            "seconds": round(self.seconds, 3),
            "stats": self.stats,
        }


@dataclass
class _Problems:
    """The per-weight RSS instances of one target layer, grouped by their number of values."""

    values: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    rounding: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    targets: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    # per group: (kind 0 pos / 1 neg / 2 bias, j, neuron indices) for each block of rows
    blocks: dict[int, list[tuple[int, int, np.ndarray]]] = field(
        default_factory=lambda: defaultdict(list))

    def add(self, kind: int, j: int, idx: np.ndarray, scale: np.ndarray, N: np.ndarray,
            t: np.ndarray) -> None:
        cols = N[:, idx]
        n = len(idx)
        self.values[n].append(cols * scale)
        self.rounding[n].append(two_product_error(cols, np.broadcast_to(scale, cols.shape)))
        self.targets[n].append(t)
        self.blocks[n].append((kind, j, idx))


def _solve_group(V: np.ndarray, T: np.ndarray, eps: Fraction | None
                 ) -> tuple[np.ndarray, list[Fraction], np.ndarray, bool]:
    """Masks, exact errors, reached flags of a group of rows; and whether all are proven."""
    m, n = V.shape
    if n == 0:
        errs = [abs(Fraction(float(t))) for t in T]
        reached = np.array([eps is None or e <= eps for e in errs])
        return np.zeros(m, dtype=np.uint64), errs, reached, True
    if n <= BATCH_MAX_N:
        res = solve_rss_batch(V, T, eps=eps)
        return res.masks, res.errors, np.asarray(res.reached, dtype=bool), True
    masks = np.zeros(m, dtype=np.uint64)
    errs, reached, proven = [], np.ones(m, dtype=bool), True
    for r in range(m):
        if eps is None:
            sol = solve_rss(V[r].tolist(), float(T[r]))
        else:
            sol = sparsest_subset(V[r].tolist(), float(T[r]), eps)
            reached[r] = sol.status == "optimal"
        proven &= sol.status in ("optimal", "infeasible")
        masks[r] = sum(1 << i for i in sol.subset)
        errs.append(sol.error)
    return masks, errs, reached, proven


def _layer_problems(target: Network, random: Network, layout: ConstructionLayout, L: int,
                    lo: float, hi: float) -> _Problems:
    """The per-weight RSS instances of target layer L (sign halves the inputs cannot take are
    left out: layers after the first see ReLU outputs >= 0)."""
    W, b = target.weights[L], target.biases[L]
    M, c, N = random.weights[2 * L], random.biases[2 * L], random.weights[2 * L + 1]
    d_in = W.shape[1]
    need = (L > 0 or hi > 0, L == 0 and lo < 0)
    probs = _Problems()
    for j in range(d_in):
        rows = np.arange(layout.block(L, j).start, layout.block(L, j).stop)
        a = M[rows, j]
        for kind, sel in ((0, a > 0), (1, a < 0)):
            if need[kind]:
                probs.add(kind, j, rows[sel], a[sel], N, W[:, j])
    if layout.has_bias[L]:
        rows = np.arange(layout.block(L, d_in).start, layout.block(L, d_in).stop)
        cb = c[rows]
        probs.add(2, d_in, rows[cb > 0], cb[cb > 0], N, b)
    return probs


def _solve_layer(probs: _Problems, L: int, n_layers: int, d_out: int, eps_f: Fraction | None,
                 right: np.ndarray, err: dict[str, np.ndarray],
                 progress: Callable[[float], None] | None
                 ) -> tuple[int, int, Fraction, bool, bool]:
    """Solve a layer's problems group by group; fill the right layer's mask and the error
    bounds. Returns (problems, unreached, largest exact error, all proven, exact products)."""
    all_proven = exact_products = True
    layer_problems = layer_unreached = 0
    layer_max = Fraction(0)
    for gi, n in enumerate(sorted(probs.values)):
        if progress is not None:
            progress((L + gi / len(probs.values)) / n_layers)
        V = np.concatenate(probs.values[n])
        T = np.concatenate(probs.targets[n])
        R = np.abs(np.concatenate(probs.rounding[n]))
        exact_products &= not R.any()
        masks, errs, reached, proven = _solve_group(V, T, eps_f)
        all_proven &= proven
        layer_problems += len(T)
        layer_unreached += int((~reached).sum())
        bits = (masks[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)
        kept = bits.astype(bool)
        # the true error adds the products' rounding (0 when the weights are on the grid)
        slack = up_rowsum(np.where(kept, R, 0.0)) if R.any() else np.zeros(len(T))
        up = up_fractions(errs)
        if R.any():
            up = np.nextafter(up + slack, np.inf)
        layer_max = max(layer_max, max(errs))
        r0 = 0
        for kind, j, idx in probs.blocks[n]:
            sl = slice(r0, r0 + d_out)
            right[:, idx] = kept[sl]
            if kind == 2:
                err["bias"] = up[sl]
            else:
                err[("pos", "neg")[kind]][:, j] = up[sl]
            r0 += d_out
    return layer_problems, layer_unreached, layer_max, all_proven, exact_products


def subset_sum_construction(target: Network, random: Network, layout: ConstructionLayout, *,
                            eps: object = None, box: tuple[float, float] = (-1.0, 1.0),
                            progress: Callable[[float], None] | None = None
                            ) -> ConstructionResult:
    """Prune the construction's random network into ``target``, one exact RSS per weight half.

    Parameters
    ----------
    target : the network to approximate.
    random, layout : from :func:`solvers.networks.construction_network` (or the same shapes).
    eps : per-weight tolerance. None: each problem keeps the subset of smallest error. Given:
        the fewest kept values with error <= eps (the smallest error where none reaches eps;
        those are counted in ``n_unreached``).
    box : the input domain [lo, hi]^d_0 of the error bound. Sign halves the inputs cannot take
        are not solved (their neurons are pruned): layers after the first see ReLU outputs >= 0.
    progress : called with the fraction of the work done.

    Returns
    -------
    ConstructionResult. ``status`` is ``"optimal"`` when every per-weight problem is proven
    optimal in exact arithmetic on the network's exact products; the network error is a
    rigorous bound (not an optimum).

    Notes
    -----
    With target layer ``W y + b`` and pruned pair ``h(y)``, for every y in the layer's input
    box ``|h(y)_k - (W y + b)_k| <= sum_j max(e+_kj u_j, e-_kj l_j) + e^b_k``, with u_j, l_j the
    largest positive and negative parts of y_j. Errors in the inputs (delta) add
    ``sum_j |W_kj| delta_j``; ReLU is 1-Lipschitz. All sums and products are rounded up.
    """
    start = time.perf_counter()
    eps_f = None if eps is None else check_eps(eps)
    lo, hi = check_box(box)
    _check_construction(target, random, layout)
    wmasks = [np.zeros(W.shape, dtype=bool) for W in random.weights]
    bmasks = [None if b is None else np.zeros(b.shape, dtype=bool) for b in random.biases]
    errors, per_layer, n_problems, n_unreached = [], [], 0, 0
    all_proven, exact_products = True, True
    max_err = Fraction(0)
    for L in range(target.n_layers):
        W, b = target.weights[L], target.biases[L]
        M, c, N = random.weights[2 * L], random.biases[2 * L], random.weights[2 * L + 1]
        d_out, d_in = W.shape
        probs = _layer_problems(target, random, layout, L, lo, hi)
        # a half left unsolved keeps nothing: its error is |W_kj| (used only where its sign occurs)
        err = {"pos": np.abs(W), "neg": np.abs(W),
               "bias": np.zeros(d_out) if b is None else np.abs(b)}
        layer_problems, layer_unreached, layer_max, proven, exact = _solve_layer(
            probs, L, target.n_layers, d_out, eps_f, wmasks[2 * L + 1], err, progress)
        all_proven &= proven
        exact_products &= exact
        used = wmasks[2 * L + 1].any(axis=0)
        for j in range(d_in):
            blk = layout.block(L, j)
            wmasks[2 * L][blk, j] = used[blk]
        if layout.has_bias[L]:
            blk = layout.block(L, d_in)
            bmasks[2 * L][blk] = used[blk]
        errors.append(err)
        n_problems += layer_problems
        n_unreached += layer_unreached
        max_err = max(max_err, layer_max)
        per_layer.append({
            "target_layer": L, "problems": layer_problems, "unreached": layer_unreached,
            "kept_left": int(wmasks[2 * L].sum()
                             + (0 if bmasks[2 * L] is None else bmasks[2 * L].sum())),
            "total_left": int(M.size + (0 if c is None else c.size)),
            "kept_right": int(wmasks[2 * L + 1].sum()), "total_right": int(N.size),
            "max_weight_error": float(layer_max),
        })
    mask = NetworkMask(tuple(wmasks), tuple(bmasks))
    layer_bounds = construction_error_bound(target, errors, box)
    status, proof = _status_and_proof(n_problems, eps_f is not None, all_proven, exact_products)
    for row, bound in zip(per_layer, layer_bounds, strict=True):
        row["error_bound"] = bound
    return ConstructionResult(
        target=target, random=random, layout=layout, mask=mask, status=status, proof=proof,
        eps=eps_f, box=(lo, hi), error_bound=layer_bounds[-1], layer_bounds=layer_bounds,
        max_weight_error=max_err, n_problems=n_problems, n_unreached=n_unreached, errors=errors,
        per_layer=per_layer, seconds=time.perf_counter() - start)


def _status_and_proof(n_problems: int, with_eps: bool, all_proven: bool,
                      exact_products: bool) -> tuple[str, str]:
    """The construction's status (``optimal``: every per-weight problem proven on exact
    products) and its one-line proof."""
    if not exact_products:
        return "feasible", ("products of random weights are not exact doubles: problems solved "
                            "on rounded products (errors and bound include the rounding)")
    if not all_proven:
        return "feasible", "some per-weight problems were not proven optimal"
    what = "fewest kept values within eps" if with_eps else "smallest error"
    return "optimal", (f"all {n_problems} per-weight subset-sum problems ({what}) solved exactly "
                       "by the batch meet-in-the-middle engine on the network's exact products; "
                       "the network error is a rigorous bound, not an optimum")


def check_box(box: object) -> tuple[float, float]:
    """The box ``(lo, hi)`` as two finite floats with lo < hi."""
    try:
        lo, hi = (float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InputError(f"box is {box!r}: expected two numbers lo < hi") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError(f"box is {box!r}: expected two finite numbers lo < hi")
    return lo, hi


def _check_construction(target: Network, random: Network, layout: ConstructionLayout) -> None:
    if random.sizes[0] != target.sizes[0]:
        raise InputError(f"the target has {target.sizes[0]} inputs but the random network has "
                         f"{random.sizes[0]}: they must take the same input")
    if layout.target_sizes != target.sizes or random.sizes != layout.random_sizes():
        raise InputError(f"random network sizes {random.sizes} are not the construction's "
                         f"{layout.random_sizes()} for target sizes {target.sizes}")
    for L in range(target.n_layers):
        if (random.biases[2 * L] is not None) != layout.has_bias[L]:
            raise InputError(f"random layer {2 * L} bias does not match the layout")


def _target_upper(W: np.ndarray, b: np.ndarray | None, lo: np.ndarray, hi: np.ndarray
                  ) -> np.ndarray:
    """Upper bounds (rounded up) of W y + b over the box lo <= y <= hi (interval arithmetic)."""
    terms = np.maximum(np.nextafter(W * hi, np.inf), np.nextafter(W * lo, np.inf))
    terms = np.where((W == 0), 0.0, terms)
    ub = up_rowsum(terms)
    return ub if b is None else np.nextafter(ub + b, np.inf)


def construction_error_bound(target: Network, errors: list[dict[str, np.ndarray]],
                             box: tuple[float, float] = (-1.0, 1.0)) -> list[float]:
    """Rigorous bounds, per target layer, on the max over outputs and the box of the error.

    ``errors`` as in :class:`ConstructionResult` (upper bounds of the per-weight errors). The
    last entry bounds ``sup_{x in box} ||f(x) - g(x)||_inf``.

    >>> t = Network.create([[[1.0, -1.0]]])
    >>> construction_error_bound(t, [{"pos": np.array([[0.25, 0.5]]),
    ...                               "neg": np.array([[0.5, 0.125]]), "bias": np.zeros(1)}])
    [1.0]
    """
    lo, hi = check_box(box)
    d0 = target.sizes[0]
    y_lo, y_hi = np.full(d0, lo), np.full(d0, hi)
    delta = np.zeros(d0)
    bounds = []
    for L, (W, b) in enumerate(zip(target.weights, target.biases, strict=True)):
        e = errors[L]
        u = np.maximum(np.nextafter(y_hi + delta, np.inf) if L else y_hi, 0.0)
        ln = np.maximum(-y_lo, 0.0) if L == 0 else np.zeros_like(u)
        own = np.maximum(up_mul(e["pos"], u[None, :]), up_mul(e["neg"], ln[None, :]))
        lip = up_mul(np.abs(W), delta[None, :])
        total = up_rowsum(np.concatenate([own, lip, e["bias"][:, None]], axis=1))
        bounds.append(float(total.max()))
        delta = total
        if L < target.n_layers - 1:
            y_hi = np.maximum(_target_upper(W, b, y_lo, y_hi), 0.0)
            y_lo = np.zeros_like(y_hi)
    return bounds


def sup_error_sampled(target: Network, other: Network, n_samples: int = 20_000, *,
                      seed: int = 0, box: tuple[float, float] = (-1.0, 1.0)) -> float:
    """Largest ||f(x) - g(x)||_inf over uniform random inputs in the box (float64; a check).

    >>> t = Network.create([[[1.0]]])
    >>> sup_error_sampled(t, Network.create([[[0.5]]]), 1000) <= 0.5
    True
    """
    lo, hi = check_box(box)
    X = np.random.default_rng(seed).uniform(lo, hi, size=(n_samples, target.sizes[0]))
    return float(np.max(np.abs(target.forward(X) - other.forward(X))))
