"""Pruning a random network into a target: the subset-sum construction and provably optimal masks.

Two ways to find a mask:

- :func:`subset_sum_construction`: the construction of the SLTH proofs (Pensia et al. 2020;
  the slides' "putting everything together"). For each target weight W_kj two RSS instances,
  values ``b_ki * a_i`` over the neurons of block j with a_i > 0 (they serve x_j > 0) and with
  a_i < 0 (x_j < 0), target W_kj; every one solved exactly by the batch engine
  :func:`solvers.rss.solve_rss_batch`. Returns the mask, the exact per-weight errors and a
  rigorous bound on ``sup_{x in box} ||f(x) - g(x)||_inf`` propagated layer by layer.
- :func:`optimal_mask`: the mask minimising the worst error over the box (or a finite input
  set), unstructured (a bit per edge and bias) or structured (a bit per hidden neuron), by
  constraint generation over the MIPs of :mod:`solvers.formulations.masks_mip`. Floating-point
  MIP: the status is ``optimal_within_tolerance`` with the tolerance in ``proof``.

:func:`required_width` puts the two side by side with the theorems' ``C log(l d^2 / eps)``.

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

from solvers.mask_choices import MaskChoices
from solvers.masks import (
    MaskCertificate,
    MaskResult,
    exact_engine_applies,
    exact_master_optimum,
    exact_optimal_mask,
)
from solvers.networks import ConstructionLayout, Network, NetworkMask
from solvers.numbers import InputError, check_eps, fraction_str, to_fraction
from solvers.rss import solve_rss, solve_rss_batch, sparsest_subset

__all__ = [
    "ConstructionResult",
    "subset_sum_construction",
    "construction_error_bound",
    "MaskResult",
    "optimal_mask",
    "sup_error_sampled",
    "required_width",
    "theorem_width",
]

#: Rows with more values than this go to the single-instance engines (the batch kernel's limit).
BATCH_MAX_N = 40


# --- rigorous float arithmetic: every quantity rounded up -------------------------------------


def _up_fractions(qs: list[Fraction]) -> np.ndarray:
    """Doubles >= each exact q (float() of a Fraction is correctly rounded: one ulp up is safe)."""
    f = np.array([float(q) for q in qs])
    up = np.nextafter(f, np.inf)
    zero = np.nonzero(f == 0)[0]
    up[zero] = [0.0 if qs[i] == 0 else 5e-324 for i in zero]
    return up


def _up_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise upper bounds of a * b: fl(a*b), one ulp up where it rounded down."""
    p = a * b
    return np.where(_two_product_error(a, b) > 0, np.nextafter(p, np.inf), p)


def _up_sum(r: np.ndarray) -> float:
    """An upper bound of the exact sum: math.fsum rounds correctly, and the sign of the exact
    residual (fsum again) says whether it rounded down."""
    s = math.fsum(r)
    return math.nextafter(s, math.inf) if math.fsum([*r, -s]) > 0 else s


def _up_rowsum(M: np.ndarray) -> np.ndarray:
    """Upper bounds of the exact row sums."""
    return np.array([_up_sum(r) for r in M])


def _two_product_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
        self.rounding[n].append(_two_product_error(cols, np.broadcast_to(scale, cols.shape)))
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
        slack = _up_rowsum(np.where(kept, R, 0.0)) if R.any() else np.zeros(len(T))
        up = _up_fractions(errs)
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
    lo, hi = _check_box(box)
    _check_construction(target, random, layout)
    wmasks = [np.zeros(W.shape, dtype=bool) for W in random.weights]
    bmasks = [None if b is None else np.zeros(b.shape, dtype=bool) for b in random.biases]
    errors, per_layer = [], []
    n_problems = n_unreached = 0
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
    status = "optimal" if all_proven and exact_products else "feasible"
    what = "fewest kept values within eps" if eps_f is not None else "smallest error"
    proof = (f"all {n_problems} per-weight subset-sum problems ({what}) solved exactly by the "
             "batch meet-in-the-middle engine on the network's exact products; the network "
             "error is a rigorous bound, not an optimum")
    if not exact_products:
        proof = ("products of random weights are not exact doubles: problems solved on rounded "
                 "products (errors and bound include the rounding)")
    elif not all_proven:
        proof = "some per-weight problems were not proven optimal"
    for row, bound in zip(per_layer, layer_bounds, strict=True):
        row["error_bound"] = bound
    return ConstructionResult(
        target=target, random=random, layout=layout, mask=mask, status=status, proof=proof,
        eps=eps_f, box=(lo, hi), error_bound=layer_bounds[-1], layer_bounds=layer_bounds,
        max_weight_error=max_err, n_problems=n_problems, n_unreached=n_unreached, errors=errors,
        per_layer=per_layer, seconds=time.perf_counter() - start)


