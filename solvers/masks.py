"""Provably optimal masks: exhaustive search, and the exact engine with its certificates.

- :func:`enumerate_masks`: every canonical mask evaluated exactly; the reference for every
  other mask engine on small networks (up to :data:`MASK_ENUMERATION_MAX_BITS` bits).
- :func:`exact_optimal_mask`: one-hidden-layer networks of at most three inputs over a box, by
  constraint generation between an exact master (:class:`ExactMaster`: CP-SAT on exactly
  rounded rows of the multiple-choice view :class:`solvers.mask_choices.MaskChoices`) and
  exact sups (:func:`solvers.piecewise_linear.sup_error_box`); networks of any depth with at
  most two inputs through :mod:`solvers.masks_deep` (a layered CP-SAT master, exact sups over
  the linear regions of :mod:`solvers.regions`), unstructured masks of the construction's
  ``d -> h1 -> k -> h3 -> 1`` networks through the branch and bound of
  :mod:`solvers.masks_branch`; :func:`exact_master_optimum` for a finite input set.
- :class:`MaskCertificate` and :func:`verify_mask_certificate`: the inputs on which no mask
  beats the mask's exact sup, and their re-derivation.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solvers.formulations.masks_cpsat import (
    add_choice_variables,
    add_error_rows,
    exclude_choice,
    master_solver,
    row_shift,
    scaled_rows,
)
from solvers.instances import MaskProblem
from solvers.interrupt import solve_cp
from solvers.mask_choices import MaskChoices, Rows
from solvers.masks_branch import (
    BRANCH_MAX_WALKS,
    branch_applies,
    branch_master_optimum,
    branch_search,
)
from solvers.masks_deep import deep_master_optimum, deep_search, mask_bits_of
from solvers.networks import (
    Network,
    NetworkMask,
    is_canonical_mask,
    mask_of_bits,
    neuron_bit_masks,
)
from solvers.numbers import InputError, fraction_str, to_fraction, to_fractions
from solvers.piecewise_linear import (
    BOX_SUP_MAX_INPUTS,
    box_vertices,
    check_comparable,
    errors_at_points,
    exact_box,
    integer_layers,
)
from solvers.regions import REGIONS_MAX_INPUTS

__all__ = ["enumerate_masks", "MASK_ENUMERATION_MAX_BITS", "MaskResult", "MaskCertificate",
           "BOUND_SLACK", "ExactMaster", "magnitude_bound", "exact_master_optimum",
           "exact_optimal_mask", "exact_engine_applies", "verify_mask_certificate"]

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


#: CP-SAT stops a master solve once its mask is within this relative gap of the bound.
MASTER_GAP = 0.1


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
        have = set(self.points)
        new = [p for p in dict.fromkeys(points) if p not in have]
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
        """Cut off ``choice`` with every choice taking, in each group, an option of the same
        value on the choice's worst row: their residual there is the same, so their error on
        these inputs (and on any superset) is at least the choice's."""
        rows = self.rows
        worst = max(range(len(rows.dens)), key=lambda r: Fraction(abs(
            rows.targets[r] - sum(rows.values[r][g][o] for g, o in enumerate(choice) if o >= 0)),
            rows.dens[r]))
        vals = rows.values[worst]
        classes = []
        for g, o in enumerate(choice):
            mine = vals[g][o] if o >= 0 else 0
            classes.append(([i for i, v in enumerate(vals[g]) if v == mine], mine == 0))
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
        solver = master_solver(self.workers, time_limit, MASTER_GAP)
        code = solve_cp(solver, self.model)
        self.solves += 1
        if code == cp_model.INFEASIBLE:
            return "infeasible", None, Fraction(0)
        bound = Fraction(max(int(solver.best_objective_bound) - self.slack, 0), 2**self.shift)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown", None, Fraction(0)
        choice = [next((i for i, v in enumerate(ys) if solver.boolean_value(v)), -1)
                  for ys in self.y]
        return ("optimal" if code == cp_model.OPTIMAL else "feasible"), choice, bound


#: Added to the MIP's bound in a report's ``error_bound``: big-M rows are only satisfied to
#: within MIP_FEASTOL, so the verification's bound may fall short of the sup by about that.
BOUND_SLACK = 1e-5


