"""Exact masks of deeper networks: a CP-SAT master at finitely many inputs, and its search.

A mask of a network with several hidden layers is a set of bits (one per hidden neuron, or
one per weight and bias, in the order of :func:`solvers.networks.mask_of_bits`). At a fixed
rational input the first hidden layer's values are exact constants per kept pattern, so the
second layer's pre-activations are linear in Booleans with exact coefficients; later layers
read integer variables (ReLU by ``add_max_equality``; a kept edge times a value by
enforcement). Coefficients are rounded to units ``2^-shift`` (values) and ``2^-wshift``
(weights) and a rigorous bound on what the rounding moves is propagated layer by layer (ReLU
is 1-Lipschitz: after a layer, ``sum |W| slack_before`` plus the weight and floor rounding), so
:class:`DeepMaster` has the contract of :class:`solvers.masks.ExactMaster`: a CP-SAT bound B
proves ``(B - slack) / 2^shift`` for every mask not excluded, and ``cap(U)`` keeps every mask
whose exact error on the inputs is below U.

:func:`deep_search` is the constraint generation over a box of at most two inputs between the
master and the exact sups of :func:`solvers.regions.worst_vertices`; it ends when the capped
master is infeasible (no mask beats the best one) or at the time limit.

>>> from solvers.networks import Network
>>> f = Network.create([[[1.0]], [[1.0]]])
>>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.5]]])
>>> err, bits, proven = deep_master_optimum(f, g, [[Fraction(-1)], [Fraction(1)]],
...                                         structured=True)
>>> err, bits, proven
(Fraction(0, 1), 5, True)
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from solvers.formulations.masks_cpsat import master_solver
from solvers.interrupt import solve_cp
from solvers.networks import Network, mask_of_bits
from solvers.numbers import InputError
from solvers.piecewise_linear import (
    errors_at_points,
    exact_forward,
    exact_parameters,
    integer_layers,
)

__all__ = ["DeepMaster", "deep_master_optimum", "deep_search", "DeepSearch", "mask_bits_of",
           "DEEP_MASTER_BITS"]

#: The master's rounded expressions stay within 2^DEEP_MASTER_BITS (CP-SAT needs 2^62).
DEEP_MASTER_BITS = 59

Point = tuple[tuple[int, ...], int]


def _relu(v: Fraction) -> Fraction:
    return v if v > 0 else Fraction(0)


def _floor(v: Fraction) -> int:
    return v.numerator // v.denominator


def _ceil(v: Fraction) -> int:
    return -((-v.numerator) // v.denominator)


def _round(v: Fraction) -> int:
    return _floor(v + Fraction(1, 2))


def mask_bits_of(random: Network, structured: bool, mask: object) -> int:
    """The bits (order of :func:`solvers.networks.mask_of_bits`) of a mask of ``random``.

    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.5]]])
    >>> mask_bits_of(g, True, mask_of_bits(g, True, 0b1011))
    11
    """
    bits, pos = 0, 0
    if structured:
        for L in range(random.n_layers - 1):
            used = mask.weights[L].any(axis=1) | mask.weights[L + 1].any(axis=0)
            bits |= sum(int(u) << (pos + i) for i, u in enumerate(used))
            pos += len(used)
        return bits
    for a in (*mask.weights, *mask.biases):
        if a is None:
            continue
        bits |= sum(int(v) << (pos + i) for i, v in enumerate(a.ravel()))
        pos += a.size
    return bits


@dataclass
class _Vars:
    """The mask's Booleans: structured ``neuron[L][n]``; unstructured ``edge[L][n][j]`` and
    ``bias[L][n]`` (None where the parameter is 0 or absent: never worth a bit), the first
    layer's input ``patterns[n]`` (a Boolean per subset of its nonzero inputs and bias) and
    the second layer's ``products[L1 row][n][pattern]`` (edge and pattern both kept)."""

    bits: list[cp_model.IntVar | None]
    neuron: list[list[cp_model.IntVar]] = field(default_factory=list)
    edge: list[list[list[cp_model.IntVar | None]]] = field(default_factory=list)
    bias: list[list[cp_model.IntVar | None]] = field(default_factory=list)
    patterns: list[list[tuple[int, cp_model.IntVar]]] = field(default_factory=list)
    products: list[list[dict[int, cp_model.IntVar]]] = field(default_factory=list)