def _check_box(box: object) -> tuple[float, float]:
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
    ub = _up_rowsum(terms)
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
    lo, hi = _check_box(box)
    d0 = target.sizes[0]
    y_lo, y_hi = np.full(d0, lo), np.full(d0, hi)
    delta = np.zeros(d0)
    bounds = []
    for L, (W, b) in enumerate(zip(target.weights, target.biases, strict=True)):
        e = errors[L]
        u = np.maximum(np.nextafter(y_hi + delta, np.inf) if L else y_hi, 0.0)
        ln = np.maximum(-y_lo, 0.0) if L == 0 else np.zeros_like(u)
        own = np.maximum(_up_mul(e["pos"], u[None, :]), _up_mul(e["neg"], ln[None, :]))
        lip = _up_mul(np.abs(W), delta[None, :])
        total = _up_rowsum(np.concatenate([own, lip, e["bias"][:, None]], axis=1))
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
    lo, hi = _check_box(box)
    X = np.random.default_rng(seed).uniform(lo, hi, size=(n_samples, target.sizes[0]))
    return float(np.max(np.abs(target.forward(X) - other.forward(X))))


# --- provably optimal masks: constraint generation over MIPs ----------------------------------


#: SCIP's feasibility tolerance in the mask MIPs (its default; at 1e-9 SCIP 9.15 was seen to
#: return a wrong "optimal" master, so the default stays).
MIP_FEASTOL = 1e-6
def _mip_params(tol: float, time_limit: float | None, solver: str = "scip") -> Any:
    import datetime

    from ortools.math_opt.python import mathopt

    # HiGHS through MathOpt rejects a thread count (it runs one thread on MIPs anyway)
    params = mathopt.SolveParameters(
        threads=1 if solver == "scip" else None, relative_gap_tolerance=0.0,
        absolute_gap_tolerance=tol / 10,
        time_limit=None if time_limit is None else datetime.timedelta(seconds=max(time_limit, 0.1)))
    if solver == "scip":
        params.gscip.real_params["numerics/feastol"] = MIP_FEASTOL
    return params



def _exact_sup(target: Network, net: Network, xs: np.ndarray) -> tuple[Fraction, int]:
    """Exact max over the rows of xs of ||f(x) - g(x)||_inf, and the arg max."""
    best, arg = Fraction(-1), 0
    for i, x in enumerate(xs):
        e = max(abs(a - b) for a, b in zip(target.forward_exact(x), net.forward_exact(x),
                                          strict=True))
        if e > best:
            best, arg = e, i
    return best, arg


def _verify(target: Network, net: Network, lo: np.ndarray, hi: np.ndarray, tol: float,
            time_limit: float | None, solver: str = "scip"
            ) -> tuple[float, float, list[np.ndarray], bool]:
    """sup over the box of ||f - g||_inf by one MIP per output and sign.

    Returns (best value found, MIP upper bound, the worst inputs found, all solved to the gap).
    """
    from ortools.math_opt.python import mathopt

    from solvers.formulations.masks_mip import add_input_variables, add_network

    model = mathopt.Model(name="verify")
    x = add_input_variables(model, lo, hi)
    f = add_network(model, target, x, lo, hi, name="f")
    g = add_network(model, net, x, lo, hi, name="g")
    found, upper, worst, solved = -math.inf, -math.inf, [], True
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for k in range(len(f.outputs)):
        for sign in (1.0, -1.0):
            model.maximize(sign * (f.outputs[k] - g.outputs[k]))
            left = None if deadline is None else deadline - time.perf_counter()
            res = mathopt.solve(model, _solver_type(solver), params=_mip_params(tol, left, solver))
            solved &= res.termination.reason == mathopt.TerminationReason.OPTIMAL
            upper = max(upper, res.dual_bound())
            if res.has_primal_feasible_solution():
                vals = res.variable_values(x)
                worst.append(np.clip(np.array(vals), lo, hi))
                found = max(found, res.objective_value())
    return found, upper, worst, solved