@dataclass
class MaskResult:
    """An optimal mask and what is proven about it.

    ``upper``: the MIP's bound on the mask's worst error over the box (or the exact maximum
    over a finite input set); ``lower_bound``: the master MIP's bound on the best possible
    mask; both floating point, valid within ``tolerance``. ``error``: the exact rational
    ``max ||f(x) - g_mask(x)||_inf`` over every input the method evaluated (the finite set,
    or the master's inputs plus the verification's worst inputs), a proven lower bound on the
    mask's sup over the box and, for a finite input set, its exact objective.

    Exact engine: ``error`` is the mask's exact sup over the box (or exact maximum over the
    finite set), ``certificate`` carries the inputs on which no mask does better, and the
    floats ``upper`` / ``lower_bound`` are those exact bounds rounded (tolerance 0).
    """

    mask: NetworkMask
    status: str
    proof: str
    error: Fraction
    upper: float
    lower_bound: float
    tolerance: float
    structured: bool
    bits: int
    kept_bits: int
    iterations: int
    inputs: np.ndarray
    worst_input: np.ndarray
    seconds: float
    eps: Fraction | None = None
    reached: bool = True
    certificate: MaskCertificate | None = None

    def to_json(self) -> dict[str, Any]:
        if self.certificate is not None:
            return self._exact_json()
        return {
            "construction": "optimal", "structured": self.structured, "status": self.status,
            "proof": self.proof, "error": fraction_str(self.error),
            "error_float": float(self.error), "upper": self.upper,
            "lower_bound": self.lower_bound, "tolerance": self.tolerance,
            "error_bound": max(self.upper, float(self.error)) + self.tolerance + BOUND_SLACK,
            "error_bound_kind": "MIP bound on sup over the box plus tolerance and slack "
                                f"{BOUND_SLACK:g} (floating point, not exact)",
            "bits": self.bits, "kept_bits": self.kept_bits, "kept": self.mask.kept,
            "iterations": self.iterations, "n_inputs": len(self.inputs),
            "worst_input": self.worst_input.tolist(),
            "eps": None if self.eps is None else fraction_str(self.eps),
            "reached": self.reached, "seconds": round(self.seconds, 3),
        }


    def _exact_json(self) -> dict[str, Any]:
        cert = self.certificate
        return {
            "construction": "optimal", "structured": self.structured, "status": self.status,
            "proof": self.proof, "error": fraction_str(self.error),
            "error_float": float(self.error), "upper": self.upper,
            "lower_bound": self.lower_bound, "lower_bound_exact": fraction_str(cert.lower),
            "tolerance": 0.0, "error_bound": math.nextafter(float(self.error), math.inf),
            "error_bound_kind": "the mask's exact sup over the box (rounded up to a double)",
            "bits": self.bits, "kept_bits": self.kept_bits, "kept": self.mask.kept,
            "iterations": self.iterations, "n_inputs": len(cert.inputs),
            "worst_input": [fraction_str(v) for v in cert.worst_input],
            "eps": None, "reached": True, "seconds": round(self.seconds, 3),
            "certificate": cert.to_json(),
        }


@dataclass(frozen=True)
class MaskCertificate:
    """What makes a one-hidden-layer mask provably optimal (or bounds it).

    ``upper``: the mask's exact sup (over the box, or the finite set), attained at
    ``worst_input``. ``lower``: a proven lower bound on every mask's error over ``inputs``
    (a subset of the domain), hence on the optimum; ``lower == upper`` proves optimality.
    """

    inputs: tuple[tuple[Fraction, ...], ...]
    upper: Fraction
    lower: Fraction
    worst_input: tuple[Fraction, ...]

    def to_json(self) -> dict[str, Any]:
        return {"inputs": [[fraction_str(v) for v in x] for x in self.inputs],
                "upper": fraction_str(self.upper), "lower": fraction_str(self.lower),
                "worst_input": [fraction_str(v) for v in self.worst_input]}

    @classmethod
    def from_json(cls, data: Any) -> MaskCertificate:
        """Read a certificate back (exact strings)."""
        if not isinstance(data, dict) or not isinstance(data.get("inputs"), list):
            raise InputError("certificate is not an object with 'inputs', 'upper', 'lower'")
        xs = tuple(tuple(to_fractions(x, f"certificate.inputs[{i}]"))
                   for i, x in enumerate(data["inputs"]))
        return cls(xs, to_fraction(data.get("upper"), "certificate.upper"),
                   to_fraction(data.get("lower"), "certificate.lower"),
                   tuple(to_fractions(data.get("worst_input", []), "certificate.worst_input")))