def _magnitude(nets: Sequence[Network], radius: Fraction) -> Fraction:
    """A bound on every |pre-activation|, |value| and |output| of the networks under any
    mask at any input with ``|x_j| <= radius`` (absolute values layer by layer)."""
    top = radius
    for net in nets:
        h = [radius] * net.sizes[0]
        for W, b in exact_parameters(net):
            h = [sum((abs(w) * v for w, v in zip(row, h, strict=True)), Fraction(0)) + abs(bk)
                 for row, bk in zip(W, b, strict=True)]
            top = max(top, *h)
    return top


@dataclass
class _Layer:
    """A layer's outputs at one input: CP-SAT variables (None: always 0) in units
    ``2^-shift``, their upper bounds in units, and a bound on |model - exact| (exact
    rationals)."""

    values: list[cp_model.IntVar | None]
    upper: list[int]
    slack: list[Fraction]


class DeepMaster:
    """The master over a growing input set for a ``random`` network of any depth (see the
    module docstring): minimise ``t``, the rounded worst residual over the inputs, in units
    ``2^-shift``; ``slack`` bounds (in those units) how far t may lie from ``2^shift`` times
    a mask's exact error."""

    def __init__(self, target: Network, random: Network, structured: bool, radius: Fraction,
                 budget: int | None = None, workers: int = 1) -> None:
        self.target, self.random, self.structured = target, random, structured
        self.workers, self.budget = workers, budget
        self.params, self.tparams = exact_parameters(random), exact_parameters(target)
        self.lf = integer_layers(target)
        big = _magnitude([target, random], radius) + 1
        if _ceil(big).bit_length() > DEEP_MASTER_BITS - 2 - 8:
            raise InputError(f"the networks' values reach about 2^{_ceil(big).bit_length()} on "
                             f"the inputs: the exact master needs them within "
                             f"2^{DEEP_MASTER_BITS - 10} (CP-SAT's integers)")
        # values and weights share the bits left once the largest magnitude is paid for
        self.shift = self.wshift = max((DEEP_MASTER_BITS - 2 - _ceil(big).bit_length()) // 2, 4)
        self.model = cp_model.CpModel()
        self.vars = self._mask_variables()
        self._t_top = _ceil(2 * big) << self.shift
        self.t = self.model.new_int_var(0, self._t_top, "t")
        self.slack = 1
        self.points: list[Point] = []
        self.excluded = self.solves = 0

    # --- the mask ---------------------------------------------------------------------------

    def _mask_variables(self) -> _Vars:
        m, net = self.model, self.random
        if self.structured:
            neuron = [[m.new_bool_var(f"s{L}_{n}") for n in range(net.sizes[L + 1])]
                      for L in range(net.n_layers - 1)]
            v = _Vars([b for layer in neuron for b in layer], neuron=neuron)
        else:
            v = self._edge_variables()
        if self.budget is not None:
            m.add(sum(b for b in v.bits if b is not None) <= self.budget)
        return v

    def _edge_variables(self) -> _Vars:
        m, net = self.model, self.random
        bits: list[cp_model.IntVar | None] = []
        edge = []
        for L, W in enumerate(net.weights):
            edge.append([[m.new_bool_var(f"e{L}_{n}_{j}") if W[n, j] != 0 else None
                          for j in range(W.shape[1])] for n in range(W.shape[0])])
            bits += [v for row in edge[-1] for v in row]
        bias = []
        for L, b in enumerate(net.biases):
            rows = net.weights[L].shape[0]
            bias.append([None] * rows if b is None else
                        [m.new_bool_var(f"c{L}_{n}") if b[n] != 0 else None for n in range(rows)])
            bits += [] if b is None else bias[-1]
        v = _Vars(bits, edge=edge, bias=bias)
        d = net.sizes[0]
        for n in range(net.sizes[1]):
            ins = [(j, edge[0][n][j]) for j in range(d) if edge[0][n][j] is not None]
            ins += [(d, bias[0][n])] if bias[0][n] is not None else []
            pats = [(sum(1 << ins[a][0] for a in range(len(ins)) if p >> a & 1),
                     m.new_bool_var(f"y{n}_{p}")) for p in range(1 << len(ins))]
            m.add_exactly_one([y for _, y in pats])
            for j, var in ins:
                m.add(var == sum(y for p, y in pats if p >> j & 1))
            v.patterns.append(pats)
        for k, row in enumerate(edge[1]):
            v.products.append([])
            for n, e in enumerate(row):
                prods = {}
                for p, y in v.patterns[n] if e is not None else ():
                    if p:
                        q = m.new_bool_var(f"q{k}_{n}_{p}")
                        m.add_bool_or([e.Not(), y.Not(), q])
                        m.add_implication(q, e)
                        m.add_implication(q, y)
                        prods[p] = q
                v.products[-1].append(prods)
        self._canonical(v)
        return v

    def _canonical(self, v: _Vars) -> None:
        """A hidden neuron keeps an out-edge exactly when it keeps an in-edge or its bias (any
        other mask computes the function of such a mask with fewer bits)."""
        m = self.model
        for L in range(self.random.n_layers - 1):
            for n in range(self.random.sizes[L + 1]):
                ins = [e for e in v.edge[L][n] if e is not None]
                ins += [v.bias[L][n]] if v.bias[L][n] is not None else []
                outs = [row[n] for row in v.edge[L + 1] if row[n] is not None]
                for a in ins:
                    m.add_bool_or([a.Not(), *outs])
                for o in outs:
                    m.add_bool_or([o.Not(), *ins])

    def bits_of(self, solver: cp_model.CpSolver) -> int:
        """The mask bits of a solution."""
        return sum(1 << i for i, b in enumerate(self.vars.bits)
                   if b is not None and solver.boolean_value(b))

    # --- one input ----------------------------------------------------------------------------

    def _second_layer(self, x: list[Fraction]) -> list[tuple[list[tuple[Fraction, object]], Fraction, object]]:
        """Per row of the second layer at input x: its pre-activation as exact terms
        ``(coefficient, Boolean)``, the bias and the bias's Boolean (None: always kept)."""
        (W0, b0), (W1, b1) = self.params[0], self.params[1]
        v = self.vars
        rows = []
        if self.structured:
            val = [_relu(sum((w * xj for w, xj in zip(W0[n], x, strict=True)), b0[n]))
                   for n in range(len(W0))]
            for k in range(len(W1)):
                terms = [(W1[k][n] * val[n], v.neuron[0][n]) for n in range(len(W0))]
                rows.append((terms, b1[k], None))
            return rows
        d = len(x)
        for k in range(len(W1)):
            terms = []
            for n in range(len(W0)):
                part = [W0[n][j] * x[j] for j in range(d)] + [b0[n]]
                for p, q in v.products[k][n].items():
                    val = _relu(sum((part[j] for j in range(d + 1) if p >> j & 1), Fraction(0)))
                    terms.append((W1[k][n] * val, q))
            rows.append((terms, b1[k], v.bias[1][k]))
        return rows

    def _first_values(self, x: list[Fraction], hidden: bool) -> tuple[_Layer | None, list]:
        """The second layer at x: as integer expressions (when it is the output layer), or as
        variables (ReLU, the neuron's own bit) with their bounds and rounding slack."""
        U = 1 << self.shift
        exprs, vals, ups, slacks = [], [], [], []
        for n, (terms, b, bvar) in enumerate(self._second_layer(x)):
            coefs = [(_floor(c * U), var) for c, var in terms if c]
            cb = _floor(b * U)
            expr = sum(c * var for c, var in coefs) + (cb if bvar is None else cb * bvar)
            hi = sum(max(c, 0) for c, _ in coefs) + max(cb, 0)
            lo = sum(min(c, 0) for c, _ in coefs) + min(cb, 0)
            slack = Fraction(len(coefs) + 1, U)
            exprs.append((expr, lo, hi, slack))
            if hidden:
                vals.append(self._relu_var(expr, hi, 1, n))
                ups.append(max(hi, 0))
                slacks.append(slack)
        return (_Layer(vals, ups, slacks) if hidden else None), exprs

    def _relu_var(self, expr: object, hi: int, L: int, n: int) -> cp_model.IntVar | None:
        """``relu(expr)``, or 0 when the neuron is dropped (structured: ``expr - M (1 - s)``
        with M above the expression's largest value)."""
        if hi <= 0:
            return None
        h = self.model.new_int_var(0, hi, "")
        if self.structured:
            M = hi + 1
            s = self.vars.neuron[L][n]
            self.model.add_max_equality(h, [expr + M * s - M, 0])
        else:
            self.model.add_max_equality(h, [expr, 0])
        return h

    def _next_layer(self, L: int, prev: _Layer, hidden: bool) -> tuple[_Layer | None, list]:
        """Layer L (reading variables): rounded weights, floor to units, ReLU; or, for the
        output layer, the expressions in units ``2^-(shift + wshift)`` with their slack."""
        W, b = self.params[L]
        F, U = 1 << self.wshift, 1 << self.shift
        m = self.model
        exprs, vals, ups, slacks = [], [], [], []
        for n in range(len(W)):
            terms, slack = [], Fraction(0)
            for j, h in enumerate(prev.values):
                w = W[n][j]
                e = None if self.structured else self.vars.edge[L][n][j]
                if h is None or w == 0 or (not self.structured and e is None):
                    continue
                wr = _round(w * F)
                if e is not None:
                    g = m.new_int_var(0, prev.upper[j], "")
                    m.add(g == h).only_enforce_if(e)
                    m.add(g == 0).only_enforce_if(e.Not())
                    h = g
                terms.append((wr, h, prev.upper[j]))
                hmax = Fraction(prev.upper[j], U) + prev.slack[j]
                slack += abs(Fraction(wr, F)) * prev.slack[j] + abs(w - Fraction(wr, F)) * hmax
            br = _round(b[n] * U * F)
            slack += abs(b[n] - Fraction(br, U * F))
            bvar = None if self.structured else self.vars.bias[L][n]
            expr = sum(c * h for c, h, _ in terms) + (br if bvar is None else br * bvar)
            hi = sum(max(c, 0) * u for c, _, u in terms) + max(br, 0)
            lo = sum(min(c, 0) * u for c, _, u in terms) + min(br, 0)
            exprs.append((expr, lo, hi, slack))
            if hidden:
                zlo, zhi = lo // F, hi // F
                if zhi <= 0:
                    vals.append(None)
                else:
                    z = m.new_int_var(zlo, zhi, "")
                    m.add(F * z <= expr)
                    m.add(expr <= F * z + F - 1)
                    vals.append(self._relu_var(z, zhi, L, n))
                ups.append(max(zhi, 0))
                slacks.append(slack + Fraction(1, U))
        return (_Layer(vals, ups, slacks) if hidden else None), exprs

    def _add_point(self, P: Sequence[int], q: int) -> None:
        x = [Fraction(p, q) for p in P]
        n_layers = self.random.n_layers
        layer, exprs = self._first_values(x, hidden=n_layers > 2)
        for L in range(2, n_layers):
            layer, exprs = self._next_layer(L, layer, hidden=L < n_layers - 1)
        U = 1 << self.shift
        F = 1 if n_layers == 2 else 1 << self.wshift
        fx = exact_forward(self.tparams, x)[1]
        for k, (expr, _, _, slack) in enumerate(exprs):
            tk = _round(fx[k] * U * F)
            dev = slack + abs(fx[k] - Fraction(tk, U * F))
            self.slack = max(self.slack, _ceil(dev * U) + 1)
            self.model.add(tk - expr <= F * self.t)
            self.model.add(expr - tk <= F * self.t)

    def add_points(self, points: Sequence[Point]) -> None:
        """Add the rows of new inputs (exact rationals ``P / q``)."""
        have = set(self.points)
        for P, q in dict.fromkeys((tuple(P), q) for P, q in points):
            if (P, q) not in have:
                self._add_point(P, q)
                self.points.append((P, q))

    # --- solving ------------------------------------------------------------------------------

    def error(self, bits: int) -> Fraction:
        """The exact error of the mask ``bits`` over the inputs."""
        net = self.random.masked(mask_of_bits(self.random, self.structured, bits))
        return max(errors_at_points(self.lf, integer_layers(net), self.points))

    def cap_units(self, upper: Fraction) -> int:
        """The largest t of a mask whose exact error may be below ``upper``."""
        return _ceil(upper * (1 << self.shift) + self.slack) - 1

    def exclude(self, bits: int, point: Point) -> None:
        """Cut off every mask that agrees with ``bits`` wherever it matters at ``point``:
        such masks have the same hidden values there, hence the same error (see
        :meth:`free_bits`)."""
        free = self.free_bits(bits, point)
        lits = [v.Not() if bits >> i & 1 else v for i, v in enumerate(self.vars.bits)
                if v is not None and not free >> i & 1]
        self.model.add_bool_or(lits)
        self.excluded += 1

    def free_bits(self, bits: int, point: Point) -> int:
        """Bits that can flip without changing any hidden value at ``point``: structured, a
        neuron whose pre-activation there is <= 0 (it outputs 0 kept or not); unstructured,
        an edge reading a value that is 0 there. By induction over the layers every mask
        equal to ``bits`` outside these computes the same values at ``point``."""
        P, q = point
        h = [Fraction(p, q) for p in P]
        free, pos = 0, 0
        if self.structured:
            for W, b in self.params[:-1]:
                z = [sum((w * v for w, v in zip(row, h, strict=True) if w and v), bk)
                     for row, bk in zip(W, b, strict=True)]
                free |= sum(1 << (pos + n) for n, v in enumerate(z) if v <= 0)
                h = [_relu(v) if bits >> (pos + n) & 1 else Fraction(0) for n, v in enumerate(z)]
                pos += len(z)
            return free
        net = self.random.masked(mask_of_bits(self.random, False, bits))
        pre = exact_forward(exact_parameters(net), h)[0]
        for L, W in enumerate(self.random.weights):
            rows, cols = W.shape
            vals = h if L == 0 else [_relu(v) for v in pre[L - 1]]
            free |= sum(1 << (pos + n * cols + j) for n in range(rows) for j in range(cols)
                        if vals[j] == 0)
            pos += rows * cols
        return free

    def solve(self, time_limit: float | None, cap: int | None = None, hint: int | None = None,
              gap: float = 0.0) -> tuple[str, int | None, Fraction]:
        """Minimise t with ``t <= cap``: (status, mask bits or None, a proven lower bound on
        the exact error of every mask not excluded). Status: optimal, feasible, infeasible,
        unknown. ``gap``: stop once within this relative gap (an intermediate master)."""
        top = self._t_top if cap is None else min(cap, self._t_top)
        if top < 0:
            return "infeasible", None, Fraction(0)
        # the cap is t's domain, set anew per solve: the slack may grow as inputs join
        self.model.Proto().variables[self.t.Index()].domain[1] = top
        self.model.minimize(self.t)
        self.model.clear_hints()
        if hint is not None:
            for i, v in enumerate(self.vars.bits):
                if v is not None:
                    self.model.add_hint(v, bool(hint >> i & 1))
        solver = master_solver(self.workers, time_limit, gap)
        # the full LP relaxation of the ReLU rows: 2.7x faster on the construction's networks
        solver.parameters.linearization_level = 2
        code = solve_cp(solver, self.model)
        self.solves += 1
        if code == cp_model.INFEASIBLE:
            return "infeasible", None, Fraction(0)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown", None, Fraction(0)
        bound = Fraction(max(int(solver.best_objective_bound) - self.slack, 0), 1 << self.shift)
        return ("optimal" if code == cp_model.OPTIMAL else "feasible"), self.bits_of(solver), bound



def deep_master_optimum(target: Network, random: Network, inputs: Sequence[Sequence[Fraction]],
                        *, structured: bool = False, budget: int | None = None,
                        start: int | None = None, time_limit: float | None = None,
                        workers: int = 1) -> tuple[Fraction, int, bool]:
    """The exact minimum over masks of ``max_{x in inputs} ||f(x) - g_mask(x)||_inf`` for a
    ``random`` network of any depth: (the optimum, the bits of a mask attaining it, proven).

    CP-SAT finds a mask, whose exact error U caps the next solve (and whose class is
    excluded), until the capped model is infeasible; at the time limit the best so far,
    unproven. ``start``: the bits of a first mask (default: the empty mask).
    """
    t0 = time.perf_counter()
    radius = max((abs(v) for x in inputs for v in x), default=Fraction(1))
    master = DeepMaster(target, random, structured, radius, budget, workers)
    master.add_points([_integer_point(x) for x in inputs])
    best = 0 if start is None or (budget is not None and start.bit_count() > budget) else start
    upper = master.error(best)
    master.exclude(best, _worst_point(master, best))
    while True:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            return upper, best, False
        status, bits, _ = master.solve(left, cap=master.cap_units(upper), hint=best)
        if status == "infeasible":
            return upper, best, True
        if bits is None:
            return upper, best, False
        e = master.error(bits)
        if e < upper:
            best, upper = bits, e
        master.exclude(bits, _worst_point(master, bits))


def _integer_point(x: Sequence[Fraction]) -> Point:
    """The rational point x as (P, q): x = P / q, q > 0, reduced."""
    q = math.lcm(*(Fraction(v).denominator for v in x))
    P = tuple(int(Fraction(v) * q) for v in x)
    g = math.gcd(*P, q)
    return tuple(v // g for v in P), q // g


def _worst_point(master: DeepMaster, bits: int) -> Point:
    net = master.random.masked(mask_of_bits(master.random, master.structured, bits))
    errs = errors_at_points(master.lf, integer_layers(net), master.points)
    return master.points[errs.index(max(errs))]


#: The first master's inputs over a box: a regular grid of this many points per side (corners
#: included), and the vertices of the target's linear regions.
INITIAL_GRID = 5
#: Inputs added to the master per examined mask: its worst vertices.
CUTS_PER_ROUND = 4
#: Intermediate masters stop within this relative gap (the proof is the final infeasible one).
MASTER_GAP = 0.1
#: Seconds of the first master solve; a solve that runs out hands back its best mask (whose
#: worst inputs join the master) and the next one gets twice as long. Without it a master
#: whose lower bound stays 0 (unstructured width 2 of the construction) used the whole time
#: limit in one solve and examined no mask of its own.
MASTER_SLICE = 30.0


@dataclass
class DeepSearch:
    """State of the exact constraint generation: the best mask's bits, its exact sup and
    worst input, the proven lower bound, and whether they met."""

    master: DeepMaster
    best: int = 0
    upper: Fraction | None = None
    worst: Point = ((0,), 1)
    lower: Fraction = Fraction(0)
    rounds: int = 0
    proven: bool = False


def _worst_inputs(target: Network, net: Network, lo: Fraction, hi: Fraction,
                  regions: list | None) -> list[tuple[Fraction, Point]]:
    """The worst exact inputs of ``net`` over the box, worst first (one input: the arg max of
    the breakpoints; two: the worst region vertices)."""
    from solvers.piecewise_linear import sup_error_interval
    from solvers.regions import worst_vertices

    if target.sizes[0] == 1:
        err, x = sup_error_interval(target, net, (lo, hi))
        return [(err, _integer_point([x]))]
    return worst_vertices(target, net, (lo, hi), count=CUTS_PER_ROUND, target_regions=regions)


def _grid(d: int, lo: Fraction, hi: Fraction, n: int) -> list[Point]:
    ticks = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    return [_integer_point(x) for x in itertools.product(ticks, repeat=d)]


def deep_search(target: Network, random: Network, *, structured: bool, lo: Fraction,
                hi: Fraction, budget: int | None = None, time_limit: float | None = None,
                workers: int = 1, warm: Sequence[int] = (),
                progress: Callable[[float], None] | None = None) -> DeepSearch:
    """The exact search over the box ``[lo, hi]^d`` (d <= 2, any depth): the master picks
    the best mask over finitely many inputs, the mask's exact sup (linear regions) is an upper
    bound and its worst vertices join the inputs, and the mask is excluded with its class (its
    error on the inputs is now its sup). Ends when the master capped below the best sup is
    infeasible (``proven``) or at the time limit. ``warm``: bits of masks examined first.

    >>> f = Network.create([[[1.0, -1.0]], [[1.0]]])                        # relu(x - y)
    >>> g = Network.create([[[1.0, -1.0], [0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]],
    ...                     [[1.0, 0.25]]])
    >>> res = deep_search(f, g, structured=True, lo=Fraction(-1), hi=Fraction(1))
    >>> res.proven, res.upper, res.lower, bin(res.best)
    (True, Fraction(0, 1), Fraction(0, 1), '0b101')
    """
    from solvers.regions import linear_regions

    start = time.perf_counter()
    d = target.sizes[0]
    regions = linear_regions([target], (lo, hi)) if d == 2 else None
    master = DeepMaster(target, random, structured, max(abs(lo), abs(hi)), budget, workers)
    pts = _grid(d, lo, hi, INITIAL_GRID)
    if regions is not None:
        pts += [(P, q) for P, q in sorted({((x, y), q) for p in regions
                                           for x, y, q in p.vertices})]
    master.add_points(pts)
    search = DeepSearch(master)
    for bits in [0, *warm]:
        if budget is None or bits.bit_count() <= budget:
            _examine(search, bits, target, random, lo, hi, regions)
    deadline = None if time_limit is None else start + time_limit
    slice_ = MASTER_SLICE
    while True:
        if progress is not None and search.upper:
            progress(float(search.lower / search.upper))
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            break
        search.rounds += 1
        # a cheap mask below the best sup on the inputs spares a CP-SAT solve
        bits = _descend(master, search.best, search.upper, deadline)
        if bits is not None:
            _examine(search, bits, target, random, lo, hi, regions)
            continue
        timed = left is None or left > slice_
        status, bits, bound = master.solve(slice_ if timed else left,
                                           cap=master.cap_units(search.upper),
                                           hint=search.best, gap=MASTER_GAP)
        if status == "infeasible":
            search.lower, search.proven = search.upper, True
            break
        if status != "optimal":
            # a slice ran out: its mask still brings new inputs; the next slice is longer
            slice_ *= 2
        if bits is None:
            if timed:
                continue
            break
        search.lower = max(search.lower, min(bound, search.upper))
        _examine(search, bits, target, random, lo, hi, regions)
    if progress is not None and search.proven:
        progress(1.0)
    return search


def _descend(master: DeepMaster, bits: int, upper: Fraction, deadline: float | None
             ) -> int | None:
    """Best-improvement descent over single bit flips on the exact error over the master's
    inputs, from ``bits``: the first mask found below ``upper`` (None at a local minimum)."""
    flips = [1 << i for i, v in enumerate(master.vars.bits) if v is not None]
    budget = master.budget
    current = master.error(bits)
    while deadline is None or time.perf_counter() < deadline:
        best = None
        for f in flips:
            cand = bits ^ f
            if budget is not None and cand.bit_count() > budget:
                continue
            e = master.error(cand)
            if e < upper:
                return cand
            if e < current:
                best, current = cand, e
        if best is None:
            return None
        bits = best
    return None


def _examine(search: DeepSearch, bits: int, target: Network, random: Network, lo: Fraction,
             hi: Fraction, regions: list | None) -> None:
    """The exact sup of a mask: keep it if best, add its worst inputs, exclude its class."""
    master = search.master
    net = random.masked(mask_of_bits(random, master.structured, bits))
    worst = _worst_inputs(target, net, lo, hi, regions)
    sup, point = worst[0]
    if search.upper is None or sup < search.upper:
        search.best, search.upper, search.worst = bits, sup, point
    master.add_points([p for e, p in worst if e >= search.upper] or [point])
    master.exclude(bits, point)