#: Random inputs on which each master mask is checked before the verification MIP runs.
CUT_SAMPLES = 4096
#: Seconds granted to verify the last mask when the time limit stops the loop before that.
VERIFY_AT_STOP = 30.0
#: At most this many sampled inputs (mutually apart) join the master per round.
CUTS_PER_ROUND = 4


def _sample_cuts(diff: np.ndarray, S: np.ndarray, thresh: float, count: int, apart: float
                 ) -> list[np.ndarray]:
    """The worst sampled inputs whose error exceeds thresh, at least ``apart`` from each other."""
    err = np.max(np.abs(diff), axis=1)
    picked: list[np.ndarray] = []
    for i in np.argsort(-err):
        if err[i] <= thresh or len(picked) == count:
            break
        if all(np.max(np.abs(S[i] - p)) > apart for p in picked):
            picked.append(S[i])
    return picked


def _initial_inputs(d: int, lo: float, hi: float, seed: int) -> np.ndarray:
    """Box corners (d <= 6) or random points, and the centre."""
    if d <= 6:
        corners = np.array(np.meshgrid(*[[lo, hi]] * d, indexing="ij")).reshape(d, -1).T
    else:
        corners = np.random.default_rng(seed).uniform(lo, hi, size=(2 * d, d))
    return np.vstack([corners, np.full((1, d), (lo + hi) / 2)])


#: Mask engines: ``exact`` (CP-SAT on exactly rounded rows, exact sups; one hidden layer and
#: at most three inputs), the MIPs ``scip`` and ``highs`` (floating point), ``auto``: exact
#: where it applies.
ENGINES = ("auto", "exact", "scip", "highs")


def optimal_mask(target: Network, random: Network, *, structured: bool = False,
                 inputs: object = None, box: tuple[float, float] = (-1.0, 1.0),
                 budget: int | None = None, eps: object = None, tol: float = 1e-6,
                 time_limit: float | None = None, max_iterations: int = 200,
                 seed: int = 0, engine: str = "auto", workers: int = 1,
                 warm: tuple[NetworkMask, ...] = ()) -> MaskResult:
    """The mask of ``random`` closest to ``target``: min over masks of max ||f - g_mask||_inf.

    Parameters
    ----------
    target, random : networks with the same input and output sizes.
    structured : one bit per hidden neuron (else one per edge and bias).
    inputs : a finite input set (m, d_0); None: the box [lo, hi]^d_0 by constraint generation.
    budget : at most this many bits kept.
    eps : instead of the smallest error, the fewest kept bits with error <= eps (where no mask
        reaches eps, the smallest error is returned with ``reached=False``; MIP engines only).
    tol : MIP engines: stop when the verified worst error of the best mask is within tol of
        the master's lower bound.
    engine : one of :data:`ENGINES`.
    workers : CP-SAT workers of the exact engine.
    warm : masks examined first by the exact engine (heuristics' answers).

    Returns
    -------
    MaskResult. Exact engine: ``optimal`` with a certificate (exact sup = exact lower bound),
    ``feasible`` at the time limit with both exact bounds. MIP engines:
    ``optimal_within_tolerance`` when the floating-point bounds met, else ``feasible``.

    >>> t = Network.create([[[1.0]], [[1.0]]])
    >>> r = Network.create([[[1.0], [0.5]], [[1.0, 1.0]]])
    >>> res = optimal_mask(t, r, box=(0.0, 1.0))
    >>> res.status, res.error, res.kept_bits
    ('optimal', Fraction(0, 1), 2)
    >>> optimal_mask(t, r, box=(0.0, 1.0), engine="scip").status
    'optimal_within_tolerance'
    """
    lo, hi = _check_box(box)
    if random.sizes[0] != target.sizes[0] or random.sizes[-1] != target.sizes[-1]:
        raise InputError(f"the target maps {target.sizes[0]} -> {target.sizes[-1]} but the "
                         f"random network maps {random.sizes[0]} -> {random.sizes[-1]}: the "
                         "input and output sizes must agree")
    if engine not in ENGINES:
        raise InputError(f"engine is {engine!r}: expected one of {', '.join(ENGINES)}")
    eps_f = None if eps is None else check_eps(eps)
    if not tol > 0:
        raise InputError(f"tol is {tol!r}: expected a positive number")
    X = None if inputs is None else _check_inputs(inputs, target.sizes[0])
    if engine == "auto":
        engine = "exact" if eps_f is None and exact_engine_applies(target, random) else "scip"
    if engine == "exact":
        if eps_f is not None:
            raise InputError("eps is given: the exact engine minimises the error; use "
                             "engine='scip' or 'highs' for the sparsest mask within eps")
        if X is None:
            return exact_optimal_mask(target, random, structured=structured, box=(lo, hi),
                                      budget=budget, time_limit=time_limit, workers=workers,
                                      warm=warm)
        return _exact_on_inputs(target, random, structured, X, budget, time_limit, workers)
    return _mip_optimal_mask(target, random, _MipSettings(
        structured, X, lo, hi, budget, eps_f, tol, time_limit, max_iterations, seed,
        engine))


