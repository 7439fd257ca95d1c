"""Exact unstructured masks of networks with three hidden layers, by exhaustive branch and bound.

The construction's networks for a one-hidden-layer target have three hidden layers,
``d -> h1 -> k -> h3 -> 1``: a wide layer, a narrow layer (one neuron per target hidden
neuron) and a wide layer again. A layered CP-SAT master (:mod:`solvers.masks_deep`) has a weak
relaxation there: the unstructured masks of width 2 (54 bits) kept a lower bound of 0. This
engine uses the structure instead.

**The options.** At a fixed input, a first-layer neuron ``j`` is described by its *pattern*
(which of its input weights and bias are kept) and its *edges* (which of the k narrow neurons
read it): it adds ``W1[r, j] relu(pattern . (x, 1))`` to narrow neuron r for each kept edge.
Patterns whose pre-activation is <= 0 on the whole box (checked exactly at the box's
corners) and neurons with no edge all add nothing: they are one option, ``off``. So the k
narrow values ``z(x) = relu(s(x))`` are fixed by one option per first-layer neuron, at most
``1 + (2^d' - 1)(2^k' - 1)`` of them (d', k' the nonzero weights). A last-layer neuron ``i``
is one option too: off, or a pattern over ``(z, 1)`` with its output edge kept (patterns that
read only z with weights <= 0 and no positive bias are dead, since z >= 0). Masks in one
option class compute the same function on the box, so one class is one candidate.

**The search** (:func:`collect`). For a finite set T of inputs and a cap U, every class with
``max_{x in T} |f(x) - g(x)| < U`` is listed: a depth-first walk over the first-layer options
(the narrow sums are updated incrementally), and for each complete choice a depth-first walk
over the last layer's options that stops as soon as, at some input, the partial output plus
the extreme values the remaining neurons can add misses ``f(x) +- U`` (neurons of wide range
first, inputs far apart first, a cheap reachability check of the narrow values first). The
walk runs in compiled code, in chunks (the first two neurons' options) spread over the cores
by numba; time limits and Ctrl-C are honoured between chunks.

**Exactness.** The walk computes in doubles. Every value it forms is a sum of at most
``(h1 + 2)(h3 + 2)`` rounded products of magnitude at most M (``_magnitude``), so its error is
far below ``2^-40 (1 + M)``; the walk keeps every class whose floating error is below
``U + margin`` with ``margin = 2^-30 (1 + M) (1 + L)`` (L bounds how far the rounding of a
rational input to a double moves any value), a superset of the classes of exact error below
U. The survivors are then re-checked in exact rational arithmetic
(:func:`solvers.piecewise_linear.errors_at_points`).

**The proof** (:func:`branch_search`). With U the exact sup over the box of the best mask
known, one complete walk lists every class whose error on T is below U; each survivor's exact
sup (:func:`solvers.regions.worst_vertices`) is computed and its worst vertices join T. Then
every mask outside the survivors has error at least U on T, and every survivor has error equal
to its sup on the enlarged T: the master optimum over the enlarged T is exactly the best sup,
which is the certificate :func:`solvers.masks.verify_mask_certificate` re-derives
(:func:`branch_master_optimum`, the same walk). When the survivors are too many to list, the
worst vertices of those listed join T and the walk is repeated.

>>> from fractions import Fraction
>>> from solvers.networks import Network
>>> f = Network.create([[[1.0]], [[1.0]]])
>>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.5]], [[1.0], [0.5]], [[1.0, -1.0]]])
>>> res = branch_search(f, g, lo=Fraction(-1), hi=Fraction(1))
>>> res.proven, res.upper
(True, Fraction(0, 1))
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numba
import numpy as np
from numba import njit, prange

from solvers.networks import Network, NetworkMask
from solvers.numbers import InputError
from solvers.piecewise_linear import errors_at_points, exact_parameters, integer_layers

__all__ = ["LayeredOptions", "branch_applies", "collect", "branch_master_optimum",
           "branch_search", "BranchSearch", "BRANCH_MAX_CLASSES", "BRANCH_MAX_SURVIVORS"]

#: The largest number of first-two-layer option choices a walk visits (the construction's
#: width 2 has 5.8e7, walked in about 1 microsecond each per core).
BRANCH_MAX_CLASSES = 2 * 10**9
#: Values (pre-activations, outputs) of magnitude beyond 2^this are left to the layered master.
BRANCH_MAX_LOG2 = 200
#: Survivors listed per walk; beyond, the listed ones' worst vertices join T and it repeats.
BRANCH_MAX_SURVIVORS = 20_000
#: The first inputs: a regular grid of this many points per side (corners included).
BRANCH_GRID = 9
#: Inputs each survivor adds: its worst vertices.
BRANCH_CUTS = 4
#: Walks at most, before the search gives up with the bounds it has.
BRANCH_MAX_WALKS = 8
#: Inputs checked at every node of the last layer's walk (the others at its leaves).
_NODE_INPUTS = 4
#: Inputs at which a complete first-layer choice is first checked for a reachable output.
_REACH_INPUTS = 8

Point = tuple[tuple[int, ...], int]


def branch_applies(target: Network, random: Network, radius: object = 1) -> bool:
    """Whether :func:`branch_search` takes these networks on inputs with ``|x_j| <= radius``:
    the random one ``d -> h1 -> k -> h3 -> 1`` (three hidden layers, one output, k <= 6,
    d <= 2 like the target's inputs), at most ``BRANCH_MAX_CLASSES`` first-layer choices,
    and every value within ``2^BRANCH_MAX_LOG2`` (the walk computes in doubles).

    >>> from solvers.networks import random_network, construction_network
    >>> t = random_network([2, 2, 1], seed=0, bias=True)
    >>> bool(branch_applies(t, construction_network(t, 2, seed=0)[0]))
    True
    >>> branch_applies(t, construction_network(t, 3, seed=0)[0])
    False
    """
    if random.n_layers != 4 or random.sizes[-1] != 1 or target.sizes[-1] != 1:
        return False
    if random.sizes[0] != target.sizes[0] or random.sizes[0] > 2 or random.sizes[2] > 6:
        return False
    if LayeredOptions.count(random) > BRANCH_MAX_CLASSES:
        return False
    from solvers.masks_deep import _magnitude

    return _magnitude([target, random], abs(Fraction(radius))) <= 2 ** BRANCH_MAX_LOG2


@dataclass
class LayeredOptions:
    """The option classes of a ``d -> h1 -> k -> h3 -> 1`` network over the box [lo, hi]^d.

    ``first[j]``: options of first-layer neuron j as ``(pattern, edges)`` (bit c < d: input
    weight c, bit d: bias; bit r of edges: the edge to narrow neuron r), option 0 ``off``;
    a last pseudo-neuron holds the narrow layer's biases (pattern 0, edges = kept biases).
    ``last[i]``: options of last-layer neuron i as patterns over ``(z_0..z_{k-1}, bias)``
    (0: off); a last pseudo-neuron holds the output bias.
    """

    random: Network
    first: list[list[tuple[int, int]]]
    last: list[list[int]]
    first_bias: bool = False
    last_bias: bool = False

    @staticmethod
    def count(random: Network) -> int:
        """The number of first-layer choices a walk visits (no box needed: every pattern
        with an input weight is alive on a box with lo < hi)."""
        W0, W1 = random.weights[0], random.weights[1]
        b0 = random.biases[0]
        total = 1
        for j in range(W0.shape[0]):
            nz = int(np.count_nonzero(W0[j])) + (b0 is not None and b0[j] != 0)
            k = int(np.count_nonzero(W1[:, j]))
            total *= 1 + ((1 << nz) - 1) * ((1 << k) - 1)
        b1 = random.biases[1]
        if b1 is not None:
            total <<= int(np.count_nonzero(b1))
        return total

    @classmethod
    def create(cls, random: Network, lo: Fraction, hi: Fraction) -> LayeredOptions:
        (W0, b0), (W1, b1), (W2, b2), (W3, b3) = exact_parameters(random)
        d, k = random.sizes[0], random.sizes[2]
        corners = list(itertools.product((lo, hi), repeat=d))
        first = []
        for j, row in enumerate(W0):
            params = [(c, w) for c, w in enumerate(row) if w] + ([(d, b0[j])] if b0[j] else [])
            edges = sum(1 << r for r in range(k) if W1[r][j])
            opts = [(0, 0)]
            for n in range(1, 1 << len(params)):
                chosen = [params[a] for a in range(len(params)) if n >> a & 1]
                pattern = sum(1 << c for c, _ in chosen)
                alive = any(sum((w * x[c] if c < d else w for c, w in chosen), Fraction(0)) > 0
                            for x in corners)
                if alive:
                    opts += [(pattern, e) for e in range(1, 1 << k) if e & edges == e]
            first.append(opts)
        first_bias = any(b1)
        if first_bias:
            kept = sum(1 << r for r in range(k) if b1[r])
            first.append([(0, e) for e in range(1 << k) if e & kept == e])
        last = []
        for i, row in enumerate(W2):
            opts = [0]
            if W3[0][i]:
                params = [(r, w) for r, w in enumerate(row) if w] + ([(k, b2[i])] if b2[i] else [])
                for n in range(1, 1 << len(params)):
                    chosen = [params[a] for a in range(len(params)) if n >> a & 1]
                    if any(w > 0 for _, w in chosen):  # else <= 0 for every z >= 0
                        opts.append(sum(1 << c for c, _ in chosen))
            last.append(opts)
        last_bias = bool(b3[0])
        if last_bias:
            last.append([0, 1 << k])
        return cls(random, first, last, first_bias, last_bias)

    @property
    def classes(self) -> int:
        return math.prod(len(o) for o in self.first) * math.prod(len(o) for o in self.last)

    def mask(self, row: Sequence[int]) -> NetworkMask:
        """The mask of one option per neuron (``row``: first-layer options, then last)."""
        net = self.random
        m = NetworkMask.full(net, False)
        W0, b0 = m.weights[0], m.biases[0]
        W1, W2, W3 = m.weights[1], m.weights[2], m.weights[3]
        d, k, h1 = net.sizes[0], net.sizes[2], net.sizes[1]
        for j in range(h1):
            pattern, edges = self.first[j][row[j]]
            for c in range(d):
                W0[j, c] = bool(pattern >> c & 1)
            if b0 is not None:
                b0[j] = bool(pattern >> d & 1)
            for r in range(k):
                W1[r, j] = bool(edges >> r & 1)
        if self.first_bias:
            edges = self.first[h1][row[h1]][1]
            m.biases[1][:] = [bool(edges >> r & 1) for r in range(k)]
        n1 = len(self.first)
        for i in range(net.sizes[3]):
            q = self.last[i][row[n1 + i]]
            W2[i, :] = [bool(q >> r & 1) for r in range(k)]
            if m.biases[2] is not None:
                m.biases[2][i] = bool(q >> k & 1)
            W3[0, i] = q != 0
        if self.last_bias:
            m.biases[3][0] = self.last[-1][row[-1]] != 0
        return m

    def tables(self, points: Sequence[Sequence[float]]) -> tuple[np.ndarray, ...]:
        """The walk's float tables at the inputs: first-layer contributions ``C[j, o, r, t]``
        and option counts, last-layer weights, biases, output weights, patterns, counts."""
        net = self.random
        W0, W1, W2, W3 = (np.asarray(W, dtype=np.float64) for W in net.weights)
        b0 = np.zeros(net.sizes[1]) if net.biases[0] is None else net.biases[0]
        b1 = np.zeros(net.sizes[2]) if net.biases[1] is None else net.biases[1]
        b2 = np.zeros(net.sizes[3]) if net.biases[2] is None else net.biases[2]
        X = np.asarray(points, dtype=np.float64)
        d, k, h1 = net.sizes[0], net.sizes[2], net.sizes[1]
        n1, m = len(self.first), len(X)
        C = np.zeros((n1, max(len(o) for o in self.first), k, m))
        for j in range(h1):
            for o, (pattern, edges) in enumerate(self.first[j]):
                pre = sum((W0[j, c] * X[:, c] for c in range(d) if pattern >> c & 1),
                          np.zeros(m)) + (b0[j] if pattern >> d & 1 else 0.0)
                h = np.maximum(pre, 0.0)
                for r in range(k):
                    if edges >> r & 1:
                        C[j, o, r] = W1[r, j] * h
        if self.first_bias:
            for o, (_, edges) in enumerate(self.first[h1]):
                for r in range(k):
                    if edges >> r & 1:
                        C[h1, o, r] = b1[r]
        n3 = len(self.last)
        V3w, V3b, Wout = np.zeros((n3, k)), np.zeros(n3), np.zeros(n3)
        V3w[:net.sizes[3]], V3b[:net.sizes[3]], Wout[:net.sizes[3]] = W2, b2, W3[0]
        if self.last_bias:
            V3b[-1], Wout[-1] = 1.0, float(net.biases[3][0])
        qpat = np.zeros((n3, max(len(o) for o in self.last)), dtype=np.int64)
        for i, opts in enumerate(self.last):
            qpat[i, :len(opts)] = opts
        nopt1 = np.array([len(o) for o in self.first], dtype=np.int64)
        nopt3 = np.array([len(o) for o in self.last], dtype=np.int64)
        return C, nopt1, V3w, V3b, Wout, qpat, nopt3


# --- the compiled walk ------------------------------------------------------------------------

@njit(cache=True)
def _fill(v, lo, hi, s, c, V3w, V3b, W3, nopt3, qpat, t):  # pragma: no cover - compiled
    """Last-layer option values at input t (z = relu(s + c)), and suffix extremes."""
    nh, k = W3.shape[0], V3w.shape[1]
    for i in range(nh):
        for o in range(nopt3[i]):
            q = qpat[i, o]
            a = 0.0
            if q != 0:
                a = V3b[i] * ((q >> k) & 1)
                for r in range(k):
                    if (q >> r) & 1:
                        z = s[r, t] + c[r, t]
                        if z > 0:
                            a += V3w[i, r] * z
            v[i, o, t] = W3[i] * a if a > 0 else 0.0
    for i in range(nh - 1, -1, -1):
        mn = v[i, 0, t]
        mx = mn
        for o in range(1, nopt3[i]):
            x = v[i, o, t]
            mn = min(mn, x)
            mx = max(mx, x)
        lo[i, t] = lo[i + 1, t] + mn
        hi[i, t] = hi[i + 1, t] + mx


@njit(cache=True)
def _reachable(s, c, V3w, V3b, W3, f, cap, t):  # pragma: no cover - compiled
    """Whether some last-layer choice can be within ``cap`` of f at input t: neuron i ranges
    over 0 (off) and ``W3[i] relu(max pattern sum)`` (the max keeps the positive terms)."""
    nh, k = W3.shape[0], V3w.shape[1]
    lo = 0.0
    hi = 0.0
    for i in range(nh):
        a = max(V3b[i], 0.0)
        for r in range(k):
            z = s[r, t] + c[r, t]
            if z > 0 and V3w[i, r] > 0:
                a += V3w[i, r] * z
        x = W3[i] * a
        if x > 0:
            hi += x
        else:
            lo += x
    return lo - cap <= f[t] <= hi + cap


@njit(cache=True)
def _last_walk(s, c, V3w, V3b, W3, nopt3, qpat, f, cap, margin, shrink, order, K, head,
               out, err, nout, v, lo, hi, P):  # pragma: no cover - compiled
    """Every last-layer choice within ``cap`` of f at all inputs, appended to ``out`` (row:
    ``head`` then the last-layer options; ``err``: its float error). With ``shrink`` the cap
    falls to a stored error + 2 margin. Returns (count, cap); count may exceed the buffer."""
    nh, m = W3.shape[0], f.shape[0]
    n1 = head.shape[0]
    for tt in range(min(m, _REACH_INPUTS)):
        if not _reachable(s, c, V3w, V3b, W3, f, cap, order[tt]):
            return nout, cap
    for tt in range(K):
        _fill(v, lo, hi, s, c, V3w, V3b, W3, nopt3, qpat, order[tt])
    idx = np.zeros(nh, np.int64)
    d = 0
    idx[0] = -1
    rest = False
    while d >= 0:
        idx[d] += 1
        if idx[d] >= nopt3[d]:
            d -= 1
            continue
        o = idx[d]
        ok = True
        for tt in range(K):
            t = order[tt]
            p = P[d, t] + v[d, o, t]
            P[d + 1, t] = p
            if f[t] < p + lo[d + 1, t] - cap or f[t] > p + hi[d + 1, t] + cap:
                ok = False
                break
        if not ok:
            continue
        if d < nh - 1:
            d += 1
            idx[d] = -1
            continue
        if not rest:
            for tt in range(K, m):
                _fill(v, lo, hi, s, c, V3w, V3b, W3, nopt3, qpat, order[tt])
            rest = True
        e = 0.0
        for t in range(m):
            x = -f[t]
            for i in range(nh):
                x += v[i, idx[i], t]
            e = max(e, abs(x))
            if e >= cap:
                break
        if e >= cap:
            continue
        if nout >= out.shape[0] and shrink:  # keep only the rows still under the cap
            w = 0
            for r in range(out.shape[0]):
                if err[r] < cap:
                    out[w] = out[r]
                    err[w] = err[r]
                    w += 1
            nout = w
        if nout < out.shape[0]:
            out[nout, :n1] = head
            out[nout, n1:] = idx
            err[nout] = e
        nout += 1
        if shrink:
            cap = min(cap, e + 3 * margin)
    return nout, cap


@njit(cache=True)
def _walk_chunk(C, nopt1, prefix, V3w, V3b, W3, nopt3, qpat, f, cap, margin, shrink, order, K,
                out, err):  # pragma: no cover - compiled
    """The walk below one chunk (the first ``len(prefix)`` first-layer options fixed)."""
    n1, k, m = C.shape[0], C.shape[2], C.shape[3]
    nh = W3.shape[0]
    D = prefix.shape[0]
    S = np.zeros((n1 + 1, k, m))
    v = np.zeros((nh, qpat.shape[1], m))
    lo = np.zeros((nh + 1, m))
    hi = np.zeros((nh + 1, m))
    P = np.zeros((nh + 1, m))
    idx = np.zeros(n1, np.int64)
    for a in range(D):
        idx[a] = prefix[a]
        S[a + 1] = S[a] + C[a, prefix[a]]
    nout = 0
    if D == n1:
        return _last_walk(S[n1 - 1], C[n1 - 1, idx[n1 - 1]], V3w, V3b, W3, nopt3, qpat, f, cap,
                          margin, shrink, order, K, idx, out, err, nout, v, lo, hi, P)
    d = D
    idx[d] = -1
    while d >= D:
        idx[d] += 1
        if idx[d] >= nopt1[d]:
            d -= 1
            continue
        if d == n1 - 1:
            nout, cap = _last_walk(S[d], C[d, idx[d]], V3w, V3b, W3, nopt3, qpat, f, cap,
                                   margin, shrink, order, K, idx, out, err, nout, v, lo, hi, P)
            continue
        S[d + 1] = S[d] + C[d, idx[d]]
        d += 1
        idx[d] = -1
    return nout, cap


@njit(cache=True, parallel=True)
def _walk_chunks(C, nopt1, prefixes, V3w, V3b, W3, nopt3, qpat, f, cap, margin, shrink, order,
                 K, out, err, counts, caps):  # pragma: no cover - compiled
    for a in prange(prefixes.shape[0]):
        counts[a], caps[a] = _walk_chunk(C, nopt1, prefixes[a], V3w, V3b, W3, nopt3, qpat, f,
                                         cap, margin, shrink, order, K, out[a], err[a])


# --- the walks from Python --------------------------------------------------------------------

@dataclass
class Walk:
    """What one walk found: survivor rows (first-layer options, then last-layer options) with
    their float errors, and whether it was complete (``overflow``: more survivors than
    listed; ``stopped``: time limit)."""

    rows: list[tuple[int, ...]] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    overflow: bool = False
    stopped: bool = False


def _margin(target: Network, random: Network, points: Sequence[Sequence[Fraction]]) -> float:
    """The float tolerance of a walk (see the module docstring)."""
    from solvers.masks_deep import _magnitude

    radius = max((abs(v) for x in points for v in x), default=Fraction(1))
    M = float(_magnitude([target, random], radius))
    L = 1.0
    for W in random.weights:
        L *= max(1.0, float(np.abs(W).sum(axis=1).max()))
    return 2.0 ** -30 * (1.0 + M) * (1.0 + L)


def _order(f: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Inputs in the order the walk checks them: far-apart ones first (greedy farthest
    points, from the one where f is largest), so that the first few constrain the most."""
    m = len(f)
    order = [int(np.argmax(f))]
    dist = np.abs(X - X[order[0]]).max(axis=1)
    while len(order) < m:
        j = int(np.argmax(dist))
        if dist[j] <= 0 and j in order:
            j = next(i for i in range(m) if i not in order)
        order.append(j)
        dist = np.minimum(dist, np.abs(X - X[j]).max(axis=1))
        dist[order] = -1.0
    return np.array(order, dtype=np.int64)


def collect(target: Network, opts: LayeredOptions, points: Sequence[Point], cap: Fraction, *,
            shrink: bool = False, deadline: float | None = None, limit: int | None = None,
            progress: Callable[[float], None] | None = None) -> Walk:
    """Every option class whose float error on ``points`` is below ``cap + margin`` (a
    superset of those of exact error below ``cap``); with ``shrink``, the cap falls as
    classes are found (a branch and bound for the minimum). Stops at ``deadline``, or past
    ``limit`` listed classes (default ``BRANCH_MAX_SURVIVORS``): ``overflow``."""
    limit = BRANCH_MAX_SURVIVORS if limit is None else limit
    X = [[Fraction(p, q) for p in P] for P, q in points]
    Xf = np.array([[float(v) for v in x] for x in X])
    f = np.array([float(target.forward_exact(x)[0]) for x in X])
    C, nopt1, V3w, V3b, Wout, qpat, nopt3 = opts.tables(Xf)
    # the last layer walked from its widest-ranging neuron down: the walk prunes early (the
    # other way round is a hundred times slower on the construction's width 2)
    perm = np.argsort(-np.abs(Wout) * (3 * np.abs(V3w).sum(axis=1) + np.abs(V3b)), kind="stable")
    last = (V3w[perm].copy(), V3b[perm].copy(), Wout[perm].copy(), nopt3[perm].copy(),
            qpat[perm].copy())
    n1 = len(nopt1)
    margin = _margin(target, opts.random, X)
    order = _order(f, Xf)
    K = min(_NODE_INPUTS, len(points))
    # chunks: the first one or two neurons' options
    D = 1 if len(nopt1) == 1 or nopt1[0] >= 64 else 2
    prefixes = np.array(list(itertools.product(*(range(int(n)) for n in nopt1[:D]))),
                        dtype=np.int64)
    width = max(1, min(limit, 4096))
    walk = Walk()
    fcap = float(cap) + margin
    batch = max(1, numba.get_num_threads())  # one chunk per thread: Ctrl-C within a chunk
    for at in range(0, len(prefixes), batch):
        if deadline is not None and time.perf_counter() > deadline:
            walk.stopped = True
            break
        chunk = prefixes[at:at + batch]
        n = len(chunk)
        out = np.zeros((n, width, n1 + len(nopt3)), dtype=np.int64)
        err = np.zeros((n, width))
        counts = np.zeros(n, dtype=np.int64)
        caps = np.zeros(n)
        _walk_chunks(C, nopt1, chunk, *last, f, fcap, margin, shrink, order, K, out, err,
                     counts, caps)
        for a in range(n):
            if counts[a] > width:  # rows under the cap were not listed
                walk.overflow = True
            for r in range(min(int(counts[a]), width)):
                if err[a, r] < (min(fcap, caps[a]) if shrink else fcap):
                    row = [int(v) for v in out[a, r]]
                    tail = [0] * len(perm)
                    for i, p in enumerate(perm):
                        tail[p] = row[n1 + i]
                    walk.rows.append(tuple(row[:n1] + tail))
                    walk.errors.append(float(err[a, r]))
        if shrink:
            fcap = min(fcap, *caps)
            keep = [i for i, e in enumerate(walk.errors) if e < fcap]
            walk.rows = [walk.rows[i] for i in keep]
            walk.errors = [walk.errors[i] for i in keep]
        if len(walk.rows) > limit:
            walk.overflow = True
            break
        if progress is not None:
            progress(min(1.0, (at + n) / len(prefixes)))
    return walk


def _exact_rows(target: Network, opts: LayeredOptions, walk: Walk,
                points: Sequence[Point]) -> list[tuple[Fraction, tuple[int, ...]]]:
    """The walk's rows with their exact errors on the points, best first."""
    lf = integer_layers(target)
    return sorted(((max(errors_at_points(lf, integer_layers(opts.random.masked(opts.mask(r))),
                                         points)), r) for r in walk.rows),
                  key=lambda t: t[0])


def branch_master_optimum(target: Network, random: Network,
                          inputs: Sequence[Sequence[Fraction]], *, start: NetworkMask,
                          lo: Fraction, hi: Fraction, time_limit: float | None = None
                          ) -> tuple[Fraction, NetworkMask, bool]:
    """The exact minimum over masks of the error on ``inputs`` (in the box [lo, hi]^d): the
    walk capped at ``start``'s exact error lists every class below it, re-checked exactly.

    Returns (minimum, a mask attaining it, proven); unproven at the time limit or when the
    classes under the cap are too many to list.
    """
    from solvers.masks_deep import _integer_point

    points = [_integer_point(x) for x in inputs]
    opts = LayeredOptions.create(random, lo, hi)
    lf = integer_layers(target)
    best = max(errors_at_points(lf, integer_layers(random.masked(start)), points))
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    walk = collect(target, opts, points, best, shrink=True, deadline=deadline)
    listed = _exact_rows(target, opts, walk, points)
    mask = start
    if listed and listed[0][0] < best:
        best, mask = listed[0][0], opts.mask(listed[0][1])
    return best, mask, not (walk.stopped or walk.overflow)


@dataclass
class BranchSearch:
    """State of :func:`branch_search`: the best mask and its exact sup and worst input, the
    inputs T, the proven lower bound, and the walks run."""

    opts: LayeredOptions
    points: list[Point]
    best: NetworkMask | None = None
    upper: Fraction | None = None
    worst: Point = ((0,), 1)
    lower: Fraction = Fraction(0)
    walks: int = 0
    survivors: int = 0
    examined: int = 0
    proven: bool = False


def _examine(search: BranchSearch, target: Network, mask: NetworkMask, lo: Fraction,
             hi: Fraction, regions: list | None) -> None:
    from solvers.masks_deep import _worst_inputs

    net = search.opts.random.masked(mask)
    worst = _worst_inputs(target, net, lo, hi, regions)
    sup, point = worst[0]
    search.examined += 1
    if search.upper is None or sup < search.upper:
        search.best, search.upper, search.worst = mask, sup, point
    known = set(search.points)
    search.points += [p for _, p in worst[:BRANCH_CUTS] if p not in known]


def branch_search(target: Network, random: Network, *, lo: Fraction, hi: Fraction,
                  time_limit: float | None = None, warm: Sequence[NetworkMask] = (),
                  progress: Callable[[float], None] | None = None) -> BranchSearch:
    """The exact optimal unstructured mask of a ``d -> h1 -> k -> h3 -> 1`` network over the
    box [lo, hi]^d (d <= 2; :func:`branch_applies`), by the walks of the module docstring.

    First a branch and bound for the best mask on a grid T gives a mask whose exact sup is
    the cap U; then walks list every class under U on T, each survivor's exact sup is
    computed (U falls when one is better) and its worst vertices join T; a complete walk
    proves the best mask optimal.
    """
    from solvers.masks_deep import _grid
    from solvers.regions import linear_regions

    if not branch_applies(target, random, max(abs(lo), abs(hi))):
        raise InputError(f"networks of sizes {target.sizes} and {random.sizes}: the branch "
                         "and bound takes d -> h1 -> k -> h3 -> 1 random networks with d <= 2 "
                         f"and values within 2^{BRANCH_MAX_LOG2}")
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    d = target.sizes[0]
    regions = linear_regions([target], (lo, hi)) if d == 2 else None
    opts = LayeredOptions.create(random, lo, hi)
    points = _grid(d, lo, hi, BRANCH_GRID)
    if regions is not None:
        known = set(points)
        points += [p for p in sorted({((x, y), q) for poly in regions
                                      for x, y, q in poly.vertices}) if p not in known]
    search = BranchSearch(opts, points)
    for m in [NetworkMask.full(random, False), *warm]:
        _examine(search, target, m, lo, hi, regions)

    # the master optimum on the grid, by branch and bound: its masks' sups cap what follows,
    # and when the best of them has its sup on T already, it is the proof
    cap = search.upper
    walk = collect(target, opts, search.points, cap, shrink=True, deadline=deadline,
                   progress=progress)
    search.walks += 1
    listed = _exact_rows(target, opts, walk, search.points)
    if not (walk.stopped or walk.overflow):
        # every class off the list has error >= the final cap on T, which is above the
        # exact error of a listed one: the minimum is listed
        search.lower = min([cap, *(e for e, _ in listed[:1])])
    for e, row in listed[:BRANCH_CUTS]:
        if e < search.upper:
            _examine(search, target, opts.mask(row), lo, hi, regions)
    search.proven = search.lower == search.upper
    while not search.proven and search.walks < BRANCH_MAX_WALKS:
        if deadline is not None and time.perf_counter() > deadline:
            break
        cap = search.upper
        walk = collect(target, opts, search.points, cap, deadline=deadline, progress=progress)
        search.walks += 1
        live = [(e, r) for e, r in _exact_rows(target, opts, walk, search.points) if e < cap]
        search.survivors = len(live)
        for e, row in live:
            if deadline is not None and time.perf_counter() > deadline:
                return search
            if e < search.upper:  # else its error on T already rules it out
                _examine(search, target, opts.mask(row), lo, hi, regions)
        if not (walk.stopped or walk.overflow):
            # every class off the list has error >= cap >= upper on T, every listed one has
            # its sup (>= upper) on T now: the master over T is exactly upper
            search.lower, search.proven = search.upper, True
    if progress is not None and search.proven:
        progress(1.0)
    return search
