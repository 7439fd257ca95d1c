"""Baselines to score against ground truth: greedy, Karmarkar-Karp, random sampling, edge-popup.

These are heuristics: they return a valid subset whose error is recomputed exactly from the
subset (status ``feasible``, never ``optimal``); how far they are from the optimum is what
``slth score`` measures against the exact ground truth of ``slth truth``.

- :func:`greedy`: best-improvement greedy; it repeatedly adds the value that brings the sum
  closest to the target (a forced move while fewer than ``cardinality`` values are kept);
- :func:`karmarkar_karp`: the largest differencing method (Karmarkar & Karp 1982) through the
  reduction of subset sum to a target into number partitioning (see its Notes);
- :func:`random_sampling`: the best of many uniformly random subsets (of the admissible sizes);
- :func:`edge_popup`: a mask of a random network trained to match a target network (Ramanujan
  et al. 2020): a score per edge, the top-k% by |score| kept in the forward pass.

All three run in exact integer arithmetic on the common scaling of the values (Python integers;
the sampler uses int64 when the scaled sums fit and float64 otherwise, then recomputes the
chosen subset's error exactly). Karmarkar, Karp, Lueker and Odlyzko (1986): the optimal
discrepancy of n random values is Theta(sqrt(n) 2^-n) while differencing reaches only
n^(-c log n), a gap that ground truth makes visible.

Examples
--------
>>> sol = karmarkar_karp([8, 7, 6, 5, 4], 15)  # the optimum is 0: {8, 7}
>>> sol.status, sol.subset, sol.error
('feasible', (1, 3, 4), Fraction(1, 1))
>>> greedy([0.5, 0.25, 0.125], "0.4").error  # the optimum is 1/40: 0.25 + 0.125
Fraction(1, 10)
>>> random_sampling([1, 2, 4, 8], 11, samples=200, seed=0).error
Fraction(0, 1)
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Callable, Sequence

import numpy as np

from solvers.instances import RSSInstance
from solvers.networks import Network, NetworkMask
from solvers.numbers import INT64_SAFE, InputError, common_scale, scale_to_int
from solvers.results import Solution

__all__ = [
    "greedy_mask_removal",
    "HEURISTICS",
    "greedy",
    "greedy_instance",
    "karmarkar_karp",
    "karmarkar_karp_instance",
    "random_sampling",
    "random_sampling_instance",
    "solve_heuristic",
    "edge_popup",
]

_PROOF = "heuristic: the error is exact, optimality is not claimed"


def _scaled(inst: RSSInstance) -> tuple[list[int], int]:
    """The values and the target times their common denominator: exact Python integers."""
    scale = common_scale([*inst.values, inst.target])
    return scale_to_int(inst.values, scale), scale_to_int([inst.target], scale)[0]


def _answer(inst: RSSInstance, subset: Sequence[int], method: str, start: float,
            stats: dict | None = None) -> Solution:
    return Solution("feasible", subset=tuple(subset), error=inst.error(subset), method=method,
                    proof=_PROOF, seconds=time.perf_counter() - start,
                    instance_hash=inst.hash(), stats=stats or {})


def _size_bounds(inst: RSSInstance) -> tuple[int, int]:
    """Smallest and largest admissible subset size."""
    if inst.cardinality is not None:
        return inst.cardinality, inst.cardinality
    return 0, inst.n if inst.max_cardinality is None else inst.max_cardinality


def greedy_instance(inst: RSSInstance) -> Solution:
    """Best-improvement greedy on a validated instance (see :func:`greedy`)."""
    start = time.perf_counter()
    vals, t = _scaled(inst)
    lo, hi = _size_bounds(inst)
    rest = sorted((v, i) for i, v in enumerate(vals))
    chosen: list[int] = []
    r = t  # the residual target - sum
    while rest and len(chosen) < hi:
        # the remaining value closest to the residual gives the smallest new error
        p = bisect.bisect_left(rest, (r, -1))
        q = min((k for k in (p - 1, p) if 0 <= k < len(rest)), key=lambda k: abs(r - rest[k][0]))
        v, i = rest[q]
        if abs(r - v) >= abs(r) and len(chosen) >= lo:
            break
        chosen.append(i)
        r -= v
        del rest[q]
    return _answer(inst, chosen, "greedy", start)


def greedy(values: Sequence[object], target: object, *, cardinality: int | None = None,
           max_cardinality: int | None = None) -> Solution:
    """Best-improvement greedy for min_S |target - sum_{i in S} values[i]|.

    At each step the remaining value closest to the residual ``target - sum`` is added, as long
    as it lowers the error (while fewer than ``cardinality`` values are kept the move is forced);
    at most ``max_cardinality`` (or ``cardinality``) values are kept.

    Examples
    --------
    >>> greedy([3, 5, 9], 13).subset, greedy([3, 5, 9], 13).error
    ((0, 2), Fraction(1, 1))
    >>> greedy([3, 5, 9], 13, cardinality=3).error
    Fraction(4, 1)
    """
    inst = RSSInstance.create(values, target, cardinality=cardinality,
                              max_cardinality=max_cardinality)
    return greedy_instance(inst)


def karmarkar_karp_instance(inst: RSSInstance) -> Solution:
    """Karmarkar-Karp differencing on a validated instance (see :func:`karmarkar_karp`)."""
    if inst.cardinality is not None or inst.max_cardinality is not None:
        raise InputError("karmarkar-karp does not take a cardinality rule: use greedy or "
                         "random-sampling")
    start = time.perf_counter()
    vals, t = _scaled(inst)
    n = len(vals)
    items = [*vals, 2 * t - sum(vals)]  # item n: the reduction's extra value
    heap = [(-abs(v), k) for k, v in enumerate(items)]
    heapq.heapify(heap)
    opposite: list[list[int]] = [[] for _ in items]
    while len(heap) > 1:
        x, u = heapq.heappop(heap)
        y, w = heapq.heappop(heap)
        opposite[u].append(w)  # the smaller goes to the other side of the larger
        opposite[w].append(u)
        heapq.heappush(heap, (x - y, u))  # -(|x| - |y|)
    side = [0] * len(items)  # +1 / -1: the sign each magnitude |item| gets
    side[heap[0][1]] = 1
    stack = [heap[0][1]]
    while stack:  # 2-colour the differencing tree
        u = stack.pop()
        for w in opposite[u]:
            if not side[w]:
                side[w] = -side[u]
                stack.append(w)
    signs = [s if v >= 0 else -s for s, v in zip(side, items, strict=True)]
    if signs[n] > 0:  # the partition is symmetric: put the extra value on the minus side
        signs = [-s for s in signs]
    subset = [i for i in range(n) if signs[i] > 0]
    return _answer(inst, subset, "karmarkar-karp", start,
                   {"residual": -heap[0][0]})


def karmarkar_karp(values: Sequence[object], target: object) -> Solution:
    """Karmarkar-Karp largest differencing, for a subset sum close to ``target``.

    Notes
    -----
    The reduction to number partitioning. With ``sigma = sum_i values[i]`` add one value
    ``d = 2 target - sigma``. A signing ``s_i in {+1, -1}`` of the n + 1 values with
    ``s_d = -1`` and ``S = {i : s_i = +1}`` has signed sum
    ``sum_i s_i values[i] - d = (2 sum_S - sigma) - (2 target - sigma) = 2 (sum_S - target)``,
    so a partition of discrepancy D gives a subset with error exactly D / 2 (when ``s_d = +1``,
    negate every sign first: a partition is symmetric). Differencing works on magnitudes: a
    negative value with sign s is its magnitude with sign -s. The method repeatedly replaces the
    two largest magnitudes x >= y by x - y (y is put on the other side of x); the signs are then
    read off the tree of these decisions by 2-colouring. Exact on the integer scaling.

    Examples
    --------
    >>> sol = karmarkar_karp([0.5, -0.25, 0.125], 0.375)
    >>> sol.subset, sol.error
    ((0, 1, 2), Fraction(0, 1))
    """
    return karmarkar_karp_instance(RSSInstance.create(values, target))


def random_sampling_instance(inst: RSSInstance, *, samples: int = 10_000,
                             seed: int | None = 0) -> Solution:
    """Random sampling on a validated instance (see :func:`random_sampling`)."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError(f"samples is {samples!r}: expected an integer >= 1")
    start = time.perf_counter()
    vals, t = _scaled(inst)
    n = len(vals)
    exact = sum(map(abs, vals)) + abs(t) < INT64_SAFE
    V = np.array(vals, dtype=np.int64) if exact else np.array([float(v) for v in inst.values])
    tv = np.int64(t) if exact else float(inst.target)
    lo, hi = _size_bounds(inst)
    rng = np.random.default_rng(seed)
    best_err, best_pick = None, np.zeros(n, dtype=bool)
    block = max(1, (1 << 20) // max(n, 1))
    for first in range(0, samples, block):
        m = min(block, samples - first)
        if (lo, hi) == (0, n):
            pick = rng.random((m, n)) < 0.5  # uniform over all 2^n subsets
        else:  # a uniform size in [lo, hi], then a uniform subset of that size
            sizes = rng.integers(lo, hi, size=m, endpoint=True)
            ranks = np.argsort(rng.random((m, n)), axis=1).argsort(axis=1)
            pick = ranks < sizes[:, None]
        errs = np.abs(tv - pick.astype(V.dtype) @ V)
        r = int(np.argmin(errs))
        if best_err is None or errs[r] < best_err:
            best_err, best_pick = errs[r], pick[r]
    return _answer(inst, np.flatnonzero(best_pick).tolist(), "random-sampling", start,
                   {"samples": int(samples), "arithmetic": "int64" if exact else "float64"})


def random_sampling(values: Sequence[object], target: object, *, samples: int = 10_000,
                    seed: int | None = 0, cardinality: int | None = None,
                    max_cardinality: int | None = None) -> Solution:
    """The best of ``samples`` uniformly random subsets.

    Without a cardinality rule each value is kept with probability 1/2 (uniform over all 2^n
    subsets); with one, a size is drawn uniformly among the admissible sizes and then a uniform
    subset of that size. Candidates are compared in int64 when the scaled values fit (exact),
    in float64 otherwise; the returned error is recomputed exactly.

    Examples
    --------
    >>> sol = random_sampling([1, 2, 4, 8, 16], 21, samples=500, seed=1, cardinality=3)
    >>> sol.subset, sol.error
    ((0, 2, 4), Fraction(0, 1))
    """
    inst = RSSInstance.create(values, target, cardinality=cardinality,
                              max_cardinality=max_cardinality)
    return random_sampling_instance(inst, samples=samples, seed=seed)


#: name -> function of a validated instance (the ``--baseline`` names of ``slth score``).
HEURISTICS: dict[str, Callable[..., Solution]] = {
    "greedy": greedy_instance,
    "karmarkar-karp": karmarkar_karp_instance,
    "random-sampling": random_sampling_instance,
}


def solve_heuristic(inst: RSSInstance, method: str, *, seed: int | None = 0) -> Solution:
    """Run the baseline ``method`` (a key of :data:`HEURISTICS`) on a validated instance.

    >>> inst = RSSInstance.create([8, 7, 6, 5, 4], 15)
    >>> solve_heuristic(inst, "greedy").error, solve_heuristic(inst, "karmarkar-karp").error
    (Fraction(0, 1), Fraction(1, 1))
    """
    if method not in HEURISTICS:
        raise InputError(f"baseline is {method!r}: expected one of {', '.join(HEURISTICS)}")
    if method == "random-sampling":
        return random_sampling_instance(inst, seed=seed)
    return HEURISTICS[method](inst)


# --- edge-popup -----------------------------------------------------------------------------------


def _top_masks(scores: list[np.ndarray], real: list[np.ndarray], keep: float
               ) -> list[np.ndarray]:
    """Per layer, the top ``keep`` fraction of the real parameters (weights, bias) by |score|."""
    out = []
    for S, R in zip(scores, real, strict=True):
        k = max(1, round(keep * int(R.sum())))
        rank = np.where(R, np.abs(S), -np.inf).ravel()
        m = np.zeros(S.size, dtype=bool)
        m[np.argsort(-rank, kind="stable")[:k]] = True
        out.append(m.reshape(S.shape))
    return out


def _popup_run(target: Network, random: Network, keep: float, steps: int, batch: int,
               lr: float, box: tuple[float, float], rng: np.random.Generator
               ) -> tuple[list[np.ndarray], float]:
    """Train the scores of one keep fraction; the final per-layer masks and a held-out loss."""
    L = random.n_layers
    # one score matrix per layer: the weights, then the bias as an extra column
    params = [np.hstack([W, np.zeros((W.shape[0], 1)) if b is None else b[:, None]])
              for W, b in zip(random.weights, random.biases, strict=True)]
    real = [np.ones(P.shape, dtype=bool) for P in params]
    for R, b in zip(real, random.biases, strict=True):
        R[:, -1] = b is not None  # a layer without bias has no last column to keep
    scores = [rng.uniform(0, 1, P.shape) * np.sqrt(1 / P.shape[1]) for P in params]
    velocity = [np.zeros_like(S) for S in scores]

    def forward(X: np.ndarray, masks: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
        H, acts = X, []
        for layer in range(L):
            E = params[layer] * masks[layer]
            acts.append(H)
            Z = H @ E[:, :-1].T + E[:, -1]
            H = np.maximum(Z, 0.0) if layer < L - 1 else Z
        return acts, H

    for _ in range(steps):
        X = rng.uniform(box[0], box[1], (batch, random.sizes[0]))
        masks = _top_masks(scores, real, keep)
        acts, Y = forward(X, masks)
        G = 2.0 * (Y - target.forward(X)) / batch  # d loss / d output, loss = mean sum of squares
        for layer in range(L - 1, -1, -1):
            E = params[layer] * masks[layer]
            H = acts[layer]
            grad_e = np.hstack([G.T @ H, G.sum(axis=0)[:, None]])
            # straight-through: the mask's gradient passes as if it were the identity
            velocity[layer] = 0.9 * velocity[layer] + grad_e * params[layer]
            if layer:
                G = (G @ E[:, :-1]) * (H > 0)
        for S, V in zip(scores, velocity, strict=True):
            S -= lr * V
    masks = _top_masks(scores, real, keep)
    X = rng.uniform(box[0], box[1], (4 * batch, random.sizes[0]))
    loss = float(np.mean(np.sum((forward(X, masks)[1] - target.forward(X)) ** 2, axis=1)))
    return masks, loss


def edge_popup(target: Network, random: Network, *,
               keep: float | Sequence[float] = (0.25, 0.5, 0.75), steps: int = 300,
               batch: int = 128, lr: float = 0.05, box: tuple[float, float] = (-1.0, 1.0),
               seed: int | None = 0) -> NetworkMask:
    """Edge-popup (Ramanujan et al. 2020): a mask of ``random`` trained to match ``target``.

    Every weight and bias of ``random`` gets a score; the forward pass keeps, in each layer,
    the top ``keep`` fraction by |score| (the weights themselves never change); the loss is the
    mean squared output difference on uniform inputs from the box; the backward pass is
    straight-through (the scores receive the gradient of the kept weight times the weight, as
    if the top-k selection were the identity) and SGD with momentum 0.9 updates every score.
    With several ``keep`` fractions the mask with the smallest held-out loss is returned.

    Floating point throughout (a heuristic): score its mask exactly with
    :func:`verify.check.mask_error` against the exact optimum of ``slth truth network-masks``.

    Examples
    --------
    >>> t = Network.create([[[1.0]], [[1.0]]])
    >>> r = Network.create([[[1.0], [-1.0], [0.5]], [[1.0, 1.0, -1.0]]])
    >>> m = edge_popup(t, r, seed=0)  # keeps relu(x) alone: exact
    >>> m.weights[0].ravel().tolist(), m.weights[1].ravel().tolist()
    ([True, False, False], [True, False, False])
    """
    keeps = [keep] if isinstance(keep, (int, float)) else list(keep)
    if not keeps or not all(0 < k <= 1 for k in keeps):
        raise InputError(f"keep is {keep!r}: expected fractions in (0, 1]")
    if target.sizes[0] != random.sizes[0] or target.sizes[-1] != random.sizes[-1]:
        raise InputError(f"the target maps {target.sizes[0]} -> {target.sizes[-1]} but the "
                         f"random network maps {random.sizes[0]} -> {random.sizes[-1]}")
    for name, v in (("steps", steps), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} is {v!r}: expected an integer >= 1")
    rng = np.random.default_rng(seed)
    best = min((_popup_run(target, random, k, steps, batch, lr, box, rng) for k in keeps),
               key=lambda r: r[1])[0]
    return NetworkMask(tuple(m[:, :-1] for m in best),
                       tuple(None if b is None else m[:, -1].copy()
                             for m, b in zip(best, random.biases, strict=True)))


def greedy_mask_removal(target: Network, random: Network, *, samples: int = 2048,
                        box: tuple[float, float] = (-1.0, 1.0), seed: int | None = 0
                        ) -> NetworkMask:
    """Greedy removal: from the full mask, repeatedly drop the weight or bias whose removal
    lowers the worst sampled error ``max ||f(x) - g(x)||_inf`` the most, until none does.

    Floating point on ``samples`` uniform inputs of the box (a heuristic baseline).

    >>> t = Network.create([[[1.0]], [[1.0]]])
    >>> r = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> m = greedy_mask_removal(t, r)   # relu(x) + relu(-x) = |x|: dropping relu(-x) is exact
    >>> r.masked(m).forward([[-0.5], [0.5]]).ravel().tolist()
    [0.0, 0.5]
    """
    if target.sizes[0] != random.sizes[0] or target.sizes[-1] != random.sizes[-1]:
        raise InputError(f"the target maps {target.sizes[0]} -> {target.sizes[-1]} but the "
                         f"random network maps {random.sizes[0]} -> {random.sizes[-1]}")
    X = np.random.default_rng(seed).uniform(box[0], box[1], (samples, random.sizes[0]))
    fX = target.forward(X)
    arrays = [m.copy() for m in NetworkMask.full(random).weights] + \
        [None if b is None else np.ones(b.shape, dtype=bool) for b in random.biases]
    n_layers = random.n_layers

    def error() -> float:
        mask = NetworkMask(tuple(arrays[:n_layers]), tuple(arrays[n_layers:]))
        return float(np.max(np.abs(random.masked(mask).forward(X) - fX)))

    current = error()
    while True:
        best = (current, None)
        for a in arrays:
            for idx in [] if a is None else list(zip(*np.nonzero(a), strict=True)):
                a[idx] = False
                e = error()
                a[idx] = True
                if e < best[0]:
                    best = (e, (a, idx))
        if best[1] is None:
            return NetworkMask(tuple(arrays[:n_layers]), tuple(arrays[n_layers:]))
        current, (a, idx) = best
        a[idx] = False