def _check_inputs(inputs: object, d: int) -> np.ndarray:
    X = np.asarray(inputs, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != d or len(X) == 0 or not np.all(np.isfinite(X)):
        raise InputError(f"inputs has shape {X.shape}: expected finite (m, {d}) with m >= 1")
    return X


def _exact_on_inputs(target: Network, random: Network, structured: bool, X: np.ndarray,
                     budget: int | None, time_limit: float | None, workers: int) -> MaskResult:
    """The exact master over a finite input set, as a MaskResult with its certificate."""
    start = time.perf_counter()
    xs = tuple(tuple(Fraction(float(v)) for v in x) for x in X)
    err, mask, proven = exact_master_optimum(target, random, xs, structured=structured,
                                             budget=budget, time_limit=time_limit,
                                             workers=workers)
    net, choices = random.masked(mask), MaskChoices.create(random, structured)
    arg = max(range(len(xs)), key=lambda i: max(
        abs(a - b) for a, b in zip(target.forward_exact(xs[i]), net.forward_exact(xs[i]),
                                   strict=True)))
    lower = err if proven else Fraction(0)
    proof = (f"exact master over the {len(xs)} given inputs: CP-SAT on exactly rounded rows "
             "until the model capped below the best exact error is infeasible")
    return MaskResult(mask=mask, status="optimal" if proven else "feasible",
                      proof=proof if proven else "stopped at the time limit: " + proof,
                      error=err, upper=float(err), lower_bound=float(lower), tolerance=0.0,
                      structured=structured, bits=choices.n_bits,
                      kept_bits=choices.kept(choices.choice_of_mask(mask)),
                      iterations=1, inputs=X, worst_input=X[arg],
                      seconds=time.perf_counter() - start,
                      certificate=MaskCertificate(xs, err, lower, xs[arg]))


@dataclass(frozen=True)
class _MipSettings:
    structured: bool
    X: np.ndarray | None
    lo: float
    hi: float
    budget: int | None
    eps: Fraction | None
    tol: float
    time_limit: float | None
    max_iterations: int
    seed: int
    solver: str


class _MipMaster:
    """The master MIP over a growing input set (MathOpt; SCIP or HiGHS)."""

    def __init__(self, target: Network, random: Network, st: _MipSettings) -> None:
        from ortools.math_opt.python import mathopt

        from solvers.formulations.masks_mip import add_mask_variables

        self.target, self.random = target, random
        self.model = mathopt.Model(name="master")
        self.bits = add_mask_variables(self.model, random, structured=st.structured,
                                       budget=st.budget)
        self.all_bits = self.bits.all()
        self.t = self.model.add_variable(lb=0.0, name="t")
        if st.eps is None:
            self.model.minimize(self.t)
        else:
            self.model.minimize(mathopt.fast_sum(self.all_bits))
            self.model.add_linear_constraint(self.t <= float(st.eps))
        self.X = np.zeros((0, target.sizes[0]))

    def add_point(self, x: np.ndarray) -> None:
        from solvers.formulations.masks_mip import add_masked_network_at

        outs = add_masked_network_at(self.model, self.random, self.bits, x, name=f"x{len(self.X)}")
        fx = self.target.forward(x)
        for k, o in enumerate(outs):
            self.model.add_linear_constraint(self.t >= o - float(fx[k]))
            self.model.add_linear_constraint(self.t >= float(fx[k]) - o)
        self.X = np.vstack([self.X, x])


def _solver_type(name: str) -> Any:
    from ortools.math_opt.python import mathopt

    return mathopt.SolverType.HIGHS if name == "highs" else mathopt.SolverType.GSCIP


def _mip_optimal_mask(target: Network, random: Network, st: _MipSettings) -> MaskResult:
    """Constraint generation over floating-point MIPs (see :func:`optimal_mask`)."""
    from ortools.math_opt.python import mathopt

    start = time.perf_counter()
    d = target.sizes[0]
    master = _MipMaster(target, random, st)
    for x in (st.X if st.X is not None else _initial_inputs(d, st.lo, st.hi, st.seed)):
        master.add_point(x)
    S = np.random.default_rng(st.seed).uniform(st.lo, st.hi, size=(CUT_SAMPLES, d))
    fS = target.forward(S)
    deadline = None if st.time_limit is None else start + st.time_limit
    best: tuple[float, NetworkMask, int] | None = None  # (verified upper, mask, kept bits)
    lower, status, iterations = 0.0, "feasible", 0
    latest: tuple[NetworkMask, int] | None = None  # the last master mask, maybe unverified
    while iterations < st.max_iterations:
        iterations += 1
        left = None if deadline is None else deadline - time.perf_counter()
        res = mathopt.solve(master.model, _solver_type(st.solver),
                            params=_mip_params(st.tol, left, st.solver))
        reason = res.termination.reason
        if st.eps is not None and reason == mathopt.TerminationReason.INFEASIBLE:
            # no mask reaches eps even on X: fall back to the smallest error, flagged
            alt = _mip_optimal_mask(target, random, _replace_settings(
                st, eps=None, time_limit=None if deadline is None
                else deadline - time.perf_counter()))
            alt.eps, alt.reached = st.eps, False
            alt.seconds = time.perf_counter() - start
            return alt
        if not res.has_primal_feasible_solution():
            break
        proven_master = reason == mathopt.TerminationReason.OPTIMAL
        values = res.variable_values()
        lower = max(lower, res.dual_bound() if st.eps is None else 0.0)
        mask = master.bits.mask(random, values)
        kept_bits = sum(values[v] > 0.5 for v in master.all_bits)
        latest = (mask, kept_bits)
        net = random.masked(mask)
        if st.X is not None:
            best = (float(_exact_sup(target, net, master.X)[0]), mask, kept_bits)
            status = "optimal_within_tolerance" if proven_master else "feasible"
            break
        # cheap cuts first: sampled inputs where this mask beats the master's bound by > tol
        thresh = (lower if st.eps is None else float(st.eps)) + st.tol
        cuts = _sample_cuts(net.forward(S) - fS, S, thresh, CUTS_PER_ROUND,
                            (st.hi - st.lo) / 20)
        if cuts:
            for w in cuts:
                master.add_point(w)
            continue
        left = None if deadline is None else deadline - time.perf_counter()
        _, up, worst, solved = _verify(target, net, np.full(d, st.lo), np.full(d, st.hi),
                                       st.tol, left, st.solver)
        best, done = _mip_best(best, up, mask, kept_bits, lower, st)
        if done and solved and proven_master:
            status = "optimal_within_tolerance"
            break
        new = [w for w in worst if not any(np.allclose(w, x, atol=1e-12) for x in master.X)]
        if not new or (deadline is not None and time.perf_counter() >= deadline):
            break
        for w in new:
            master.add_point(w)
    return _mip_result(target, random, st, master, best, latest, lower, status, iterations,
                       start)


def _replace_settings(st: _MipSettings, **changes: Any) -> _MipSettings:
    from dataclasses import replace

    return replace(st, **changes)


def _mip_best(best: tuple[float, NetworkMask, int] | None, up: float, mask: NetworkMask,
              kept_bits: int, lower: float, st: _MipSettings
              ) -> tuple[tuple[float, NetworkMask, int], bool]:
    """The best verified mask so far, and whether the bounds met within tol."""
    if st.eps is None:
        if best is None or up < best[0]:
            best = (up, mask, kept_bits)
        return best, best[0] - lower <= st.tol
    # the master's mask is the sparsest on X: if it holds on the box, it is the answer
    return (up, mask, kept_bits), up <= float(st.eps) + st.tol


def _mip_result(target: Network, random: Network, st: _MipSettings, master: _MipMaster,
                best: tuple[float, NetworkMask, int] | None,
                latest: tuple[NetworkMask, int] | None, lower: float, status: str,
                iterations: int, start: float) -> MaskResult:
    """The MaskResult of the MIP loop: exact error at the inputs seen, proof text, status."""
    d = target.sizes[0]
    if best is None and latest is not None and st.X is None:
        # stopped between a master and its verification: bound the last mask anyway
        _, up, _, _ = _verify(target, random.masked(latest[0]), np.full(d, st.lo),
                              np.full(d, st.hi), st.tol, VERIFY_AT_STOP, st.solver)
        best = (up, *latest)
    if best is None:
        raise InputError("the master MIP found no mask within the time limit: raise time_limit")
    upper, mask, kept_bits = best
    exact, arg = _exact_sup(target, random.masked(mask), master.X)
    name = "HiGHS" if st.solver == "highs" else "SCIP"
    tol_text = (f"{name} via OR-Tools MathOpt, feasibility tolerance {MIP_FEASTOL:g}, absolute "
                f"gap {st.tol / 10:g}; bounds met within {st.tol:g}")
    n = len(master.X)
    if st.X is not None:
        proof = (f"master MIP over the {n} given inputs ({tol_text}); the error is exact "
                 "(re-evaluated in rationals)")
    elif st.eps is not None:
        proof = (f"constraint generation, {iterations} rounds: the master MIP proves no mask with "
                 f"fewer bits reaches eps on {n} inputs; the verification MIP bounds this "
                 f"mask's worst error by {upper:.12g} ({tol_text})")
    else:
        proof = (f"constraint generation, {iterations} rounds: master MIP lower bound "
                 f"{lower:.12g}, verification MIP upper bound {upper:.12g} ({tol_text}); the "
                 "error is exact at the worst input found")
    if lower > upper + st.tol:
        status = "feasible"
        proof = ("the floating-point MIPs disagree (master lower bound above the verified "
                 "upper bound): nothing proven; " + proof)
    elif status != "optimal_within_tolerance":
        proof = "stopped at the time or iteration limit: " + proof
    return MaskResult(mask=mask, status=status, proof=proof, error=exact, upper=upper,
                      lower_bound=lower, tolerance=st.tol, structured=st.structured,
                      bits=len(master.all_bits), kept_bits=kept_bits, iterations=iterations,
                      inputs=master.X, worst_input=master.X[arg],
                      seconds=time.perf_counter() - start, eps=st.eps,
                      reached=st.eps is None or upper <= float(st.eps) + st.tol)

# --- how much overparameterisation does an instance really need ------------------------------


def theorem_width(target: Network, eps: object) -> float:
    """``log(l d^2 / eps)`` (natural log): the theorems' width is C times this per sign half,
    with C unpublished (Pensia et al. 2020 state it up to a constant). l = target layers,
    d = its largest width.

    >>> round(theorem_width(Network.create([[[1.0, 1.0]]]), "0.01"), 3)
    5.991
    """
    eps_f = check_eps(eps, positive=True)
    layers, d = target.n_layers, max(target.sizes)
    return math.log(layers * d * d) - math.log(eps_f.numerator) + math.log(eps_f.denominator)


def required_width(target: Network, eps: object, *, method: str = "construction",
                   structured: bool = False, widths: object = range(1, 65), seed: int = 0,
                   dist: str = "uniform", box: tuple[float, float] = (-1.0, 1.0),
                   time_limit: float | None = None) -> dict[str, Any]:
    """The smallest width whose seeded construction network holds a mask within eps.

    ``method="construction"``: the subset-sum construction's rigorous bound is <= eps.
    ``method="optimal"``: the optimal mask of the same random network (structured or not) has
    worst error <= eps (MIP, within its tolerance). Returns every width tried with its error,
    the first width that reaches eps (or None) and the theorems' ``log(l d^2 / eps)``.

    >>> t = Network.create([[[0.5]]])
    >>> out = required_width(t, "0.05", widths=[1, 4, 8, 16])
    >>> out["width"] is not None and out["width"] <= 16
    True
    """
    from solvers.networks import construction_network

    if method not in ("construction", "optimal"):
        raise InputError(f"method is {method!r}: expected 'construction' or 'optimal'")
    eps_f = to_fraction(eps, "eps")
    rows, found = [], None
    for w in widths:  # type: ignore[attr-defined]
        rnd, layout = construction_network(target, w, seed=seed, dist=dist)
        if method == "construction":
            res = subset_sum_construction(target, rnd, layout, box=box)
            err, status = res.error_bound, res.status
        else:
            opt = optimal_mask(target, rnd, structured=structured, box=box,
                               time_limit=time_limit, seed=seed)
            err, status = opt.upper, opt.status
        rows.append({"width": int(w), "error": err, "status": status})
        if err <= float(eps_f):
            found = int(w)
            break
    return {"method": method, "structured": structured, "eps": fraction_str(eps_f),
            "width": found, "rows": rows, "theorem_log": theorem_width(target, eps_f)}
