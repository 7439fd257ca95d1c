"""Provably optimal masks by exhaustive search: every canonical mask evaluated exactly.

The reference for every other mask engine on small networks (up to
:data:`MASK_ENUMERATION_MAX_BITS` bits, one input or a finite input set).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from solvers.formulations.masks_cpsat import (
    add_choice_variables,
    add_error_rows,
    exclude_choice,
    row_shift,
    scaled_rows,
)
from solvers.instances import MaskProblem
from solvers.mask_choices import MaskChoices, Rows
from solvers.networks import (
    Network,
    NetworkMask,
    is_canonical_mask,
    mask_of_bits,
    neuron_bit_masks,
)
from solvers.numbers import InputError
from solvers.piecewise_linear import box_vertices, errors_at_points, integer_layers

__all__ = ["enumerate_masks", "MASK_ENUMERATION_MAX_BITS"]

#: Exhaustive search over masks up to this many mask bits (2^bits masks enumerated, the
#: canonical ones evaluated exactly).
MASK_ENUMERATION_MAX_BITS = 16


def enumerate_masks(prob: MaskProblem) -> tuple[Fraction, NetworkMask]:
    """The exact optimum over every mask, and the sparsest optimal mask.

    Every canonical mask (:func:`solvers.networks.is_canonical_mask`; structured masks all are) is evaluated exactly.
    Needs exact errors (:attr:`MaskProblem.exact_errors`) and at most
    :data:`MASK_ENUMERATION_MAX_BITS` bits.

    >>> from solvers.networks import Network
    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> err, mask = enumerate_masks(MaskProblem.create(f, g))
    >>> err, mask.kept
    (Fraction(0, 1), 2)
    """
    if not prob.exact_errors:
        raise InputError(f"the networks take {prob.target.sizes[0]} inputs: exact mask errors "
                         "need one input or a finite 'inputs' set")
    if prob.n_bits > MASK_ENUMERATION_MAX_BITS:
        raise InputError(f"{prob.n_bits} mask bits: exhaustive search is limited to "
                         f"{MASK_ENUMERATION_MAX_BITS}")
    best: tuple[Fraction, int, NetworkMask] | None = None
    neurons = [] if prob.structured else neuron_bit_masks(prob.random)
    for bits in range(1 << prob.n_bits):
        if not is_canonical_mask(bits, neurons):
            continue
        mask = mask_of_bits(prob.random, prob.structured, bits)
        err = prob.error(mask)
        if best is None or (err, mask.kept) < best[:2]:
            best = (err, mask.kept, mask)
    return best[0], best[2]


# --- exact optimal masks of one-hidden-layer networks over a box ------------------------------


def magnitude_bound(net: Network, radius: Fraction) -> Fraction:
    """An upper bound on ``|g(x)_k|`` over every mask of ``net``, every output and every x with
    ``|x_j| <= radius`` (absolute values propagated layer by layer; a mask only drops terms).

    >>> magnitude_bound(Network.create([[[1.0, -2.0]], [[0.5]]], [[1.0], None]), Fraction(1))
    Fraction(2, 1)
    """
    h = [radius] * net.sizes[0]
    for W, b in zip(net.weights, net.biases, strict=True):
        h = [sum((abs(Fraction(float(w))) * v for w, v in zip(row, h, strict=True)), Fraction(0))
             + (0 if b is None else abs(Fraction(float(b[k])))) for k, row in enumerate(W)]
    return max(h)


@dataclass
class ExactMaster:
    """The master over a growing input set, solved by CP-SAT on exactly rounded integer rows.

    Every mask ``choice`` with exact error ``e`` over the inputs has rounded row residuals
    within ``slack`` units of ``2^shift e``: a CP-SAT bound B proves ``e >= (B - slack) /
    2^shift`` for every mask, and ``cap(U)`` (``t <= ceil(2^shift U + slack) - 1``) keeps
    every mask with ``e < U``. Masks found with exact error ``>= U`` are excluded by no-goods,
    so an infeasible capped model proves that no mask has error below U on these inputs.
    """

    choices: MaskChoices
    target: Network
    shift: int
    budget: int | None = None
    workers: int = 1
    points: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    rows: Rows | None = None
    excluded: int = 0
    solves: int = 0

    def __post_init__(self) -> None:
        self.model = cp_model.CpModel()
        self.y = add_choice_variables(self.model, self.choices, budget=self.budget)
        self.t: cp_model.IntVar | None = None
        self.slack = len(self.choices.groups) + 1

    def add_points(self, points: Sequence[tuple[tuple[int, ...], int]]) -> None:
        """Add the rows of new inputs (exact rationals ``P / q``)."""
        new = [p for p in dict.fromkeys(points) if p not in set(self.points)]
        if not new:
            return
        rows = self.choices.rows(self.target, new)
        self.points += new
        self.rows = rows if self.rows is None else Rows(
            self.rows.values + rows.values, self.rows.targets + rows.targets,
            self.rows.dens + rows.dens, self.rows.points + rows.points)
        self.t = add_error_rows(self.model, self.y,
                                scaled_rows(rows, len(self.choices.groups), self.shift), self.t)

    def cap(self, upper: Fraction) -> None:
        """Keep only masks whose exact error on the inputs may be below ``upper``."""
        self.model.add(self.t <= math.ceil(upper * 2**self.shift + self.slack) - 1)

    def exclude(self, choice: Sequence[int]) -> None:
        """Cut off ``choice`` and every choice taking, in each group, an option with the same
        values on every row (the same error on these inputs, and on any superset of them)."""
        classes = []
        for g, o in enumerate(choice):
            col = [tuple(vals[g][i] for vals in self.rows.values)
                   for i in range(len(self.choices.groups[g]))]
            mine = col[o] if o >= 0 else (0,) * len(self.rows.values)
            classes.append(([i for i, c in enumerate(col) if c == mine], not any(mine)))
        exclude_choice(self.model, self.y, classes)
        self.excluded += 1

    def error(self, choice: Sequence[int]) -> Fraction:
        """The exact error of a choice over the inputs."""
        return self.choices.error(self.rows, choice)

    def solve(self, time_limit: float | None, hint: Sequence[int] | None = None
              ) -> tuple[str, list[int] | None, Fraction]:
        """Minimise the rounded error: (status, a choice or None, a proven lower bound on the
        exact error of every mask not excluded). Status: optimal, feasible, infeasible,
        unknown."""
        self.model.minimize(self.t)
        self.model.clear_hints()
        if hint is not None:
            for ys, o in zip(self.y, hint, strict=True):
                for i, v in enumerate(ys):
                    self.model.add_hint(v, i == o)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.workers
        # OR-Tools 9.15's presolve returned wrong OPTIMAL answers on exactly scaled models
        solver.parameters.cp_model_presolve = False
        if time_limit is not None:
            solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
        code = solver.solve(self.model)
        self.solves += 1
        if code == cp_model.INFEASIBLE:
            return "infeasible", None, Fraction(0)
        bound = Fraction(max(int(solver.best_objective_bound) - self.slack, 0), 2**self.shift)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown", None, Fraction(0)
        choice = [next((i for i, v in enumerate(ys) if solver.boolean_value(v)), -1)
                  for ys in self.y]
        return ("optimal" if code == cp_model.OPTIMAL else "feasible"), choice, bound


#: Inputs added to the master per round: the mask's worst vertex and the next worst ones.
CUTS_PER_ROUND = 4


def _box_points(d: int, lo: Fraction, hi: Fraction) -> list[tuple[tuple[int, ...], int]]:
    """The box's corners and centre as integer points ``(P, q)``."""
    q = math.lcm(lo.denominator, hi.denominator) * 2
    ends = [int(lo * q), int(hi * q)]
    pts = [(P, q) for P in itertools.product(ends, repeat=d)]
    pts.append(((int((lo + hi) / 2 * q),) * d, q))
    return [(tuple(v // math.gcd(*P, q) for v in P), q // math.gcd(*P, q)) for P, q in pts]


@dataclass
class _Search:
    """State of the exact constraint generation: the best mask, its exact sup, the bounds."""

    choices: MaskChoices
    target: Network
    lo: Fraction
    hi: Fraction
    master: ExactMaster
    best: list[int] | None = None
    upper: Fraction | None = None
    worst: tuple[Fraction, ...] = ()
    lower: Fraction = Fraction(0)
    rounds: int = 0

    def examine(self, choice: list[int]) -> None:
        """Exact sup of a choice's mask; keep it if best; add its worst vertices as inputs
        (or exclude it when its worst input is already there: its error there is its sup)."""
        lf = integer_layers(self.target)
        lg = integer_layers(self.choices.random.masked(self.choices.mask(choice)))
        pts = box_vertices(lf, lg, self.target.sizes[0], self.lo, self.hi)
        errs = errors_at_points(lf, lg, pts)
        order = sorted(range(len(pts)), key=lambda i: -errs[i])
        sup = errs[order[0]]
        if self.upper is None or sup < self.upper:
            P, q = pts[order[0]]
            self.best, self.upper = list(choice), sup
            self.worst = tuple(Fraction(p, q) for p in P)
            self.master.add_points([pts[order[0]]])
            self.master.cap(sup)
        if self.master.error(choice) >= sup:
            self.master.exclude(choice)
            return
        cut = [pts[i] for i in order[:CUTS_PER_ROUND] if errs[i] >= min(sup, self.upper)]
        self.master.add_points(cut)


def exact_optimal_mask(target: Network, random: Network, *, structured: bool = False,
                       box: tuple[object, object] = (-1, 1), budget: int | None = None,
                       time_limit: float | None = None, workers: int = 1,
                       warm: Sequence[NetworkMask] = ()) -> tuple[_Search, bool]:
    """The mask minimising the exact sup over the box, by constraint generation with an
    exact master (:class:`ExactMaster`) and exact sups (:func:`sup_error_box`).

    One hidden layer in both networks, at most ``BOX_SUP_MAX_INPUTS`` inputs. Returns the
    search state (best choice, its exact sup ``upper``, the proven ``lower`` bound, the
    master's inputs) and whether ``lower == upper`` is proven.
    """
    start = time.perf_counter()
    lo, hi = box
    d = target.sizes[0]
    choices = MaskChoices.create(random, structured)
    radius = max(abs(lo), abs(hi))
    shift = row_shift(magnitude_bound(target, radius) + magnitude_bound(random, radius))
    master = ExactMaster(choices, target, shift, budget, workers)
    lf = integer_layers(target)
    master.add_points(_box_points(d, lo, hi) + box_vertices(lf, lf, d, lo, hi))
    search = _Search(choices, target, lo, hi, master)
    starts = [[-1] * len(choices.groups)] + [choices.choice_of_mask(m) for m in warm]
    for choice in starts:
        if budget is None or choices.kept(choice) <= budget:
            search.examine(choice)
    proven = False
    while True:
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            break
        search.rounds += 1
        status, choice, bound = master.solve(left, hint=search.best)
        if status == "infeasible":
            search.lower, proven = search.upper, True
            break
        if choice is None:
            break
        search.lower = max(search.lower, min(bound, search.upper))
        search.examine(choice)
    return search, proven