#: Inputs added to the master per round: the mask's worst vertex and the next worst ones.
CUTS_PER_ROUND = 4


#: The first master's inputs: a regular grid of about this many points (corners included).
INITIAL_INPUTS = 289


def _box_points(d: int, lo: Fraction, hi: Fraction, n: int
                ) -> list[tuple[tuple[int, ...], int]]:
    """A regular grid of n^d points of the box (corners included) as integer points (P, q)."""
    ticks = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    q = math.lcm(*(t.denominator for t in ticks))
    pts = [tuple(int(t * q) for t in P) for P in itertools.product(ticks, repeat=d)]
    return [(tuple(v // math.gcd(*P, q) for v in P), q // math.gcd(*P, q)) for P in pts]


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


def _integer_point(x: Sequence[Fraction]) -> tuple[tuple[int, ...], int]:
    """The rational point x as (P, q): x = P / q, q > 0, reduced."""
    q = math.lcm(*(v.denominator for v in x))
    P = tuple(int(v * q) for v in x)
    g = math.gcd(*P, q)
    return tuple(v // g for v in P), q // g


def _constraint_generation(target: Network, random: Network, structured: bool,
                           lo: Fraction, hi: Fraction, budget: int | None,
                           time_limit: float | None, workers: int,
                           warm: Sequence[NetworkMask],
                           progress: Callable[[float], None] | None = None
                           ) -> tuple[_Search, bool]:
    """The exact search over the box; returns its state and whether ``lower == upper``."""
    start = time.perf_counter()
    d = target.sizes[0]
    choices = MaskChoices.create(random, structured)
    radius = max(abs(lo), abs(hi))
    shift = row_shift(magnitude_bound(target, radius) + magnitude_bound(random, radius))
    master = ExactMaster(choices, target, shift, budget, workers)
    lf = integer_layers(target)
    n = max(2, round(INITIAL_INPUTS ** (1 / d)))
    master.add_points(_box_points(d, lo, hi, n) + box_vertices(lf, lf, d, lo, hi))
    search = _Search(choices, target, lo, hi, master)
    starts = [[-1] * len(choices.groups)] + [choices.choice_of_mask(m) for m in warm]
    for choice in starts:
        if budget is None or choices.kept(choice) <= budget:
            search.examine(choice)
    proven = False
    while True:
        if progress is not None and search.upper:
            progress(float(search.lower / search.upper))
        left = None if time_limit is None else time_limit - (time.perf_counter() - start)
        if left is not None and left <= 0:
            break
        search.rounds += 1
        status, choice, bound = master.solve(left, hint=search.best)
        if status == "infeasible":
            search.lower, proven = search.upper, True
            if progress is not None:
                progress(1.0)
            break
        if choice is None:
            break
        search.lower = max(search.lower, min(bound, search.upper))
        search.examine(choice)
    return search, proven


def exact_master_optimum(target: Network, random: Network, inputs: Sequence[Sequence[Fraction]],
                         *, structured: bool = False, budget: int | None = None,
                         start: NetworkMask | None = None, time_limit: float | None = None,
                         workers: int = 1) -> tuple[Fraction, NetworkMask, bool]:
    """The exact minimum over masks of ``max_{x in inputs} ||f(x) - g_mask(x)||_inf``.

    CP-SAT on the exactly rounded rows finds a mask, whose exact error U caps the next solve
    (and its class is excluded), until the capped model is infeasible: no mask is below U.
    Returns (U, a mask attaining it, proven); at the time limit the best so far, unproven.
    Networks with several hidden layers: :func:`solvers.masks_deep.deep_master_optimum`.

    >>> f = Network.create([[[1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0], [-1.0]], [[1.0, 0.5]]])
    >>> err, mask, proven = exact_master_optimum(f, g, [[Fraction(-1)], [Fraction(1)]])
    >>> err, mask.kept, proven
    (Fraction(0, 1), 2, True)
    """
    if (max(target.n_layers, random.n_layers) > 2 and not structured and budget is None
            and branch_applies(target, random, max((abs(Fraction(v)) for x in inputs for v in x),
                                                   default=Fraction(1)))):
        lo = min((min(x) for x in inputs), default=Fraction(-1))
        hi = max((max(x) for x in inputs), default=Fraction(1))
        return branch_master_optimum(target, random, inputs, lo=Fraction(lo), hi=Fraction(hi),
                                     start=NetworkMask.full(random, False) if start is None else start,
                                     time_limit=time_limit)
    if max(target.n_layers, random.n_layers) > 2:
        start_bits = None if start is None else mask_bits_of(random, structured, start)
        err, bits, proven = deep_master_optimum(target, random, inputs, structured=structured,
                                                budget=budget, start=start_bits,
                                                time_limit=time_limit, workers=workers)
        return err, mask_of_bits(random, structured, bits), proven
    t0 = time.perf_counter()
    choices = MaskChoices.create(random, structured)
    radius = max((abs(v) for x in inputs for v in x), default=Fraction(1))
    shift = row_shift(magnitude_bound(target, radius) + magnitude_bound(random, radius))
    master = ExactMaster(choices, target, shift, budget, workers)
    master.add_points([_integer_point(x) for x in inputs])
    best = choices.choice_of_mask(start) if start is not None else [-1] * len(choices.groups)
    if budget is not None and choices.kept(best) > budget:
        best = [-1] * len(choices.groups)
    upper = master.error(best)
    master.cap(upper)
    master.exclude(best)
    while True:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            return upper, choices.mask(best), False
        status, choice, _ = master.solve(left, hint=best)
        if status == "infeasible":
            return upper, choices.mask(best), True
        if choice is None:
            return upper, choices.mask(best), False
        e = master.error(choice)
        if e < upper:
            best, upper = choice, e
            master.cap(upper)
        master.exclude(choice)


def exact_optimal_mask(target: Network, random: Network, *, structured: bool = False,
                       box: tuple[object, object] = (-1, 1), budget: int | None = None,
                       time_limit: float | None = None, workers: int = 1,
                       warm: Sequence[NetworkMask] = (),
                       progress: Callable[[float], None] | None = None) -> MaskResult:
    """The mask minimising the exact sup over the box ``[lo, hi]^d`` of ``||f - g_mask||_inf``,
    proven in exact arithmetic, with its certificate.

    Both networks with one hidden layer and at most ``BOX_SUP_MAX_INPUTS`` inputs, or of any
    depth with at most ``REGIONS_MAX_INPUTS`` inputs (:func:`solvers.masks_deep.deep_search`:
    the master over the layers, exact sups over the linear regions).
    Constraint generation: the master (:class:`ExactMaster`) picks the best mask over finitely
    many inputs; the mask's exact sup (:func:`solvers.piecewise_linear.sup_error_box`) is an
    upper bound and its worst vertices join the inputs; a mask whose error on the inputs
    already equals its sup is excluded with its class. Masks are finitely many, so the loop
    ends with a capped master that is infeasible: no mask beats the best one on the inputs,
    hence on the box. ``warm``: masks (from heuristics) examined first. ``progress``: called
    with the fraction ``lower / upper`` of the bounds closed.

    >>> f = Network.create([[[1.0, 1.0]], [[1.0]]])
    >>> g = Network.create([[[1.0, 1.0], [0.5, -0.5]], [[1.0, 0.25]]])
    >>> res = exact_optimal_mask(f, g)
    >>> res.status, res.error, res.certificate.lower
    ('optimal', Fraction(0, 1), Fraction(0, 1))
    """
    start = time.perf_counter()
    lo, hi = exact_box(box)
    _check_exact_networks(target, random)
    if max(target.n_layers, random.n_layers) > 2:
        return _exact_deep(target, random, structured, (lo, hi), budget, time_limit, workers,
                           warm, progress, start)
    search, proven = _constraint_generation(target, random, structured, lo, hi, budget,
                                            time_limit, workers, warm, progress)
    choices, master = search.choices, search.master
    mask = choices.mask(search.best)
    inputs = tuple(tuple(Fraction(p, q) for p in P) for P, q in master.points)
    cert = MaskCertificate(inputs, search.upper, search.lower, search.worst)
    how = (f"exact constraint generation, {search.rounds} rounds, {len(inputs)} inputs: the "
           "mask's sup over the box is exact (every vertex of the hyperplane arrangement, in "
           "integers); CP-SAT on the master's exactly rounded rows "
           f"(unit 2^-{master.shift}, rounding slack {master.slack} units) with "
           f"{master.excluded} exact no-goods")
    status = "optimal" if proven else "feasible"
    proof = (how + " proves no mask has a smaller error on the inputs" if proven else
             "stopped at the time limit: " + how + f"; proven lower bound {float(search.lower):.12g}")
    return MaskResult(mask=mask, status=status, proof=proof, error=search.upper,
                      upper=float(search.upper), lower_bound=float(search.lower), tolerance=0.0,
                      structured=structured, bits=choices.n_bits,
                      kept_bits=choices.kept(search.best), iterations=search.rounds,
                      inputs=np.array([[float(v) for v in x] for x in inputs]),
                      worst_input=np.array([float(v) for v in search.worst]),
                      seconds=time.perf_counter() - start, certificate=cert)


def _exact_deep(target: Network, random: Network, structured: bool,
                box: tuple[Fraction, Fraction], budget: int | None, time_limit: float | None,
                workers: int, warm: Sequence[NetworkMask],
                progress: Callable[[float], None] | None, start: float) -> MaskResult:
    """:func:`exact_optimal_mask` for networks with several hidden layers."""
    lo, hi = box
    if not structured and budget is None and branch_applies(target, random, max(-lo, hi)):
        return _exact_branch(target, random, box, time_limit, warm, progress, start)
    search = deep_search(target, random, structured=structured, lo=lo, hi=hi, budget=budget,
                         time_limit=time_limit, workers=workers, progress=progress,
                         warm=[mask_bits_of(random, structured, m) for m in warm])
    master = search.master
    how = (f"exact constraint generation, {search.rounds} rounds, {len(master.points)} inputs: "
           "the mask's sup over the box is exact (every vertex of the linear regions of both "
           "networks, in integers); CP-SAT on the master's layers rounded to units "
           f"2^-{master.shift} with a propagated rounding slack of {master.slack} units and "
           f"{master.excluded} exact no-goods")
    return _points_result(mask_of_bits(random, structured, search.best), how, search.proven,
                          search.upper, search.lower, master.points, search.worst,
                          structured=structured,
                          bits=sum(random.sizes[1:-1]) if structured else random.n_params,
                          kept_bits=search.best.bit_count(), iterations=search.rounds,
                          start=start)


def _exact_branch(target: Network, random: Network, box: tuple[Fraction, Fraction],
                  time_limit: float | None, warm: Sequence[NetworkMask],
                  progress: Callable[[float], None] | None, start: float) -> MaskResult:
    """:func:`exact_optimal_mask` for unstructured ``d -> h1 -> k -> h3 -> 1`` networks
    (:func:`solvers.masks_branch.branch_search`)."""
    lo, hi = box
    search = branch_search(target, random, lo=lo, hi=hi, time_limit=time_limit, warm=warm,
                           progress=progress)
    how = (f"exact branch and bound over the option classes of the layers ({search.walks} "
           f"complete walks over {len(search.points)} inputs in floats with a rigorous margin, "
           f"{search.examined} masks' sups exact over the linear regions, survivors "
           "re-checked in exact arithmetic)")
    return _points_result(search.best, how, search.proven, search.upper, search.lower,
                          search.points, search.worst, structured=False, bits=random.n_params,
                          kept_bits=search.best.kept, iterations=search.walks, start=start,
                          stopped=("the time limit" if search.walks < BRANCH_MAX_WALKS else
                                   f"{BRANCH_MAX_WALKS} walks with more survivors than listed"))


def _points_result(mask: NetworkMask, how: str, proven: bool, upper: Fraction, lower: Fraction,
                   points: Sequence[tuple[Sequence[int], int]],
                   worst: tuple[Sequence[int], int], *, structured: bool, bits: int,
                   kept_bits: int, iterations: int, start: float,
                   stopped: str = "the time limit") -> MaskResult:
    """The result of a deep search, with its certificate over the integer ``points``
    ``(P, q)`` (x = P / q) and worst input; ``stopped``: why an unproven search ended."""
    inputs = tuple(tuple(Fraction(p, q) for p in P) for P, q in points)
    worst_x = tuple(Fraction(p, worst[1]) for p in worst[0])
    proof = (how + " proves no mask has a smaller error on the inputs" if proven else
             f"stopped before the proof ({stopped}): " + how
             + f"; proven lower bound {float(lower):.12g}")
    return MaskResult(mask=mask, status="optimal" if proven else "feasible", proof=proof,
                      error=upper, upper=float(upper), lower_bound=float(lower), tolerance=0.0,
                      structured=structured, bits=bits, kept_bits=kept_bits,
                      iterations=iterations,
                      inputs=np.array([[float(v) for v in x] for x in inputs]),
                      worst_input=np.array([float(v) for v in worst_x]),
                      seconds=time.perf_counter() - start,
                      certificate=MaskCertificate(inputs, upper, lower, worst_x))


def _check_exact_networks(target: Network, random: Network) -> None:
    check_comparable(target, random, "the random network")
    if not exact_engine_applies(target, random):
        raise InputError(f"networks of sizes {target.sizes} and {random.sizes}: the exact mask "
                         "engine needs a hidden layer and at most "
                         f"{REGIONS_MAX_INPUTS} inputs, or one hidden layer in each and at most "
                         f"{BOX_SUP_MAX_INPUTS} inputs")


def exact_engine_applies(target: Network, random: Network) -> bool:
    """Whether :func:`exact_optimal_mask` takes these networks."""
    one_hidden = (target.n_layers <= 2 and random.n_layers == 2
                  and target.sizes[0] <= BOX_SUP_MAX_INPUTS)
    return one_hidden or (random.n_layers >= 2 and target.sizes[0] <= REGIONS_MAX_INPUTS)


def verify_mask_certificate(prob: MaskProblem, mask: NetworkMask, cert: MaskCertificate, *,
                            time_limit: float | None = None) -> tuple[bool | None, str]:
    """Re-derive both bounds of a certificate: the mask's exact sup equals ``upper``, and the
    exact master optimum over ``inputs`` (each inside the domain) is at least ``lower``.

    Returns (holds, one line saying what was re-derived or what failed); holds is None when
    the master was not re-solved within ``time_limit``.
    """
    lo, hi = prob.box
    if prob.inputs is None and not all(lo <= v <= hi for x in cert.inputs for v in x):
        return False, "a certificate input lies outside the box"
    if prob.inputs is not None and not set(cert.inputs) <= set(prob.inputs):
        return False, "a certificate input is not one of the problem's inputs"
    if any(len(x) != prob.target.sizes[0] for x in cert.inputs) or not cert.inputs:
        return False, "the certificate's inputs do not have the networks' input size"
    err = prob.error(mask)
    if err != cert.upper:
        return False, f"the mask's exact error is {fraction_str(err)}, not {fraction_str(cert.upper)}"
    opt, _, proven = exact_master_optimum(prob.target, prob.random, cert.inputs,
                                          structured=prob.structured, start=mask,
                                          time_limit=time_limit)
    if not proven:
        return None, "the master over the certificate's inputs was not re-solved in time"
    if opt < cert.lower:
        return False, (f"a mask has error {fraction_str(opt)} < the claimed lower bound "
                       f"{fraction_str(cert.lower)} on the certificate's inputs")
    return True, (f"upper {fraction_str(cert.upper)} recomputed exactly; the exact master over "
                  f"the {len(cert.inputs)} inputs re-solved: optimum {fraction_str(opt)} >= "
                  f"lower {fraction_str(cert.lower)}")
