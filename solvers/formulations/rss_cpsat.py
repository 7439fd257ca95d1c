"""CP-SAT formulation of 1-D subset sum on an exact integer scaling: a proof of optimality.

Model (Lueker's random subset sum, 1-D): with ``a_i = values[i] / u`` and ``T = target / u``
integers for the unit ``u`` = gcd of all numbers as exact rationals,

    minimise e  subject to  e >= T - sum_i a_i x_i,  e >= sum_i a_i x_i - T,  x_i in {0, 1},

plus ``sum_i x_i = k`` (``cardinality``) or ``sum_i x_i <= k`` (``max_cardinality``). The absolute
value is two inequalities (no ``add_abs_equality``). Every number in the model is an integer, so
CP-SAT's ``OPTIMAL`` with its integer lower bound equal to the integer objective is a proof in
exact arithmetic; the error returned is still recomputed from the subset with
:meth:`solvers.instances.RSSInstance.error`.

CP-SAT refuses variable domains and linear activities beyond ``2**62 - 1`` in magnitude; an
instance whose scaling would exceed that is refused up front with :class:`InputError`. The model
has no enforced (half-reified) rows, so OR-Tools issue 5293 (a wrong ``OPTIMAL`` when Boolean
coefficients in an enforced row sum past ``2**31``) cannot arise.

>>> from solvers.instances import RSSInstance
>>> sol = solve_rss_cpsat(RSSInstance.create(["0.5", "1/3", "-0.25"], "0.6"))
>>> sol.status, sol.subset, sol.error, sol.lower_bound
('optimal', (0, 1, 2), Fraction(1, 60), Fraction(1, 60))
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from solvers.deprecation import renamed_argument
from solvers.instances import RSSInstance
from solvers.interrupt import solve_cp
from solvers.numbers import (
    INT64_SAFE,
    InputError,
    check_time_limit,
    check_workers,
    common_scale,
    fraction_str,
    scale_to_int,
)
from solvers.results import Solution

__all__ = ["solve_rss_cpsat", "cpsat_scaling"]

# CP-SAT's model checker bounds every domain and every linear activity by kint64max // 2.
_CPSAT_LIMIT = INT64_SAFE - 1


def cpsat_scaling(inst: RSSInstance) -> tuple[Fraction, list[int], int, int]:
    """The exact integer scaling used by :func:`solve_rss_cpsat`.

    Returns ``(unit, a, T, e_max)``: ``values[i] = a[i] * unit``, ``target = T * unit``, and
    ``e_max`` bounds the scaled error of every subset. Raises :class:`InputError` when a CP-SAT
    domain or activity would exceed ``2**62 - 1``.

    >>> cpsat_scaling(RSSInstance.create([0.5, 0.25, 3], 1))
    (Fraction(1, 4), [2, 1, 12], 4, 11)
    >>> cpsat_scaling(RSSInstance.create(["1", "1e-25"], 0))
    Traceback (most recent call last):
    ...
    solvers.numbers.InputError: values scale to integers of up to 2^84.0 (unit 1/10000000000000000000000000): CP-SAT accepts at most 2^62; give values with fewer significant digits or use method 'mitm'
    """
    numbers = [*inst.values, inst.target]
    scale = common_scale(numbers)
    ints = scale_to_int(numbers, scale)
    g = math.gcd(*ints) or 1
    a = [v // g for v in ints[:-1]]
    target = ints[-1] // g
    pos = sum(v for v in a if v > 0)
    neg = sum(v for v in a if v < 0)
    e_max = max(target - neg, pos - target)
    # Activities of e + sum a x and sum a x - e: each side must stay within the limit.
    reach = max(pos, -neg) + e_max
    if reach > _CPSAT_LIMIT:
        raise InputError(
            f"values scale to integers of up to 2^{math.log2(reach):.1f} "
            f"(unit {fraction_str(Fraction(g, scale))}): CP-SAT accepts at most 2^62; give "
            "values with fewer significant digits or use method 'mitm'"
        )
    return Fraction(g, scale), a, target, e_max


def solve_rss_cpsat(
    inst: RSSInstance,
    *,
    time_limit: float | None = None,
    workers: int = 2,
    hint: Sequence[int] | None = None,
    num_workers: int | None = None,
) -> Solution:
    """Minimise |target - sum of values over S| with CP-SAT on an exact integer scaling.

    Parameters
    ----------
    inst : the instance; ``cardinality`` (|S| = k) and ``max_cardinality`` (|S| <= k) are honoured.
    time_limit : seconds, or None for no limit. At the limit the best subset found is returned as
        ``feasible`` with CP-SAT's proven bound as ``lower_bound``, or ``unknown`` if none.
    workers : CP-SAT search workers (>= 1).
    hint : indices of a subset to start the search from (e.g. a heuristic's answer).

    Returns
    -------
    Solution
        ``optimal`` only when CP-SAT reports OPTIMAL and its integer lower bound equals the
        integer objective, the exact error of the subset; ``infeasible`` when no subset meets the
        cardinality constraint. ``error`` is always recomputed exactly from ``subset``.

    Examples
    --------
    >>> from solvers.instances import RSSInstance
    >>> inst = RSSInstance.create([3, 5, 9, 14], 20, cardinality=2)
    >>> sol = solve_rss_cpsat(inst)
    >>> sol.status, sol.subset, sol.error
    ('optimal', (1, 3), Fraction(1, 1))
    >>> solve_rss_cpsat(RSSInstance(values=(Fraction(1),), target=Fraction(0), cardinality=2)).status
    'infeasible'
    """
    start = time.perf_counter()
    limit = check_time_limit(time_limit)
    workers = check_workers(renamed_argument("solve_rss_cpsat", "num_workers", "workers",
                                             num_workers, workers))
    unit, a, target, e_max = cpsat_scaling(inst)
    model, x, e = _build_model(inst, a, target, e_max, hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    # OR-Tools 9.15's presolve returns wrong OPTIMAL answers on these models once the
    # coefficients reach ~2^35 (tests/test_formulations_rss.py keeps the instance)
    solver.parameters.cp_model_presolve = False
    if limit is not None:
        solver.parameters.max_time_in_seconds = limit
    status = solve_cp(solver, model)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {model.validate()}")
    return _read_solution(inst, solver, status, x, e, unit, start)


def _build_model(inst: RSSInstance, a: list[int], target: int, e_max: int,
                 hint: Sequence[int] | None) -> tuple[cp_model.CpModel, list, Any]:
    """min e subject to target - e <= sum a_i x_i <= target + e, and the cardinality rule."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(inst.n)]
    e = model.new_int_var(0, e_max, "e")
    total = cp_model.LinearExpr.weighted_sum(x, a)
    model.add(total + e >= target)
    model.add(total - e <= target)
    if inst.cardinality is not None:
        model.add(cp_model.LinearExpr.sum(x) == inst.cardinality)
    if inst.max_cardinality is not None:
        model.add(cp_model.LinearExpr.sum(x) <= inst.max_cardinality)
    model.minimize(e)
    if hint is not None:
        inst.subset_sum(hint)  # validates the indices
        chosen = {int(i) for i in hint}
        for i, xi in enumerate(x):
            model.add_hint(xi, i in chosen)
        model.add_hint(e, abs(target - sum(a[i] for i in chosen)))
    return model, x, e


def _read_solution(inst: RSSInstance, solver: cp_model.CpSolver, status: Any, x: list, e: Any,
                   unit: Fraction, start: float) -> Solution:
    """The Solution: ``optimal`` only when CP-SAT's integer bound equals its integer objective
    and the exactly recomputed error."""
    name = solver.status_name(status)
    # The integer fields, not the double objective_value/best_objective_bound (inexact past 2^53).
    bound = solver.response_proto.inner_objective_lower_bound
    stats = {"cpsat_status": name, "unit": fraction_str(unit), "scaled_lower_bound": bound,
             "conflicts": solver.num_conflicts, "branches": solver.num_branches}
    common = {"method": "cpsat", "instance_hash": inst.hash(), "stats": stats}
    if status == cp_model.INFEASIBLE:
        return Solution("infeasible", seconds=time.perf_counter() - start, **common,
                        proof="CP-SAT INFEASIBLE on exact integer data: no subset meets the "
                              "cardinality")
    lower = Fraction(bound) * unit
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution("unknown", lower_bound=lower, seconds=time.perf_counter() - start,
                        proof=f"CP-SAT {name}: no subset found within the time limit", **common)
    subset = tuple(i for i, xi in enumerate(x) if solver.boolean_value(xi))
    error = inst.error(subset)
    e_value = solver.value(e)
    stats["scaled_objective"] = e_value
    if status == cp_model.OPTIMAL and bound == e_value and error == lower:
        return Solution("optimal", subset=subset, error=error, lower_bound=lower,
                        proof=f"CP-SAT OPTIMAL on exact integer scaling (unit "
                              f"{fraction_str(unit)}): bound == objective == {bound}",
                        seconds=time.perf_counter() - start, **common)
    return Solution("feasible", subset=subset, error=error, lower_bound=lower,
                    proof=f"CP-SAT {name}: best subset found; proven bound {bound}, "
                          f"objective {e_value} (unit {fraction_str(unit)})",
                    seconds=time.perf_counter() - start, **common)
